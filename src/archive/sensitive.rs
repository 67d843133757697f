//! Sensitive words (ARC-7) and sensitive behaviours (ARC-8, CFG-3).
//!
//! Every archived message of a corp is matched against all its enabled
//! rules at once by one Aho-Corasick automaton, rebuilt only when the rules
//! change. A hit is a whole word found exactly: in Chinese any occurrence,
//! and for words that begin or end with a Latin letter or digit, only where
//! no other letter or digit touches it ("ok" does not hit "book").

use std::sync::Arc;

use async_graphql::{Enum, InputObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use crate::ports::word_matcher::{split_words, Matcher, Matchers};
use crate::{
    alerts::{AlertCategory, NewAlert},
    error::{AppError, AppResult, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    settings::Document,
    tenancy::Scope,
};
use entity::{customer, customer_group, employee, sensitive_behavior, sensitive_rule};

pub const NAME_INVALID: Msg = Msg::new("SENSITIVE_RULE_NAME_INVALID", "规则名称为1-10个字", "A rule name is 1-10 characters");
pub const WORDS_INVALID: Msg = Msg::new(
    "WORDS_INVALID",
    "敏感词不能为空，总长度不超过500字，多个词用中文逗号“，”分隔",
    "Words are required, 500 characters at most, separated by \"，\"",
);

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WordCategory {
    Positive,
    Neutral,
    #[default]
    Negative,
}

impl WordCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            WordCategory::Positive => "POSITIVE",
            WordCategory::Neutral => "NEUTRAL",
            WordCategory::Negative => "NEGATIVE",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "POSITIVE" => WordCategory::Positive,
            "NEUTRAL" => WordCategory::Neutral,
            _ => WordCategory::Negative,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BehaviorKind {
    SendRedPacket,
    SendBusinessCard,
    SensitiveMessage,
    DeleteFriend,
}

impl BehaviorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BehaviorKind::SendRedPacket => "SEND_RED_PACKET",
            BehaviorKind::SendBusinessCard => "SEND_BUSINESS_CARD",
            BehaviorKind::SensitiveMessage => "SENSITIVE_MESSAGE",
            BehaviorKind::DeleteFriend => "DELETE_FRIEND",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [BehaviorKind::SendRedPacket, BehaviorKind::SendBusinessCard, BehaviorKind::SensitiveMessage, BehaviorKind::DeleteFriend]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The words of a rule as stored: split by the full-width comma, trimmed, empty ones dropped.
/// The corp's automaton over its enabled rules: one query, and a rebuild only
/// when the rules changed.
pub async fn matcher_of(db: &impl ConnectionTrait, scope: &Scope, cache: &Matchers) -> AppResult<Arc<Matcher>> {
    let rules: Vec<(i64, String)> = scope
        .select::<sensitive_rule::Entity>()
        .filter(sensitive_rule::Column::Enabled.eq(true))
        .order_by_asc(sensitive_rule::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.words))
        .collect();
    Ok(cache.get_or_build(scope.corp_id(), &rules))
}

pub fn check_rule(name: &str, words: &str) -> AppResult<()> {
    let n = name.trim().chars().count();
    if n == 0 || n > 10 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    if words.chars().count() > 500 || split_words(words).is_empty() {
        return Err(AppError::bad_input("words", WORDS_INVALID));
    }
    Ok(())
}

/// Sensitive behaviour monitoring (CFG-3).
#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[graphql(name = "SensitiveMonitoring", input_name = "SensitiveMonitoringInput")]
#[serde(rename_all = "camelCase", default)]
pub struct SensitiveMonitoring {
    pub send_red_packet: bool,
    pub send_business_card: bool,
    /// Messages that hit an enabled sensitive-word rule.
    pub sensitive_message: bool,
    pub delete_friend: bool,
    /// Employees audited; empty means everyone.
    pub audited_employee_ids: Vec<ID>,
    /// Also audit what customers send (sensitive messages only).
    pub audit_customer_messages: bool,
    pub notify_group_owner: bool,
    pub notify_triggering_employee: bool,
    pub notify_department_leaders: bool,
    pub employee_ids: Vec<ID>,
    pub app_message: bool,
}

impl Document for SensitiveMonitoring {
    const KEY: &'static str = "sensitive_monitoring";
}

impl SensitiveMonitoring {
    pub fn watches(&self, kind: BehaviorKind) -> bool {
        match kind {
            BehaviorKind::SendRedPacket => self.send_red_packet,
            BehaviorKind::SendBusinessCard => self.send_business_card,
            BehaviorKind::SensitiveMessage => self.sensitive_message,
            BehaviorKind::DeleteFriend => self.delete_friend,
        }
    }
    pub fn audits(&self, employee_id: Option<i64>) -> bool {
        self.audited_employee_ids.is_empty() || employee_id.is_some_and(|e| self.audited_employee_ids.iter().any(|i| i.0 == e.to_string()))
    }
}

/// What a sensitive alert carries.
#[derive(SimpleObject, Serialize, Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SensitiveAlertDetail {
    pub behavior_id: Option<ID>,
    pub behavior: Option<BehaviorKind>,
    pub detail: String,
    pub employee_name: Option<String>,
    pub customer_name: Option<String>,
    pub group_name: Option<String>,
}

