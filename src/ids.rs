//! Ids: numbers inside their table, exposed to clients as `ID` strings.
//! Services parse the ids they are given, so this sits below the areas.

use async_graphql::ID;

use crate::error::{msg, AppError, AppResult};

/// Ids are numbers inside their type, exposed as `ID` strings.
pub fn parse_id(id: &ID, field: &str) -> AppResult<i64> {
    id.parse::<i64>().map_err(|_| AppError::bad_input(field, msg::BAD_ID))
}

pub fn parse_ids(ids: &[ID], field: &str) -> AppResult<Vec<i64>> {
    ids.iter().map(|id| parse_id(id, field)).collect()
}

pub fn id(n: i64) -> ID {
    ID(n.to_string())
}
