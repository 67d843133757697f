//! Parametric QR codes of a service account (OA-5): temporary (up to 30
//! days) or permanent, with a numeric or text scene that comes back on the
//! follower's `subscribe` / `SCAN` event. Subscription accounts have none,
//! refused here with a clear message before WeChat is asked.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use super::accounts::{self, AccountKind};
use crate::{
    crypto::MasterKey,
    error::{AppError, AppResult, Code, Msg},
    integrations::oa::{
        types::{QrActionInfo, QrCodeRequest, QrScene},
        OaClient,
    },
    tenancy::Auth,
};

pub const SUBSCRIPTION: Msg = Msg::new(
    "OA_SUBSCRIPTION_ACCOUNT",
    "订阅号不支持带参数二维码和模板消息，请使用服务号",
    "Subscription accounts have no parametric QR codes or template messages; use a service account",
);
const SCENE_INVALID: Msg = Msg::new(
    "OA_QR_SCENE_INVALID",
    "场景值应为1-64个字符；永久二维码的数字场景值为1-100000",
    "The scene must be 1 to 64 characters; a permanent code's numeric scene 1 to 100000",
);
const EXPIRY_INVALID: Msg =
    Msg::new("OA_QR_EXPIRY_INVALID", "临时二维码有效期为1秒至30天", "A temporary code lives from 1 second to 30 days");

/// Longest life of a temporary code (WeChat: 2,592,000 s).
pub const MAX_EXPIRE_SECONDS: i64 = 2_592_000;
/// Permanent codes' numeric scenes run 1..=100,000.
const MAX_PERMANENT_SCENE_ID: i64 = 100_000;

pub struct NewQrCode {
    pub scene: String,
    /// None: permanent.
    pub expire_seconds: Option<i64>,
}

pub struct QrCode {
    pub ticket: String,
    /// What the code encodes.
    pub url: String,
    /// The image, at WeChat's `showqrcode`.
    pub image_url: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The request WeChat expects: a numeric scene when the text is a number
/// in range, otherwise a text scene.
fn request(input: &NewQrCode) -> AppResult<QrCodeRequest> {
    let scene = input.scene.trim();
    if scene.is_empty() || scene.chars().count() > 64 {
        return Err(AppError::bad_input("input.scene", SCENE_INVALID));
    }
    let numeric = scene.parse::<i64>().ok().filter(|n| *n > 0);
    Ok(match input.expire_seconds {
        Some(s) if !(1..=MAX_EXPIRE_SECONDS).contains(&s) => return Err(AppError::bad_input("input.expireSeconds", EXPIRY_INVALID)),
        Some(s) => {
            let temporary_id = numeric.filter(|n| i32::try_from(*n).is_ok());
            QrCodeRequest {
                expire_seconds: Some(s),
                action_name: if temporary_id.is_some() { "QR_SCENE" } else { "QR_STR_SCENE" }.into(),
                action_info: scene_info(temporary_id, scene),
            }
        }
        None => {
            let permanent_id = numeric.filter(|n| *n <= MAX_PERMANENT_SCENE_ID);
            QrCodeRequest {
                expire_seconds: None,
                action_name: if permanent_id.is_some() { "QR_LIMIT_SCENE" } else { "QR_LIMIT_STR_SCENE" }.into(),
                action_info: scene_info(permanent_id, scene),
            }
        }
    })
}

fn scene_info(id: Option<i64>, scene: &str) -> QrActionInfo {
    QrActionInfo {
        scene: match id {
            Some(id) => QrScene { scene_id: Some(id), scene_str: None },
            None => QrScene { scene_id: None, scene_str: Some(scene.to_string()) },
        },
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    auth: &Auth,
    key: &MasterKey,
    client: &OaClient,
    account_id: i64,
    input: NewQrCode,
) -> AppResult<QrCode> {
    let account = accounts::bound(db, auth, account_id).await?;
    if AccountKind::of(&account.kind) == AccountKind::Subscription {
        return Err(AppError::new(Code::Forbidden, SUBSCRIPTION).with_field("accountId"));
    }
    let req = request(&input)?;
    let ticket = client.qrcode_create(&accounts::credentials(key, &account)?, &req).await?;
    let image_url = format!("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket={}", urlencode(&ticket.ticket));
    let expires_at = req.expire_seconds.map(|_| Utc::now() + Duration::seconds(ticket.expire_seconds.unwrap_or(0)));
    Ok(QrCode { ticket: ticket.ticket, url: ticket.url, image_url, expires_at })
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("t", s)]).map(|e| e[2..].to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_scenes_in_range_are_numbers_and_the_rest_text() {
        let temp = |scene: &str| request(&NewQrCode { scene: scene.into(), expire_seconds: Some(60) }).map(|r| r.action_name);
        let perm = |scene: &str| request(&NewQrCode { scene: scene.into(), expire_seconds: None }).map(|r| r.action_name);
        assert_eq!(temp("123").unwrap(), "QR_SCENE");
        assert_eq!(temp("3000000000").unwrap(), "QR_STR_SCENE");
        assert_eq!(temp("spring").unwrap(), "QR_STR_SCENE");
        assert_eq!(perm("100000").unwrap(), "QR_LIMIT_SCENE");
        assert_eq!(perm("100001").unwrap(), "QR_LIMIT_STR_SCENE");
        assert!(perm("").is_err());
        assert!(perm(&"x".repeat(65)).is_err());
        assert!(request(&NewQrCode { scene: "a".into(), expire_seconds: Some(MAX_EXPIRE_SECONDS + 1) }).is_err());
        assert!(request(&NewQrCode { scene: "a".into(), expire_seconds: Some(0) }).is_err());
    }
}
