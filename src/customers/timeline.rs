//! The customer timeline (客户动态, CUS-11): one append-only feed per customer
//! that every producer writes to — sync and callbacks (added an employee,
//! joined or left a group), follow-ups, tag changes, owner changes, transfers,
//! and later radar views, moments, calls and opportunities.

use async_graphql::Enum;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Select};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    error::AppResult,
    jobs::{JobKind, NewJob},
    tenancy::Scope,
};
use entity::customer_event;

/// What happened. Producers of later areas add their kinds here.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "CustomerEventKind")]
pub enum EventKind {
    /// The customer added an employee (payload: addWay, state).
    AddedEmployee,
    /// A follow relation ended (payload: lossType).
    RelationEnded,
    /// Joined a customer group (payload: joinScene, groupName, owner).
    JoinedGroup,
    /// Left a customer group (payload: groupName).
    LeftGroup,
    /// A follow-up record was written (payload: followUpId, type, content).
    FollowUp,
    /// Corp tags added or removed (payload: added, removed: tag names).
    TagsChanged,
    /// A business record was submitted (payload: recordId, template, values).
    BusinessRecord,
    /// A work order was opened or closed (payload: workOrderId, title, status).
    WorkOrder,
    /// The owner changed (payload: from, to: employee ids).
    OwnerChanged,
    /// An on-job transfer to another employee started (payload: from, to).
    TransferStarted,
    /// Moment like or comment (payload from the producer).
    MomentInteraction,
    /// Voice or video call (payload: duration, recording).
    Call,
    /// Viewed a material we sent (payload: material, dwell seconds).
    MaterialViewed,
    /// Returned to, recalled into, claimed or assigned from the public pool
    /// (payload: action RETURNED/RECALLED/CLAIMED/ASSIGNED, poolId, pool, reason, from, to).
    PublicPool,
    /// An opportunity was created or changed stage (payload: action, opportunityId, name, from, to, won).
    Opportunity,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::AddedEmployee => "ADDED_EMPLOYEE",
            EventKind::RelationEnded => "RELATION_ENDED",
            EventKind::JoinedGroup => "JOINED_GROUP",
            EventKind::LeftGroup => "LEFT_GROUP",
            EventKind::FollowUp => "FOLLOW_UP",
            EventKind::TagsChanged => "TAGS_CHANGED",
            EventKind::BusinessRecord => "BUSINESS_RECORD",
            EventKind::WorkOrder => "WORK_ORDER",
            EventKind::OwnerChanged => "OWNER_CHANGED",
            EventKind::TransferStarted => "TRANSFER_STARTED",
            EventKind::MomentInteraction => "MOMENT_INTERACTION",
            EventKind::Call => "CALL",
            EventKind::MaterialViewed => "MATERIAL_VIEWED",
            EventKind::PublicPool => "PUBLIC_POOL",
            EventKind::Opportunity => "OPPORTUNITY",
        }
    }

    /// Every kind, in the schema's order.
    pub fn all() -> &'static [EventKind] {
        &[
            EventKind::AddedEmployee,
            EventKind::RelationEnded,
            EventKind::JoinedGroup,
            EventKind::LeftGroup,
            EventKind::FollowUp,
            EventKind::TagsChanged,
            EventKind::BusinessRecord,
            EventKind::WorkOrder,
            EventKind::OwnerChanged,
            EventKind::TransferStarted,
            EventKind::MomentInteraction,
            EventKind::Call,
            EventKind::MaterialViewed,
            EventKind::PublicPool,
            EventKind::Opportunity,
        ]
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::all().iter().copied().find(|k| k.as_str() == s)
    }

    /// Something the customer did that the radar (CFG-7) watches.
    pub fn is_radar_behaviour(self) -> bool {
        matches!(
            self,
            EventKind::JoinedGroup | EventKind::AddedEmployee | EventKind::MomentInteraction | EventKind::Call | EventKind::MaterialViewed
        )
    }
}

