//! Sessions are rows holding SHA-256 digests of an access token (short) and a
//! refresh token (long); the tokens themselves exist only in the client.
//! Closing an employee's system access deletes their rows, so revocation is
//! immediate.

use std::{collections::HashSet, net::IpAddr, sync::Arc};

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func},
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::throttle;
use crate::{
    crypto::{hash_password, new_token, token_digest, verify_password, verify_password_blocking},
    error::{msg, AppError, AppResult, Code},
    org::roles,
    state::AppState,
    tenancy::{self, Auth, Scope},
};
use entity::{corp, employee, session};

pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub session: session::Model,
    pub employee: employee::Model,
}

/// A fixed hash to verify against when the account does not exist, so the
/// answer takes as long either way and does not reveal which accounts exist.
// Hashing a constant does not fail; were it to, an empty hash verifies nothing, as intended.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| hash_password("not-a-real-password").unwrap_or_default());

/// The employee an account names: the corp code and account are compared
/// after `throttle::normalize`, the code lowercased, the account without
/// regard to case (WeCom userids ignore case) unless two differ only by case.
async fn find_account(state: &AppState, corp_code: &str, account: &str) -> AppResult<Option<employee::Model>> {
    let db = &state.db;
    let (code, account) = (throttle::normalize(corp_code).to_lowercase(), throttle::normalize(account));
    if code.is_empty() || account.is_empty() {
        return Ok(None);
    }
    let Some(c) = corp::Entity::find().filter(corp::Column::Code.eq(code)).one(db).await? else { return Ok(None) };
    let lower = Expr::expr(Func::lower(Expr::col(employee::Column::Userid))).eq(account.to_lowercase());
    let mut found = Scope::system(c.id).select::<employee::Entity>().filter(lower).limit(2).all(db).await?;
    Ok(match found.len() {
        1 => found.pop(),
        _ => found.into_iter().find(|e| e.userid == account),
    })
}

pub async fn login(state: &AppState, corp_code: &str, account: &str, password: &str, client: Option<IpAddr>) -> AppResult<Tokens> {
    let found = find_account(state, corp_code, account).await?;
    let attempt = throttle::reserve(state, found.as_ref().map(|e| (e.corp_id, e.id)), client).await?;
    let hash = found.as_ref().and_then(|e| e.password_hash.clone());
    let ok = match hash {
        Some(hash) => verify_password_blocking(password, hash).await.map_err(AppError::internal)?,
        None => {
            // Same work as a real check, off the async threads.
            let _ = tokio::task::spawn_blocking(|| verify_password("", &DUMMY_HASH)).await;
            false
        }
    };
    let employee = match (ok, found) {
        (true, Some(e)) => e,
        _ => {
            attempt.failed();
            return Err(AppError::new(Code::Unauthenticated, msg::LOGIN_FAILED));
        }
    };
    attempt.succeeded().await?;
    if !employee.system_enabled {
        return Err(AppError::new(Code::Forbidden, msg::SYSTEM_CLOSED));
    }
    open_session(state, employee).await
}

