//! Employee tags (ORG-10): labels whose members are employees or whole
//! departments, the same as WeCom's address-book tags when the corp is
//! bound. WeCom changes first, then here: if WeCom refuses, nothing changes.
//! WeCom lets only the app that made a tag change it (the contacts-sync
//! secret may also change console-made ones), so each tag remembers which
//! secret made it here, and a synced tag is changed only with the
//! contacts-sync secret.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, Select};

use crate::{
    error::{msg, AppError, AppResult, Msg},
    integrations::wecom::{address_tags::AddressTagMembers, SecretKind, WecomError},
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{department, employee, employee_tag, employee_tag_member};

const NAME_INVALID: Msg = Msg::new("EMPLOYEE_TAG_NAME_INVALID", "标签名称为1-32个字", "Tag name must be 1-32 characters");
pub const NOT_MADE_HERE: Msg = Msg::new(
    "EMPLOYEE_TAG_NOT_MADE_HERE",
    "该标签由企业微信管理后台或其他应用创建，企业微信仅允许创建它的应用修改；请在企业微信管理后台修改，或配置通讯录同步Secret后再试",
    "This tag was made in the WeCom console or by another app, and WeCom lets only its creator change it; change it in the WeCom console, or configure the contacts-sync secret",
);

/// The secret a new tag is made with: contacts sync when configured (it can
/// manage console tags too), else the self-built app.
fn creating_secret(link: &WecomLink) -> SecretKind {
    if link.creds.contact_secret.is_some() {
        SecretKind::Contacts
    } else {
        SecretKind::Agent
    }
}

fn owner_name(kind: SecretKind) -> &'static str {
    match kind {
        SecretKind::Contacts => "contacts",
        _ => "agent",
    }
}

/// Which secret may change `tag` in WeCom; `None` when the tag is local only
/// or there is no link. Refused here when WeCom would refuse (81011).
fn changing_secret(link: Option<&WecomLink>, tag: &employee_tag::Model) -> AppResult<Option<(WecomLink, SecretKind, i64)>> {
    let (Some(link), Some(wecom_id)) = (link, tag.wecom_tag_id) else { return Ok(None) };
    let kind = match tag.wecom_owner.as_deref() {
        Some("contacts") => SecretKind::Contacts,
        Some(_) => SecretKind::Agent,
        None if link.creds.contact_secret.is_some() => SecretKind::Contacts,
        None => return Err(AppError::conflict(NOT_MADE_HERE)),
    };
    Ok(Some((link.clone(), kind, wecom_id)))
}

/// WeCom's "not your tag" as the stable reason; anything else as WeCom said it.
fn from_wecom(e: WecomError) -> AppError {
    match e.errcode() {
        Some(81011) => AppError::conflict(NOT_MADE_HERE),
        _ => e.into(),
    }
}

