//! The boundaries the application state holds: each a trait (or a cache)
//! that knows no area, implemented by an adapter chosen at start-up.

pub mod activity;
pub mod archive_source;
pub mod deletion;
pub mod file_store;
pub mod word_matcher;
