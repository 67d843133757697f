//! Conversations (CFG-9, CFG-10): a chat's messages are cut into
//! conversations, the unit of later analytics. A conversation ends when a
//! customer sends an enabled closing phrase, or when no message follows for
//! the chat kind's idle limit; the next message then starts a new one.

use std::collections::BTreeMap;

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::chat_kind::ChatKind;
use crate::{
    error::{AppError, AppResult, Msg},
    settings::Document,
    tenancy::Scope,
};
use entity::{chat_conversation, chat_message};

const BAD_IDLE: Msg = Msg::new("CONVERSATION_IDLE_INVALID", "结束时长为1-1440分钟", "The idle limit is 1-1440 minutes");
const BAD_PHRASE: Msg = Msg::new("CONVERSATION_PHRASE_INVALID", "结束语为1-50个字", "A closing phrase is 1-50 characters");

#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(name = "ConversationRules", input_name = "ConversationRulesInput")]
#[serde(rename_all = "camelCase", default)]
pub struct ConversationRules {
    /// Minutes without a message that end a single-chat conversation.
    pub single_idle_minutes: i32,
    /// The same for group chats.
    pub group_idle_minutes: i32,
    /// Customer phrases that end a conversation (CFG-9).
    pub closing_phrases: Vec<ClosingPhrase>,
}

#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(input_name = "ClosingPhraseInput")]
#[serde(rename_all = "camelCase")]
pub struct ClosingPhrase {
    pub text: String,
    pub enabled: bool,
}

impl Default for ConversationRules {
    fn default() -> Self {
        ConversationRules { single_idle_minutes: 30, group_idle_minutes: 30, closing_phrases: Vec::new() }
    }
}

impl Document for ConversationRules {
    const KEY: &'static str = "conversation_rules";
}

impl ConversationRules {
    pub fn check(&self) -> AppResult<()> {
        for (f, v) in [("singleIdleMinutes", self.single_idle_minutes), ("groupIdleMinutes", self.group_idle_minutes)] {
            if !(1..=1440).contains(&v) {
                return Err(AppError::bad_input(f, BAD_IDLE));
            }
        }
        if self.closing_phrases.iter().any(|p| p.text.trim().is_empty() || p.text.chars().count() > 50) {
            return Err(AppError::bad_input("closingPhrases", BAD_PHRASE));
        }
        Ok(())
    }

    pub fn idle(&self, kind: &str) -> Duration {
        let m = if kind == ChatKind::Group.as_str() { self.group_idle_minutes } else { self.single_idle_minutes };
        Duration::minutes(m.max(1) as i64)
    }

    /// The customer's message ends the conversation: it is, or ends with, an enabled phrase.
    pub fn closes(&self, text: &str) -> bool {
        let t = text.trim().trim_end_matches(['。', '!', '！', '.', '~']);
        self.closing_phrases.iter().any(|p| p.enabled && (t == p.text.trim() || t.ends_with(p.text.trim())))
    }
}

/// When a conversation is over: ended by a phrase, or idle past the limit.
pub fn ended_at(c: &chat_conversation::Model, rules: &ConversationRules, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    c.ended_at.or_else(|| (now - c.last_message_at > rules.idle(&c.chat_kind)).then_some(c.last_message_at))
}

/// Puts each new message (sorted by time) into its chat's conversation.
pub async fn assign(db: &impl ConnectionTrait, scope: &Scope, stored: &[chat_message::Model]) -> AppResult<()> {
    let rules: ConversationRules = crate::settings::get(db, scope).await?;
    let mut by_key: BTreeMap<&str, Vec<&chat_message::Model>> = BTreeMap::new();
    for m in stored.iter().filter(|m| m.action == "send") {
        by_key.entry(&m.chat_key).or_default().push(m);
    }
    for (key, list) in by_key {
        let mut open = scope
            .select::<chat_conversation::Entity>()
            .filter(chat_conversation::Column::ChatKey.eq(key))
            .filter(chat_conversation::Column::EndedAt.is_null())
            .order_by_desc(chat_conversation::Column::StartedAt)
            .one(db)
            .await?;
        let mut members: Vec<(i64, Vec<i64>)> = Vec::new();
        for m in list {
            if let Some(c) = open.as_ref() {
                if m.msgtime - c.last_message_at > rules.idle(&c.chat_kind) {
                    let mut am: chat_conversation::ActiveModel = c.clone().into();
                    am.ended_at = Set(Some(c.last_message_at));
                    am.end_reason = Set(Some("IDLE".into()));
                    scope.update(db, am).await?;
                    open = None;
                }
            }
            let conv = match open.take() {
                Some(c) => {
                    let mut am: chat_conversation::ActiveModel = c.clone().into();
                    am.last_message_at = Set(m.msgtime.max(c.last_message_at));
                    am.message_count = Set(c.message_count + 1);
                    am.customer_id = Set(c.customer_id.or(m.customer_id));
                    scope.update(db, am).await?
                }
                None => {
                    scope
                        .insert(
                            db,
                            chat_conversation::ActiveModel {
                                chat_key: Set(key.to_string()),
                                chat_kind: Set(m.chat_kind.clone()),
                                employee_id: Set(m.employee_id),
                                customer_id: Set(m.customer_id),
                                group_id: Set(m.group_id),
                                started_at: Set(m.msgtime),
                                last_message_at: Set(m.msgtime),
                                ended_at: Set(None),
                                end_reason: Set(None),
                                message_count: Set(1),
                                ..Default::default()
                            },
                        )
                        .await?
                }
            };
            match members.last_mut() {
                Some((id, ids)) if *id == conv.id => ids.push(m.id),
                _ => members.push((conv.id, vec![m.id])),
            }
            if m.from_customer && rules.closes(&m.content) {
                let mut am: chat_conversation::ActiveModel = conv.clone().into();
                am.ended_at = Set(Some(m.msgtime));
                am.end_reason = Set(Some("CLOSING_PHRASE".into()));
                scope.update(db, am).await?;
            } else {
                open = Some(conv);
            }
        }
        for (conv, ids) in members {
            scope
                .update_many::<chat_message::Entity>()
                .col_expr(chat_message::Column::ConversationId, Some(conv).into())
                .filter(chat_message::Column::Id.is_in(ids))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_phrases_end_a_conversation_only_when_enabled() {
        let r = ConversationRules {
            closing_phrases: vec![
                ClosingPhrase { text: "谢谢".into(), enabled: true },
                ClosingPhrase { text: "再见".into(), enabled: false },
            ],
            ..Default::default()
        };
        assert!(r.closes("好的，谢谢！"));
        assert!(!r.closes("再见"));
        assert!(!r.closes("谢谢你的资料，我再看看"));
        assert!(r.check().is_ok());
        assert!(ConversationRules { single_idle_minutes: 0, ..Default::default() }.check().is_err());
    }
}
