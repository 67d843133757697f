//! Pulling the organisation from WeCom (ORG-1, ORG-6).
//!
//! A full sync is a durable job: departments first (parents before children,
//! sibling order from WeCom's `order`, larger first), then members with their
//! departments. Rows are matched on WeCom's ids, so re-running changes nothing
//! and a crashed run simply runs again. Callbacks keep the corp current in
//! between; a nightly run repairs what callbacks missed.

use std::collections::{HashMap, HashSet};

use chrono::{TimeZone, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    link::link,
    progress::{Checkpoint, SyncOutcome},
};
use crate::{
    error::{AppError, AppResult, Code, Msg},
    integrations::wecom::types,
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    org::{employees::normalize_mobile, wecom_consent::gender_from_wecom},
    state::AppState,
    tenancy::Auth,
    tenancy::Scope,
};
use entity::{department, employee, employee_department, employee_role, job, role, wecom_binding};

const NOT_BOUND: Msg = Msg::new("WECOM_NOT_BOUND", "企业尚未绑定企业微信", "The corp is not bound to WeCom");
const DAILY_LIMIT: Msg =
    Msg::new("SYNC_DAILY_LIMIT", "每天最多手动同步2次，请明天再试", "At most 2 manual syncs a day; try again tomorrow");
const TOO_SOON: Msg = Msg::new("SYNC_TOO_SOON", "两次手动同步需间隔至少10分钟", "Manual syncs must be at least 10 minutes apart");

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SyncRequest {
    pub corp_id: i64,
    /// Departments and members only: the cheap hourly reconciliation.
    #[serde(default)]
    pub org_only: bool,
}

/// Starts a manual sync: at most 2 a day per corp (China's day), ≥ 10 minutes apart.
pub async fn start_manual(db: &DatabaseConnection, jobs: &crate::jobs::JobQueue, auth: &Auth) -> AppResult<job::Model> {
    if super::binding::get(db, &auth.scope).await?.is_none() {
        return Err(AppError::bad_input("corp", NOT_BOUND));
    }
    let china = crate::clock::china();
    let today = china.from_utc_datetime(&Utc::now().naive_utc()).date_naive();
    let day_start = crate::clock::china_midnight(today);
    let manual = auth
        .scope
        .select::<job::Entity>()
        .filter(job::Column::Kind.eq(SyncJob::KIND))
        .filter(job::Column::CreatedBy.is_not_null())
        .filter(job::Column::CreatedAt.gte(day_start))
        .order_by_desc(job::Column::CreatedAt)
        .all(db)
        .await?;
    if manual.len() >= 2 {
        return Err(AppError::new(Code::RateLimited, DAILY_LIMIT));
    }
    if manual.first().is_some_and(|j| Utc::now() - j.created_at < chrono::Duration::minutes(10)) {
        return Err(AppError::new(Code::RateLimited, TOO_SOON));
    }
    jobs.enqueue::<SyncJob>(db, NewJob::for_user(auth), &SyncRequest { corp_id: auth.corp_id, org_only: false }).await
}

pub struct SyncJob;

impl JobKind for SyncJob {
    const KIND: &'static str = "wecom.sync";
    type Payload = SyncRequest;
}

#[async_trait::async_trait]
impl JobHandler for SyncJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, req: SyncRequest) -> Result<Value, JobError> {
        let out = run_pass(&ctx.state, req.corp_id, req.org_only, Some(ctx)).await?;
        Ok(serde_json::to_value(out).map_err(|e| JobError::Retry(e.into()))?)
    }
}

/// One full pass (the job's body; the demo runs it inline). `ctx` receives progress.
pub async fn run(state: &AppState, corp_id: i64, ctx: Option<&JobCtx>) -> Result<SyncOutcome, JobError> {
    run_pass(state, corp_id, false, ctx).await
}

