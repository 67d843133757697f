//! The demo corp `serve --demo` seeds into an empty database, so a front-end
//! developer has something to log into and browse.

use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::{
    crypto::new_token,
    error::AppResult,
    org::{departments, employees, roles},
    tenancy::{scope_kind, Scope},
    tenants::{self, NewTenant},
};

pub struct DemoLogin {
    pub corp_code: String,
    pub account: String,
    pub password: String,
}

/// Seeds the demo corp when there is no corp yet; `None` when there was one.
pub async fn seed_if_empty(db: &DatabaseConnection) -> AppResult<Option<DemoLogin>> {
    if entity::corp::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = new_token()[..16].to_string();
    let p = tenants::create(
        db,
        NewTenant {
            code: "demo".into(),
            name: "演示企业".into(),
            seat_quota: 50,
            admin_userid: "admin".into(),
            admin_name: "管理员".into(),
            admin_mobile: "+86 13800000000".into(),
            admin_password: password.clone(),
        },
    )
    .await?;
    let scope = Scope { corp_id: p.corp.id, employee_id: Some(p.admin.id), visibility: crate::tenancy::Visibility::All };
    let sales = departments::create(db, &scope, None, "销售部", Some(p.root_department.id)).await?;
    let east = departments::create(db, &scope, None, "华东区", Some(sales.id)).await?;
    let service = departments::create(db, &scope, None, "客服部", Some(p.root_department.id)).await?;
    let manager = roles::create(
        db,
        &scope,
        roles::RoleInput {
            name: Some("销售经理".into()),
            permissions: Some(
                crate::org::permissions::all_codes().into_iter().filter(|c| c.starts_with("org")).map(String::from).collect(),
            ),
            data_scope: Some(scope_kind::DEPARTMENT_AND_BELOW.into()),
            department_ids: None,
        },
    )
    .await?;
    let people = [
        ("zhangwei", "张伟", "13800000001", sales.id, manager.id),
        ("lina", "李娜", "13800000002", east.id, p.basic_role.id),
        ("wangfang", "王芳", "13800000003", east.id, p.basic_role.id),
        ("liuyang", "刘洋", "13800000004", service.id, p.basic_role.id),
    ];
    for (userid, name, mobile, dept, role) in people {
        let e = employees::create(
            db,
            &scope,
            userid,
            employees::EmployeeFields {
                name: Some(name.into()),
                mobile: Some(mobile.into()),
                department_ids: Some(vec![dept]),
                role_ids: Some(vec![role]),
                ..Default::default()
            },
        )
        .await?;
        employees::set_system_access(db, &scope, e.id, true).await?;
        employees::set_password(db, &scope, e.id, &password).await?;
    }
    Ok(Some(DemoLogin { corp_code: "demo".into(), account: "admin".into(), password }))
}
