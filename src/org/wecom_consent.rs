//! Employee fields a member shares by consent at a WeCom OAuth login.
//!
//! Since 2022 WeCom gives apps no mobile, gender, email, avatar or address
//! from the directory; a member who logs in with the OAuth scope
//! `snsapi_privateinfo` and agrees hands them over once, through
//! `auth/getuserdetail` and the login's `user_ticket`. Those values fill the
//! employee; what WeCom sends empty never erases what is here.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter};

use super::employees::normalize_mobile;
use crate::{error::AppResult, integrations::wecom::types::UserDetail, tenancy::Scope, wecom_sync::link::WecomLink};
use entity::employee;

/// WeCom's gender: "1" male, "2" female; "0" (undefined) or anything else is unknown.
pub fn gender_from_wecom(g: Option<&str>) -> Option<String> {
    match g {
        Some("1") => Some("MALE".into()),
        Some("2") => Some("FEMALE".into()),
        _ => None,
    }
}

/// Reads what the member consented to share and fills the employee with it.
/// The login never fails for it: a refusal (an expired ticket, a member
/// outside the app's visible range…) or a write error is logged, and the
/// employee is returned as it was.
pub async fn fill_from_wecom_consent(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: &WecomLink,
    e: employee::Model,
    user_ticket: &str,
) -> employee::Model {
    let detail = match wecom.client.user_detail_by_ticket(&wecom.creds, user_ticket).await {
        Ok(d) => d,
        Err(err) => {
            tracing::warn!(error = %err, employee = e.id, "auth/getuserdetail failed; sensitive fields not filled");
            return e;
        }
    };
    match fill(db, scope, &e, &detail).await {
        Ok(filled) => filled,
        Err(err) => {
            tracing::warn!(error = ?err, employee = e.id, "fields shared through WeCom not saved");
            e
        }
    }
}

/// Takes each non-empty value; a mobile another employee of the corp holds is
/// skipped (WeCom keeps mobiles unique in a corp, so ours is stale there).
async fn fill(db: &impl ConnectionTrait, scope: &Scope, e: &employee::Model, d: &UserDetail) -> AppResult<employee::Model> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let mut am: employee::ActiveModel = e.clone().into();
    if let Some(mobile) = given(&d.mobile).map(|m| normalize_mobile(&m).unwrap_or(m)).filter(|m| *m != e.mobile) {
        let others = scope.select::<employee::Entity>().filter(employee::Column::Id.ne(e.id));
        if others.filter(employee::Column::Mobile.eq(&mobile)).count(db).await? > 0 {
            tracing::warn!(employee = e.id, "mobile shared through WeCom belongs to another employee; not filled");
        } else {
            am.mobile = Set(mobile);
        }
    }
    // `email` is the member's own address, `biz_mail` the corp mailbox: either will do.
    let email = given(&d.email).or_else(|| given(&d.biz_mail));
    for (slot, value, current) in [
        (&mut am.gender, gender_from_wecom(d.gender.as_deref()), &e.gender),
        (&mut am.email, email, &e.email),
        (&mut am.avatar, given(&d.avatar), &e.avatar),
        (&mut am.address, given(&d.address), &e.address),
    ] {
        if value.is_some() && value != *current {
            *slot = Set(value);
        }
    }
    if !am.is_changed() {
        return Ok(e.clone());
    }
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}
