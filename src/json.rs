//! JSON text of our own values, for the columns that store it.

use serde::Serialize;

/// `v` as JSON text. Our stored values (lists of ids and names, settings
/// structs) always serialise; were one ever to fail, the failure is logged
/// and `null` stored rather than a request or job taken down.
pub fn text<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a stored value did not serialise");
        "null".to_string()
    })
}