/// Raises the alert of one detected behaviour.
pub struct SensitiveAlertJob;

impl JobKind for SensitiveAlertJob {
    const KIND: &'static str = "archive.sensitive_alert";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for SensitiveAlertJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, p: Value) -> Result<Value, JobError> {
        let state = &ctx.state;
        let db = &state.db;
        let Some(corp_id) = ctx.job.corp_id else { return Ok(json!({"skipped": "no corp"})) };
        let scope = Scope::system(corp_id);
        let id = p["behaviorId"].as_i64().unwrap_or(0);
        let Some(b) = scope
            .select::<sensitive_behavior::Entity>()
            .filter(sensitive_behavior::Column::Id.eq(id))
            .one(db)
            .await
            .map_err(AppError::from)?
        else {
            return Ok(json!({"skipped": "gone"}));
        };
        let settings: SensitiveMonitoring = crate::settings::get(db, &scope).await.map_err(JobError::from_app)?;
        let emp = scope.find::<employee::Entity>(db, b.employee_id).await.map_err(JobError::from_app)?;
        let cust = scope.find::<customer::Entity>(db, b.customer_id).await.map_err(JobError::from_app)?;
        let group = scope.find::<customer_group::Entity>(db, b.group_id).await.map_err(JobError::from_app)?;
        let mut recipients: Vec<i64> = settings.employee_ids.iter().filter_map(|i| i.parse().ok()).collect();
        if settings.notify_triggering_employee {
            recipients.extend(b.employee_id);
        }
        if settings.notify_group_owner {
            recipients.extend(group.as_ref().and_then(|g| g.owner_id));
        }
        if settings.notify_department_leaders {
            if let Some(e) = b.employee_id {
                recipients.extend(super::reply::leaders_for(db, &scope, &[e]).await.map_err(JobError::from_app)?);
            }
        }
        let kind = BehaviorKind::parse(&b.kind);
        let detail = SensitiveAlertDetail {
            behavior_id: Some(ID(b.id.to_string())),
            behavior: kind,
            detail: b.detail.clone(),
            employee_name: emp.as_ref().map(|e| e.name.clone()),
            customer_name: cust.as_ref().map(|c| c.name.clone()),
            group_name: group.as_ref().map(|g| g.name.clone()),
        };
        let who = detail.employee_name.clone().unwrap_or_else(|| "员工".into());
        let what = match kind {
            Some(BehaviorKind::SendRedPacket) => "发送了红包".to_string(),
            Some(BehaviorKind::SendBusinessCard) => "发送了名片".to_string(),
            Some(BehaviorKind::SensitiveMessage) => format!("发送了敏感词「{}」", b.detail),
            Some(BehaviorKind::DeleteFriend) => format!("删除了客户{}", detail.customer_name.clone().unwrap_or_default()),
            None => b.kind.clone(),
        };
        let raised = crate::alerts::raise(
            state,
            &scope,
            NewAlert {
                category: AlertCategory::Sensitive,
                kind: b.kind.clone(),
                // Scope follows the employee who did it; the customer may be gone (DELETE_FRIEND).
                customer_id: None,
                group_id: None,
                employee_id: b.employee_id,
                text: format!("【敏感行为】{who}{what}"),
                payload: serde_json::to_value(&detail).unwrap_or(Value::Null),
                occurred_at: b.occurred_at,
                dedup_key: format!("sensitive:{}", b.id),
                recipients,
                deliver_now: true,
                app_message: settings.app_message,
            },
        )
        .await
        .map_err(JobError::from_app)?;
        Ok(json!({"alerted": raised.map(|a| a.recipients)}))
    }
}

