//! The rules of one lead: what its fields may hold, its states (CRM-4),
//! tags, the list's filters (CRM-1) and the change log (CRM-5).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use serde_json::json;

use super::model::{batch, event, log_row, LeadStatus, NOT_ACTIVE};
use crate::{
    custom_fields::FieldEntity,
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::{corp_tag, lead, lead_event, lead_tag};

const NAME_INVALID: Msg = Msg::new("LEAD_NAME_INVALID", "请填写线索名称（不超过50字）", "A lead needs a name of at most 50 characters");
pub const MOBILE_INVALID: Msg =
    Msg::new("LEAD_MOBILE_INVALID", "手机号格式不正确（5-20位数字，可带+）", "Mobile numbers are 5-20 digits, optionally after a +");
pub const MOBILE_TAKEN: Msg = Msg::new("LEAD_MOBILE_TAKEN", "该手机号已存在线索", "A lead with this mobile number already exists");
const EMAIL_INVALID: Msg = Msg::new("LEAD_EMAIL_INVALID", "邮箱格式不正确", "The email address is not valid");
const TOO_LONG: Msg = Msg::new("LEAD_FIELD_TOO_LONG", "内容过长", "The text is too long");
const NOT_DISCARDED: Msg = Msg::new("LEAD_NOT_DISCARDED", "只能恢复已废弃的线索", "Only discarded leads can be restored");
const TAG_MISSING: Msg = Msg::new("TAG_NOT_FOUND", "标签不存在", "The tag does not exist");

/// A lead's fields as a client (or an import row) gives them.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub name: String,
    pub mobile: Option<String>,
    /// 0 unknown, 1 male, 2 female.
    pub gender: i32,
    pub company_name: Option<String>,
    pub position: Option<String>,
    pub channel: Option<String>,
    pub email: Option<String>,
    pub remark: Option<String>,
    /// Values of the corp's lead custom fields (`null` clears one).
    pub custom_fields: Vec<(i64, Option<serde_json::Value>)>,
}

/// Digits, optionally after a `+`; spaces and dashes people type are dropped.
pub fn normalize_mobile(raw: &str) -> Result<Option<String>, Msg> {
    let m: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{3000}')).collect();
    if m.is_empty() {
        return Ok(None);
    }
    let digits = m.strip_prefix('+').unwrap_or(&m);
    if !(5..=20).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(MOBILE_INVALID);
    }
    Ok(Some(m))
}

fn optional(v: &Option<String>, max: usize, field: &'static str) -> Result<Option<String>, (&'static str, Msg)> {
    let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match v {
        Some(s) if s.chars().count() > max => Err((field, TOO_LONG)),
        other => Ok(other.map(str::to_string)),
    }
}

/// The draft as stored, or the field at fault and why.
pub fn check(d: &Draft) -> Result<Draft, (&'static str, Msg)> {
    let name = d.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(("name", NAME_INVALID));
    }
    let mobile = match d.mobile.as_deref() {
        Some(m) => normalize_mobile(m).map_err(|e| ("mobile", e))?,
        None => None,
    };
    let email = optional(&d.email, 100, "email")?;
    if email.as_deref().is_some_and(|e| !e.contains('@') || e.chars().any(char::is_whitespace)) {
        return Err(("email", EMAIL_INVALID));
    }
    Ok(Draft {
        name: name.to_string(),
        mobile,
        gender: if (0..=2).contains(&d.gender) { d.gender } else { 0 },
        company_name: optional(&d.company_name, 100, "company")?,
        position: optional(&d.position, 50, "position")?,
        channel: optional(&d.channel, 50, "channel")?,
        email,
        remark: optional(&d.remark, 500, "remark")?,
        custom_fields: d.custom_fields.clone(),
    })
}

fn checked(d: &Draft, at: &str) -> AppResult<Draft> {
    check(d).map_err(|(field, msg)| AppError::bad_input(format!("{at}.{field}"), msg))
}

/// A unique-index refusal is the mobile's (the only unique value a client sets).
pub fn mobile_taken(e: DbErr, field: &str) -> AppError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => AppError::conflict(MOBILE_TAKEN).with_field(field),
        _ => AppError::from(e),
    }
}