/// A new session for an employee who proved who they are.
pub async fn open_session(state: &AppState, employee: employee::Model) -> AppResult<Tokens> {
    let (access, refresh) = (corp_token(employee.corp_id), corp_token(employee.corp_id));
    let now = Utc::now();
    let scope = Scope::system(employee.corp_id);
    let s = scope
        .insert(
            &state.db,
            session::ActiveModel {
                employee_id: Set(employee.id),
                access_hash: Set(token_digest(&access)),
                refresh_hash: Set(token_digest(&refresh)),
                access_expires_at: Set(now + chrono::Duration::seconds(state.config.access_token_ttl_secs)),
                refresh_expires_at: Set(now + chrono::Duration::seconds(state.config.refresh_token_ttl_secs)),
                created_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    Ok(Tokens { access_token: access, refresh_token: refresh, session: s, employee })
}

/// `<corp_id>.<random>`: the corp prefix keeps every session lookup on the
/// tenant's index range; the random part is the secret.
fn corp_token(corp_id: i64) -> String {
    format!("{corp_id}.{}", new_token())
}

fn token_corp(token: &str) -> Option<i64> {
    token.split_once('.').and_then(|(c, _)| c.parse().ok())
}

/// The caller behind an access token, or `None` when it is unknown, expired
/// or revoked, or the employee lost system access.
pub async fn authenticate(state: &AppState, token: &str) -> AppResult<Option<Auth>> {
    let db = &state.db;
    let Some(corp_id) = token_corp(token) else { return Ok(None) };
    let Some(s) = Scope::system(corp_id)
        .select::<session::Entity>()
        .filter(session::Column::AccessHash.eq(token_digest(token)))
        .filter(session::Column::AccessExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(standing) = tenancy::standing_of(db, s.corp_id, s.employee_id).await? else {
        return Ok(None);
    };
    if !standing.employee.system_enabled {
        return Ok(None);
    }
    let permissions: HashSet<String> = standing.roles.iter().flat_map(roles::parse_permissions).collect();
    Ok(Some(Auth {
        corp_id: s.corp_id,
        employee_id: s.employee_id,
        session_id: s.id,
        is_super_admin: standing.employee.is_super_admin,
        permissions: Arc::new(permissions),
        scope: standing.scope,
    }))
}

/// Trades a refresh token for a new pair; the old pair stops working.
pub async fn refresh(state: &AppState, refresh_token: &str) -> AppResult<Tokens> {
    let db = &state.db;
    let invalid = || AppError::new(Code::Unauthenticated, msg::SESSION_INVALID);
    let corp_id = token_corp(refresh_token).ok_or_else(invalid)?;
    let s = Scope::system(corp_id)
        .select::<session::Entity>()
        .filter(session::Column::RefreshHash.eq(token_digest(refresh_token)))
        .filter(session::Column::RefreshExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let scope = Scope::system(s.corp_id);
    let e = scope.get::<employee::Entity>(db, s.employee_id).await.map_err(|_| invalid())?;
    if !e.system_enabled {
        return Err(invalid());
    }
    let (access, refresh) = (corp_token(corp_id), corp_token(corp_id));
    let now = Utc::now();
    let mut am: session::ActiveModel = s.into();
    am.access_hash = Set(token_digest(&access));
    am.refresh_hash = Set(token_digest(&refresh));
    am.access_expires_at = Set(now + chrono::Duration::seconds(state.config.access_token_ttl_secs));
    am.refresh_expires_at = Set(now + chrono::Duration::seconds(state.config.refresh_token_ttl_secs));
    let s = scope.update(db, am).await?;
    Ok(Tokens { access_token: access, refresh_token: refresh, session: s, employee: e })
}

pub async fn logout(state: &AppState, auth: &Auth) -> AppResult<()> {
    auth.scope.delete_many::<session::Entity>().filter(session::Column::Id.eq(auth.session_id)).exec(&state.db).await?;
    // Its live-alert sockets close, on whichever instance they are.
    announce_ended(state, &[auth.session_id]).await;
    Ok(())
}

/// Throttled like login: the old password is a guess like any other.
pub async fn change_password(state: &AppState, auth: &Auth, old: &str, new: &str, client: Option<IpAddr>) -> AppResult<()> {
    let e = auth.scope.get::<employee::Entity>(&state.db, auth.employee_id).await?;
    let attempt = throttle::reserve(state, Some((auth.corp_id, auth.employee_id)), client).await?;
    let ok = match e.password_hash {
        Some(h) => verify_password_blocking(old, h).await.map_err(AppError::internal)?,
        None => false,
    };
    if !ok {
        attempt.failed();
        return Err(AppError::bad_input("oldPassword", msg::LOGIN_FAILED));
    }
    attempt.succeeded().await?;
    crate::org::employees::set_password(&state.db, &Scope::system(auth.corp_id), auth.employee_id, new).await?;
    // Other sessions end; this one stays.
    auth.scope
        .delete_many::<session::Entity>()
        .filter(session::Column::EmployeeId.eq(auth.employee_id))
        .filter(session::Column::Id.ne(auth.session_id))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The employee's live sessions (read before an action that ends them).
pub async fn sessions_of(db: &impl sea_orm::ConnectionTrait, scope: &Scope, employee_id: i64) -> AppResult<Vec<i64>> {
    Ok(scope
        .select::<session::Entity>()
        .filter(session::Column::EmployeeId.eq(employee_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// Tells every instance these sessions ended, so their alert sockets close.
pub async fn announce_ended(state: &AppState, sessions: &[i64]) {
    for id in sessions {
        if let Err(e) = state.bus.publish(crate::bus::BusMessage::SessionEnded { session_id: *id }).await {
            tracing::warn!(error = ?e, "session end not published");
        }
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}