/// Records a detected behaviour once (by its key) and queues its alert, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: BehaviorKind,
    message_id: Option<i64>,
    employee_id: Option<i64>,
    customer_id: Option<i64>,
    group_id: Option<i64>,
    detail: String,
    occurred_at: DateTime<Utc>,
    dedup_key: String,
) -> AppResult<()> {
    use sea_orm::{ActiveValue::Set, EntityTrait, TryInsertResult};
    let mut am = sensitive_behavior::ActiveModel {
        kind: Set(kind.as_str().to_string()),
        message_id: Set(message_id),
        employee_id: Set(employee_id),
        customer_id: Set(customer_id),
        group_id: Set(group_id),
        detail: Set(detail),
        occurred_at: Set(occurred_at),
        status: Set("PENDING".into()),
        verdict: Set(None),
        remark: Set(None),
        reviewer_id: Set(None),
        reviewed_at: Set(None),
        dedup_key: Set(dedup_key),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    crate::tenancy::TenantActiveModel::stamp_corp(&mut am, scope.corp_id());
    let res = sensitive_behavior::Entity::insert(am)
        .on_conflict_do_nothing_on([sensitive_behavior::Column::CorpId, sensitive_behavior::Column::DedupKey])
        .exec(db)
        .await?;
    if let TryInsertResult::Inserted(r) = res {
        let new = crate::jobs::NewJob { corp_id: Some(scope.corp_id()), ..crate::jobs::NewJob::system() };
        crate::jobs::insert::<SensitiveAlertJob>(db, new, &json!({"behaviorId": r.last_insert_id}), Utc::now()).await?;
    }
    Ok(())
}

/// An employee deleted a customer (DELETE_FRIEND, CFG-3): a behaviour to
/// review when the monitoring watches it and audits that employee.
pub async fn employee_deleted_customer(
    db: &impl ConnectionTrait,
    scope: &Scope,
    external_userid: &str,
    userid: &str,
    key: &str,
) -> AppResult<()> {
    let settings: SensitiveMonitoring = crate::settings::get(db, scope).await?;
    if !settings.delete_friend {
        return Ok(());
    }
    let Some(e) = scope.select::<employee::Entity>().filter(employee::Column::Userid.eq(userid)).one(db).await? else { return Ok(()) };
    if !settings.audits(Some(e.id)) {
        return Ok(());
    }
    let c = scope.select::<customer::Entity>().filter(customer::Column::ExternalUserid.eq(external_userid)).one(db).await?;
    let name = c.as_ref().map(|c| c.name.clone()).unwrap_or_else(|| external_userid.to_string());
    let kind = BehaviorKind::DeleteFriend;
    record(db, scope, kind, None, Some(e.id), c.map(|c| c.id), None, name, Utc::now(), format!("{}:{key}", kind.as_str())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_the_name_and_words_limits() {
        assert!(check_rule("违规承诺", "返现，保本").is_ok());
        assert_eq!(check_rule("一二三四五六七八九十一", "a").unwrap_err().field.as_deref(), Some("name"));
        assert_eq!(check_rule("规则", "，，").unwrap_err().field.as_deref(), Some("words"));
        assert_eq!(check_rule("规则", &"字".repeat(501)).unwrap_err().field.as_deref(), Some("words"));
        assert_eq!(split_words(" 返现 ，保本，"), vec!["返现", "保本"]);
    }
}