/// Entries younger than this when appended are live behaviour; older ones
/// (initial syncs, backfills) are history and raise no alert.
const LIVE_WITHIN: Duration = Duration::minutes(10);

/// The radar's intake: the live entries of the kinds it watches, queued in the
/// producer's transaction (an outbox). The alerts area runs it, so the
/// timeline needs to know only the kind, not the radar's rules.
pub struct RadarDispatch;

impl JobKind for RadarDispatch {
    const KIND: &'static str = "alerts.radar_dispatch";
    type Payload = LiveEntries;
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct LiveEntries {
    pub events: Vec<LiveEntry>,
}

/// One live timeline entry.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct LiveEntry {
    pub customer_id: i64,
    /// `EventKind::as_str`.
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub employee_id: Option<i64>,
    pub group_id: Option<i64>,
    /// The producer's payload (material id and title, action, dwell seconds…).
    pub payload: Value,
}

/// Queues the radar dispatch for the live radar behaviours among `events`.
async fn queue_radar(db: &impl ConnectionTrait, scope: &Scope, events: &[NewEvent]) -> AppResult<()> {
    let now = Utc::now();
    let live: Vec<LiveEntry> = events
        .iter()
        .filter(|e| e.kind.is_radar_behaviour() && now - e.occurred_at < LIVE_WITHIN)
        .map(|e| LiveEntry {
            customer_id: e.customer_id,
            kind: e.kind.as_str().to_string(),
            occurred_at: e.occurred_at,
            employee_id: e.employee_id,
            group_id: e.group_id,
            payload: e.payload.clone(),
        })
        .collect();
    if live.is_empty() {
        return Ok(());
    }
    let new = NewJob { corp_id: Some(scope.corp_id()), ..NewJob::system() };
    crate::jobs::insert::<RadarDispatch>(db, new, &LiveEntries { events: live }, now).await?;
    Ok(())
}

/// One entry to append.
pub struct NewEvent {
    pub customer_id: i64,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub employee_id: Option<i64>,
    pub group_id: Option<i64>,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(customer_id: i64, kind: EventKind, occurred_at: DateTime<Utc>) -> Self {
        NewEvent { customer_id, kind, occurred_at, employee_id: None, group_id: None, payload: Value::Object(Default::default()) }
    }
    pub fn by(mut self, employee_id: Option<i64>) -> Self {
        self.employee_id = employee_id;
        self
    }
    pub fn in_group(mut self, group_id: i64) -> Self {
        self.group_id = Some(group_id);
        self
    }
    pub fn with(mut self, payload: Value) -> Self {
        self.payload = payload;
        self
    }
}

/// Appends entries (one statement), inside the caller's transaction, and
/// queues the radar alerts of the live behaviours among them (CFG-7).
pub async fn append(db: &impl ConnectionTrait, scope: &Scope, events: Vec<NewEvent>) -> AppResult<()> {
    queue_radar(db, scope, &events).await?;
    let now = Utc::now();
    let rows = events.into_iter().map(|e| customer_event::ActiveModel {
        customer_id: Set(e.customer_id),
        kind: Set(e.kind.as_str().to_string()),
        occurred_at: Set(e.occurred_at),
        employee_id: Set(e.employee_id),
        group_id: Set(e.group_id),
        payload: Set(e.payload.to_string()),
        dedup_key: Set(None),
        created_at: Set(now),
        ..Default::default()
    });
    for chunk in rows.collect::<Vec<_>>().chunks(500) {
        scope.insert_many(db, chunk.to_vec()).await?;
    }
    Ok(())
}

/// A customer's feed, newest first, optionally only some kinds. The caller
/// has already checked the customer is visible.
pub fn feed(scope: &Scope, customer_id: i64, kinds: &[EventKind]) -> Select<customer_event::Entity> {
    let mut q = scope.select::<customer_event::Entity>().filter(customer_event::Column::CustomerId.eq(customer_id));
    if !kinds.is_empty() {
        q = q.filter(customer_event::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    }
    q.order_by_desc(customer_event::Column::OccurredAt).order_by_desc(customer_event::Column::Id)
}
