//! Ingestion: a batch of WeCom archive messages stored once each, and what
//! follows from them applied in the same transaction.

use std::collections::{HashMap, HashSet};

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{chat_kind::ChatKind, conversation, reply, sensitive};
use crate::{
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::{chat_message, chat_thread, customer, customer_group, employee, sensitive_hit, sensitive_rule};

/// At most this many messages per ingest call (the SDK's own page limit).
pub const MAX_BATCH: usize = 1000;
pub const BATCH_TOO_LARGE: Msg = Msg::new("BATCH_TOO_LARGE", "每批最多1000条消息", "At most 1000 messages per batch");

/// One message as WeCom's archive gives it.
#[derive(Deserialize, Debug, Clone)]
pub struct RawMessage {
    pub msgid: String,
    #[serde(default = "send")]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub tolist: Vec<String>,
    #[serde(default)]
    pub roomid: String,
    /// Milliseconds since the epoch.
    #[serde(default)]
    pub msgtime: i64,
    #[serde(default)]
    pub msgtype: String,
    /// The typed body and anything else the message carries.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

fn send() -> String {
    "send".into()
}

/// External contacts' ids start with wm or wo (WeChat) or wb (robots).
fn looks_external(id: &str) -> bool {
    id.starts_with("wm") || id.starts_with("wo") || id.starts_with("wb")
}

impl RawMessage {
    /// The searchable text of the message and, for audio and video, its media kind.
    pub fn content(&self) -> (String, Option<&'static str>) {
        let body = self.rest.get(&self.msgtype).cloned().unwrap_or(Value::Null);
        let s = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        match self.msgtype.as_str() {
            "text" => (s("content"), None),
            "markdown" => (s("content"), None),
            "image" => ("[图片]".into(), None),
            "voice" => ("[语音]".into(), Some("VOICE")),
            "video" => ("[视频]".into(), Some("VIDEO")),
            "meeting_voice_call" | "voip_doc_share" => ("[音视频通话]".into(), Some("CALL")),
            "file" => (s("filename"), None),
            "link" => (s("title"), None),
            "weapp" => (s("title"), None),
            "card" => (format!("[名片] {}", s("corpname")), None),
            "redpacket" | "external_redpacket" => (format!("[红包] {}", s("wish")), None),
            "chatrecord" => (s("title"), None),
            "location" => (s("title"), None),
            "emotion" => ("[表情]".into(), None),
            "revoke" => ("[撤回]".into(), None),
            _ => (String::new(), None),
        }
    }

    pub fn time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.msgtime).unwrap_or_else(Utc::now)
    }
}

#[derive(SimpleObject, Serialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct IngestOutcome {
    pub received: i32,
    pub stored: i32,
    /// Already archived (same msgid).
    pub duplicates: i32,
    /// Unreadable entries, by position, with the reason.
    pub rejected: Vec<Rejected>,
}

#[derive(SimpleObject, Serialize, Debug)]
pub struct Rejected {
    pub index: i32,
    pub reason: String,
}

