//! The customer side of a full sync (corp tags are in `tag_sync`): external contacts with every
//! follow relation, and customer group chats with their members. Each WeCom
//! page is written in one transaction with batched inserts, so a sync costs a
//! few statements per page rather than per row, and re-running it changes
//! nothing that did not change in WeCom.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};
use serde_json::json;

use super::{
    link::WecomLink,
    progress::{Checkpoint, SyncOutcome},
};
use crate::{
    customers::{
        recycle::{self, LossType},
        timeline::{self, EventKind, NewEvent},
    },
    db::Durability,
    error::{AppError, AppResult},
    integrations::wecom::types,
    jobs::{JobCtx, JobError},
    tenancy::Scope,
};
use entity::{customer, customer_follow, customer_group, group_member};

/// A first sync loads tables from empty: measure them this often (pages of
/// 100) so PostgreSQL keeps planning by index as they grow.
const PAGES_BETWEEN_STATISTICS: usize = 20;

/// WeCom's cap on `groupchat/list`'s `owner_filter.userid_list`.
const GROUP_OWNERS_PER_CALL: usize = 100;

/// Group chats written per transaction in a full sync (also the checkpoint step).
const GROUPS_PER_TRANSACTION: usize = 20;

/// `groupchat/get` calls in flight at once: enough to hide WeCom's answer
/// time, few enough to stay clear of its concurrency limit (45033).
const GROUP_READS_IN_FLIGHT: usize = 4;

pub(super) fn at(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or_default()
}

pub(super) fn upstream(e: crate::integrations::wecom::WecomError) -> JobError {
    JobError::from_app(e.into())
}

/// Every customer of the given members, page by page (≤ 100 members per
/// request, ≤ 100 rows per page). The next page is requested while the
/// current one is written: its cursor is known once the page arrives, and
/// WeCom's answer time (tens of ms) then overlaps our writes instead of
/// adding to them. The checkpoint still moves only after a page is written.
pub async fn sync_customers(
    db: &DatabaseConnection,
    scope: &Scope,
    link: &WecomLink,
    employees: &HashMap<String, i64>,
    out: &mut SyncOutcome,
    start: (usize, String),
    ctx: Option<&JobCtx>,
) -> Result<(), JobError> {
    let mut userids: Vec<String> = employees.keys().cloned().collect();
    userids.sort();
    let chunks: Vec<&[String]> = userids.chunks(100).collect();
    let fetch = |chunk: usize, cursor: String| {
        let body = chunks.get(chunk).map(|c| types::BatchGetByUser { userid_list: c.to_vec(), cursor, limit: 100 });
        async move {
            match body {
                Some(body) => link.client.contacts_by_user(&link.creds, &body).await.map(Some).map_err(upstream),
                None => Ok(None),
            }
        }
    };
    let mut pages = 0usize;
    let mut chunk = start.0;
    let mut page = fetch(chunk, start.1).await?;
    while let Some(current) = page {
        let (next_chunk, next_cursor) =
            if current.next_cursor.is_empty() { (chunk + 1, String::new()) } else { (chunk, current.next_cursor.clone()) };
        let (written, fetched) = tokio::join!(
            apply_contact_page(db, scope, &current.external_contact_list, employees, out, Durability::Rebuildable),
            fetch(next_chunk, next_cursor.clone())
        );
        written?;
        pages += 1;
        if pages.is_multiple_of(PAGES_BETWEEN_STATISTICS) {
            crate::db::refresh_statistics(db).await.map_err(AppError::from)?;
        }
        Checkpoint { phase: "customers".into(), chunk: next_chunk, cursor: next_cursor, next_chat: 0, out: out.clone() }.save(ctx).await?;
        // A failed prefetch surfaces only now, after the page before it is
        // written and checkpointed, so a retry resumes exactly there.
        page = fetched?;
        chunk = next_chunk;
    }
    Ok(())
}

fn json_list(v: &[String]) -> String {
    crate::json::text(v)
}

