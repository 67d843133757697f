//! Employees (ORG-3…5, ORG-7): the list with its filters, create / edit /
//! delete, system access against the seat quota, and bulk operations.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{departments, roles};
use crate::ports::deletion::DeletionGuards;
use crate::{
    custom_fields::{conditions, service as fields, FieldCondition, FieldEntity},
    error::{msg, AppError, AppResult, Msg},
    integrations::wecom::types::WriteUser,
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{corp, employee, employee_department, employee_role, employee_tag_member, session};

const USERID_INVALID: Msg = Msg::new("USERID_INVALID", "账号为1-64位字母、数字或_-.@", "Account must be 1-64 letters, digits or _-.@");
const NAME_INVALID: Msg = Msg::new("EMPLOYEE_NAME_INVALID", "姓名为1-64个字", "Name must be 1-64 characters");
const MOBILE_INVALID: Msg = Msg::new("MOBILE_INVALID", "手机号格式不正确", "Invalid mobile number");
const EMAIL_INVALID: Msg = Msg::new("EMAIL_INVALID", "邮箱格式不正确", "Invalid email address");
const DEPARTMENT_REQUIRED: Msg = Msg::new("DEPARTMENT_REQUIRED", "请选择部门", "Choose at least one department");
const ROLE_REQUIRED: Msg = Msg::new("ROLE_REQUIRED", "请选择角色", "Choose at least one role");
pub const DEPARTMENT_NOT_IN_WECOM: Msg =
    Msg::new("DEPARTMENT_NOT_IN_WECOM", "所选部门尚未同步到企业微信，请先同步", "A chosen department is not in WeCom yet; sync first");

/// The employee list's filter; also the selection of a bulk operation. All
/// conditions are combined with AND.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EmployeeQuery {
    /// Name or mobile, substring.
    pub keyword: Option<String>,
    /// Members of any of these departments.
    pub department_ids: Vec<i64>,
    pub include_sub_departments: bool,
    /// Members of any of these employee tags (directly or through a tagged department).
    pub tag_ids: Vec<i64>,
    pub role_id: Option<i64>,
    pub system_enabled: Option<bool>,
    pub conditions: Vec<FieldCondition>,
}

/// System fields usable in conditions.
fn system_column(name: &str) -> Option<employee::Column> {
    Some(match name {
        "NAME" => employee::Column::Name,
        "USERID" => employee::Column::Userid,
        "ALIAS" => employee::Column::Alias,
        "GENDER" => employee::Column::Gender,
        "MOBILE" => employee::Column::Mobile,
        "EMAIL" => employee::Column::Email,
        "LANDLINE" => employee::Column::Landline,
        "ADDRESS" => employee::Column::Address,
        "POSITION" => employee::Column::Position,
        _ => return None,
    })
}

impl EmployeeQuery {
    pub async fn condition(&self, db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Condition> {
        let mut cond = Condition::all();
        if let Some(k) = self.keyword.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            cond = cond.add(Condition::any().add(employee::Column::Name.contains(k)).add(employee::Column::Mobile.contains(k)));
        }
        if !self.department_ids.is_empty() {
            let depts = if self.include_sub_departments {
                departments::with_descendants(db, scope, &self.department_ids).await?
            } else {
                self.department_ids.clone()
            };
            cond = cond.add(employee::Column::Id.in_subquery(members_of(scope, &depts)));
        }
        if !self.tag_ids.is_empty() {
            let direct = scope
                .subquery::<employee_tag_member::Entity>(employee_tag_member::Column::EmployeeId)
                .and_where(employee_tag_member::Column::TagId.is_in(self.tag_ids.clone()))
                .and_where(employee_tag_member::Column::EmployeeId.is_not_null())
                .to_owned();
            let tagged_depts = scope
                .subquery::<employee_tag_member::Entity>(employee_tag_member::Column::DepartmentId)
                .and_where(employee_tag_member::Column::TagId.is_in(self.tag_ids.clone()))
                .and_where(employee_tag_member::Column::DepartmentId.is_not_null())
                .to_owned();
            let via_dept = scope
                .subquery::<employee_department::Entity>(employee_department::Column::EmployeeId)
                .and_where(employee_department::Column::DepartmentId.in_subquery(tagged_depts))
                .to_owned();
            cond = cond.add(Condition::any().add(employee::Column::Id.in_subquery(direct)).add(employee::Column::Id.in_subquery(via_dept)));
        }
        if let Some(role_id) = self.role_id {
            let holders = scope
                .subquery::<employee_role::Entity>(employee_role::Column::EmployeeId)
                .and_where(employee_role::Column::RoleId.eq(role_id))
                .to_owned();
            cond = cond.add(employee::Column::Id.in_subquery(holders));
        }
        if let Some(e) = self.system_enabled {
            cond = cond.add(employee::Column::SystemEnabled.eq(e));
        }
        cond =
            cond.add(conditions::compile(db, scope, FieldEntity::Employee, employee::Column::Id, &self.conditions, system_column).await?);
        Ok(cond)
    }
}

