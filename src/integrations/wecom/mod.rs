//! WeCom (企业微信): the API client, its callback crypto and wire types.

pub mod crypto;
