//! On-job transfer (INH-2): hand selected customers from their owner to
//! another employee through WeCom's `transfer_customer`, with the message the
//! customer receives. WeCom completes the takeover within 24 h unless the
//! customer refuses; we make the receiver the owner at once (as claiming from
//! the pool does) and the relation itself arrives through sync and callbacks.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};

use super::inheritance::{record_started, InheritanceKind, InheritanceStatus};
use crate::{
    error::{AppError, AppResult, Msg},
    integrations::wecom::types::TransferCustomer,
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{customer, employee, inheritance};

const MESSAGE_TOO_LONG: Msg =
    Msg::new("TRANSFER_MESSAGE_TOO_LONG", "转接文案不能超过200个字", "The transfer message must be at most 200 characters");
const TOO_MANY: Msg = Msg::new("TRANSFER_TOO_MANY", "单次最多转接100个客户", "At most 100 customers per transfer");
const NOT_BOUND: Msg = Msg::new("WECOM_SETUP_REQUIRED", "请先完成企业微信配置", "Bind the corp to WeCom first");
const NO_OWNER: Msg = Msg::new("NO_OWNER", "该客户没有跟进人，无法转接", "The customer has no owner to hand over from");
const SAME_EMPLOYEE: Msg = Msg::new("SAME_EMPLOYEE", "接替成员不能是原跟进人", "The receiver is already the owner");
const IN_PROGRESS: Msg = Msg::new(
    "TRANSFER_IN_PROGRESS",
    "该客户正在转接中，请等待接替完成（最长24小时）",
    "This customer is already being transferred; wait for the takeover (at most 24 hours)",
);
const TOO_FREQUENT: Msg = Msg::new(
    "TRANSFER_TOO_FREQUENT",
    "该客户90天内已被转接2次，暂不能再转接",
    "This customer was transferred twice in the last 90 days; WeCom allows no more until that period ends",
);

/// WeCom moves an on-job member's customer at most this often (40128)…
const TRANSFERS_PER_WINDOW: usize = 2;
/// …in this many natural days.
const TRANSFER_WINDOW_DAYS: i64 = 90;

/// Why WeCom would refuse to move this customer now, from our own records
/// of transfers: one still waiting for its takeover (WeCom 40129), or the
/// on-job limit reached (40128). Checked before calling, so the admin gets
/// the reason rather than an errcode. A transfer WeCom refused to start
/// (FAILED) does not count.
fn refusal(history: &[&inheritance::Model], now: chrono::DateTime<chrono::Utc>) -> Option<Msg> {
    let started: Vec<_> = history.iter().filter(|h| h.status != InheritanceStatus::Failed.as_str()).collect();
    if started.iter().any(|h| h.status == InheritanceStatus::Waiting.as_str()) {
        return Some(IN_PROGRESS);
    }
    let since = now - chrono::Duration::days(TRANSFER_WINDOW_DAYS);
    let recent = started.iter().filter(|h| h.kind == InheritanceKind::OnJob.as_str() && h.created_at > since).count();
    (recent >= TRANSFERS_PER_WINDOW).then_some(TOO_FREQUENT)
}

/// What became of one customer.
#[derive(Debug)]
pub struct TransferOutcome {
    pub customer_id: i64,
    /// WeCom's errcode for this customer (0: the flow started).
    pub errcode: Option<i64>,
    pub error: Option<AppError>,
}

pub async fn transfer(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    customer_ids: &[i64],
    takeover_id: i64,
    message: Option<String>,
) -> AppResult<Vec<TransferOutcome>> {
    if customer_ids.is_empty() || customer_ids.len() > 100 {
        return Err(AppError::bad_input("customerIds", TOO_MANY));
    }
    let message = message.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
    if message.as_ref().is_some_and(|m| m.chars().count() > 200) {
        return Err(AppError::bad_input("message", MESSAGE_TOO_LONG));
    }
    let takeover = scope.get::<employee::Entity>(db, takeover_id).await?;
    let customers =
        scope.select_visible::<customer::Entity>().filter(customer::Column::Id.is_in(customer_ids.iter().copied())).all(db).await?;
    if customers.len() != customer_ids.len() {
        return Err(AppError::not_found());
    }
    for c in &customers {
        super::service::not_pooled(c).map_err(|e| e.with_field("customerIds"))?;
    }
    let link = wecom.ok_or_else(|| AppError::bad_input("customerIds", NOT_BOUND))?;
    let owners: HashMap<i64, String> = scope
        .select::<employee::Entity>()
        .filter(employee::Column::Id.is_in(customers.iter().filter_map(|c| c.owner_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.id, e.userid))
        .collect();

    let history =
        scope.select::<inheritance::Entity>().filter(inheritance::Column::CustomerId.is_in(customers.iter().map(|c| c.id))).all(db).await?;
    let now = chrono::Utc::now();

    let mut out = Vec::new();
    let mut by_handover: BTreeMap<i64, Vec<&customer::Model>> = BTreeMap::new();
    for c in &customers {
        let own_history: Vec<&inheritance::Model> = history.iter().filter(|h| h.customer_id == c.id).collect();
        if let Some(why) = refusal(&own_history, now) {
            out.push(TransferOutcome { customer_id: c.id, errcode: None, error: Some(AppError::conflict(why).with_field("customerIds")) });
            continue;
        }
        match c.owner_id {
            None => {
                out.push(TransferOutcome { customer_id: c.id, errcode: None, error: Some(AppError::bad_input("customerIds", NO_OWNER)) })
            }
            Some(o) if o == takeover_id => out.push(TransferOutcome {
                customer_id: c.id,
                errcode: None,
                error: Some(AppError::bad_input("takeoverEmployeeId", SAME_EMPLOYEE)),
            }),
            Some(o) => by_handover.entry(o).or_default().push(c),
        }
    }
    for (handover, list) in by_handover {
        let body = TransferCustomer {
            handover_userid: owners.get(&handover).cloned().unwrap_or_default(),
            takeover_userid: takeover.userid.clone(),
            external_userid: list.iter().map(|c| c.external_userid.clone()).collect(),
            transfer_success_msg: message.clone(),
        };
        let answer = match link.client.transfer_customer(&link.creds, &body).await {
            Ok(a) => a,
            Err(e) => {
                let e: AppError = e.into();
                for c in list {
                    out.push(TransferOutcome {
                        customer_id: c.id,
                        errcode: None,
                        error: Some(AppError { code: e.code, msg: e.msg.clone(), field: None, extra: Vec::new(), source: None }),
                    });
                }
                continue;
            }
        };
        let codes: HashMap<&str, i64> = answer.iter().map(|a| (a.external_userid.as_str(), a.errcode)).collect();
        let answers: Vec<(&customer::Model, i64)> =
            list.iter().filter_map(|c| codes.get(c.external_userid.as_str()).map(|e| (*c, *e))).collect();
        let txn = crate::db::write_txn(db).await?;
        record_started(&txn, scope, InheritanceKind::OnJob, handover, takeover_id, &answers).await?;
        txn.commit().await?;
        for c in list {
            let code = answer.iter().find(|a| a.external_userid == c.external_userid).map(|a| a.errcode);
            let error = match code {
                Some(0) => None,
                Some(code) => Some(
                    AppError::new(
                        crate::error::Code::Upstream,
                        Msg::owned(
                            "WECOM_TRANSFER_REFUSED",
                            format!("企业微信拒绝转接（错误码 {code}）"),
                            format!("WeCom refused the transfer (errcode {code})"),
                        ),
                    )
                    .with_extra("errcode", code),
                ),
                None => Some(AppError::new(
                    crate::error::Code::Upstream,
                    Msg::new("WECOM_NO_RESULT", "企业微信未返回该客户的结果", "WeCom gave no result for this customer"),
                )),
            };
            out.push(TransferOutcome { customer_id: c.id, errcode: code, error });
        }
    }
    Ok(out)
}