/// Stores a batch of archive messages once each and applies what follows
/// from them, in one transaction.
pub async fn ingest(state: &AppState, scope: &Scope, batch: Vec<Value>) -> AppResult<IngestOutcome> {
    if batch.len() > MAX_BATCH {
        return Err(AppError::bad_input("messages", BATCH_TOO_LARGE));
    }
    let db = &state.db;
    // Microseconds: what PostgreSQL keeps, so the batch's rows can be found by it.
    let now = chrono::SubsecRound::trunc_subsecs(state.clock.now(), 6);
    let mut out = IngestOutcome { received: batch.len() as i32, ..Default::default() };
    let mut msgs: Vec<RawMessage> = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in batch.into_iter().enumerate() {
        match serde_json::from_value::<RawMessage>(v) {
            Ok(m) if !m.msgid.is_empty() && m.msgtime > 0 => {
                if seen.insert(m.msgid.clone()) {
                    msgs.push(m);
                } else {
                    out.duplicates += 1;
                }
            }
            Ok(_) => out.rejected.push(Rejected { index: i as i32, reason: "msgid and msgtime are required".into() }),
            Err(e) => out.rejected.push(Rejected { index: i as i32, reason: format!("unreadable message: {e}") }),
        }
    }
    if msgs.is_empty() {
        return Ok(out);
    }
    let known: HashSet<String> = scope
        .select::<chat_message::Entity>()
        .select_only()
        .column(chat_message::Column::Msgid)
        .filter(chat_message::Column::Msgid.is_in(msgs.iter().map(|m| m.msgid.clone())))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let before = msgs.len();
    msgs.retain(|m| !known.contains(&m.msgid));
    out.duplicates += (before - msgs.len()) as i32;
    if msgs.is_empty() {
        return Ok(out);
    }
    msgs.sort_by_key(|m| (m.msgtime, m.msgid.clone()));

    // Who is who: employees by userid, customers by external id, groups by room.
    let people: HashSet<String> = msgs.iter().flat_map(|m| std::iter::once(m.from.clone()).chain(m.tolist.iter().cloned())).collect();
    let employees: HashMap<String, i64> = scope
        .select::<employee::Entity>()
        .filter(employee::Column::Userid.is_in(people.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.userid, e.id))
        .collect();
    let customers: HashMap<String, i64> = scope
        .select::<customer::Entity>()
        .filter(customer::Column::ExternalUserid.is_in(people.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.external_userid, c.id))
        .collect();
    let rooms: HashSet<String> = msgs.iter().filter(|m| !m.roomid.is_empty()).map(|m| m.roomid.clone()).collect();
    let groups: HashMap<String, customer_group::Model> = scope
        .select::<customer_group::Entity>()
        .filter(customer_group::Column::ChatId.is_in(rooms))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.chat_id.clone(), g))
        .collect();
    let is_customer = |id: &str| customers.contains_key(id) || (!employees.contains_key(id) && looks_external(id));

    let rows: Vec<chat_message::ActiveModel> = msgs
        .iter()
        .map(|m| {
            let (content, media) = m.content();
            let from_customer = is_customer(&m.from);
            let (kind, key, employee_id, customer_id, group_id) = if !m.roomid.is_empty() {
                match groups.get(&m.roomid) {
                    Some(g) => (ChatKind::Group, format!("g:{}", m.roomid), g.owner_id, customers.get(&m.from).copied(), Some(g.id)),
                    None => (ChatKind::Internal, format!("g:{}", m.roomid), employees.get(&m.from).copied(), None, None),
                }
            } else {
                let peer = m.tolist.first().cloned().unwrap_or_default();
                let (emp, ext) = if from_customer { (peer, m.from.clone()) } else { (m.from.clone(), peer) };
                if is_customer(&ext) {
                    (ChatKind::Single, format!("s:{emp}:{ext}"), employees.get(&emp).copied(), customers.get(&ext).copied(), None)
                } else {
                    let mut pair = [emp.clone(), ext.clone()];
                    pair.sort();
                    (ChatKind::Internal, format!("i:{}|{}", pair[0], pair[1]), employees.get(&m.from).copied(), None, None)
                }
            };
            chat_message::ActiveModel {
                msgid: Set(m.msgid.clone()),
                action: Set(m.action.clone()),
                msgtype: Set(m.msgtype.clone()),
                from_id: Set(m.from.clone()),
                from_customer: Set(from_customer && kind != ChatKind::Internal),
                tolist: Set(serde_json::to_string(&m.tolist).unwrap_or_default()),
                roomid: Set((!m.roomid.is_empty()).then(|| m.roomid.clone())),
                chat_kind: Set(kind.as_str().to_string()),
                chat_key: Set(key),
                employee_id: Set(employee_id),
                customer_id: Set(customer_id),
                group_id: Set(group_id),
                content: Set(content),
                body: Set(serde_json::to_string(&m.rest).unwrap_or_default()),
                media_kind: Set(media.map(str::to_string)),
                conversation_id: Set(None),
                msgtime: Set(m.time()),
                created_at: Set(now),
                ..Default::default()
            }
        })
        .collect();

    let txn = crate::db::write_txn(db).await?;
    for chunk in rows.chunks(200) {
        scope
            .insert_many_ignoring(
                &txn,
                chunk.to_vec(),
                sea_orm::sea_query::OnConflict::columns([chat_message::Column::CorpId, chat_message::Column::Msgid])
                    .do_nothing()
                    .to_owned(),
            )
            .await?;
    }
    let stored: Vec<chat_message::Model> = {
        let mut all = Vec::new();
        let ids: Vec<String> = msgs.iter().map(|m| m.msgid.clone()).collect();
        for chunk in ids.chunks(500) {
            all.extend(
                scope
                    .select::<chat_message::Entity>()
                    .filter(chat_message::Column::Msgid.is_in(chunk.iter().cloned()))
                    .filter(chat_message::Column::CreatedAt.eq(now))
                    .all(&txn)
                    .await?,
            );
        }
        all.sort_by_key(|m| (m.msgtime, m.id));
        all
    };
    out.stored = stored.len() as i32;

    update_threads(&txn, scope, &stored).await?;
    conversation::assign(&txn, scope, &stored).await?;
    touch_contacts(&txn, scope, &stored).await?;

    // Reply timers: the last customer message of each chat waits; an employee message answers.
    let monitor = reply::Monitor::load(&txn, scope).await?;
    let mut last_of_chat: HashMap<&str, &chat_message::Model> = HashMap::new();
    for m in stored.iter().filter(|m| m.action == "send" && m.chat_kind != ChatKind::Internal.as_str()) {
        last_of_chat.insert(m.chat_key.as_str(), m);
    }
    for (key, m) in &last_of_chat {
        if stored.iter().any(|x| x.chat_key == *key && !x.from_customer && x.action == "send") {
            reply::cancel_timers(&txn, scope.corp_id(), key).await?;
        }
        if m.from_customer {
            reply::start_timers(&txn, scope, &monitor, m, now).await?;
        }
    }

    // Voice and video calls with a customer go on their timeline (CUS-11), which raises the CALL radar (CFG-7).
    let calls: Vec<crate::customers::timeline::NewEvent> = stored
        .iter()
        .filter(|m| m.media_kind.as_deref() == Some("CALL") && m.chat_kind == ChatKind::Single.as_str())
        .filter_map(|m| {
            let body: Value = serde_json::from_str(&m.body).unwrap_or_default();
            let call = body.get(&m.msgtype).cloned().unwrap_or_default();
            Some(
                crate::customers::timeline::NewEvent::new(m.customer_id?, crate::customers::timeline::EventKind::Call, m.msgtime)
                    .by(m.employee_id)
                    .with(serde_json::json!({"msgid": m.msgid, "duration": call.get("endtime").and_then(Value::as_i64).zip(call.get("starttime").and_then(Value::as_i64)).map(|(e, s)| e - s)})),
            )
        })
        .collect();
    crate::customers::timeline::append(&txn, scope, calls).await?;
    detect(state, &txn, scope, &stored, &employees).await?;
    txn.commit().await?;
    Ok(out)
}