pub fn new_row(d: Draft, creator: Option<i64>, now: DateTime<Utc>) -> lead::ActiveModel {
    lead::ActiveModel {
        name: Set(d.name),
        mobile: Set(d.mobile),
        gender: Set(d.gender),
        company_name: Set(d.company_name),
        position: Set(d.position),
        channel: Set(d.channel),
        email: Set(d.email),
        remark: Set(d.remark),
        status: Set(LeadStatus::Active.as_str().into()),
        owner_id: Set(None),
        assigned_at: Set(None),
        customer_id: Set(None),
        converted_at: Set(None),
        last_follow_up_at: Set(None),
        import_row: Set(None),
        created_by: Set(creator),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Creates a lead, then assigns it by the first rule it meets (CRM-2).
pub async fn create(state: &AppState, scope: &Scope, d: &Draft) -> AppResult<lead::Model> {
    let d = checked(d, "input")?;
    let custom = d.custom_fields.clone();
    let now = state.clock.now();
    let actor = scope.employee_id();
    let txn = crate::db::write_txn(&state.db).await?;
    let mut row = new_row(d, actor, now);
    crate::tenancy::TenantActiveModel::stamp_corp(&mut row, scope.corp_id());
    let created = sea_orm::ActiveModelTrait::insert(row, &txn).await.map_err(|e| mobile_taken(e, "input.mobile"))?;
    crate::custom_fields::service::write_values(&txn, scope, FieldEntity::Lead, created.id, &custom, true).await?;
    scope.insert(&txn, log_row(created.id, event::CREATED, actor, json!({}), now)).await?;
    txn.commit().await?;
    let assigned = super::rules::assign_new(state, scope, vec![created.clone()]).await?;
    Ok(assigned.into_iter().next().unwrap_or(created))
}

/// A visible lead, or NOT_FOUND.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<lead::Model> {
    scope.get_visible::<lead::Entity>(db, id).await
}

/// Replaces an active lead's fields; the log names what changed.
pub async fn update(state: &AppState, scope: &Scope, id: i64, d: &Draft) -> AppResult<lead::Model> {
    let d = checked(d, "input")?;
    let custom = d.custom_fields.clone();
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let old = get(&txn, scope, id).await?;
    if old.status != LeadStatus::Active.as_str() {
        return Err(AppError::conflict(NOT_ACTIVE));
    }
    let pairs: [(&str, Option<&str>, Option<&str>); 7] = [
        ("name", Some(old.name.as_str()), Some(d.name.as_str())),
        ("mobile", old.mobile.as_deref(), d.mobile.as_deref()),
        ("company", old.company_name.as_deref(), d.company_name.as_deref()),
        ("position", old.position.as_deref(), d.position.as_deref()),
        ("channel", old.channel.as_deref(), d.channel.as_deref()),
        ("email", old.email.as_deref(), d.email.as_deref()),
        ("remark", old.remark.as_deref(), d.remark.as_deref()),
    ];
    let mut changed: Vec<&str> = pairs.iter().filter(|(_, a, b)| a != b).map(|(f, _, _)| *f).collect();
    if old.gender != d.gender {
        changed.push("gender");
    }
    if !custom.is_empty() {
        changed.push("customFields");
    }
    let updated = lead::ActiveModel {
        id: Set(id),
        name: Set(d.name),
        mobile: Set(d.mobile),
        gender: Set(d.gender),
        company_name: Set(d.company_name),
        position: Set(d.position),
        channel: Set(d.channel),
        email: Set(d.email),
        remark: Set(d.remark),
        updated_at: Set(now),
        ..Default::default()
    };
    let updated = lead::Entity::update(updated)
        .validate()?
        .filter(lead::Column::CorpId.eq(scope.corp_id()))
        .filter(lead::Column::Status.eq(LeadStatus::Active.as_str()))
        .exec(&txn)
        .await
        .map_err(|e| mobile_taken(e, "input.mobile"))?;
    crate::custom_fields::service::write_values(&txn, scope, FieldEntity::Lead, id, &custom, false).await?;
    if !changed.is_empty() {
        scope.insert(&txn, log_row(id, event::INFO_UPDATED, scope.employee_id(), json!({"fields": changed}), now)).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// The visible leads among `ids` (others are skipped, as if absent).
async fn visible(db: &impl ConnectionTrait, scope: &Scope, ids: &BTreeSet<i64>) -> AppResult<Vec<lead::Model>> {
    Ok(scope.select_visible::<lead::Entity>().filter(lead::Column::Id.is_in(ids.iter().copied())).all(db).await?)
}

/// Moves leads from one state to another (discard, restore), logging each;
/// answers the leads moved. A lead in another state refuses the whole batch.
pub async fn move_state(state: &AppState, scope: &Scope, ids: &[i64], to: LeadStatus) -> AppResult<Vec<lead::Model>> {
    let ids = batch(ids)?;
    let (from, kind, refusal) = match to {
        LeadStatus::Discarded => (LeadStatus::Active, event::DISCARDED, NOT_ACTIVE),
        _ => (LeadStatus::Discarded, event::RESTORED, NOT_DISCARDED),
    };
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let found = visible(&txn, scope, &ids).await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("ids"));
    }
    if found.iter().any(|l| l.status != from.as_str()) {
        return Err(AppError::conflict(refusal).with_field("ids"));
    }
    scope
        .update_many::<lead::Entity>()
        .col_expr(lead::Column::Status, Expr::value(to.as_str()))
        .col_expr(lead::Column::UpdatedAt, Expr::value(now))
        .filter(lead::Column::Id.is_in(ids.iter().copied()))
        .filter(lead::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await?;
    scope.insert_many(&txn, ids.iter().map(|id| log_row(*id, kind, scope.employee_id(), json!({}), now))).await?;
    let moved = visible(&txn, scope, &ids).await?;
    txn.commit().await?;
    Ok(moved)
}

/// Deletes leads for good, in any state (CRM-4); answers how many.
pub async fn delete(state: &AppState, scope: &Scope, ids: &[i64]) -> AppResult<u64> {
    let ids = batch(ids)?;
    let txn = crate::db::write_txn(&state.db).await?;
    let found: Vec<i64> = visible(&txn, scope, &ids).await?.into_iter().map(|l| l.id).collect();
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("ids"));
    }
    // Follow-ups and custom values point at their subject by kind and id, without a key: they go with the lead.
    scope
        .delete_many::<entity::follow_up::Entity>()
        .filter(entity::follow_up::Column::SubjectKind.eq("LEAD"))
        .filter(entity::follow_up::Column::SubjectId.is_in(found.clone()))
        .exec(&txn)
        .await?;
    scope
        .delete_many::<entity::custom_field_value::Entity>()
        .filter(entity::custom_field_value::Column::EntityKind.eq(FieldEntity::Lead.as_str()))
        .filter(entity::custom_field_value::Column::EntityId.is_in(found.clone()))
        .exec(&txn)
        .await?;
    let done = scope.delete_many::<lead::Entity>().filter(lead::Column::Id.is_in(found)).exec(&txn).await?;
    txn.commit().await?;
    Ok(done.rows_affected)
}