fn members_of(scope: &Scope, departments: &[i64]) -> sea_orm::sea_query::SelectStatement {
    scope
        .subquery::<employee_department::Entity>(employee_department::Column::EmployeeId)
        .and_where(employee_department::Column::DepartmentId.is_in(departments.iter().copied()))
        .to_owned()
}

/// Visible employees matching the filter, newest first.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, q: &EmployeeQuery) -> AppResult<Select<employee::Entity>> {
    Ok(scope
        .select_visible::<employee::Entity>()
        .filter(q.condition(db, scope).await?)
        .order_by_desc(employee::Column::CreatedAt)
        .order_by_desc(employee::Column::Id))
}

#[derive(Default)]
pub struct EmployeeFields {
    pub name: Option<String>,
    pub alias: Option<Option<String>>,
    pub gender: Option<Option<String>>,
    pub mobile: Option<String>,
    pub email: Option<Option<String>>,
    pub landline: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub position: Option<Option<String>>,
    pub department_ids: Option<Vec<i64>>,
    pub role_ids: Option<Vec<i64>>,
    pub custom_fields: Vec<(i64, Option<Value>)>,
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn validate_userid(userid: &str) -> AppResult<String> {
    let u = userid.trim();
    if u.is_empty() || u.len() > 64 || !u.chars().all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c)) {
        return Err(AppError::bad_input("userid", USERID_INVALID));
    }
    Ok(u.to_string())
}

fn validate_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    let len = n.chars().count();
    if len == 0 || len > 64 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(n.to_string())
}

/// Mobile with optional country code; "+86" is assumed when none is given.
pub fn normalize_mobile(mobile: &str) -> AppResult<String> {
    let m = mobile.trim();
    let (code, number) = match m.strip_prefix('+') {
        Some(rest) => match rest.split_once([' ', '-']) {
            Some((c, n)) => (c.to_string(), n.replace([' ', '-'], "")),
            None => return Err(AppError::bad_input("mobile", MOBILE_INVALID)),
        },
        None => ("86".to_string(), m.replace([' ', '-'], "")),
    };
    let ok = !code.is_empty()
        && code.len() <= 4
        && code.chars().all(|c| c.is_ascii_digit())
        && (5..=15).contains(&number.len())
        && number.chars().all(|c| c.is_ascii_digit());
    if !ok {
        return Err(AppError::bad_input("mobile", MOBILE_INVALID));
    }
    Ok(format!("+{code} {number}"))
}

fn validate_email(email: Option<String>) -> AppResult<Option<String>> {
    match clean(email) {
        None => Ok(None),
        Some(e) => {
            let ok = e.len() <= 128
                && e.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'));
            if ok {
                Ok(Some(e))
            } else {
                Err(AppError::bad_input("email", EMAIL_INVALID))
            }
        }
    }
}