/// Chats (one row per chat key) with their count and latest message.
async fn update_threads(db: &impl ConnectionTrait, scope: &Scope, stored: &[chat_message::Model]) -> AppResult<()> {
    let mut by_key: HashMap<&str, Vec<&chat_message::Model>> = HashMap::new();
    for m in stored {
        by_key.entry(&m.chat_key).or_default().push(m);
    }
    let existing: HashMap<String, chat_thread::Model> = scope
        .select::<chat_thread::Entity>()
        .filter(chat_thread::Column::ChatKey.is_in(by_key.keys().map(|k| k.to_string())))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.chat_key.clone(), t))
        .collect();
    for (key, list) in by_key {
        let Some(last) = list.last() else { continue };
        let last_sent = list.iter().rev().find(|m| m.action == "send");
        match existing.get(key) {
            Some(t) => {
                let newer = last.msgtime >= t.last_message_at;
                let mut am: chat_thread::ActiveModel = t.clone().into();
                am.message_count = Set(t.message_count + list.len() as i64);
                if newer {
                    am.last_message_at = Set(last.msgtime);
                    am.last_content = Set(last.content.clone());
                }
                if let Some(m) = last_sent.filter(|m| t.last_sent_at.is_none_or(|at| m.msgtime >= at)) {
                    am.last_sent_id = Set(Some(m.id));
                    am.last_sent_at = Set(Some(m.msgtime));
                }
                am.customer_id = Set(t.customer_id.or(last.customer_id));
                am.employee_id = Set(t.employee_id.or(last.employee_id));
                scope.update(db, am).await?;
            }
            None => {
                let peer = match ChatKind::parse(&last.chat_kind) {
                    Some(ChatKind::Single) => key.rsplit(':').next().map(str::to_string),
                    _ => None,
                };
                scope
                    .insert(
                        db,
                        chat_thread::ActiveModel {
                            chat_key: Set(key.to_string()),
                            chat_kind: Set(last.chat_kind.clone()),
                            employee_id: Set(list.iter().find_map(|m| m.employee_id)),
                            peer_userid: Set(peer),
                            customer_id: Set(list
                                .iter()
                                .find_map(|m| m.customer_id)
                                .filter(|_| last.chat_kind == ChatKind::Single.as_str())),
                            group_id: Set(last.group_id),
                            roomid: Set(last.roomid.clone()),
                            message_count: Set(list.len() as i64),
                            last_message_at: Set(last.msgtime),
                            last_content: Set(last.content.clone()),
                            last_sent_id: Set(last_sent.map(|m| m.id)),
                            last_sent_at: Set(last_sent.map(|m| m.msgtime)),
                            ..Default::default()
                        },
                    )
                    .await?;
            }
        }
    }
    Ok(())
}

