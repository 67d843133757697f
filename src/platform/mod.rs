//! Tenant provisioning (AUTH-1): only the platform operator opens a corp, with
//! its seat quota, root department, super-admin role and first super admin.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    crypto::hash_password_blocking,
    error::{msg, AppError, AppResult, Msg},
    org::{permissions, roles},
    tenancy::{scope_kind, Scope},
};
use entity::{corp, department, employee, employee_department, employee_role, role};

pub struct NewTenant {
    pub code: String,
    pub name: String,
    pub seat_quota: i32,
    pub admin_userid: String,
    pub admin_name: String,
    pub admin_mobile: String,
    pub admin_password: String,
}

#[derive(Clone)]
pub struct Provisioned {
    pub corp: corp::Model,
    pub admin: employee::Model,
    pub root_department: department::Model,
    pub super_role: role::Model,
    pub basic_role: role::Model,
}

const CODE_INVALID: Msg =
    Msg::new("CORP_CODE_INVALID", "企业代码为2-32位小写字母、数字或-", "Corp code must be 2-32 lowercase letters, digits or -");

pub async fn create(db: &DatabaseConnection, t: NewTenant) -> AppResult<Provisioned> {
    let code = t.code.trim().to_lowercase();
    if !(2..=32).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(AppError::bad_input("code", CODE_INVALID));
    }
    if t.admin_password.chars().count() < 8 {
        return Err(AppError::bad_input("password", msg::PASSWORD_WEAK));
    }
    let mobile = crate::org::employees::normalize_mobile(&t.admin_mobile)?;
    let hash = hash_password_blocking(&t.admin_password).await.map_err(AppError::internal)?;
    let txn = crate::db::write_txn(db).await?;
    if corp::Entity::find().filter(corp::Column::Code.eq(&code)).count(&txn).await? > 0 {
        return Err(AppError::conflict(msg::DUPLICATE_NAME).with_field("code"));
    }
    let now = Utc::now();
    let c = corp::ActiveModel {
        code: Set(code),
        name: Set(t.name.trim().to_string()),
        seat_quota: Set(t.seat_quota.max(1)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let scope = Scope::system(c.id);
    let root = scope
        .insert(
            &txn,
            department::ActiveModel {
                parent_id: Set(None),
                name: Set(c.name.clone()),
                sort: Set(0),
                wecom_id: Set(Some(1)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    let super_role = scope
        .insert(
            &txn,
            role::ActiveModel {
                name: Set(roles::SUPER_ROLE_NAME.into()),
                is_super: Set(true),
                permissions: Set("[]".into()),
                data_scope: Set(scope_kind::ALL.into()),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    let basic_role = scope
        .insert(
            &txn,
            role::ActiveModel {
                name: Set(roles::BASIC_ROLE_NAME.into()),
                is_super: Set(false),
                permissions: Set(crate::json::text(&permissions::basic_role_codes())),
                data_scope: Set(scope_kind::SELF.into()),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    let admin = scope
        .insert(
            &txn,
            employee::ActiveModel {
                userid: Set(t.admin_userid.trim().to_string()),
                name: Set(t.admin_name.trim().to_string()),
                alias: Set(None),
                gender: Set(None),
                mobile: Set(mobile),
                email: Set(None),
                landline: Set(None),
                address: Set(None),
                position: Set(None),
                avatar: Set(None),
                activated: Set(true),
                system_enabled: Set(true),
                is_super_admin: Set(true),
                password_hash: Set(Some(hash)),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    scope
        .insert(&txn, employee_department::ActiveModel { employee_id: Set(admin.id), department_id: Set(root.id), ..Default::default() })
        .await?;
    scope
        .insert(&txn, employee_role::ActiveModel { employee_id: Set(admin.id), role_id: Set(super_role.id), ..Default::default() })
        .await?;
    txn.commit().await?;
    Ok(Provisioned { corp: c, admin, root_department: root, super_role, basic_role })
}
