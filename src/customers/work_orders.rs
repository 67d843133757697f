//! Work orders (工单, CUS-10, GRP-5): tickets about a customer or a group,
//! with a status, a priority and an assignee. Closing one tells the
//! customer's owner (or the group's owner) through a WeCom app message
//! (NTF-1 WORK_ORDER_PROGRESS), sent by a durable job.

use async_graphql::Enum;
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Select};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    subjects::Subject,
    subjects::{visible_subject, writable_subject},
    timeline::{self, EventKind, NewEvent},
};
use crate::{
    error::{AppError, AppResult, Code, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    state::AppState,
    tenancy::Scope,
};
use entity::{employee, work_order};

const TITLE_INVALID: Msg = Msg::new("WORK_ORDER_TITLE_INVALID", "工单主题为1-50个字", "The subject must be 1-50 characters");
const DESCRIPTION_TOO_LONG: Msg =
    Msg::new("WORK_ORDER_DESCRIPTION_TOO_LONG", "工单描述不能超过500个字", "The description must be at most 500 characters");
const CLOSED: Msg = Msg::new("WORK_ORDER_CLOSED", "工单已关闭", "The work order is closed");

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
pub enum WorkOrderStatus {
    Open,
    InProgress,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize, Default)]
pub enum WorkOrderPriority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

text_enum!(WorkOrderStatus { Open => "OPEN", InProgress => "IN_PROGRESS", Closed => "CLOSED" });
text_enum!(WorkOrderPriority { Low => "LOW", Normal => "NORMAL", High => "HIGH", Urgent => "URGENT" });

/// The printed number (编号) of a work order.
pub fn number(id: i64) -> String {
    format!("GD{id:08}")
}

fn title(t: &str) -> AppResult<String> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 50 {
        return Err(AppError::bad_input("title", TITLE_INVALID));
    }
    Ok(t.to_string())
}

fn description(d: Option<String>) -> AppResult<Option<String>> {
    let d = d.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
    if d.as_ref().is_some_and(|d| d.chars().count() > 500) {
        return Err(AppError::bad_input("description", DESCRIPTION_TOO_LONG));
    }
    Ok(d)
}

pub struct NewWorkOrder {
    pub subject: Subject,
    pub subject_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub priority: WorkOrderPriority,
    pub assignee_id: Option<i64>,
}

const LEAD_UNSUPPORTED: Msg =
    Msg::new("SUBJECT_NOT_SUPPORTED", "线索仅支持跟进记录", "Leads take follow-ups only, not business records or work orders");

