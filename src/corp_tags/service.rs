use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder};

use crate::{
    error::{AppError, AppResult, Msg},
    integrations::wecom::types::{AddCorpTag, DelCorpTag, EditCorpTag, NewTag},
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{corp_tag, corp_tag_group};

pub const TAG_IN_USE: Msg = Msg::new("TAG_IN_USE", "该标签正在使用中，不支持删除", "The tag is in use and cannot be deleted");
pub const GROUP_NOT_EMPTY: Msg =
    Msg::new("GROUP_NOT_EMPTY", "请先移除标签组下标签再进行删除", "Remove the group's tags before deleting it");
const NAME_INVALID: Msg = Msg::new("CORP_TAG_NAME_INVALID", "名称为1-30个字", "Names must be 1-30 characters");
pub const NOT_MADE_HERE: Msg = Msg::new(
    "CORP_TAG_NOT_MADE_HERE",
    "该标签由企业微信管理后台或其他应用创建，企业微信仅允许创建它的应用编辑或删除；可继续用它给客户打标签",
    "This tag was made in the WeCom console or by another app, and WeCom lets only its creator edit or delete it; it can still be used for tagging",
);
pub const GROUP_NEEDS_TAG: Msg = Msg::new("GROUP_NEEDS_TAG", "新建标签组至少需要一个标签", "A new tag group needs at least one tag");

/// WeCom lets an app edit or delete only the tags it created: refused here,
/// before WeCom is asked, for tags synced from WeCom that this server did not make.
fn editable_in_wecom(wecom: Option<&WecomLink>, wecom_id: &Option<String>, made_here: bool) -> AppResult<()> {
    if wecom.is_some() && !editable(wecom_id, made_here) {
        return Err(AppError::conflict(NOT_MADE_HERE));
    }
    Ok(())
}

/// Whether WeCom lets this server change the tag or group: local ones and those it made.
pub fn editable(wecom_id: &Option<String>, made_here: bool) -> bool {
    wecom_id.is_none() || made_here
}

/// A tag or tag group name: trimmed, 1–30 characters (TAG-1; group tags too).
pub fn name(n: &str, field: &str) -> AppResult<String> {
    let n = n.trim();
    if n.is_empty() || n.chars().count() > 30 {
        return Err(AppError::bad_input(field, NAME_INVALID));
    }
    Ok(n.to_string())
}

pub async fn groups(db: &DatabaseConnection, scope: &Scope) -> AppResult<Vec<(corp_tag_group::Model, Vec<corp_tag::Model>)>> {
    let groups = scope
        .select::<corp_tag_group::Entity>()
        .order_by_desc(corp_tag_group::Column::WecomOrder)
        .order_by_asc(corp_tag_group::Column::Id)
        .all(db)
        .await?;
    let tags =
        scope.select::<corp_tag::Entity>().order_by_desc(corp_tag::Column::WecomOrder).order_by_asc(corp_tag::Column::Id).all(db).await?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let mine = tags.iter().filter(|t| t.group_id == g.id).cloned().collect();
            (g, mine)
        })
        .collect())
}

