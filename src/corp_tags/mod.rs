//! Corp tags (TAG-1…3): tag groups and tags synced both ways with WeCom.
//! Writes go to WeCom first when the corp is bound; a refusal changes nothing.
//! (Colours, mutually exclusive groups and group tags come with issue #4.)

pub mod graphql;
pub mod service;