fn validate_gender(g: Option<String>) -> AppResult<Option<String>> {
    match clean(g) {
        None => Ok(None),
        Some(g) if g == "MALE" || g == "FEMALE" => Ok(Some(g)),
        Some(_) => Err(AppError::bad_input("gender", Msg::new("GENDER_INVALID", "性别无效", "Invalid gender"))),
    }
}

async fn set_departments(db: &impl ConnectionTrait, scope: &Scope, employee_id: i64, ids: &[i64]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::bad_input("departmentIds", DEPARTMENT_REQUIRED));
    }
    let found =
        scope.select::<entity::department::Entity>().filter(entity::department::Column::Id.is_in(ids.iter().copied())).count(db).await?;
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if found != unique.len() as u64 {
        return Err(AppError::not_found().with_field("departmentIds"));
    }
    scope.delete_many::<employee_department::Entity>().filter(employee_department::Column::EmployeeId.eq(employee_id)).exec(db).await?;
    scope
        .insert_many(
            db,
            unique.into_iter().map(|d| employee_department::ActiveModel {
                employee_id: Set(employee_id),
                department_id: Set(d),
                ..Default::default()
            }),
        )
        .await
}

async fn set_roles(db: &impl ConnectionTrait, scope: &Scope, employee_id: i64, ids: &[i64]) -> AppResult<()> {
    if ids.is_empty() {
        return Err(AppError::bad_input("roleIds", ROLE_REQUIRED));
    }
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    roles::ensure_assignable(db, scope, &unique).await?;
    scope.delete_many::<employee_role::Entity>().filter(employee_role::Column::EmployeeId.eq(employee_id)).exec(db).await?;
    scope
        .insert_many(
            db,
            unique.into_iter().map(|r| employee_role::ActiveModel { employee_id: Set(employee_id), role_id: Set(r), ..Default::default() }),
        )
        .await
}

/// New employees start with system access closed (ORG-5).
/// WeCom's mobile: the national number for +86, "+CC number" otherwise.
fn wecom_mobile(mobile: &str) -> String {
    mobile.strip_prefix("+86 ").map(str::to_string).unwrap_or_else(|| mobile.to_string())
}

/// The member as WeCom should hold it, with the departments' WeCom ids.
async fn wecom_user(db: &impl ConnectionTrait, scope: &Scope, e: &employee::Model) -> AppResult<WriteUser> {
    let depts = scope
        .select::<entity::department::Entity>()
        .filter(entity::department::Column::Id.in_subquery(members_departments(scope, e.id)))
        .all(db)
        .await?;
    let department = depts
        .iter()
        .map(|d| d.wecom_id.ok_or_else(|| AppError::bad_input("departmentIds", DEPARTMENT_NOT_IN_WECOM)))
        .collect::<AppResult<Vec<i64>>>()?;
    Ok(WriteUser {
        userid: e.userid.clone(),
        name: Some(e.name.clone()),
        mobile: Some(wecom_mobile(&e.mobile)),
        department: Some(department),
        position: e.position.clone(),
        gender: e.gender.as_deref().map(|g| if g == "MALE" { "1" } else { "2" }.to_string()),
        email: e.email.clone(),
        alias: e.alias.clone(),
        telephone: e.landline.clone(),
        address: e.address.clone(),
    })
}

fn members_departments(scope: &Scope, employee_id: i64) -> sea_orm::sea_query::SelectStatement {
    scope
        .subquery::<employee_department::Entity>(employee_department::Column::DepartmentId)
        .and_where(employee_department::Column::EmployeeId.eq(employee_id))
        .to_owned()
}