/// A new group with its first tags (WeCom requires at least one).
pub async fn create_group(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    group_name: &str,
    tag_names: &[String],
    exclusive: bool,
) -> AppResult<corp_tag_group::Model> {
    let group_name = name(group_name, "name")?;
    if tag_names.is_empty() {
        return Err(AppError::bad_input("tags", GROUP_NEEDS_TAG));
    }
    let tag_names = tag_names.iter().map(|t| name(t, "tags")).collect::<AppResult<Vec<_>>>()?;
    let remote = match wecom {
        Some(l) => {
            let body = AddCorpTag {
                group_name: Some(group_name.clone()),
                tag: tag_names.iter().map(|n| NewTag { name: n.clone(), order: None }).collect(),
                agentid: l.creds.agent_id,
                ..Default::default()
            };
            Some(l.client.corp_tag_add(&l.creds, &body).await?)
        }
        None => None,
    };
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let g = scope
        .insert(
            &txn,
            corp_tag_group::ActiveModel {
                wecom_group_id: Set(remote.as_ref().map(|r| r.group_id.clone())),
                made_here: Set(true),
                name: Set(group_name),
                wecom_order: Set(remote.as_ref().map(|r| r.order).unwrap_or(0)),
                exclusive: Set(exclusive),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    for (i, n) in tag_names.iter().enumerate() {
        let r = remote.as_ref().and_then(|r| r.tag.iter().find(|t| &t.name == n).or(r.tag.get(i)));
        scope
            .insert(
                &txn,
                corp_tag::ActiveModel {
                    group_id: Set(g.id),
                    wecom_tag_id: Set(r.map(|t| t.id.clone())),
                    made_here: Set(true),
                    name: Set(n.clone()),
                    wecom_order: Set(r.map(|t| t.order).unwrap_or(0)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                },
            )
            .await?;
    }
    txn.commit().await?;
    Ok(g)
}

pub async fn rename_group(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    id: i64,
    new_name: &str,
) -> AppResult<corp_tag_group::Model> {
    let new_name = name(new_name, "name")?;
    let g = scope.get::<corp_tag_group::Entity>(db, id).await?;
    editable_in_wecom(wecom, &g.wecom_group_id, g.made_here)?;
    if let (Some(l), Some(wid)) = (wecom, &g.wecom_group_id) {
        l.client
            .corp_tag_edit(&l.creds, &EditCorpTag { id: wid.clone(), name: Some(new_name.clone()), order: None, agentid: l.creds.agent_id })
            .await?;
    }
    let mut am: corp_tag_group::ActiveModel = g.into();
    am.name = Set(new_name);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

pub async fn rename_tag(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    id: i64,
    new_name: &str,
) -> AppResult<corp_tag::Model> {
    let new_name = name(new_name, "name")?;
    let t = scope.get::<corp_tag::Entity>(db, id).await?;
    editable_in_wecom(wecom, &t.wecom_tag_id, t.made_here)?;
    if let (Some(l), Some(wid)) = (wecom, &t.wecom_tag_id) {
        l.client
            .corp_tag_edit(&l.creds, &EditCorpTag { id: wid.clone(), name: Some(new_name.clone()), order: None, agentid: l.creds.agent_id })
            .await?;
    }
    let mut am: corp_tag::ActiveModel = t.into();
    am.name = Set(new_name);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Refused while any customer carries the tag.
pub async fn delete_tag(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, id: i64) -> AppResult<()> {
    let t = scope.get::<corp_tag::Entity>(db, id).await?;
    if crate::customers::customer_tagging::tag_in_use(db, scope, id).await? {
        return Err(AppError::conflict(TAG_IN_USE));
    }
    editable_in_wecom(wecom, &t.wecom_tag_id, t.made_here)?;
    if let Some(wid) = &t.wecom_tag_id {
        if let Some(l) = wecom {
            l.client.corp_tag_del(&l.creds, &DelCorpTag { tag_id: vec![wid.clone()], group_id: vec![], agentid: l.creds.agent_id }).await?;
        }
    }
    scope.delete_by_id::<corp_tag::Entity>(db, id, TAG_IN_USE).await?;
    Ok(())
}

/// Refused while the group still has tags.
pub async fn delete_group(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, id: i64) -> AppResult<()> {
    let g = scope.get::<corp_tag_group::Entity>(db, id).await?;
    editable_in_wecom(wecom, &g.wecom_group_id, g.made_here)?;
    if scope.select::<corp_tag::Entity>().filter(corp_tag::Column::GroupId.eq(id)).count(db).await? > 0 {
        return Err(AppError::conflict(GROUP_NOT_EMPTY));
    }
    if let (Some(l), Some(wid)) = (wecom, &g.wecom_group_id) {
        l.client.corp_tag_del(&l.creds, &DelCorpTag { tag_id: vec![], group_id: vec![wid.clone()], agentid: l.creds.agent_id }).await?;
    }
    scope.delete_by_id::<corp_tag_group::Entity>(db, id, GROUP_NOT_EMPTY).await?;
    Ok(())
}

/// Mutual exclusion is ours (WeCom has none): it applies to every later tag
/// write; customers who already carry several tags of the group keep them
/// until their next tag change in the group.
pub async fn set_exclusive(db: &DatabaseConnection, scope: &Scope, id: i64, exclusive: bool) -> AppResult<corp_tag_group::Model> {
    let g = scope.get::<corp_tag_group::Entity>(db, id).await?;
    let mut am: corp_tag_group::ActiveModel = g.into();
    am.exclusive = Set(exclusive);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

const COLOR_INVALID: Msg = Msg::new("COLOR_INVALID", "颜色格式应为#RRGGBB", "Colours are written #RRGGBB");

/// A display colour (local only), or none.
pub async fn set_color(db: &DatabaseConnection, scope: &Scope, id: i64, color: Option<String>) -> AppResult<corp_tag::Model> {
    if let Some(c) = &color {
        let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
        if !ok {
            return Err(AppError::bad_input("color", COLOR_INVALID));
        }
    }
    let t = scope.get::<corp_tag::Entity>(db, id).await?;
    let mut am: corp_tag::ActiveModel = t.into();
    am.color = Set(color);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// A new tag inside an existing group (TAG-2), created in WeCom first.
pub async fn create_tag(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    group_id: i64,
    tag_name: &str,
    color: Option<String>,
) -> AppResult<corp_tag::Model> {
    let tag_name = name(tag_name, "name")?;
    let g = scope.get::<corp_tag_group::Entity>(db, group_id).await?;
    let remote = match (wecom, &g.wecom_group_id) {
        (Some(l), Some(wid)) => {
            let body = AddCorpTag {
                group_id: Some(wid.clone()),
                tag: vec![NewTag { name: tag_name.clone(), order: None }],
                agentid: l.creds.agent_id,
                ..Default::default()
            };
            let added = l.client.corp_tag_add(&l.creds, &body).await?;
            added.tag.into_iter().find(|t| t.name == tag_name)
        }
        _ => None,
    };
    let now = Utc::now();
    let t = scope
        .insert(
            db,
            corp_tag::ActiveModel {
                group_id: Set(g.id),
                wecom_tag_id: Set(remote.as_ref().map(|t| t.id.clone())),
                made_here: Set(true),
                name: Set(tag_name),
                wecom_order: Set(remote.as_ref().map(|t| t.order).unwrap_or(0)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    match color {
        Some(c) => set_color(db, scope, t.id, Some(c)).await,
        None => Ok(t),
    }
}

/// New WeCom orders for a list moved so that `id` lands at `position`
/// (WeCom shows larger orders first). When the neighbours' orders leave
/// room, only the moved item changes: WeCom lets an app edit only its own
/// tags, so touching the others would be refused for console-made ones.
/// Otherwise the list is renumbered n..1.
fn reorder(items: &[(i64, i64)], id: i64, position: usize) -> AppResult<Vec<(i64, i64)>> {
    let mut ids: Vec<i64> = items.iter().map(|(x, _)| *x).collect();
    let from = ids.iter().position(|x| *x == id).ok_or_else(AppError::not_found)?;
    let moved = ids.remove(from);
    let at = position.min(ids.len());
    ids.insert(at, moved);
    let order_of = |x: i64| items.iter().find(|(i, _)| *i == x).map(|(_, o)| *o).unwrap_or(0);
    let above = at.checked_sub(1).map(|i| order_of(ids[i]));
    let below = ids.get(at + 1).map(|x| order_of(*x));
    let own = match (above, below) {
        (None, None) => Some(order_of(id)),
        (None, Some(b)) => Some(order_of(id).max(b + 1)),
        (Some(a), None) if a >= 2 => Some(order_of(id).min(a - 1).max(1)),
        (Some(a), Some(b)) if a - b >= 2 => Some(b + (a - b) / 2),
        _ => None,
    };
    if let Some(o) = own {
        return Ok(vec![(id, o)]);
    }
    let n = ids.len() as i64;
    Ok(ids.iter().enumerate().map(|(i, x)| (*x, n - i as i64)).collect())
}

/// Moves a tag group to `position` (0-based, first shown first); its tags move with it.
pub async fn move_group(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, id: i64, position: usize) -> AppResult<()> {
    let all = groups(db, scope).await?;
    let items: Vec<(i64, i64)> = all.iter().map(|(g, _)| (g.id, g.wecom_order)).collect();
    let orders = reorder(&items, id, position)?;
    let current: std::collections::HashMap<i64, (i64, Option<String>, bool)> =
        all.into_iter().map(|(g, _)| (g.id, (g.wecom_order, g.wecom_group_id, g.made_here))).collect();
    // Every group whose order changes is edited in WeCom: all must be ours, checked before any call.
    for (gid, order) in &orders {
        let (old, wid, made_here) = &current[gid];
        if old != order {
            editable_in_wecom(wecom, wid, *made_here)?;
        }
    }
    for (gid, order) in orders {
        let (old, wid, _) = &current[&gid];
        if *old == order {
            continue;
        }
        if let (Some(l), Some(wid)) = (wecom, wid) {
            l.client
                .corp_tag_edit(&l.creds, &EditCorpTag { id: wid.clone(), name: None, order: Some(order), agentid: l.creds.agent_id })
                .await?;
        }
        scope
            .update_many::<corp_tag_group::Entity>()
            .col_expr(corp_tag_group::Column::WecomOrder, order.into())
            .filter(corp_tag_group::Column::Id.eq(gid))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Moves a tag to `position` (0-based) within its group.
pub async fn move_tag(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, id: i64, position: usize) -> AppResult<()> {
    let t = scope.get::<corp_tag::Entity>(db, id).await?;
    let siblings: Vec<corp_tag::Model> =
        groups(db, scope).await?.into_iter().find(|(g, _)| g.id == t.group_id).map(|(_, t)| t).unwrap_or_default();
    let items: Vec<(i64, i64)> = siblings.iter().map(|s| (s.id, s.wecom_order)).collect();
    let orders = reorder(&items, id, position)?;
    for (tid, order) in &orders {
        if let Some(s) = siblings.iter().find(|s| s.id == *tid).filter(|s| s.wecom_order != *order) {
            editable_in_wecom(wecom, &s.wecom_tag_id, s.made_here)?;
        }
    }
    for (tid, order) in orders {
        let Some(s) = siblings.iter().find(|s| s.id == tid) else { continue };
        if s.wecom_order == order {
            continue;
        }
        if let (Some(l), Some(wid)) = (wecom, &s.wecom_tag_id) {
            l.client
                .corp_tag_edit(&l.creds, &EditCorpTag { id: wid.clone(), name: None, order: Some(order), agentid: l.creds.agent_id })
                .await?;
        }
        scope
            .update_many::<corp_tag::Entity>()
            .col_expr(corp_tag::Column::WecomOrder, order.into())
            .filter(corp_tag::Column::Id.eq(tid))
            .exec(db)
            .await?;
    }
    Ok(())
}
