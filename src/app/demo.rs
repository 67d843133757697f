//! The demo corp `serve --demo` seeds into an empty database, so a front-end
//! developer has something to log into and browse. With the in-process
//! sandbox, the corp is bound to the sandbox's WeCom corp and synced from it,
//! so the demo shows synced data and can receive live callbacks.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::{
    crypto::new_token,
    error::AppResult,
    official_accounts::accounts,
    org::{departments, employees, roles},
    platform::{self, NewTenant},
    sandbox::{CallbackTarget, OaCallbackTarget, Sandbox, SandboxCorp, SandboxOa},
    state::AppState,
    tenancy::{scope_kind, Scope},
    wecom_sync::{binding, sync},
};

pub const SANDBOX_CORP: &str = "ww-demo";
/// The demo's Official Account in the sandbox: a service account whose
/// followers share unionids with half the sandbox corp's customers.
pub const SANDBOX_OA: &str = "wxde0000000000d001";
const SANDBOX_OA_FOLLOWERS: usize = 200;

/// The sandbox's demo account, its callbacks sent to this server.
fn demo_official_account(secret: &str, base_url: &str, token: &str) -> SandboxOa {
    let mut oa = SandboxOa::new(SANDBOX_OA, secret, true).with_followers(SANDBOX_OA_FOLLOWERS);
    oa.callback =
        Some(OaCallbackTarget { url: format!("{base_url}/callbacks/oa/demo/{SANDBOX_OA}"), token: token.into(), encoding_aes_key: None });
    oa
}

pub struct DemoLogin {
    pub corp_code: String,
    pub account: String,
    pub password: String,
}

/// Seeds the demo corp when there is no corp yet; `None` when there was one.
/// `sandbox`: the in-process sandbox and this server's base URL (for callbacks).
pub async fn seed_if_empty(state: &AppState, sandbox: Option<(&Sandbox, &str)>) -> AppResult<Option<DemoLogin>> {
    let db = &state.db;
    if entity::corp::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let password = new_token()[..16].to_string();
    let p = platform::create(
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
    let scope = Scope::whole_corp_as(p.corp.id, p.admin.id);
    let manager = roles::create(
        db,
        &scope,
        roles::RoleInput {
            name: Some("销售经理".into()),
            permissions: Some(
                crate::org::permissions::all_codes()
                    .into_iter()
                    .filter(|c| c.starts_with("org") || c.starts_with("customer") || c.starts_with("group"))
                    .map(String::from)
                    .collect(),
            ),
            data_scope: Some(scope_kind::DEPARTMENT_AND_BELOW.into()),
            department_ids: None,
        },
    )
    .await?;

    // Members: synced from the sandbox's WeCom corp, or created locally.
    let members: Vec<i64> = match sandbox {
        Some((sb, base_url)) => {
            let token = new_token()[..24].to_string();
            let aes_key = new_token()[..43].replace(['-', '_'], "A");
            let mut corp = SandboxCorp::seeded(SANDBOX_CORP, 5, 20).with_customers(200).with_chats(40, 24);
            corp.callback = Some(CallbackTarget {
                url: format!("{base_url}/callbacks/wecom/demo"),
                token: token.clone(),
                encoding_aes_key: aes_key.clone(),
            });
            let secrets = corp.secrets.clone();
            let agent_id = corp.agent_id;
            sb.add_corp(corp);
            binding::bind(
                db,
                &scope,
                &state.master_key,
                &state.callback_keys,
                binding::BindInput {
                    wecom_corp_id: SANDBOX_CORP.into(),
                    contact_secret: Some(secrets.contacts),
                    external_secret: Some(secrets.external),
                    agent_secret: Some(secrets.agent),
                    agent_id: Some(agent_id),
                    callback_token: Some(token),
                    encoding_aes_key: Some(aes_key),
                },
            )
            .await?;
            sync::run(state, p.corp.id, None).await.map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("demo sync: {e:?}")))?;
            // An Official Account too; its first fans sync runs once the workers start.
            let (oa_secret, oa_token) = (new_token()[..32].to_string(), new_token()[..16].replace(['-', '_'], "x"));
            sb.add_official_account(demo_official_account(&oa_secret, base_url, &oa_token));
            let auth = crate::tenancy::Auth {
                corp_id: p.corp.id,
                employee_id: p.admin.id,
                session_id: 0,
                is_super_admin: true,
                permissions: Default::default(),
                scope: scope.clone(),
            };
            let input = accounts::BindInput {
                appid: SANDBOX_OA.into(),
                name: "演示服务号".into(),
                kind: accounts::AccountKind::Service,
                secret: Some(oa_secret),
                callback_token: Some(oa_token),
                encoding_aes_key: None,
            };
            accounts::bind(db, &auth, &state.master_key, &state.oa, &state.jobs, input).await?;
            scope
                .select::<entity::employee::Entity>()
                .filter(entity::employee::Column::IsSuperAdmin.eq(false))
                .order_by_asc(entity::employee::Column::Userid)
                .all(db)
                .await?
                .into_iter()
                .take(4)
                .map(|e| e.id)
                .collect()
        }
        None => {
            let sales = departments::create(db, &scope, None, "销售部", Some(p.root_department.id)).await?;
            let east = departments::create(db, &scope, None, "华东区", Some(sales.id)).await?;
            let service = departments::create(db, &scope, None, "客服部", Some(p.root_department.id)).await?;
            let mut ids = Vec::new();
            for (userid, name, mobile, dept) in [
                ("zhangwei", "张伟", "13800000001", sales.id),
                ("lina", "李娜", "13800000002", east.id),
                ("wangfang", "王芳", "13800000003", east.id),
                ("liuyang", "刘洋", "13800000004", service.id),
            ] {
                let e = employees::create(
                    db,
                    &scope,
                    None,
                    userid,
                    employees::EmployeeFields {
                        name: Some(name.into()),
                        mobile: Some(mobile.into()),
                        department_ids: Some(vec![dept]),
                        role_ids: Some(vec![p.basic_role.id]),
                        ..Default::default()
                    },
                )
                .await?;
                ids.push(e.id);
            }
            ids
        }
    };
    for (i, id) in members.iter().enumerate() {
        employees::set_system_access(db, &scope, *id, true).await?;
        employees::set_password(db, &scope, *id, &password).await?;
        if i == 0 {
            // The first member also manages: a login that shows a data scope at work.
            let am = entity::employee_role::ActiveModel { employee_id: Set(*id), role_id: Set(manager.id), ..Default::default() };
            scope.insert(db, am).await?;
        }
    }
    // Reply rules on, so the archive's unanswered group chats raise timeout alerts.
    let rules = crate::archive::reply::ReplyRules { enabled: true, ..Default::default() };
    crate::settings::put(db, &scope, &rules).await?;
    Ok(Some(DemoLogin { corp_code: "demo".into(), account: "admin".into(), password }))
}

