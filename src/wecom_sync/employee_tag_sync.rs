//! Address-book tags from WeCom into employee tags (ORG-10): every tag WeCom
//! lists, named and with the members and departments WeCom shows, replaces
//! the local copy; synced tags WeCom no longer lists are deleted here. Tags
//! made here keep the secret that made them; local-only tags stay as they are.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter};

use super::{customer_sync::upstream, directory::read_details, link::WecomLink, progress::SyncOutcome};
use crate::{
    error::AppError,
    integrations::wecom::{
        address_tags::{AddressTag, AddressTagDetail},
        SecretKind,
    },
    jobs::JobError,
    tenancy::Scope,
};
use entity::{department, employee, employee_tag, employee_tag_member};

/// Every tag with its members; a policy refusal is reported in `out.skipped`.
pub async fn sync_employee_tags(db: &DatabaseConnection, scope: &Scope, link: &WecomLink, out: &mut SyncOutcome) -> Result<(), JobError> {
    let listed = read_details(link, |kind| {
        let link = link.clone();
        async move { link.client.address_tag_list(&link.creds, kind).await }
    })
    .await;
    let (tags, kind): (Vec<AddressTag>, SecretKind) = match listed {
        Ok(v) => v,
        Err(e) if super::directory::refused_by_policy(&e).is_some() => {
            out.skipped.push(format!("employee tags: {}", e.errcode().unwrap_or(0)));
            return Ok(());
        }
        Err(e) => return Err(upstream(e)),
    };
    let mut details = Vec::with_capacity(tags.len());
    for t in &tags {
        details.push((t.tagid, link.client.address_tag_get(&link.creds, kind, t.tagid).await.map_err(upstream)?));
    }
    let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
    let listed: HashSet<i64> = tags.iter().map(|t| t.tagid).collect();
    for (wecom_id, d) in &details {
        mirror(&txn, scope, *wecom_id, d).await?;
    }
    out.employee_tags_synced += details.len() as u32;
    let gone: Vec<i64> = scope
        .select::<employee_tag::Entity>()
        .filter(employee_tag::Column::WecomTagId.is_not_null())
        .all(&txn)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .filter(|t| t.wecom_tag_id.is_some_and(|w| !listed.contains(&w)))
        .map(|t| t.id)
        .collect();
    delete_tags(&txn, scope, gone).await?;
    txn.commit().await.map_err(AppError::from)?;
    Ok(())
}

/// One tag again, after WeCom said its members changed (`update_tag`).
pub async fn sync_one(db: &DatabaseConnection, scope: &Scope, link: &WecomLink, wecom_id: i64) -> Result<(), JobError> {
    let read = read_details(link, |kind| {
        let link = link.clone();
        async move { link.client.address_tag_get(&link.creds, kind, wecom_id).await }
    })
    .await;
    let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
    match read {
        Ok((d, _)) => mirror(&txn, scope, wecom_id, &d).await?,
        // Deleted in WeCom since.
        Err(e) if e.errcode() == Some(40068) => {
            let ids = scope
                .select::<employee_tag::Entity>()
                .filter(employee_tag::Column::WecomTagId.eq(wecom_id))
                .all(&txn)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .map(|t| t.id)
                .collect();
            delete_tags(&txn, scope, ids).await?;
        }
        Err(e) => return Err(upstream(e)),
    }
    txn.commit().await.map_err(AppError::from)?;
    Ok(())
}

async fn delete_tags(db: &impl ConnectionTrait, scope: &Scope, ids: Vec<i64>) -> Result<(), JobError> {
    if ids.is_empty() {
        return Ok(());
    }
    scope
        .delete_many::<employee_tag_member::Entity>()
        .filter(employee_tag_member::Column::TagId.is_in(ids.clone()))
        .exec(db)
        .await
        .map_err(AppError::from)?;
    scope.delete_many::<employee_tag::Entity>().filter(employee_tag::Column::Id.is_in(ids)).exec(db).await.map_err(AppError::from)?;
    Ok(())
}

/// The local tag for `wecom_id` (found by id, else a local-only tag of the
/// same name is adopted, else created) with exactly WeCom's name and members.
async fn mirror(db: &impl ConnectionTrait, scope: &Scope, wecom_id: i64, d: &AddressTagDetail) -> Result<(), JobError> {
    let now = Utc::now();
    let found = scope
        .select::<employee_tag::Entity>()
        .filter(employee_tag::Column::WecomTagId.eq(wecom_id))
        .one(db)
        .await
        .map_err(AppError::from)?;
    let found = match found {
        Some(t) => Some(t),
        None => scope
            .select::<employee_tag::Entity>()
            .filter(employee_tag::Column::Name.eq(d.tagname.as_str()))
            .filter(employee_tag::Column::WecomTagId.is_null())
            .one(db)
            .await
            .map_err(AppError::from)?,
    };
    let tag_id = match found {
        Some(t) if t.wecom_tag_id == Some(wecom_id) && t.name == d.tagname => t.id,
        Some(t) => {
            let mut am: employee_tag::ActiveModel = t.into();
            am.name = Set(d.tagname.clone());
            am.wecom_tag_id = Set(Some(wecom_id));
            am.updated_at = Set(now);
            scope.update(db, am).await?.id
        }
        None => {
            let am = employee_tag::ActiveModel {
                name: Set(d.tagname.clone()),
                wecom_tag_id: Set(Some(wecom_id)),
                wecom_owner: Set(None),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            scope.insert(db, am).await?.id
        }
    };
    let userids: Vec<String> = d.userlist.iter().map(|u| u.userid.clone()).collect();
    let employees: HashSet<i64> = if userids.is_empty() {
        HashSet::new()
    } else {
        scope
            .select::<employee::Entity>()
            .filter(employee::Column::Userid.is_in(userids))
            .all(db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    let departments: HashSet<i64> = if d.partylist.is_empty() {
        HashSet::new()
    } else {
        scope
            .select::<department::Entity>()
            .filter(department::Column::WecomId.is_in(d.partylist.clone()))
            .all(db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|x| x.id)
            .collect()
    };
    let existing = scope
        .select::<employee_tag_member::Entity>()
        .filter(employee_tag_member::Column::TagId.eq(tag_id))
        .all(db)
        .await
        .map_err(AppError::from)?;
    let stale: Vec<i64> = existing
        .iter()
        .filter(|m| match (m.employee_id, m.department_id) {
            (Some(e), _) => !employees.contains(&e),
            (_, Some(x)) => !departments.contains(&x),
            _ => true,
        })
        .map(|m| m.id)
        .collect();
    if !stale.is_empty() {
        scope
            .delete_many::<employee_tag_member::Entity>()
            .filter(employee_tag_member::Column::Id.is_in(stale))
            .exec(db)
            .await
            .map_err(AppError::from)?;
    }
    let have: HashMap<(Option<i64>, Option<i64>), ()> = existing.iter().map(|m| ((m.employee_id, m.department_id), ())).collect();
    let rows: Vec<employee_tag_member::ActiveModel> = employees
        .iter()
        .map(|e| (Some(*e), None))
        .chain(departments.iter().map(|x| (None, Some(*x))))
        .filter(|k| !have.contains_key(k))
        .map(|(e, x)| employee_tag_member::ActiveModel {
            tag_id: Set(tag_id),
            employee_id: Set(e),
            department_id: Set(x),
            ..Default::default()
        })
        .collect();
    scope.insert_many(db, rows).await?;
    Ok(())
}