/// What one ingest batch tells of a customer's single chats.
#[derive(Default)]
struct ChatFacts {
    last: Option<DateTime<Utc>>,
    last_from_customer: Option<DateTime<Utc>>,
    last_from_employee: Option<DateTime<Utc>>,
    from_customer: i64,
}

/// `column` moved on to `at` unless it already holds a later time (batches may arrive out of order).
fn later(column: customer::Column, at: DateTime<Utc>) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{CaseStatement, Expr};
    let stale = sea_orm::Condition::any().add(column.is_null()).add(column.lt(at));
    CaseStatement::new().case(stale, Expr::value(Some(at))).finally(Expr::col((customer::Entity, column))).into()
}

/// Customers' and groups' last contact and the customers' chat facts (what
/// conditions read); single-chat customers are archived, so they agreed (ARC-1).
async fn touch_contacts(db: &impl ConnectionTrait, scope: &Scope, stored: &[chat_message::Model]) -> AppResult<()> {
    // By id: rows are locked in one order whoever ingests at the same time.
    let mut customers: std::collections::BTreeMap<i64, ChatFacts> = std::collections::BTreeMap::new();
    let mut groups: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for m in stored {
        // Sent messages only: a recall or a switch is nobody writing.
        if let (Some(c), true, "send") = (m.customer_id, m.chat_kind == ChatKind::Single.as_str(), m.action.as_str()) {
            let f = customers.entry(c).or_default();
            f.last = std::cmp::max(f.last, Some(m.msgtime));
            if m.from_customer {
                f.last_from_customer = std::cmp::max(f.last_from_customer, Some(m.msgtime));
                f.from_customer += 1;
            } else {
                f.last_from_employee = std::cmp::max(f.last_from_employee, Some(m.msgtime));
            }
        }
        if let Some(g) = m.group_id {
            let e = groups.entry(g).or_insert(m.msgtime);
            *e = std::cmp::max(*e, m.msgtime);
        }
    }
    // One statement for consent, then one per customer.
    let ids: Vec<i64> = customers.keys().copied().collect();
    for chunk in ids.chunks(500) {
        scope
            .update_many::<customer::Entity>()
            .col_expr(customer::Column::ArchiveAgreed, true.into())
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .filter(customer::Column::ArchiveAgreed.eq(false))
            .exec(db)
            .await?;
    }
    for (c, f) in customers {
        let mut update = scope.update_many::<customer::Entity>().filter(customer::Column::Id.eq(c));
        if let Some(at) = f.last {
            update = update.col_expr(customer::Column::LastContactAt, later(customer::Column::LastContactAt, at));
        }
        if let Some(at) = f.last_from_customer {
            update = update.col_expr(customer::Column::LastCustomerMessageAt, later(customer::Column::LastCustomerMessageAt, at));
        }
        if let Some(at) = f.last_from_employee {
            update = update.col_expr(customer::Column::LastEmployeeMessageAt, later(customer::Column::LastEmployeeMessageAt, at));
        }
        if f.from_customer > 0 {
            let count = sea_orm::sea_query::Expr::col((customer::Entity, customer::Column::CustomerMessageCount)).add(f.from_customer);
            update = update.col_expr(customer::Column::CustomerMessageCount, count);
        }
        update.exec(db).await?;
    }
    // Last of the customer writes: locks go customers first, then the notes.
    crate::smart_tags::pending::mark_changed(db, scope, &ids).await?;
    for (g, at) in groups {
        scope
            .update_many::<customer_group::Entity>()
            .col_expr(customer_group::Column::LastContactAt, Some(at).into())
            .filter(customer_group::Column::Id.eq(g))
            .filter(
                sea_orm::Condition::any()
                    .add(customer_group::Column::LastContactAt.is_null())
                    .add(customer_group::Column::LastContactAt.lt(at)),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Sensitive words on every message, and the behaviours the monitoring watches.
async fn detect(
    state: &AppState,
    db: &impl ConnectionTrait,
    scope: &Scope,
    stored: &[chat_message::Model],
    employees: &HashMap<String, i64>,
) -> AppResult<()> {
    use sensitive::BehaviorKind;
    let matcher = sensitive::matcher_of(db, scope, &state.sensitive).await?;
    let monitoring: sensitive::SensitiveMonitoring = crate::settings::get(db, scope).await?;
    let now = state.clock.now();
    let mut hits: Vec<entity::sensitive_hit::ActiveModel> = Vec::new();
    let mut per_rule: HashMap<i64, i64> = HashMap::new();
    for m in stored.iter().filter(|m| m.action == "send") {
        let found = matcher.hits(&m.content);
        for (rule, word) in &found {
            *per_rule.entry(*rule).or_default() += 1;
            hits.push(sensitive_hit::ActiveModel {
                rule_id: Set(*rule),
                message_id: Set(m.id),
                word: Set(word.clone()),
                created_at: Set(now),
                ..Default::default()
            });
        }
        let sender = if m.from_customer { None } else { employees.get(&m.from_id).copied() };
        let audited = if m.from_customer { monitoring.audit_customer_messages } else { monitoring.audits(sender) };
        let kind = match m.msgtype.as_str() {
            "redpacket" | "external_redpacket" if !m.from_customer => Some(BehaviorKind::SendRedPacket),
            "card" if !m.from_customer => Some(BehaviorKind::SendBusinessCard),
            _ if !found.is_empty() => Some(BehaviorKind::SensitiveMessage),
            _ => None,
        };
        if let Some(kind) = kind.filter(|k| audited && monitoring.watches(*k)) {
            let detail = match kind {
                BehaviorKind::SensitiveMessage => found.iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>().join("，"),
                _ => m.content.clone(),
            };
            let customer = m.customer_id;
            sensitive::record(
                db,
                scope,
                kind,
                Some(m.id),
                sender,
                customer,
                m.group_id,
                detail,
                m.msgtime,
                format!("{}:{}", kind.as_str(), m.msgid),
            )
            .await?;
        }
    }
    scope
        .insert_many_ignoring(
            db,
            hits,
            sea_orm::sea_query::OnConflict::columns([
                sensitive_hit::Column::CorpId,
                sensitive_hit::Column::RuleId,
                sensitive_hit::Column::MessageId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .await?;
    for (rule, n) in per_rule {
        scope
            .update_many::<sensitive_rule::Entity>()
            .col_expr(sensitive_rule::Column::HitCount, Expr::col(sensitive_rule::Column::HitCount).add(Expr::val(n)))
            .filter(sensitive_rule::Column::Id.eq(rule))
            .exec(db)
            .await?;
    }
    Ok(())
}