/// Adds and removes corp tags on leads of any state but CONVERTED (CRM-4),
/// logging what changed on each.
pub async fn tag(state: &AppState, scope: &Scope, ids: &[i64], add: &[i64], remove: &[i64]) -> AppResult<Vec<lead::Model>> {
    let ids = batch(ids)?;
    let (add, remove): (BTreeSet<i64>, BTreeSet<i64>) = (add.iter().copied().collect(), remove.iter().copied().collect());
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let known: BTreeSet<i64> = scope
        .select::<corp_tag::Entity>()
        .filter(corp_tag::Column::Id.is_in(add.iter().chain(&remove).copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if let Some(_missing) = add.iter().chain(&remove).find(|t| !known.contains(t)) {
        return Err(AppError::bad_input("addTagIds", TAG_MISSING));
    }
    let found = visible(&txn, scope, &ids).await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("ids"));
    }
    if found.iter().any(|l| l.status == LeadStatus::Converted.as_str()) {
        return Err(AppError::conflict(NOT_ACTIVE).with_field("ids"));
    }
    let mut had: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for t in scope.select::<lead_tag::Entity>().filter(lead_tag::Column::LeadId.is_in(ids.iter().copied())).all(&txn).await? {
        had.entry(t.lead_id).or_default().insert(t.tag_id);
    }
    let mut inserts = Vec::new();
    let mut logs = Vec::new();
    for id in &ids {
        let have = had.remove(id).unwrap_or_default();
        let added: Vec<i64> = add.iter().filter(|t| !have.contains(t) && !remove.contains(t)).copied().collect();
        let removed: Vec<i64> = remove.iter().filter(|t| have.contains(t)).copied().collect();
        inserts.extend(added.iter().map(|t| lead_tag::ActiveModel { lead_id: Set(*id), tag_id: Set(*t), ..Default::default() }));
        if !added.is_empty() || !removed.is_empty() {
            logs.push(log_row(*id, event::TAGS_UPDATED, scope.employee_id(), json!({"added": added, "removed": removed}), now));
        }
    }
    if !remove.is_empty() {
        scope
            .delete_many::<lead_tag::Entity>()
            .filter(lead_tag::Column::LeadId.is_in(ids.iter().copied()))
            .filter(lead_tag::Column::TagId.is_in(remove.iter().copied()))
            .exec(&txn)
            .await?;
    }
    // SQLite binds at most 32,766 values a statement.
    for chunk in inserts.chunks(5000) {
        scope.insert_many(&txn, chunk.to_vec()).await?;
    }
    for chunk in logs.chunks(5000) {
        scope.insert_many(&txn, chunk.to_vec()).await?;
    }
    let out = visible(&txn, scope, &ids).await?;
    txn.commit().await?;
    Ok(out)
}

