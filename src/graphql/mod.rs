//! The GraphQL kit every area's resolvers share: the request context and
//! its shorthands, permission guards, Relay connections and shared payloads.
//! The schema roots are assembled above the areas, in `app::schema`.

pub mod connection;
pub mod context;
pub mod guard;
pub mod loader;

use async_graphql::{SimpleObject, ID};

/// Result of a delete.
#[derive(SimpleObject)]
pub struct DeletePayload {
    pub id: ID,
}
