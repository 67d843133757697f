//! The chat archive (会话存档, ARC-1…5) and what it feeds: conversations
//! (CFG-9, CFG-10), reply timeouts (ARC-6), sensitive words and behaviours
//! (ARC-7, ARC-8), customers' last contact and group activity (GRP-3).
//!
//! Messages arrive in WeCom's archive JSON (the plaintext the finance SDK
//! decrypts: msgid, action, from, tolist, roomid, msgtime, msgtype and the
//! typed body) from an [`crate::ports::archive_source::ArchiveSource`] or the authenticated ingest
//! endpoint. [`ingest::ingest`] stores each message once (by msgid) and, in the same
//! transaction, updates chats and conversations, starts or cancels reply
//! timers and records sensitive hits, so a batch is applied whole or not at all.

pub mod activity;
pub mod admin;
pub mod calendar;
pub mod chat_kind;
pub mod conversation;
pub mod export;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod queries;
pub mod reply;
pub mod sensitive;
pub mod source;

pub use chat_kind::ChatKind;
pub use ingest::ingest;

use crate::jobs::JobRegistry;

/// The archive's job kinds: pulls, reply timers, sensitive alerts, exports.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    use chrono::Duration;
    registry
        .register(reply::ReplyTimeoutJob)
        .register(reply::RebuildTimersJob)
        .register(sensitive::SensitiveAlertJob)
        .register(source::ArchivePullJob)
        .register(export::ExportBehaviorsJob)
        .schedule_every::<reply::RebuildTimersJob>("reply-timer-rebuild", Duration::minutes(10), Duration::zero())
        .schedule_every::<source::ArchivePullJob>("archive-pull", Duration::minutes(1), Duration::zero())
}
