//! Customer segments and crowd packs (OPS-9…11): [`service`] keeps them and
//! selects a pack's customers, [`portrait`] describes them.

pub mod graphql;
pub mod portrait;
pub mod service;