async fn run_pass(state: &AppState, corp_id: i64, org_only: bool, ctx: Option<&JobCtx>) -> Result<SyncOutcome, JobError> {
    let Some(link) = link(state, corp_id).await? else {
        return Err(JobError::Permanent { code: Code::BadUserInput, msg: NOT_BOUND });
    };
    let progress = |pct: i32, what: &'static str| async move {
        match ctx {
            Some(c) => c.progress(pct, what).await,
            None => Ok(()),
        }
    };
    let scope = Scope::system(corp_id);
    let resume: Option<Checkpoint> = ctx.and_then(|c| c.checkpoint()).and_then(|v| serde_json::from_value(v).ok());
    // The org pass always runs (cheap, idempotent); on a resumed attempt its
    // counts were already recorded by the first.
    let mut org = SyncOutcome::default();
    progress(5, "departments").await?;
    // Whatever part of the directory WeCom refuses, the rest still syncs, and
    // customer-contact members come from their own list.
    let dir = super::directory::read(&link).await.map_err(|e| JobError::from_app(e.into()))?;
    org.skipped.extend(dir.refused.iter().cloned());
    let locals_before: Vec<employee::Model> = scope.select::<employee::Entity>().all(&state.db).await.map_err(AppError::from)?;
    let mut listed: HashSet<String> = locals_before.iter().map(|e| e.userid.clone()).collect();
    let map = match &dir.departments {
        Some(depts) => apply_departments(&state.db, &scope, depts, &mut org).await?,
        None => apply_departments(&state.db, &scope, &[], &mut org).await?,
    };
    progress(40, "members").await?;
    let basic = basic_role(&state.db, &scope).await?;
    if let Some(users) = &dir.members {
        for (i, u) in users.iter().enumerate() {
            apply_user(&state.db, &scope, u, &map, basic, &mut org).await?;
            if i % 200 == 199 {
                progress(40 + (15 * i / users.len().max(1)) as i32, "members").await?;
            }
        }
        listed = users.iter().map(|u| u.userid.clone()).collect();
    }
    // Customer-contact members the directory did not show (outside what the
    // secrets may read) are still employees: known by userid until filled in.
    for userid in dir.follow_users.iter().filter(|u| !listed.contains(u.as_str())) {
        apply_user(&state.db, &scope, &super::directory::named_by_id(userid), &map, basic, &mut org).await?;
    }
    listed.extend(dir.follow_users.iter().cloned());
    let locals: Vec<employee::Model> = scope.select::<employee::Entity>().all(&state.db).await.map_err(AppError::from)?;
    super::employee_tag_sync::sync_employee_tags(&state.db, &scope, &link, &mut org).await?;
    if dir.members.is_some() {
        org.employees_missing = locals.iter().filter(|e| !e.is_super_admin && !listed.contains(&e.userid)).count() as u32;
    }
    let mut out = match &resume {
        Some(r) => r.out.clone(),
        None => org,
    };
    // Customers, tags and groups need the customer-contact secret.
    if !org_only && (link.creds.external_secret.is_some() || link.creds.agent_secret.is_some()) {
        let employees: HashMap<String, i64> =
            locals.iter().filter(|e| listed.contains(e.userid.as_str())).map(|e| (e.userid.clone(), e.id)).collect();
        let mut at = resume.unwrap_or_default();
        if at.phase.is_empty() {
            progress(60, "tags").await?;
            super::tag_sync::sync_tags(&state.db, &scope, &link, &mut out).await?;
            at = Checkpoint { phase: "customers".into(), out: out.clone(), ..Default::default() };
            at.save(ctx).await?;
        }
        if at.phase == "customers" {
            progress(65, "customers").await?;
            super::customer_sync::sync_customers(&state.db, &scope, &link, &employees, &mut out, (at.chunk, at.cursor.clone()), ctx)
                .await?;
            at = Checkpoint { phase: "groups".into(), out: out.clone(), ..Default::default() };
            at.save(ctx).await?;
        }
        progress(85, "groups").await?;
        super::customer_sync::sync_groups(&state.db, &scope, &link, &employees, &mut out, at.next_chat, ctx).await?;
    }
    Ok(out)
}

/// Queues one sync per bound corp, once per corp and `slot` (a platform sweep).
async fn sync_every_bound_corp(ctx: &JobCtx, name: &str, slot: &str, org_only: bool) -> Result<Value, JobError> {
    let corps: Vec<i64> = crate::tenancy::across_corps::<wecom_binding::Entity>()
        .select_only()
        .column(wecom_binding::Column::CorpId)
        .into_tuple()
        .all(&ctx.state.db)
        .await
        .map_err(AppError::from)?;
    for corp_id in &corps {
        let new = NewJob { corp_id: Some(*corp_id), ..NewJob::system() }.dedup(format!("{name}:{corp_id}:{slot}"));
        ctx.state.jobs.enqueue::<SyncJob>(&ctx.state.db, new, &SyncRequest { corp_id: *corp_id, org_only }).await?;
    }
    Ok(json!({"corps": corps.len()}))
}

/// Fires a sync for every bound corp (scheduled nightly).
pub struct NightlySyncJob;