fn blank(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Writes one page of contacts and follow relations in one transaction.
pub async fn apply_contact_page(
    db: &DatabaseConnection,
    scope: &Scope,
    page: &[types::ContactWithFollow],
    employees: &HashMap<String, i64>,
    out: &mut SyncOutcome,
    durability: Durability,
) -> AppResult<()> {
    if page.is_empty() {
        return Ok(());
    }
    let txn = crate::db::write_txn_with(db, durability).await?;
    let now = Utc::now();
    let ids: Vec<String> = page.iter().map(|c| c.external_contact.external_userid.clone()).collect::<HashSet<_>>().into_iter().collect();
    let mut customers: HashMap<String, customer::Model> = scope
        .select::<customer::Entity>()
        .filter(customer::Column::ExternalUserid.is_in(ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|c| (c.external_userid.clone(), c))
        .collect();

    // New customers, owned by their earliest adder on this page.
    let mut fresh: Vec<customer::ActiveModel> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for c in page {
        let ext = &c.external_contact;
        if customers.contains_key(&ext.external_userid) || !seen.insert(&ext.external_userid) {
            continue;
        }
        let owner = page
            .iter()
            .filter(|x| x.external_contact.external_userid == ext.external_userid)
            .min_by_key(|x| x.follow_info.createtime)
            .and_then(|x| employees.get(&x.follow_info.userid).copied());
        fresh.push(customer::ActiveModel {
            external_userid: Set(ext.external_userid.clone()),
            name: Set(ext.name.clone()),
            avatar: Set(ext.avatar.clone()),
            contact_type: Set(ext.contact_type),
            gender: Set(ext.gender),
            unionid: Set(ext.unionid.clone()),
            position: Set(ext.position.clone()),
            corp_name: Set(ext.corp_name.clone()),
            corp_full_name: Set(ext.corp_full_name.clone()),
            owner_id: Set(owner),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    if !fresh.is_empty() {
        out.customers_created += fresh.len() as u32;
        for c in scope.insert_many_returning(&txn, fresh).await? {
            customers.insert(c.external_userid.clone(), c);
        }
    }
    // Profile changes of known customers.
    let mut updated: HashSet<String> = HashSet::new();
    for c in page {
        let ext = &c.external_contact;
        let Some(local) = customers.get(&ext.external_userid) else { continue };
        let changed = local.name != ext.name
            || local.avatar != ext.avatar
            || local.gender != ext.gender
            || local.position != ext.position
            || local.corp_name != ext.corp_name
            || local.unionid != ext.unionid;
        if changed && updated.insert(ext.external_userid.clone()) {
            let mut am: customer::ActiveModel = local.clone().into();
            am.name = Set(ext.name.clone());
            am.avatar = Set(ext.avatar.clone());
            am.gender = Set(ext.gender);
            am.position = Set(ext.position.clone());
            am.corp_name = Set(ext.corp_name.clone());
            am.corp_full_name = Set(ext.corp_full_name.clone());
            am.unionid = Set(ext.unionid.clone());
            am.updated_at = Set(now);
            scope.update(&txn, am).await?;
            out.customers_updated += 1;
        }
    }

    let customer_ids: Vec<i64> = customers.values().map(|c| c.id).collect();
    let follows: HashMap<(i64, i64), customer_follow::Model> = scope
        .select::<customer_follow::Entity>()
        .filter(customer_follow::Column::CustomerId.is_in(customer_ids))
        .all(&txn)
        .await?
        .into_iter()
        .map(|f| ((f.customer_id, f.employee_id), f))
        .collect();
    let mut new_follows = Vec::new();
    let mut lead_adds = Vec::new();
    let mut added: HashSet<(i64, i64)> = HashSet::new();
    for c in page {
        let f = &c.follow_info;
        let (Some(local), Some(&employee_id)) = (customers.get(&c.external_contact.external_userid), employees.get(&f.userid)) else {
            continue;
        };
        let key = (local.id, employee_id);
        let mut tags = f.tag_id.clone();
        tags.sort();
        match follows.get(&key) {
            Some(existing) => {
                let changed = existing.remark != blank(&f.remark)
                    || existing.description != blank(&f.description)
                    || existing.added_at != at(f.createtime)
                    || existing.add_way != f.add_way
                    || existing.state != f.state
                    || existing.remark_corp_name != f.remark_corp_name
                    || existing.remark_mobiles != json_list(&f.remark_mobiles)
                    || existing.wecom_tag_ids != json_list(&tags);
                if changed {
                    let mut am: customer_follow::ActiveModel = existing.clone().into();
                    am.remark = Set(blank(&f.remark));
                    am.description = Set(blank(&f.description));
                    am.added_at = Set(at(f.createtime));
                    am.add_way = Set(f.add_way);
                    am.state = Set(f.state.clone());
                    am.remark_corp_name = Set(f.remark_corp_name.clone());
                    am.remark_mobiles = Set(json_list(&f.remark_mobiles));
                    am.wecom_tag_ids = Set(json_list(&tags));
                    scope.update(&txn, am).await?;
                    out.follows_updated += 1;
                }
            }
            None if added.insert(key) => {
                lead_adds.push(crate::leads::conversion::Added {
                    customer_id: local.id,
                    employee_id,
                    state: f.state.clone(),
                    mobiles: f.remark_mobiles.clone(),
                });
                new_follows.push(customer_follow::ActiveModel {
                    customer_id: Set(local.id),
                    employee_id: Set(employee_id),
                    remark: Set(blank(&f.remark)),
                    description: Set(blank(&f.description)),
                    added_at: Set(at(f.createtime)),
                    add_way: Set(f.add_way),
                    state: Set(f.state.clone()),
                    oper_userid: Set(f.oper_userid.clone()),
                    remark_corp_name: Set(f.remark_corp_name.clone()),
                    remark_mobiles: Set(json_list(&f.remark_mobiles)),
                    wecom_tag_ids: Set(json_list(&tags)),
                    ..Default::default()
                });
            }
            None => {}
        }
    }
    out.follows_created += new_follows.len() as u32;
    let added_events: Vec<NewEvent> = new_follows
        .iter()
        .map(|f| {
            let (cid, eid) = (*f.customer_id.as_ref(), *f.employee_id.as_ref());
            NewEvent::new(cid, EventKind::AddedEmployee, *f.added_at.as_ref())
                .by(Some(eid))
                .with(json!({"addWay": f.add_way.as_ref(), "state": f.state.as_ref()}))
        })
        .collect();
    scope.insert_many(&txn, new_follows).await?;
    // Tags per relation, as WeCom reports them now.
    let relations: Vec<((i64, i64), Vec<String>)> = page
        .iter()
        .filter_map(|c| {
            let local = customers.get(&c.external_contact.external_userid)?;
            let employee_id = employees.get(&c.follow_info.userid)?;
            Some(((local.id, *employee_id), c.follow_info.tag_id.clone()))
        })
        .collect();
    let retagged = crate::customers::customer_tagging::reconcile_from_wecom(&txn, scope, &relations).await?;
    let touched: Vec<i64> = customers.values().map(|c| c.id).collect();
    crate::customers::aggregates::refresh(&txn, scope, &touched).await?;
    // After the owners are settled: a converted lead's assignee becomes the owner.
    crate::leads::conversion::convert(&txn, scope, &lead_adds, now).await?;
    timeline::append(&txn, scope, added_events).await?;
    // What smart tag rules look at again: new adds, edited contacts, changed tags (last: locks go customers first).
    let changed: Vec<i64> =
        added.iter().map(|(c, _)| *c).chain(updated.iter().filter_map(|ext| customers.get(ext).map(|c| c.id))).chain(retagged).collect();
    crate::smart_tags::pending::mark_changed(&txn, scope, &changed).await?;
    txn.commit().await?;
    Ok(())
}

/// Every group chat (paged by 1000) with its members.
pub async fn sync_groups(
    db: &DatabaseConnection,
    scope: &Scope,
    link: &WecomLink,
    employees: &HashMap<String, i64>,
    out: &mut SyncOutcome,
    start: usize,
    ctx: Option<&JobCtx>,
) -> Result<(), JobError> {
    // By owner, at most 100 a call: without `owner_filter` WeCom refuses
    // (81017) once the app sees more than 1,000 people. Every member known
    // here is asked for, those who left too (their chats await inheritance).
    let mut owners: Vec<String> = scope
        .select::<entity::employee::Entity>()
        .select_only()
        .column(entity::employee::Column::Userid)
        .into_tuple()
        .all(db)
        .await
        .map_err(AppError::from)?;
    owners.sort_unstable();
    let mut chats: Vec<types::GroupChatRef> = Vec::new();
    let mut seen = HashSet::new();
    for chunk in owners.chunks(GROUP_OWNERS_PER_CALL) {
        let mut cursor = String::new();
        loop {
            let request = types::GroupChatListRequest {
                status_filter: 0,
                owner_filter: Some(types::OwnerFilter { userid_list: chunk.to_vec() }),
                cursor: cursor.clone(),
                limit: 1000,
            };
            let page = link.client.group_chat_list(&link.creds, &request).await.map_err(upstream)?;
            chats.extend(page.group_chat_list.into_iter().filter(|c| seen.insert(c.chat_id.clone())));
            if page.next_cursor.is_empty() {
                break;
            }
            cursor = page.next_cursor;
        }
    }
    // Like contact pages: the next batch's details are read while this batch
    // is written, a few reads in flight, and a batch is one transaction.
    let batches: Vec<&[types::GroupChatRef]> = chats.get(start..).unwrap_or_default().chunks(GROUPS_PER_TRANSACTION).collect();
    let fetch = |batch: usize| {
        let refs = batches.get(batch).copied();
        async move {
            let Some(refs) = refs else { return Ok(None) };
            // The reads are made before they are streamed: a closure inside the
            // stream would make this future's type too general to be `Send`.
            let reads: Vec<_> = refs.iter().map(|c| link.client.group_chat_get(&link.creds, &c.chat_id)).collect();
            let details: Vec<types::GroupChat> =
                futures_util::stream::iter(reads).buffered(GROUP_READS_IN_FLIGHT).try_collect().await.map_err(upstream)?;
            Ok::<_, JobError>(Some(refs.iter().map(|c| c.status).zip(details).collect::<Vec<_>>()))
        }
    };
    let mut next_chat = start;
    let mut batch = 0;
    let mut fetched = fetch(batch).await?;
    while let Some(current) = fetched {
        let (written, prefetched) = tokio::join!(apply_groups(db, scope, &current, employees, out), fetch(batch + 1));
        written?;
        next_chat += current.len();
        Checkpoint { phase: "groups".into(), next_chat, out: out.clone(), ..Default::default() }.save(ctx).await?;
        fetched = prefetched?;
        batch += 1;
    }
    Ok(())
}

/// Writes several group chats (with their WeCom status) in one transaction.
async fn apply_groups(
    db: &DatabaseConnection,
    scope: &Scope,
    chats: &[(i32, types::GroupChat)],
    employees: &HashMap<String, i64>,
    out: &mut SyncOutcome,
) -> AppResult<()> {
    let txn = crate::db::write_txn_with(db, Durability::Rebuildable).await?;
    for (status, chat) in chats {
        write_group(&txn, scope, chat, *status, employees, out).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Upserts one group chat and makes its member rows equal WeCom's list.
pub async fn apply_group(
    db: &DatabaseConnection,
    scope: &Scope,
    chat: &types::GroupChat,
    status: i32,
    employees: &HashMap<String, i64>,
    out: &mut SyncOutcome,
) -> AppResult<()> {
    let txn = crate::db::write_txn(db).await?;
    write_group(&txn, scope, chat, status, employees, out).await?;
    txn.commit().await?;
    Ok(())
}

async fn write_group(
    txn: &sea_orm::DatabaseTransaction,
    scope: &Scope,
    chat: &types::GroupChat,
    status: i32,
    employees: &HashMap<String, i64>,
    out: &mut SyncOutcome,
) -> AppResult<()> {
    let now = Utc::now();
    let existing = scope.select::<customer_group::Entity>().filter(customer_group::Column::ChatId.eq(&chat.chat_id)).one(txn).await?;
    let owner_id = employees.get(&chat.owner).copied();
    let group_id = match existing {
        Some(g) => {
            let changed = g.name != chat.name
                || g.owner_userid != chat.owner
                || g.notice != chat.notice
                || g.status != status
                || g.member_version != chat.member_version;
            if changed {
                let mut am: customer_group::ActiveModel = g.clone().into();
                am.name = Set(chat.name.clone());
                am.owner_userid = Set(chat.owner.clone());
                am.owner_id = Set(owner_id);
                am.notice = Set(chat.notice.clone());
                am.status = Set(status);
                am.member_version = Set(chat.member_version.clone());
                am.updated_at = Set(now);
                scope.update(txn, am).await?;
                out.groups_updated += 1;
            }
            g.id
        }
        None => {
            let g = scope
                .insert(
                    txn,
                    customer_group::ActiveModel {
                        chat_id: Set(chat.chat_id.clone()),
                        name: Set(chat.name.clone()),
                        owner_userid: Set(chat.owner.clone()),
                        owner_id: Set(owner_id),
                        notice: Set(chat.notice.clone()),
                        status: Set(status),
                        member_version: Set(chat.member_version.clone()),
                        chat_created_at: Set(at(chat.create_time)),
                        dismissed_at: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                )
                .await?;
            out.groups_created += 1;
            g.id
        }
    };
    let current: HashMap<String, group_member::Model> = scope
        .select::<group_member::Entity>()
        .filter(group_member::Column::GroupId.eq(group_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.userid.clone(), m))
        .collect();
    let listed: HashSet<&str> = chat.member_list.iter().map(|m| m.userid.as_str()).collect();
    // Members who left stay, marked, so the group shows its quit members.
    let gone: Vec<&group_member::Model> = current.values().filter(|m| m.left_at.is_none() && !listed.contains(m.userid.as_str())).collect();
    if !gone.is_empty() {
        scope
            .update_many::<group_member::Entity>()
            .col_expr(group_member::Column::LeftAt, Some(now).into())
            .filter(group_member::Column::Id.is_in(gone.iter().map(|m| m.id)))
            .exec(txn)
            .await?;
    }
    // Back after leaving: the same row, joined again.
    let back: Vec<(&group_member::Model, &types::GroupChatMember)> =
        chat.member_list.iter().filter_map(|m| current.get(&m.userid).filter(|c| c.left_at.is_some()).map(|c| (c, m))).collect();
    for (row, m) in &back {
        let mut am: group_member::ActiveModel = (*row).clone().into();
        am.left_at = Set(None);
        am.joined_at = Set(at(m.join_time));
        am.join_scene = Set(m.join_scene);
        am.state = Set(m.state.clone());
        scope.update(txn, am).await?;
    }
    // The customers among the joiners and leavers, for their timelines.
    let externals: Vec<String> = chat
        .member_list
        .iter()
        .filter(|m| m.member_type == 2 && (!current.contains_key(&m.userid) || back.iter().any(|(r, _)| r.userid == m.userid)))
        .map(|m| m.userid.clone())
        .chain(gone.iter().filter(|m| m.member_type == 2).map(|m| m.userid.clone()))
        .collect();
    if !externals.is_empty() {
        let known: HashMap<String, i64> = scope
            .select::<customer::Entity>()
            .filter(customer::Column::ExternalUserid.is_in(externals))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.external_userid, c.id))
            .collect();
        let mut events = Vec::new();
        for m in chat.member_list.iter().filter(|m| m.member_type == 2) {
            let joined = !current.contains_key(&m.userid) || back.iter().any(|(r, _)| r.userid == m.userid);
            if let (true, Some(cid)) = (joined, known.get(&m.userid)) {
                events.push(
                    NewEvent::new(*cid, EventKind::JoinedGroup, at(m.join_time))
                        .in_group(group_id)
                        .by(owner_id)
                        .with(json!({"joinScene": m.join_scene, "groupName": chat.name, "state": m.state})),
                );
            }
        }
        for m in gone.iter().filter(|m| m.member_type == 2) {
            if let Some(cid) = known.get(&m.userid) {
                events.push(NewEvent::new(*cid, EventKind::LeftGroup, now).in_group(group_id).with(json!({"groupName": chat.name})));
            }
        }
        timeline::append(txn, scope, events).await?;
    }
    out.members_changed += (gone.len() + back.len()) as u32;
    let fresh: Vec<group_member::ActiveModel> = chat
        .member_list
        .iter()
        .filter(|m| !current.contains_key(&m.userid))
        .map(|m| group_member::ActiveModel {
            group_id: Set(group_id),
            userid: Set(m.userid.clone()),
            member_type: Set(m.member_type),
            joined_at: Set(at(m.join_time)),
            join_scene: Set(m.join_scene),
            invitor_userid: Set(m.invitor.as_ref().map(|i| i.userid.clone())),
            group_nickname: Set(m.group_nickname.clone()),
            name: Set(m.name.clone()),
            unionid: Set(m.unionid.clone()),
            state: Set(m.state.clone()),
            left_at: Set(None),
            ..Default::default()
        })
        .collect();
    out.members_changed += fresh.len() as u32;
    scope.insert_many(txn, fresh).await?;
    Ok(())
}

/// Ends one follow relation; when it was the owner's, the earliest remaining
/// adder becomes the owner (or none is left). With a loss, the relation goes
/// to the recycle bin and the timeline first (keyed by the source event).
pub async fn remove_follow(
    db: &DatabaseConnection,
    scope: &Scope,
    external_userid: &str,
    userid: &str,
    loss: Option<(LossType, &str)>,
) -> AppResult<()> {
    use entity::employee;
    let txn = crate::db::write_txn(db).await?;
    let Some(c) = scope.select::<customer::Entity>().filter(customer::Column::ExternalUserid.eq(external_userid)).one(&txn).await? else {
        return Ok(());
    };
    let Some(e) = scope.select::<employee::Entity>().filter(employee::Column::Userid.eq(userid)).one(&txn).await? else { return Ok(()) };
    let Some(follow) = scope
        .select::<customer_follow::Entity>()
        .filter(customer_follow::Column::CustomerId.eq(c.id))
        .filter(customer_follow::Column::EmployeeId.eq(e.id))
        .one(&txn)
        .await?
    else {
        return Ok(());
    };
    if let Some((loss, key)) = loss {
        recycle::record(&txn, scope, &c, &follow, loss, Utc::now(), key).await?;
    }
    scope.delete_many::<customer_follow::Entity>().filter(customer_follow::Column::Id.eq(follow.id)).exec(&txn).await?;
    scope
        .delete_many::<entity::follow_tag::Entity>()
        .filter(entity::follow_tag::Column::CustomerId.eq(c.id))
        .filter(entity::follow_tag::Column::EmployeeId.eq(e.id))
        .exec(&txn)
        .await?;
    if c.owner_id == Some(e.id) {
        use sea_orm::QueryOrder;
        let next = scope
            .select::<customer_follow::Entity>()
            .filter(customer_follow::Column::CustomerId.eq(c.id))
            .order_by_asc(customer_follow::Column::AddedAt)
            .one(&txn)
            .await?
            .map(|f| f.employee_id);
        let mut am: customer::ActiveModel = c.clone().into();
        am.owner_id = Set(next);
        am.updated_at = Set(Utc::now());
        scope.update(&txn, am).await?;
    }
    crate::customers::aggregates::refresh(&txn, scope, &[c.id]).await?;
    crate::smart_tags::pending::mark_changed(&txn, scope, &[c.id]).await?;
    txn.commit().await?;
    Ok(())
}
