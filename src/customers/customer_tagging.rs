//! Corp tags on customers (TAG-2, TAG-3, SIDE-3). WeCom keeps tags per follow
//! relation, so a tag put on a customer goes on every adder's relation
//! through `mark_tag`; the customer's tags are the union over its adders.
//! Mutually exclusive groups: adding a tag removes the other tags of its
//! group (the newest wins), in the same `mark_tag` call.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, QueryFilter};
use serde_json::json;

use super::timeline::{self, EventKind, NewEvent};
use crate::{
    error::{AppError, AppResult, Msg},
    integrations::wecom::types::MarkTag,
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{corp_tag, corp_tag_group, customer, customer_follow, employee, follow_tag};

pub const MAX_CUSTOMERS: usize = 100;
const TOO_MANY: Msg = Msg::new("CUSTOMER_TAGGING_TOO_MANY", "单次最多操作100个客户", "At most 100 customers at a time");
const NOTHING_TO_DO: Msg = Msg::new("NO_TAGS_CHOSEN", "请选择要添加或移除的标签", "Choose tags to add or remove");
const BOTH_WAYS: Msg = Msg::new("TAG_ADDED_AND_REMOVED", "同一标签不能同时添加和移除", "A tag cannot be both added and removed");
const EXCLUSIVE_TWICE: Msg =
    Msg::new("EXCLUSIVE_TAG_TWICE", "互斥标签组内只能选择一个标签", "Only one tag of a mutually exclusive group can be chosen");
const NO_ADDER: Msg = Msg::new("NO_ADDER", "该客户已无添加人，无法打标签", "The customer has no adder left to tag through");

/// What became of one customer of a batch.
#[derive(Debug)]
pub struct TagResult {
    pub customer_id: i64,
    pub error: Option<AppError>,
}

/// One follow relation's tag change, as sent to WeCom.
struct RelationChange {
    employee_id: i64,
    userid: String,
    add: Vec<i64>,
    remove: Vec<i64>,
}

/// Adds and removes corp tags on customers. Each customer is all-or-nothing:
/// when WeCom refuses one of its relations, the calls already made for it are
/// undone and nothing is written locally; other customers go on.
pub async fn change_tags(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    customer_ids: &[i64],
    add: &[i64],
    remove: &[i64],
) -> AppResult<Vec<TagResult>> {
    if customer_ids.len() > MAX_CUSTOMERS {
        return Err(AppError::bad_input("customerIds", TOO_MANY));
    }
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::bad_input("addTagIds", NOTHING_TO_DO));
    }
    if add.iter().any(|t| remove.contains(t)) {
        return Err(AppError::bad_input("removeTagIds", BOTH_WAYS));
    }
    let wanted: BTreeSet<i64> = add.iter().chain(remove).copied().collect();
    let tags = scope.select::<corp_tag::Entity>().filter(corp_tag::Column::Id.is_in(wanted.iter().copied())).all(db).await?;
    if tags.len() != wanted.len() {
        return Err(AppError::not_found());
    }
    let group_ids: BTreeSet<i64> = tags.iter().map(|t| t.group_id).collect();
    let exclusive: HashSet<i64> = scope
        .select::<corp_tag_group::Entity>()
        .filter(corp_tag_group::Column::Id.is_in(group_ids))
        .filter(corp_tag_group::Column::Exclusive.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let group_of: HashMap<i64, i64> = tags.iter().map(|t| (t.id, t.group_id)).collect();
    let mut seen_groups = HashSet::new();
    for t in add {
        let g = group_of[t];
        if exclusive.contains(&g) && !seen_groups.insert(g) {
            return Err(AppError::bad_input("addTagIds", EXCLUSIVE_TWICE));
        }
    }
    // Tags an added tag pushes out of its exclusive group.
    let siblings = if add.iter().any(|t| exclusive.contains(&group_of[t])) {
        let groups: Vec<i64> = add.iter().map(|t| group_of[t]).filter(|g| exclusive.contains(g)).collect();
        scope.select::<corp_tag::Entity>().filter(corp_tag::Column::GroupId.is_in(groups)).all(db).await?
    } else {
        Vec::new()
    };
    let displaced: HashMap<i64, Vec<i64>> =
        add.iter().map(|t| (*t, siblings.iter().filter(|s| s.group_id == group_of[t] && s.id != *t).map(|s| s.id).collect())).collect();
    // WeCom ids of every tag the calls may name, from the rows already loaded.
    let wecom_ids: HashMap<i64, String> =
        tags.iter().chain(siblings.iter()).filter_map(|t| t.wecom_tag_id.clone().map(|w| (t.id, w))).collect();

    let mut customers =
        scope.select_visible::<customer::Entity>().filter(customer::Column::Id.is_in(customer_ids.iter().copied())).all(db).await?;
    if customers.len() != customer_ids.iter().collect::<HashSet<_>>().len() {
        return Err(AppError::not_found());
    }
    // People may not tag a pool customer; the system's own rules (radar tags) still may.
    if scope.employee_id().is_some() {
        for c in &customers {
            super::service::not_pooled(c).map_err(|e| e.with_field("customerIds"))?;
        }
    }
    // In the order given, so results and WeCom calls follow the caller's list.
    customers.sort_by_key(|c| customer_ids.iter().position(|i| *i == c.id));
    let follows = scope
        .select::<customer_follow::Entity>()
        .filter(customer_follow::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .all(db)
        .await?;
    let userids: HashMap<i64, String> = scope
        .select::<employee::Entity>()
        .filter(employee::Column::Id.is_in(follows.iter().map(|f| f.employee_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.userid))
        .collect();
    let current: HashSet<(i64, i64, i64)> = scope
        .select::<follow_tag::Entity>()
        .filter(follow_tag::Column::CustomerId.is_in(customer_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.customer_id, r.employee_id, r.tag_id))
        .collect();
    let names: HashMap<i64, String> = tags.iter().map(|t| (t.id, t.name.clone())).collect();

    let mut results = Vec::new();
    for c in &customers {
        let mut changes = Vec::new();
        for f in follows.iter().filter(|f| f.customer_id == c.id) {
            let has = |t: i64| current.contains(&(c.id, f.employee_id, t));
            let mut r = RelationChange {
                employee_id: f.employee_id,
                userid: userids.get(&f.employee_id).cloned().unwrap_or_default(),
                add: add.iter().copied().filter(|t| !has(*t)).collect(),
                remove: remove.iter().copied().filter(|t| has(*t)).collect(),
            };
            for s in add.iter().flat_map(|t| displaced.get(t).into_iter().flatten().copied()) {
                if has(s) && !r.remove.contains(&s) {
                    r.remove.push(s);
                }
            }
            if !r.add.is_empty() || !r.remove.is_empty() {
                changes.push(r);
            }
        }
        if !follows.iter().any(|f| f.customer_id == c.id) && !add.is_empty() {
            results.push(TagResult { customer_id: c.id, error: Some(AppError::bad_input("customerIds", NO_ADDER)) });
            continue;
        }
        let outcome = match wecom {
            Some(l) => push_to_wecom(l, &c.external_userid, &changes, &wecom_ids).await,
            None => Ok(()),
        };
        if let Err(e) = outcome {
            results.push(TagResult { customer_id: c.id, error: Some(e) });
            continue;
        }
        write_local(db, scope, c.id, &changes, &names).await?;
        results.push(TagResult { customer_id: c.id, error: None });
    }
    Ok(results)
}

fn mark(userid: &str, external_userid: &str, add: &[i64], remove: &[i64], wecom_ids: &HashMap<i64, String>) -> MarkTag {
    let ids = |v: &[i64]| v.iter().filter_map(|t| wecom_ids.get(t).cloned()).collect();
    MarkTag { userid: userid.to_string(), external_userid: external_userid.to_string(), add_tag: ids(add), remove_tag: ids(remove) }
}

async fn push_to_wecom(
    link: &WecomLink,
    external_userid: &str,
    changes: &[RelationChange],
    wecom_ids: &HashMap<i64, String>,
) -> AppResult<()> {
    let mut done: Vec<&RelationChange> = Vec::new();
    for r in changes {
        let body = mark(&r.userid, external_userid, &r.add, &r.remove, wecom_ids);
        if body.add_tag.is_empty() && body.remove_tag.is_empty() {
            done.push(r);
            continue;
        }
        if let Err(e) = link.client.mark_tag(&link.creds, &body).await {
            // Undo what this customer already got, so WeCom and we agree.
            for d in done {
                let undo = mark(&d.userid, external_userid, &d.remove, &d.add, wecom_ids);
                if !(undo.add_tag.is_empty() && undo.remove_tag.is_empty()) {
                    if let Err(u) = link.client.mark_tag(&link.creds, &undo).await {
                        tracing::warn!(errcode = ?u.errcode(), "undoing a partial tag change failed; the next sync repairs it");
                    }
                }
            }
            return Err(e.into());
        }
        done.push(r);
    }
    Ok(())
}

async fn write_local(
    db: &DatabaseConnection,
    scope: &Scope,
    customer_id: i64,
    changes: &[RelationChange],
    names: &HashMap<i64, String>,
) -> AppResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let mut removed = Condition::any();
    let mut rows = Vec::new();
    for r in changes {
        if !r.remove.is_empty() {
            removed = removed.add(
                Condition::all()
                    .add(follow_tag::Column::CustomerId.eq(customer_id))
                    .add(follow_tag::Column::EmployeeId.eq(r.employee_id))
                    .add(follow_tag::Column::TagId.is_in(r.remove.clone())),
            );
        }
        rows.extend(r.add.iter().map(|t| follow_tag::ActiveModel {
            customer_id: Set(customer_id),
            employee_id: Set(r.employee_id),
            tag_id: Set(*t),
            created_at: Set(now),
            ..Default::default()
        }));
    }
    if changes.iter().any(|r| !r.remove.is_empty()) {
        scope.delete_many::<follow_tag::Entity>().filter(removed).exec(&txn).await?;
    }
    // A tag another run put on meanwhile is there already: fine.
    let on_conflict = sea_orm::sea_query::OnConflict::columns([
        follow_tag::Column::CorpId,
        follow_tag::Column::CustomerId,
        follow_tag::Column::EmployeeId,
        follow_tag::Column::TagId,
    ])
    .do_nothing()
    .to_owned();
    scope.insert_many_ignoring(&txn, rows, on_conflict).await?;
    sync_wecom_tag_ids(&txn, scope, customer_id).await?;
    let added: BTreeSet<&str> = changes.iter().flat_map(|r| &r.add).filter_map(|t| names.get(t).map(String::as_str)).collect();
    let gone: BTreeSet<i64> = changes.iter().flat_map(|r| r.remove.iter().copied()).collect();
    let gone_names: Vec<String> =
        scope.select::<corp_tag::Entity>().filter(corp_tag::Column::Id.is_in(gone)).all(&txn).await?.into_iter().map(|t| t.name).collect();
    timeline::append(
        &txn,
        scope,
        vec![NewEvent::new(customer_id, EventKind::TagsChanged, now)
            .by(scope.employee_id())
            .with(json!({"added": added, "removed": gone_names}))],
    )
    .await?;
    // Smart tag rules may select on tags (one rule's tag earning another's).
    crate::smart_tags::pending::mark_changed(&txn, scope, &[customer_id]).await?;
    txn.commit().await?;
    Ok(())
}

/// Keeps each relation's record of WeCom tag ids equal to its tag rows, so
/// the next sync sees no change where there is none.
async fn sync_wecom_tag_ids(db: &impl ConnectionTrait, scope: &Scope, customer_id: i64) -> AppResult<()> {
    let rows = scope.select::<follow_tag::Entity>().filter(follow_tag::Column::CustomerId.eq(customer_id)).all(db).await?;
    let wecom: HashMap<i64, String> = scope
        .select::<corp_tag::Entity>()
        .filter(corp_tag::Column::Id.is_in(rows.iter().map(|r| r.tag_id)))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|t| t.wecom_tag_id.map(|w| (t.id, w)))
        .collect();
    let follows = scope.select::<customer_follow::Entity>().filter(customer_follow::Column::CustomerId.eq(customer_id)).all(db).await?;
    for f in follows {
        let mut ids: Vec<String> =
            rows.iter().filter(|r| r.employee_id == f.employee_id).filter_map(|r| wecom.get(&r.tag_id).cloned()).collect();
        ids.sort();
        let json = crate::json::text(&ids);
        if json != f.wecom_tag_ids {
            scope
                .update_many::<customer_follow::Entity>()
                .col_expr(customer_follow::Column::WecomTagIds, json.into())
                .filter(customer_follow::Column::Id.eq(f.id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Makes the tag rows of these follow relations equal WeCom's report (sync
/// and callbacks), touching only relations that differ, and of those only
/// the tags that came or went (a kept tag keeps the time it was put on: the
/// crowd-pack trend counts from it). Unknown WeCom tag ids are skipped; a
/// later sync adds them once the tag itself has synced. Answers the
/// customers whose tags changed.
pub async fn reconcile_from_wecom(
    db: &impl ConnectionTrait,
    scope: &Scope,
    relations: &[((i64, i64), Vec<String>)],
) -> AppResult<Vec<i64>> {
    if relations.is_empty() {
        return Ok(Vec::new());
    }
    let wecom_ids: BTreeSet<&String> = relations.iter().flat_map(|(_, t)| t).collect();
    let local: HashMap<String, i64> = if wecom_ids.is_empty() {
        HashMap::new()
    } else {
        scope
            .select::<corp_tag::Entity>()
            .filter(corp_tag::Column::WecomTagId.is_in(wecom_ids.into_iter().cloned()))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|t| t.wecom_tag_id.map(|w| (w, t.id)))
            .collect()
    };
    let customer_ids: BTreeSet<i64> = relations.iter().map(|((c, _), _)| *c).collect();
    let mut current: HashMap<(i64, i64), BTreeSet<i64>> = HashMap::new();
    for r in scope.select::<follow_tag::Entity>().filter(follow_tag::Column::CustomerId.is_in(customer_ids)).all(db).await? {
        current.entry((r.customer_id, r.employee_id)).or_default().insert(r.tag_id);
    }
    // A page may repeat a relation: the last report of it stands.
    let reported: BTreeMap<(i64, i64), BTreeSet<i64>> =
        relations.iter().map(|(pair, tags)| (*pair, tags.iter().filter_map(|w| local.get(w).copied()).collect())).collect();
    let differing: Vec<((i64, i64), BTreeSet<i64>)> =
        reported.into_iter().filter(|(pair, want)| current.get(pair).cloned().unwrap_or_default() != *want).collect();
    let now = Utc::now();
    let none = BTreeSet::new();
    for chunk in differing.chunks(100) {
        // Only relations that lost tags need a delete: on a first sync none
        // do, and PostgreSQL spends milliseconds planning a long OR list.
        let mut gone = Condition::any();
        let mut rows = Vec::new();
        for ((customer_id, employee_id), want) in chunk {
            let have = current.get(&(*customer_id, *employee_id)).unwrap_or(&none);
            let removed: Vec<i64> = have.difference(want).copied().collect();
            if !removed.is_empty() {
                gone = gone.add(
                    Condition::all()
                        .add(follow_tag::Column::CustomerId.eq(*customer_id))
                        .add(follow_tag::Column::EmployeeId.eq(*employee_id))
                        .add(follow_tag::Column::TagId.is_in(removed)),
                );
            }
            rows.extend(want.difference(have).map(|t| follow_tag::ActiveModel {
                customer_id: Set(*customer_id),
                employee_id: Set(*employee_id),
                tag_id: Set(*t),
                created_at: Set(now),
                ..Default::default()
            }));
        }
        if !gone.is_empty() {
            scope.delete_many::<follow_tag::Entity>().filter(gone).exec(db).await?;
        }
        scope.insert_many(db, rows).await?;
    }
    Ok(differing.iter().map(|((c, _), _)| *c).collect())
}

/// Whether any customer carries the tag (the delete guard of TAG-2).
pub async fn tag_in_use(db: &impl ConnectionTrait, scope: &Scope, tag_id: i64) -> AppResult<bool> {
    use sea_orm::PaginatorTrait;
    Ok(scope.select::<follow_tag::Entity>().filter(follow_tag::Column::TagId.eq(tag_id)).count(db).await? > 0)
}