/// New employees start with system access closed (ORG-5). With a WeCom link
/// the member is created in WeCom before the local rows commit; if WeCom
/// refuses, nothing is kept.
pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    userid: &str,
    f: EmployeeFields,
) -> AppResult<employee::Model> {
    let userid = validate_userid(userid)?;
    let name = validate_name(f.name.as_deref().unwrap_or(""))?;
    let mobile = normalize_mobile(f.mobile.as_deref().ok_or_else(|| AppError::bad_input("mobile", msg::REQUIRED))?)?;
    let email = validate_email(f.email.flatten())?;
    let gender = validate_gender(f.gender.flatten())?;
    let department_ids = f.department_ids.unwrap_or_default();
    let role_ids = f.role_ids.unwrap_or_default();
    let txn = crate::db::write_txn(db).await?;
    let taken = scope.select::<employee::Entity>().filter(employee::Column::Userid.eq(&userid)).count(&txn).await?;
    if taken > 0 {
        return Err(AppError::conflict(msg::DUPLICATE_USERID).with_field("userid"));
    }
    let now = Utc::now();
    let e = scope
        .insert(
            &txn,
            employee::ActiveModel {
                userid: Set(userid),
                name: Set(name),
                alias: Set(clean(f.alias.flatten())),
                gender: Set(gender),
                mobile: Set(mobile),
                email: Set(email),
                landline: Set(clean(f.landline.flatten())),
                address: Set(clean(f.address.flatten())),
                position: Set(clean(f.position.flatten())),
                avatar: Set(None),
                activated: Set(false),
                system_enabled: Set(false),
                is_super_admin: Set(false),
                password_hash: Set(None),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    set_departments(&txn, scope, e.id, &department_ids).await?;
    set_roles(&txn, scope, e.id, &role_ids).await?;
    fields::write_values(&txn, scope, FieldEntity::Employee, e.id, &f.custom_fields, true).await?;
    if let Some(l) = wecom {
        let body = wecom_user(&txn, scope, &e).await?;
        l.client.user_create(&l.creds, &body).await?;
    }
    txn.commit().await?;
    Ok(e)
}

/// Everything but the userid, which is immutable.
pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    id: i64,
    f: EmployeeFields,
) -> AppResult<employee::Model> {
    let txn = crate::db::write_txn(db).await?;
    let current = scope.get_visible::<employee::Entity>(&txn, id).await?;
    if f.role_ids.is_some() && current.is_super_admin {
        return Err(AppError::forbidden().with_field("roleIds"));
    }
    let mut am: employee::ActiveModel = current.into();
    if let Some(n) = f.name {
        am.name = Set(validate_name(&n)?);
    }
    if let Some(m) = f.mobile {
        am.mobile = Set(normalize_mobile(&m)?);
    }
    if let Some(v) = f.alias {
        am.alias = Set(clean(v));
    }
    if let Some(v) = f.gender {
        am.gender = Set(validate_gender(v)?);
    }
    if let Some(v) = f.email {
        am.email = Set(validate_email(v)?);
    }
    if let Some(v) = f.landline {
        am.landline = Set(clean(v));
    }
    if let Some(v) = f.address {
        am.address = Set(clean(v));
    }
    if let Some(v) = f.position {
        am.position = Set(clean(v));
    }
    am.updated_at = Set(Utc::now());
    let e = scope.update(&txn, am).await?;
    if let Some(d) = f.department_ids {
        set_departments(&txn, scope, id, &d).await?;
    }
    if let Some(r) = f.role_ids {
        set_roles(&txn, scope, id, &r).await?;
    }
    fields::write_values(&txn, scope, FieldEntity::Employee, id, &f.custom_fields, false).await?;
    if let Some(l) = wecom {
        let body = wecom_user(&txn, scope, &e).await?;
        l.client.user_update(&l.creds, &body).await?;
    }
    txn.commit().await?;
    Ok(e)
}

pub async fn delete(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, guards: &DeletionGuards, id: i64) -> AppResult<()> {
    let e = scope.get_visible::<employee::Entity>(db, id).await?;
    if e.is_super_admin {
        return Err(AppError::conflict(msg::SUPER_ADMIN_IMMUTABLE));
    }
    for g in guards.iter() {
        g.check(db, scope, id).await?;
    }
    let txn = crate::db::write_txn(db).await?;
    scope.delete_many::<employee_department::Entity>().filter(employee_department::Column::EmployeeId.eq(id)).exec(&txn).await?;
    scope.delete_many::<employee_role::Entity>().filter(employee_role::Column::EmployeeId.eq(id)).exec(&txn).await?;
    scope.delete_many::<employee_tag_member::Entity>().filter(employee_tag_member::Column::EmployeeId.eq(id)).exec(&txn).await?;
    scope.delete_many::<session::Entity>().filter(session::Column::EmployeeId.eq(id)).exec(&txn).await?;
    fields::delete_values(&txn, scope, FieldEntity::Employee, id).await?;
    scope.delete_by_id::<employee::Entity>(&txn, id, msg::STILL_REFERENCED).await?;
    if let Some(l) = wecom {
        l.client.user_delete(&l.creds, &e.userid).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Refuses when `extra` more enabled employees would exceed the corp's seats.
/// On PostgreSQL the corp row is locked so concurrent enables cannot both pass.
async fn ensure_seats(db: &impl ConnectionTrait, scope: &Scope, extra: u64) -> AppResult<()> {
    if extra == 0 {
        return Ok(());
    }
    let c = corp::Entity::find_by_id(scope.corp_id()).lock_exclusive().one(db).await?.ok_or_else(AppError::not_found)?;
    let used = scope.select::<employee::Entity>().filter(employee::Column::SystemEnabled.eq(true)).count(db).await?;
    if used + extra > c.seat_quota.max(0) as u64 {
        return Err(AppError::conflict(msg::SEATS_EXHAUSTED));
    }
    Ok(())
}

/// Opens or closes system access. Closing revokes every live session at once.
pub async fn set_system_access(db: &DatabaseConnection, scope: &Scope, id: i64, enabled: bool) -> AppResult<employee::Model> {
    let txn = crate::db::write_txn(db).await?;
    let e = scope.get_visible::<employee::Entity>(&txn, id).await?;
    if e.system_enabled == enabled {
        return Ok(e);
    }
    if e.is_super_admin && !enabled {
        return Err(AppError::conflict(msg::SUPER_ADMIN_IMMUTABLE));
    }
    if enabled {
        ensure_seats(&txn, scope, 1).await?;
    } else {
        scope.delete_many::<session::Entity>().filter(session::Column::EmployeeId.eq(id)).exec(&txn).await?;
    }
    let mut am: employee::ActiveModel = e.into();
    am.system_enabled = Set(enabled);
    am.updated_at = Set(Utc::now());
    let e = scope.update(&txn, am).await?;
    txn.commit().await?;
    Ok(e)
}

pub async fn set_password(db: &DatabaseConnection, scope: &Scope, id: i64, password: &str) -> AppResult<()> {
    if password.chars().count() < 8 {
        return Err(AppError::bad_input("password", msg::PASSWORD_WEAK));
    }
    let e = scope.get_visible::<employee::Entity>(db, id).await?;
    let hash = crate::crypto::hash_password_blocking(password).await.map_err(AppError::internal)?;
    let mut am: employee::ActiveModel = e.into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await?;
    Ok(())
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchOperation {
    /// Add the chosen roles; roles already held stay.
    AddRoles,
    EnableSystem,
    DisableSystem,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BatchRequest {
    pub filter: EmployeeQuery,
    pub operation: BatchOperation,
    pub role_ids: Vec<i64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BatchOutcome {
    pub matched: u64,
    pub changed: u64,
}

/// Applies one operation to every visible employee matching the filter, all
/// or nothing (enabling fails whole when the seats do not suffice).
pub async fn run_batch(db: &DatabaseConnection, scope: &Scope, req: &BatchRequest) -> AppResult<BatchOutcome> {
    let txn = crate::db::write_txn(db).await?;
    let cond = req.filter.condition(&txn, scope).await?;
    let targets: Vec<(i64, bool, bool)> = scope
        .select_visible::<employee::Entity>()
        .filter(cond)
        .select_only()
        .column(employee::Column::Id)
        .column(employee::Column::SystemEnabled)
        .column(employee::Column::IsSuperAdmin)
        .into_tuple()
        .all(&txn)
        .await?;
    let matched = targets.len() as u64;
    let now = Utc::now();
    let changed = match req.operation {
        BatchOperation::AddRoles => {
            if req.role_ids.is_empty() {
                return Err(AppError::bad_input("roleIds", ROLE_REQUIRED));
            }
            roles::ensure_assignable(&txn, scope, &req.role_ids).await?;
            let ids: Vec<i64> = targets.iter().filter(|t| !t.2).map(|t| t.0).collect();
            let existing: Vec<(i64, i64)> = scope
                .select::<employee_role::Entity>()
                .select_only()
                .column(employee_role::Column::EmployeeId)
                .column(employee_role::Column::RoleId)
                .filter(employee_role::Column::EmployeeId.is_in(ids.clone()))
                .into_tuple()
                .all(&txn)
                .await?;
            let existing: std::collections::HashSet<(i64, i64)> = existing.into_iter().collect();
            let mut rows = Vec::new();
            let mut touched = std::collections::HashSet::new();
            for e in &ids {
                for r in &req.role_ids {
                    if !existing.contains(&(*e, *r)) {
                        touched.insert(*e);
                        rows.push(employee_role::ActiveModel { employee_id: Set(*e), role_id: Set(*r), ..Default::default() });
                    }
                }
            }
            for chunk in rows.chunks(500) {
                scope.insert_many(&txn, chunk.to_vec()).await?;
            }
            touched.len() as u64
        }
        BatchOperation::EnableSystem => {
            let ids: Vec<i64> = targets.iter().filter(|t| !t.1).map(|t| t.0).collect();
            ensure_seats(&txn, scope, ids.len() as u64).await?;
            for chunk in ids.chunks(500) {
                scope
                    .update_many::<employee::Entity>()
                    .col_expr(employee::Column::SystemEnabled, true.into())
                    .col_expr(employee::Column::UpdatedAt, now.into())
                    .filter(employee::Column::Id.is_in(chunk.to_vec()))
                    .exec(&txn)
                    .await?;
            }
            ids.len() as u64
        }
        BatchOperation::DisableSystem => {
            // The super admin keeps access whatever the filter says.
            let ids: Vec<i64> = targets.iter().filter(|t| t.1 && !t.2).map(|t| t.0).collect();
            for chunk in ids.chunks(500) {
                scope
                    .update_many::<employee::Entity>()
                    .col_expr(employee::Column::SystemEnabled, false.into())
                    .col_expr(employee::Column::UpdatedAt, now.into())
                    .filter(employee::Column::Id.is_in(chunk.to_vec()))
                    .exec(&txn)
                    .await?;
                scope.delete_many::<session::Entity>().filter(session::Column::EmployeeId.is_in(chunk.to_vec())).exec(&txn).await?;
            }
            ids.len() as u64
        }
    };
    txn.commit().await?;
    Ok(BatchOutcome { matched, changed })
}

/// Every id names an employee of this corp (settings that pick employees).
pub async fn ensure_exist(db: &impl sea_orm::ConnectionTrait, scope: &Scope, ids: &[i64]) -> AppResult<()> {
    use sea_orm::PaginatorTrait;
    let unique: std::collections::HashSet<i64> = ids.iter().copied().collect();
    if unique.is_empty() {
        return Ok(());
    }
    let found = scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(unique.iter().copied())).count(db).await?;
    if found as usize != unique.len() {
        return Err(crate::error::AppError::bad_input("employeeIds", crate::error::msg::NOT_FOUND));
    }
    Ok(())
}
