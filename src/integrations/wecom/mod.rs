//! WeCom (企业微信): the API client, its callback crypto and wire types.

pub mod address_tags;
pub mod callback_keys;
pub mod client;
pub mod crypto;
pub mod media;
pub mod types;

pub use client::{ClientConfig, Credentials, SecretKind, WecomClient, WecomError};
