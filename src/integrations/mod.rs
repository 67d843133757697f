//! Integrations with WeChat's platforms. Each wraps the real API behind a
//! typed client whose base URL is configuration (the local sandbox in tests
//! and the demo, the real hosts in production).

pub mod oa;
pub mod token_cache;
pub mod upstream;
pub mod wecom;
pub mod xml;
