//! Corp tags from WeCom: the full list is read and mirrored in one
//! transaction; new and changed tags and groups land, and synced ones WeCom
//! no longer lists are deleted here too.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter};

use super::{
    customer_sync::{at, upstream},
    link::WecomLink,
    progress::SyncOutcome,
};
use crate::{integrations::wecom::types, jobs::JobError, tenancy::Scope};
use entity::{corp_tag, corp_tag_group, follow_tag};

pub async fn sync_tags(db: &DatabaseConnection, scope: &Scope, link: &WecomLink, out: &mut SyncOutcome) -> Result<(), JobError> {
    let groups = link.client.corp_tag_list(&link.creds, &types::CorpTagFilter::default()).await.map_err(upstream)?;
    let txn = crate::db::write_txn(db).await.map_err(crate::error::AppError::from)?;
    let existing_groups: HashMap<String, corp_tag_group::Model> = scope
        .select::<corp_tag_group::Entity>()
        .all(&txn)
        .await
        .map_err(crate::error::AppError::from)?
        .into_iter()
        .filter_map(|g| Some((g.wecom_group_id.clone()?, g)))
        .collect();
    let existing_tags: HashMap<String, corp_tag::Model> = scope
        .select::<corp_tag::Entity>()
        .all(&txn)
        .await
        .map_err(crate::error::AppError::from)?
        .into_iter()
        .filter_map(|t| Some((t.wecom_tag_id.clone()?, t)))
        .collect();
    let now = Utc::now();
    for g in groups.iter().filter(|g| g.deleted != Some(true)) {
        let group_id = match existing_groups.get(&g.group_id) {
            Some(local) => {
                if local.name != g.group_name || local.wecom_order != g.order {
                    let mut am: corp_tag_group::ActiveModel = local.clone().into();
                    am.name = Set(g.group_name.clone());
                    am.wecom_order = Set(g.order);
                    am.updated_at = Set(now);
                    scope.update(&txn, am).await?;
                    out.tags_updated += 1;
                }
                local.id
            }
            None => {
                let m = scope
                    .insert(
                        &txn,
                        corp_tag_group::ActiveModel {
                            wecom_group_id: Set(Some(g.group_id.clone())),
                            name: Set(g.group_name.clone()),
                            wecom_order: Set(g.order),
                            created_at: Set(at(g.create_time)),
                            updated_at: Set(now),
                            ..Default::default()
                        },
                    )
                    .await?;
                out.tags_created += 1;
                m.id
            }
        };
        for t in g.tag.iter().filter(|t| t.deleted != Some(true)) {
            match existing_tags.get(&t.id) {
                Some(local) => {
                    if local.name != t.name || local.wecom_order != t.order || local.group_id != group_id {
                        let mut am: corp_tag::ActiveModel = local.clone().into();
                        am.name = Set(t.name.clone());
                        am.wecom_order = Set(t.order);
                        am.group_id = Set(group_id);
                        am.updated_at = Set(now);
                        scope.update(&txn, am).await?;
                        out.tags_updated += 1;
                    }
                }
                None => {
                    scope
                        .insert(
                            &txn,
                            corp_tag::ActiveModel {
                                group_id: Set(group_id),
                                wecom_tag_id: Set(Some(t.id.clone())),
                                name: Set(t.name.clone()),
                                wecom_order: Set(t.order),
                                created_at: Set(at(t.create_time)),
                                updated_at: Set(now),
                                ..Default::default()
                            },
                        )
                        .await?;
                    out.tags_created += 1;
                }
            }
        }
    }
    // The list is complete: a synced tag or group it no longer names was
    // deleted in WeCom, which also took it off every customer.
    let listed_tags: HashSet<&str> = groups
        .iter()
        .filter(|g| g.deleted != Some(true))
        .flat_map(|g| g.tag.iter().filter(|t| t.deleted != Some(true)))
        .map(|t| t.id.as_str())
        .collect();
    let gone: Vec<i64> = existing_tags.iter().filter(|(wid, _)| !listed_tags.contains(wid.as_str())).map(|(_, t)| t.id).collect();
    if !gone.is_empty() {
        scope
            .delete_many::<follow_tag::Entity>()
            .filter(follow_tag::Column::TagId.is_in(gone.clone()))
            .exec(&txn)
            .await
            .map_err(crate::error::AppError::from)?;
        scope
            .delete_many::<corp_tag::Entity>()
            .filter(corp_tag::Column::Id.is_in(gone.clone()))
            .exec(&txn)
            .await
            .map_err(crate::error::AppError::from)?;
        out.tags_deleted += gone.len() as u32;
    }
    let listed_groups: HashSet<&str> = groups.iter().filter(|g| g.deleted != Some(true)).map(|g| g.group_id.as_str()).collect();
    let gone_groups: Vec<i64> =
        existing_groups.iter().filter(|(wid, _)| !listed_groups.contains(wid.as_str())).map(|(_, g)| g.id).collect();
    if !gone_groups.is_empty() {
        // A group keeps tags made here that WeCom never had.
        let kept: HashSet<i64> = scope
            .select::<corp_tag::Entity>()
            .filter(corp_tag::Column::GroupId.is_in(gone_groups.clone()))
            .all(&txn)
            .await
            .map_err(crate::error::AppError::from)?
            .into_iter()
            .map(|t| t.group_id)
            .collect();
        let empty: Vec<i64> = gone_groups.into_iter().filter(|g| !kept.contains(g)).collect();
        scope
            .delete_many::<corp_tag_group::Entity>()
            .filter(corp_tag_group::Column::Id.is_in(empty))
            .exec(&txn)
            .await
            .map_err(crate::error::AppError::from)?;
    }
    txn.commit().await.map_err(crate::error::AppError::from)?;
    Ok(())
}
