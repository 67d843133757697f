//! Accounts and login (AUTH-2): password login, sessions, throttling.

pub mod graphql;
pub mod service;
pub mod throttle;