/// On a restart the in-process sandbox starts empty: give it back the demo's
/// WeCom corp (deterministic data, the stored callback credentials).
pub async fn restore_sandbox(state: &AppState, sandbox: &Sandbox, base_url: &str) -> AppResult<()> {
    let Some(c) = entity::corp::Entity::find().filter(entity::corp::Column::Code.eq("demo")).one(&state.db).await? else { return Ok(()) };
    let Some(b) = binding::get(&state.db, &Scope::system(c.id)).await? else { return Ok(()) };
    if b.wecom_corp_id != SANDBOX_CORP {
        return Ok(());
    }
    let open = |v: &Option<String>| v.as_deref().and_then(|s| state.master_key.decrypt(s).ok());
    let mut corp = SandboxCorp::seeded(SANDBOX_CORP, 5, 20).with_customers(200).with_chats(40, 24);
    if let (Some(token), Some(key)) = (open(&b.callback_token), open(&b.encoding_aes_key)) {
        corp.callback = Some(CallbackTarget { url: format!("{base_url}/callbacks/wecom/demo"), token, encoding_aes_key: key });
    }
    sandbox.add_corp(corp);
    let demo_oa = accounts::list(&state.db, &Scope::system(c.id)).await?.into_iter().find(|a| a.appid == SANDBOX_OA);
    if let Some(a) = demo_oa {
        let secret = accounts::credentials(&state.master_key, &a)?.secret;
        let token = accounts::callback_keys(&state.master_key, &a)?.0.unwrap_or_default();
        sandbox.add_official_account(demo_official_account(&secret, base_url, &token));
    }
    Ok(())
}