impl JobKind for NightlySyncJob {
    const KIND: &'static str = "wecom.nightly_sync";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for NightlySyncJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        sync_every_bound_corp(ctx, "wecom-nightly", &Utc::now().format("%Y-%m-%d").to_string(), false).await
    }
}

/// Callbacks get lost: every hour, a departments-and-members pass per bound
/// corp (cheap; the nightly run covers customers and groups).
pub struct HourlyReconcileJob;

impl JobKind for HourlyReconcileJob {
    const KIND: &'static str = "wecom.hourly_reconcile";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for HourlyReconcileJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        sync_every_bound_corp(ctx, "wecom-hourly", &Utc::now().format("%Y-%m-%dT%H").to_string(), true).await
    }
}

async fn basic_role(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Option<i64>> {
    Ok(scope
        .select::<role::Entity>()
        .filter(role::Column::Name.eq(crate::org::roles::BASIC_ROLE_NAME))
        .filter(role::Column::IsSuper.eq(false))
        .one(db)
        .await?
        .map(|r| r.id))
}

/// Upserts WeCom's departments; returns WeCom id → local id.
pub async fn apply_departments(
    db: &DatabaseConnection,
    scope: &Scope,
    depts: &[types::Department],
    out: &mut SyncOutcome,
) -> AppResult<HashMap<i64, i64>> {
    let locals = scope.select::<department::Entity>().all(db).await?;
    let mut map: HashMap<i64, i64> = locals.iter().filter_map(|d| d.wecom_id.map(|w| (w, d.id))).collect();
    let local_root = locals.iter().find(|d| d.parent_id.is_none()).map(|d| d.id);
    let by_id: HashMap<i64, &department::Model> = locals.iter().map(|d| (d.id, d)).collect();
    // Parents before children.
    let mut pending: Vec<&types::Department> = depts.iter().collect();
    let mut progress = true;
    while !pending.is_empty() && progress {
        progress = false;
        let mut rest = Vec::new();
        for d in pending {
            let parent_local = if d.parentid == 0 { None } else { map.get(&d.parentid).copied() };
            if d.parentid != 0 && parent_local.is_none() {
                rest.push(d);
                continue;
            }
            progress = true;
            // Known by id only (no secret may read names): a placeholder until one may.
            let name = if d.name.is_empty() { None } else { Some(d.name.clone()) };
            // Sibling order: WeCom sorts larger `order` first.
            let sort = depts.iter().filter(|x| x.parentid == d.parentid && x.order > d.order).count() as i32;
            let now = Utc::now();
            match map.get(&d.id).and_then(|id| by_id.get(id)).copied().or_else(|| {
                if d.parentid == 0 {
                    local_root.and_then(|r| by_id.get(&r).copied())
                } else {
                    None
                }
            }) {
                Some(existing) => {
                    let leaders = match name {
                        Some(_) => serde_json::to_string(&d.department_leader).unwrap_or_else(|_| "[]".into()),
                        None => existing.leader_userids.clone(),
                    };
                    let name = name.unwrap_or_else(|| existing.name.clone());
                    if existing.name != name
                        || existing.leader_userids != leaders
                        || existing.parent_id != parent_local
                        || existing.sort != sort
                        || existing.wecom_id != Some(d.id)
                    {
                        let mut am: department::ActiveModel = existing.clone().into();
                        am.name = Set(name);
                        am.parent_id = Set(parent_local);
                        am.sort = Set(sort);
                        am.wecom_id = Set(Some(d.id));
                        am.leader_userids = Set(leaders);
                        am.updated_at = Set(now);
                        scope.update(db, am).await?;
                        out.departments_updated += 1;
                    }
                    map.insert(d.id, existing.id);
                }
                None => {
                    let created = scope
                        .insert(
                            db,
                            department::ActiveModel {
                                parent_id: Set(parent_local),
                                name: Set(name.unwrap_or_else(|| format!("部门{}", d.id))),
                                sort: Set(sort),
                                wecom_id: Set(Some(d.id)),
                                leader_userids: Set(serde_json::to_string(&d.department_leader).unwrap_or_else(|_| "[]".into())),
                                created_at: Set(now),
                                updated_at: Set(now),
                                ..Default::default()
                            },
                        )
                        .await?;
                    map.insert(d.id, created.id);
                    out.departments_created += 1;
                }
            }
        }
        pending = rest;
    }
    Ok(map)
}

/// Upserts one member by userid; new members start with system access closed
/// and the basic role (ORG-4, ORG-5).
pub async fn apply_user(
    db: &DatabaseConnection,
    scope: &Scope,
    u: &types::User,
    departments: &HashMap<i64, i64>,
    basic_role: Option<i64>,
    out: &mut SyncOutcome,
) -> AppResult<()> {
    // What WeCom did not send is unknown, not empty: apps have read no
    // mobile, gender, email, avatar or address since 2022, and a member known
    // only by userid has no name yet. Those keep their local values.
    let mobile =
        u.mobile.as_deref().map(|m| if m.is_empty() { String::new() } else { normalize_mobile(m).unwrap_or_else(|_| m.to_string()) });
    let name = Some(u.name.clone()).filter(|n| !n.is_empty());
    let mut dept_ids: Vec<i64> = u.department.iter().filter_map(|d| departments.get(d).copied()).collect();
    dept_ids.sort_unstable();
    dept_ids.dedup();
    let existing = scope.select::<employee::Entity>().filter(employee::Column::Userid.eq(&u.userid)).one(db).await?;
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    match existing {
        Some(e) => {
            let name = name.unwrap_or_else(|| e.name.clone());
            let mobile = mobile.unwrap_or_else(|| e.mobile.clone());
            let position = u.position.clone().or_else(|| e.position.clone());
            let gender = gender_from_wecom(u.gender.as_deref()).or_else(|| e.gender.clone());
            let email = u.email.clone().or_else(|| e.email.clone());
            let alias = u.alias.clone().or_else(|| e.alias.clone());
            let avatar = u.avatar.clone().or_else(|| e.avatar.clone());
            let activated = u.status.map_or(e.activated, |s| s == 1);
            let changed = e.name != name
                || e.mobile != mobile
                || e.position != position
                || e.gender != gender
                || e.email != email
                || e.alias != alias
                || e.avatar != avatar
                || e.activated != activated;
            let id = e.id;
            if changed {
                let mut am: employee::ActiveModel = e.into();
                am.name = Set(name);
                am.mobile = Set(mobile);
                am.position = Set(position);
                am.gender = Set(gender);
                am.email = Set(email);
                am.alias = Set(alias);
                am.avatar = Set(avatar);
                am.activated = Set(activated);
                am.updated_at = Set(now);
                scope.update(&txn, am).await?;
            }
            let current: Vec<i64> = {
                let mut v: Vec<i64> = scope
                    .select::<employee_department::Entity>()
                    .filter(employee_department::Column::EmployeeId.eq(id))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|l| l.department_id)
                    .collect();
                v.sort_unstable();
                v
            };
            let depts_changed = current != dept_ids && !dept_ids.is_empty();
            if depts_changed {
                scope
                    .delete_many::<employee_department::Entity>()
                    .filter(employee_department::Column::EmployeeId.eq(id))
                    .exec(&txn)
                    .await?;
                scope
                    .insert_many(
                        &txn,
                        dept_ids.iter().map(|d| employee_department::ActiveModel {
                            employee_id: Set(id),
                            department_id: Set(*d),
                            ..Default::default()
                        }),
                    )
                    .await?;
            }
            if changed || depts_changed {
                out.employees_updated += 1;
            }
        }
        None => {
            let e = scope
                .insert(
                    &txn,
                    employee::ActiveModel {
                        userid: Set(u.userid.clone()),
                        name: Set(name.unwrap_or_else(|| u.userid.clone())),
                        alias: Set(u.alias.clone()),
                        gender: Set(gender_from_wecom(u.gender.as_deref())),
                        mobile: Set(mobile.unwrap_or_default()),
                        email: Set(u.email.clone()),
                        landline: Set(u.telephone.clone()),
                        address: Set(u.address.clone()),
                        position: Set(u.position.clone()),
                        avatar: Set(u.avatar.clone()),
                        activated: Set(u.status == Some(1)),
                        system_enabled: Set(false),
                        is_super_admin: Set(false),
                        password_hash: Set(None),
                        created_by: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                )
                .await?;
            scope
                .insert_many(
                    &txn,
                    dept_ids.iter().map(|d| employee_department::ActiveModel {
                        employee_id: Set(e.id),
                        department_id: Set(*d),
                        ..Default::default()
                    }),
                )
                .await?;
            if let Some(r) = basic_role {
                scope.insert(&txn, employee_role::ActiveModel { employee_id: Set(e.id), role_id: Set(r), ..Default::default() }).await?;
            }
            out.employees_created += 1;
        }
    }
    txn.commit().await?;
    Ok(())
}
