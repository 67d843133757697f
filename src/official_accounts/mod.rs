//! Official Accounts (公众号, OA-1…5, SYS-1): accounts bound per corp, their
//! followers as fans linked to customers by unionid, callbacks, and
//! parametric QR codes. Calls go through `integrations::oa`.

pub mod accounts;
pub mod callbacks;
pub mod channels;
pub mod events;
pub mod fans;
pub mod fans_queue;
pub mod graphql;
pub mod qr_codes;
pub mod templates;

use crate::jobs::JobRegistry;

/// The fans sync and the follow-event apply.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(fans::SyncFansJob).register(events::ApplyEventJob)
}