/// The lead list's filters (CRM-1); all given ones apply (AND).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<LeadStatus>,
    /// Substrings.
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub company: Option<String>,
    pub channel: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub owner_ids: Option<Vec<i64>>,
    /// `true`: only leads nobody is assigned; `false`: only assigned ones.
    pub unassigned: Option<bool>,
    /// Carries any of these tags.
    pub tag_ids: Option<Vec<i64>>,
    /// Not followed up (nor created) within this many days.
    pub min_days_not_followed: Option<i64>,
}

fn substring(column: lead::Column, needle: &Option<String>) -> Option<Condition> {
    let n = needle.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    Some(Condition::all().add(column.contains(n)))
}

/// The visible leads matching the filter, newest first.
pub fn list(scope: &Scope, f: &Filter, now: DateTime<Utc>) -> Select<lead::Entity> {
    let mut q = scope
        .select_visible::<lead::Entity>()
        .filter(lead::Column::Status.eq(f.status.unwrap_or(LeadStatus::Active).as_str()))
        .order_by_desc(lead::Column::Id);
    for c in [
        substring(lead::Column::Name, &f.name),
        substring(lead::Column::Mobile, &f.mobile),
        substring(lead::Column::CompanyName, &f.company),
    ]
    .into_iter()
    .flatten()
    {
        q = q.filter(c);
    }
    if let Some(ch) = f.channel.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(lead::Column::Channel.eq(ch));
    }
    if let Some(t) = f.created_from {
        q = q.filter(lead::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(lead::Column::CreatedAt.lte(t));
    }
    if let Some(owners) = &f.owner_ids {
        q = q.filter(lead::Column::OwnerId.is_in(owners.iter().copied()));
    }
    match f.unassigned {
        Some(true) => q = q.filter(lead::Column::OwnerId.is_null()),
        Some(false) => q = q.filter(lead::Column::OwnerId.is_not_null()),
        None => {}
    }
    if let Some(tags) = &f.tag_ids {
        let tagged = scope
            .subquery::<lead_tag::Entity>(lead_tag::Column::LeadId)
            .and_where(lead_tag::Column::TagId.is_in(tags.iter().copied()))
            .to_owned();
        q = q.filter(lead::Column::Id.in_subquery(tagged));
    }
    if let Some(days) = f.min_days_not_followed {
        let since = now - Duration::days(days.max(0));
        q = q.filter(
            Condition::any()
                .add(lead::Column::LastFollowUpAt.lte(since))
                .add(Condition::all().add(lead::Column::LastFollowUpAt.is_null()).add(lead::Column::CreatedAt.lte(since))),
        );
    }
    q
}

/// Whole days since the last follow-up (or the creation, if never followed).
pub fn days_not_followed(l: &lead::Model, now: DateTime<Utc>) -> i64 {
    (now - l.last_follow_up_at.unwrap_or(l.created_at)).num_days().max(0)
}

/// A lead's change log, newest first.
pub fn log(scope: &Scope, lead_id: i64) -> Select<lead_event::Entity> {
    scope.select::<lead_event::Entity>().filter(lead_event::Column::LeadId.eq(lead_id)).order_by_desc(lead_event::Column::Id)
}