pub async fn create(db: &DatabaseConnection, scope: &Scope, new: NewWorkOrder) -> AppResult<work_order::Model> {
    let author = scope.employee_id().ok_or_else(AppError::forbidden)?;
    if new.subject == Subject::Lead {
        return Err(AppError::bad_input("subjectKind", LEAD_UNSUPPORTED));
    }
    writable_subject(db, scope, new.subject, new.subject_id).await?;
    let title = title(&new.title)?;
    let description = description(new.description)?;
    if let Some(a) = new.assignee_id {
        scope.get::<employee::Entity>(db, a).await?;
    }
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let w = scope
        .insert(
            &txn,
            work_order::ActiveModel {
                subject_kind: Set(new.subject.as_str().into()),
                subject_id: Set(new.subject_id),
                title: Set(title.clone()),
                description: Set(description),
                status: Set(WorkOrderStatus::Open.as_str().into()),
                priority: Set(new.priority.as_str().into()),
                assignee_id: Set(new.assignee_id),
                created_by: Set(author),
                closed_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    if new.subject == Subject::Customer {
        timeline::append(
            &txn,
            scope,
            vec![NewEvent::new(new.subject_id, EventKind::WorkOrder, now)
                .by(Some(author))
                .with(json!({"workOrderId": w.id, "number": number(w.id), "title": title, "status": "OPEN"}))],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(w)
}

/// A work order whose subject the caller may see.
pub async fn get(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<work_order::Model> {
    let w = scope.get::<work_order::Entity>(db, id).await?;
    let subject = Subject::parse(&w.subject_kind).ok_or_else(AppError::not_found)?;
    visible_subject(db, scope, subject, w.subject_id).await?;
    Ok(w)
}

#[derive(Default)]
pub struct WorkOrderChange {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<WorkOrderStatus>,
    pub priority: Option<WorkOrderPriority>,
    pub assignee_id: Option<Option<i64>>,
}

/// Edits a work order; a closed one stays closed. Closing it queues the
/// notice to the owner in the same transaction.
pub async fn update(state: &AppState, scope: &Scope, id: i64, change: WorkOrderChange) -> AppResult<work_order::Model> {
    let db = &state.db;
    let w = get(db, scope, id).await?;
    if w.status == WorkOrderStatus::Closed.as_str() {
        return Err(AppError::conflict(CLOSED));
    }
    let mut am: work_order::ActiveModel = w.clone().into();
    if let Some(t) = change.title {
        am.title = Set(title(&t)?);
    }
    if let Some(d) = change.description {
        am.description = Set(description(d)?);
    }
    if let Some(p) = change.priority {
        am.priority = Set(p.as_str().into());
    }
    if let Some(a) = change.assignee_id {
        if let Some(a) = a {
            scope.get::<employee::Entity>(db, a).await?;
        }
        am.assignee_id = Set(a);
    }
    let closing = change.status == Some(WorkOrderStatus::Closed);
    let now = Utc::now();
    if let Some(s) = change.status {
        am.status = Set(s.as_str().into());
    }
    if closing {
        am.closed_at = Set(Some(now));
    }
    am.updated_at = Set(now);
    let txn = crate::db::write_txn(db).await?;
    let saved = scope.update(&txn, am).await?;
    if closing {
        if w.subject_kind == Subject::Customer.as_str() {
            timeline::append(
                &txn,
                scope,
                vec![NewEvent::new(w.subject_id, EventKind::WorkOrder, now)
                    .by(scope.employee_id())
                    .with(json!({"workOrderId": w.id, "number": number(w.id), "title": saved.title, "status": "CLOSED"}))],
            )
            .await?;
        }
        let job = NewJob { corp_id: Some(scope.corp_id()), created_by: scope.employee_id(), ..Default::default() }
            .dedup(format!("work-order:{}:closed", w.id));
        state.jobs.enqueue::<WorkOrderClosedJob>(&txn, job, &json!({"workOrderId": w.id})).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// A subject's work orders, newest first.
pub fn of_subject(scope: &Scope, subject: Subject, id: i64) -> Select<work_order::Entity> {
    scope
        .select::<work_order::Entity>()
        .filter(work_order::Column::SubjectKind.eq(subject.as_str()))
        .filter(work_order::Column::SubjectId.eq(id))
        .order_by_desc(work_order::Column::CreatedAt)
        .order_by_desc(work_order::Column::Id)
}

/// Tells the customer's owner, or the group's owner, that a work order closed.
pub struct WorkOrderClosedJob;

impl JobKind for WorkOrderClosedJob {
    const KIND: &'static str = "customers.work_order_closed";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for WorkOrderClosedJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, p: Value) -> Result<Value, JobError> {
        let corp_id = ctx.job.corp_id.ok_or(JobError::Permanent { code: Code::Internal, msg: crate::error::msg::INTERNAL })?;
        let scope = Scope::system(corp_id);
        let db = &ctx.state.db;
        let id = p["workOrderId"].as_i64().unwrap_or_default();
        let Some(w) = scope.select::<work_order::Entity>().filter(work_order::Column::Id.eq(id)).one(db).await.map_err(AppError::from)?
        else {
            return Ok(json!({"skipped": "work order gone"}));
        };
        let subject = Subject::parse(&w.subject_kind).unwrap_or(Subject::Customer);
        let target = visible_subject(db, &scope, subject, w.subject_id).await.map_err(JobError::from_app)?;
        let Some(owner) = target.owner_id else { return Ok(json!({"skipped": "no owner"})) };
        let owner = scope.get::<employee::Entity>(db, owner).await.map_err(JobError::from_app)?;
        let text = format!("工单进度通知：「{}」的工单 {}「{}」已处理完成", target.name, number(w.id), w.title);
        let about = match subject {
            Subject::Group => crate::alerts::notices::About::Group(w.subject_id),
            Subject::Customer => crate::alerts::notices::About::Customer(w.subject_id),
            Subject::Lead => crate::alerts::notices::About::Lead(w.subject_id),
        };
        crate::alerts::notices::tell(
            &ctx.state,
            corp_id,
            "WORK_ORDER_PROGRESS",
            about,
            &[owner.id],
            text,
            format!("notice:job:{}", ctx.job.id),
        )
        .await
    }
}