/// The members' WeCom names: userids, and the departments' WeCom ids (a
/// department WeCom does not have cannot be sent).
async fn wecom_members(
    db: &impl ConnectionTrait,
    scope: &Scope,
    tagid: i64,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<AddressTagMembers> {
    let userlist = if employee_ids.is_empty() {
        vec![]
    } else {
        scope
            .select::<employee::Entity>()
            .filter(employee::Column::Id.is_in(employee_ids.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|e| e.userid)
            .collect()
    };
    let mut partylist = vec![];
    if !department_ids.is_empty() {
        for d in scope.select::<department::Entity>().filter(department::Column::Id.is_in(department_ids.to_vec())).all(db).await? {
            partylist.push(d.wecom_id.ok_or_else(|| AppError::bad_input("departmentIds", super::employees::DEPARTMENT_NOT_IN_WECOM))?);
        }
    }
    Ok(AddressTagMembers { tagid, userlist, partylist })
}

/// Sends a member change to WeCom and returns the local ids WeCom took.
async fn push_members(
    db: &impl ConnectionTrait,
    scope: &Scope,
    (link, kind, wecom_id): (WecomLink, SecretKind, i64),
    adding: bool,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<(Vec<i64>, Vec<i64>)> {
    let body = wecom_members(db, scope, wecom_id, employee_ids, department_ids).await?;
    if body.userlist.is_empty() && body.partylist.is_empty() {
        return Ok((vec![], vec![]));
    }
    let refused = if adding {
        link.client.address_tag_add_members(&link.creds, kind, &body).await
    } else {
        link.client.address_tag_remove_members(&link.creds, kind, &body).await
    }
    .map_err(from_wecom)?;
    let (bad_users, bad_parties) = (refused.userids(), refused.invalidparty);
    if bad_users.is_empty() && bad_parties.is_empty() {
        return Ok((employee_ids.to_vec(), department_ids.to_vec()));
    }
    tracing::warn!(corp_id = scope.corp_id(), ?bad_users, ?bad_parties, "wecom did not take some tag members");
    let emps = scope
        .select::<employee::Entity>()
        .filter(employee::Column::Id.is_in(employee_ids.to_vec()))
        .filter(employee::Column::Userid.is_not_in(bad_users))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let depts = scope
        .select::<department::Entity>()
        .filter(department::Column::Id.is_in(department_ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .filter(|d| !d.wecom_id.is_some_and(|w| bad_parties.contains(&w)))
        .map(|d| d.id)
        .collect();
    Ok((emps, depts))
}

fn validate_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    let len = n.chars().count();
    if len == 0 || len > 32 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(n.to_string())
}

pub fn list(scope: &Scope, keyword: Option<&str>) -> Select<employee_tag::Entity> {
    let mut q = scope.select::<employee_tag::Entity>().order_by_desc(employee_tag::Column::Id);
    if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(employee_tag::Column::Name.contains(k));
    }
    q
}

async fn ensure_unique(db: &impl ConnectionTrait, scope: &Scope, name: &str, except: Option<i64>) -> AppResult<()> {
    let mut q = scope.select::<employee_tag::Entity>().filter(employee_tag::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(employee_tag::Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(AppError::conflict(msg::DUPLICATE_NAME).with_field("name"));
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    name: &str,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<employee_tag::Model> {
    let name = validate_name(name)?;
    ensure_unique(db, scope, &name, None).await?;
    let (mut employee_ids, mut department_ids) = (employee_ids.to_vec(), department_ids.to_vec());
    let mut remote = None;
    if let Some(link) = wecom {
        // Checked before WeCom makes anything.
        check_exist(db, scope, &employee_ids, &department_ids).await?;
        wecom_members(db, scope, 0, &employee_ids, &department_ids).await?;
        let kind = creating_secret(link);
        let wecom_id = link.client.address_tag_create(&link.creds, kind, &name).await.map_err(from_wecom)?;
        (employee_ids, department_ids) =
            push_members(db, scope, (link.clone(), kind, wecom_id), true, &employee_ids, &department_ids).await?;
        remote = Some((wecom_id, owner_name(kind)));
    }
    let txn = crate::db::write_txn(db).await?;
    let now = Utc::now();
    let tag = scope
        .insert(
            &txn,
            employee_tag::ActiveModel {
                name: Set(name),
                wecom_tag_id: Set(remote.map(|r| r.0)),
                wecom_owner: Set(remote.map(|r| r.1.to_string())),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    add_members_in(&txn, scope, tag.id, &employee_ids, &department_ids).await?;
    txn.commit().await?;
    Ok(tag)
}

pub async fn rename(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    id: i64,
    name: &str,
) -> AppResult<employee_tag::Model> {
    let name = validate_name(name)?;
    let tag = scope.get::<employee_tag::Entity>(db, id).await?;
    ensure_unique(db, scope, &name, Some(id)).await?;
    if let Some((link, kind, wecom_id)) = changing_secret(wecom, &tag)? {
        link.client.address_tag_rename(&link.creds, kind, wecom_id, &name).await.map_err(from_wecom)?;
    }
    let txn = crate::db::write_txn(db).await?;
    let mut am: employee_tag::ActiveModel = tag.into();
    am.name = Set(name);
    am.updated_at = Set(Utc::now());
    let tag = scope.update(&txn, am).await?;
    txn.commit().await?;
    Ok(tag)
}

pub async fn delete(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, id: i64) -> AppResult<()> {
    let tag = scope.get::<employee_tag::Entity>(db, id).await?;
    if let Some((link, kind, wecom_id)) = changing_secret(wecom, &tag)? {
        match link.client.address_tag_delete(&link.creds, kind, wecom_id).await {
            // Already gone in WeCom: delete it here too.
            Err(e) if e.errcode() == Some(40068) => {}
            r => r.map_err(from_wecom)?,
        }
    }
    let txn = crate::db::write_txn(db).await?;
    scope.delete_many::<employee_tag_member::Entity>().filter(employee_tag_member::Column::TagId.eq(id)).exec(&txn).await?;
    scope.delete_many::<employee_tag::Entity>().filter(employee_tag::Column::Id.eq(id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// NOT_FOUND unless every id is an employee / department of the corp (ids deduplicated).
async fn check_exist(db: &impl ConnectionTrait, scope: &Scope, emps: &[i64], depts: &[i64]) -> AppResult<()> {
    let distinct = |v: &[i64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (emps, depts) = (distinct(emps), distinct(depts));
    if !emps.is_empty() {
        let n = scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(emps.clone())).count(db).await?;
        if n != emps.len() as u64 {
            return Err(AppError::not_found().with_field("employeeIds"));
        }
    }
    if !depts.is_empty() {
        let n = scope.select::<department::Entity>().filter(department::Column::Id.is_in(depts.clone())).count(db).await?;
        if n != depts.len() as u64 {
            return Err(AppError::not_found().with_field("departmentIds"));
        }
    }
    Ok(())
}

async fn add_members_in(
    db: &impl ConnectionTrait,
    scope: &Scope,
    tag_id: i64,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<()> {
    let existing = scope.select::<employee_tag_member::Entity>().filter(employee_tag_member::Column::TagId.eq(tag_id)).all(db).await?;
    let mut emps: Vec<i64> = employee_ids.iter().copied().filter(|e| !existing.iter().any(|m| m.employee_id == Some(*e))).collect();
    emps.sort_unstable();
    emps.dedup();
    let mut depts: Vec<i64> = department_ids.iter().copied().filter(|d| !existing.iter().any(|m| m.department_id == Some(*d))).collect();
    depts.sort_unstable();
    depts.dedup();
    check_exist(db, scope, &emps, &depts).await?;
    let rows = emps
        .into_iter()
        .map(|e| employee_tag_member::ActiveModel {
            tag_id: Set(tag_id),
            employee_id: Set(Some(e)),
            department_id: Set(None),
            ..Default::default()
        })
        .chain(depts.into_iter().map(|d| employee_tag_member::ActiveModel {
            tag_id: Set(tag_id),
            employee_id: Set(None),
            department_id: Set(Some(d)),
            ..Default::default()
        }));
    scope.insert_many(db, rows).await
}

pub async fn add_members(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    tag_id: i64,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<employee_tag::Model> {
    let tag = scope.get::<employee_tag::Entity>(db, tag_id).await?;
    let (mut employee_ids, mut department_ids) = (employee_ids.to_vec(), department_ids.to_vec());
    if let Some(to) = changing_secret(wecom, &tag)? {
        // Unknown ids are refused before WeCom is asked.
        check_exist(db, scope, &employee_ids, &department_ids).await?;
        (employee_ids, department_ids) = push_members(db, scope, to, true, &employee_ids, &department_ids).await?;
    }
    let txn = crate::db::write_txn(db).await?;
    add_members_in(&txn, scope, tag_id, &employee_ids, &department_ids).await?;
    txn.commit().await?;
    Ok(tag)
}

/// 剔除人员: removes one employee, or one department, from the tag.
pub async fn remove_member(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    tag_id: i64,
    employee_id: Option<i64>,
    department_id: Option<i64>,
) -> AppResult<employee_tag::Model> {
    let tag = scope.get::<employee_tag::Entity>(db, tag_id).await?;
    if employee_id.is_some() != department_id.is_some() {
        if let Some(to) = changing_secret(wecom, &tag)? {
            let (e, d): (Vec<i64>, Vec<i64>) = (employee_id.into_iter().collect(), department_id.into_iter().collect());
            push_members(db, scope, to, false, &e, &d).await?;
        }
    }
    let mut q = scope.delete_many::<employee_tag_member::Entity>().filter(employee_tag_member::Column::TagId.eq(tag_id));
    q = match (employee_id, department_id) {
        (Some(e), None) => q.filter(employee_tag_member::Column::EmployeeId.eq(e)),
        (None, Some(d)) => q.filter(employee_tag_member::Column::DepartmentId.eq(d)),
        _ => {
            return Err(AppError::bad_input(
                "employeeId",
                Msg::new("EMPLOYEE_OR_DEPARTMENT_REQUIRED", "请指定一名员工或一个部门", "Name one employee or one department"),
            ))
        }
    };
    let res = q.exec(db).await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found());
    }
    Ok(tag)
}
