//! The checks every sandbox API call passes before its endpoint sees it.

use chrono::Utc;
use serde_json::Value;

use super::wire::err;
use crate::sandbox::world::World;

/// The checks every call passes before its endpoint sees it: injected rate
/// limits and failures, then the token; the token's corp and secret kind.
pub(super) fn admit(w: &mut World, path: &str, token: &str) -> Result<(String, &'static str), Value> {
    injected(w, path)?;
    match w.tokens.get(token) {
        None if token.is_empty() => Err(err(41001, "access_token missing")),
        None => Err(err(40014, "invalid access_token")),
        Some(t) if t.invalidated => Err(err(40014, "invalid access_token")),
        Some(t) if t.expires_at <= Utc::now() => Err(err(42001, "access_token expired")),
        Some(t) => Ok((t.corp_id.clone(), t.kind)),
    }
}

/// The injected refusals a call meets before its token is looked at: the
/// next-N and per-minute frequency limits, then failures queued for `path`.
pub(in crate::sandbox) fn injected(w: &mut World, path: &str) -> Result<(), Value> {
    if w.rate_limited > 0 {
        w.rate_limited -= 1;
        return Err(err(45009, "api freq out of limit"));
    }
    if w.per_minute > 0 {
        let minute = Utc::now().timestamp() / 60;
        if w.window.0 != minute {
            w.window = (minute, 0);
        }
        w.window.1 += 1;
        if w.window.1 > w.per_minute {
            return Err(err(45009, "api freq out of limit"));
        }
    }
    if let Some(f) = w.failures.iter_mut().find(|f| f.path == path && f.remaining > 0) {
        if f.skip > 0 {
            f.skip -= 1;
        } else {
            f.remaining -= 1;
            return Err(err(f.errcode, "injected by the sandbox"));
        }
    }
    Ok(())
}
