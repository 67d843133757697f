//! What every request gets before routing: a request id we can log safely
//! and the client's address.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};

use crate::state::AppState;

/// The client's address: the peer's, or the one a trusted proxy reported.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientIp(pub Option<IpAddr>);

/// A client-chosen request id is kept only when it is short and plain
/// (letters, digits, `-_.:`); anything else could forge or flood log lines,
/// so it is dropped and the next layer makes a fresh one.
pub fn acceptable_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    (1..=64).contains(&b.len()) && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c))
}

/// The address a trusted proxy put in `header`: the last entry of a list
/// (the one that proxy appended; earlier entries are the client's own claims).
fn from_proxy_header(req: &Request, header: &str) -> Option<IpAddr> {
    let v = req.headers().get(header)?.to_str().ok()?;
    let last = v.rsplit(',').next()?.trim();
    last.parse::<IpAddr>().ok().or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

pub async fn edge(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if req.headers().get("x-request-id").is_some_and(|v| !acceptable_request_id(v)) {
        req.headers_mut().remove("x-request-id");
    }
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = match &state.config.trusted_proxy_header {
        Some(h) => from_proxy_header(&req, h).or(peer),
        None => peer,
    };
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_kept() {
        assert!(acceptable_request_id(&HeaderValue::from_static("req-42_a.b:c")));
        assert!(!acceptable_request_id(&HeaderValue::from_static("")));
        assert!(!acceptable_request_id(&HeaderValue::from_static("a b")));
        assert!(!acceptable_request_id(&HeaderValue::from_static("x\"}{\"admin\":true")));
        assert!(!acceptable_request_id(&HeaderValue::from_str(&"a".repeat(65)).unwrap()));
    }
}
