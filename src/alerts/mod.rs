//! Live alerts (NTF-1): radar hits, reply timeouts and sensitive behaviours,
//! raised by durable jobs, kept in `alerts` for the record, pushed over the
//! [`bus::Bus`] to the recipients' subscriptions and, when the settings say
//! so, sent as WeCom app messages.
//!
//! Recipients are decided once, here: the producer names candidates, and
//! only those whose data scope sees the alert's customer (or group) receive
//! it. Subscribers then get exactly the alerts addressed to them.

pub mod delivery;
pub mod graphql;
pub mod notices;
pub mod radar;

pub use delivery::{raise, AlertCategory, NewAlert};

use crate::jobs::JobRegistry;

/// The radar's job kinds.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(radar::RadarDispatchJob).register(radar::RadarFlushJob)
}
