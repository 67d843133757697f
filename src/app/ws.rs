//! GraphQL over WebSocket (graphql-transport-ws, and the legacy
//! subscriptions-transport-ws). async-graphql runs the operations; a gate in
//! front of it holds the protocol's rules, which async-graphql's own
//! handling does not: close 4400 for a frame that is not a protocol message,
//! 4401 for `subscribe` before the acknowledgement, 4403 when
//! `connection_init` is refused, 4408 when it never comes, 4409 for a
//! duplicate operation id, 1009 for an oversized message; and a cap on live
//! operations per socket.
//!
//! The session token travels in `connection_init` (`{"authorization":
//! "Bearer …"}` or `{"token": "…"}`), and so may the language
//! (`{"acceptLanguage": "en"}`, else the upgrade request's header). When the
//! session expires or is revoked (logout, on any instance), the server closes
//! the socket with 4403.

use std::collections::HashSet;

use async_graphql::{
    http::{ClientMessage, WebSocket, WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS},
    Data,
};
use axum::{
    extract::{
        ws::{CloseFrame, Message, WebSocket as Socket},
        State, WebSocketUpgrade,
    },
    http::{header, HeaderMap},
    response::Response,
    Extension,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

use super::{edge::ClientIp, errors::Finalizing, http::request_ctx, http::Web, schema::AppSchema};
use crate::{
    error::{Code, Lang, Msg},
    state::AppState,
};

const TOO_MANY_OPERATIONS: Msg =
    Msg::new("TOO_MANY_OPERATIONS", "同一连接上的订阅数量已达上限", "Too many live operations on this connection");

/// The token a `connection_init` payload carries.
fn init_token(payload: &Value) -> Option<String> {
    payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str())
        .map(|s| s.strip_prefix("Bearer ").unwrap_or(s).trim().to_string())
        .or_else(|| payload.get("token").and_then(|v| v.as_str()).map(str::to_string))
}

/// The language a `connection_init` payload asks for, if any (browsers cannot
/// set headers on a WebSocket upgrade).
fn init_lang(payload: &Value) -> Option<Lang> {
    ["acceptLanguage", "accept-language", "Accept-Language"]
        .iter()
        .find_map(|k| payload.get(*k))
        .and_then(|v| v.as_str())
        .map(|v| Lang::from_accept_language(Some(v)))
}

pub async fn graphql_ws(
    State(web): State<Web>,
    Extension(client): Extension<ClientIp>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Web { state: app, schema } = web;
    // The first sub-protocol the client offers that we speak; graphql-transport-ws by default.
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').find_map(|p| p.trim().parse::<WebSocketProtocols>().ok()))
        .unwrap_or(WebSocketProtocols::GraphQLWS);
    let max = app.config.ws_max_message_bytes;
    // Alert sockets are many and quiet: small buffers (tungstenite's default is 128 KiB each way).
    let upgrade = upgrade.read_buffer_size(8 * 1024).write_buffer_size(8 * 1024).max_message_size(max).max_frame_size(max);
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| serve(socket, app, schema, headers, client, protocol))
}

/// What the gate knows of the connection.
#[derive(Default)]
struct Gate {
    /// subscriptions-transport-ws clients send `start` right after
    /// `connection_init` without awaiting the ack; async-graphql runs the
    /// init before reading on, so only a `start` with no init is refused there.
    legacy: bool,
    init_seen: bool,
    acked: bool,
    live: HashSet<String>,
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

async fn serve(socket: Socket, app: AppState, schema: AppSchema, headers: HeaderMap, client: ClientIp, protocol: WebSocketProtocols) {
    let (mut sink, mut stream) = socket.split();
    let (to_gql, mut gql_inbox) = tokio::sync::mpsc::channel::<serde_json::Result<ClientMessage>>(16);
    let input = futures_util::stream::poll_fn(move |cx| gql_inbox.poll_recv(cx));
    // The session, once connection_init has authenticated it.
    let (session_tx, mut session_rx) = tokio::sync::watch::channel::<Option<(i64, chrono::DateTime<chrono::Utc>)>>(None);
    let init_app = app.clone();
    let init_headers = headers.clone();
    let mut out = WebSocket::from_message_stream(Finalizing(schema), input, protocol).on_connection_init(move |payload| async move {
        let mut rctx = request_ctx(&init_app, &init_headers, client, init_token(&payload).as_deref()).await;
        if rctx.token_rejected {
            return Err(async_graphql::Error::new("Forbidden"));
        }
        if let Some(lang) = init_lang(&payload) {
            rctx.lang = lang;
        }
        if let Some(a) = &rctx.auth {
            let expires = a
                .scope
                .find::<entity::session::Entity>(&init_app.db, Some(a.session_id))
                .await
                .ok()
                .flatten()
                .map(|s| s.access_expires_at)
                .unwrap_or_else(chrono::Utc::now);
            let _ = session_tx.send(Some((a.session_id, expires)));
        }
        let mut data = Data::default();
        super::schema::insert_request_data(&mut data, &init_app, rctx);
        Ok(data)
    });
    let bus = app.bus.clone();
    let clock = app.clock.clone();
    let session_end = async move {
        let found = match session_rx.wait_for(Option::is_some).await {
            Ok(v) => *v,
            Err(_) => None,
        };
        let Some((id, expires)) = found else { return std::future::pending().await };
        let mut revoked = bus.session_watch(id);
        let left = (expires - clock.now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(left) => {}
            _ = revoked.revoked() => {}
        }
    };
    tokio::pin!(session_end);
    let init_deadline = tokio::time::sleep(std::time::Duration::from_secs(app.config.ws_init_timeout_secs));
    tokio::pin!(init_deadline);
    let mut gate = Gate { legacy: protocol == WebSocketProtocols::SubscriptionsTransportWS, ..Gate::default() };
    let mut lang = Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let max_live = app.config.ws_max_operations;
    loop {
        let reply: Option<Message> = tokio::select! {
            frame = stream.next() => match frame {
                None => break,
                Some(Err(e)) => {
                    // axum hides tungstenite's error type; its capacity error reads "Message too long: …".
                    if e.to_string().contains("too long") { Some(close(1009, "Message too big")) } else { break }
                }
                Some(Ok(Message::Close(_))) => break,
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                    match ClientMessage::from_bytes(m.into_data()) {
                        Err(_) => Some(close(4400, "Invalid message")),
                        Ok(msg) => match admit(&mut gate, &msg, max_live, &mut lang) {
                            Admit::Forward => {
                                if to_gql.send(Ok(msg)).await.is_err() { break }
                                None
                            }
                            Admit::Refuse(id) => Some(Message::Text(operation_refused(&id, lang).into())),
                            Admit::Close(code, reason) => Some(close(code, &reason)),
                        },
                    }
                }
                Some(Ok(_)) => None,
            },
            m = out.next() => match m {
                None => break,
                Some(WsMessage::Text(t)) => {
                    observe(&mut gate, &t);
                    Some(Message::Text(t.into()))
                }
                // async-graphql closes 1002 when connection_init is refused (every
                // frame it sees passed the gate's parse), and 1011 for an operation
                // before the handshake; the protocol says 4403 and 4401.
                Some(WsMessage::Close(1002, _)) if !gate.acked => Some(close(4403, "Forbidden")),
                Some(WsMessage::Close(1011, _)) => Some(close(4401, "Unauthorized")),
                Some(WsMessage::Close(code, reason)) => Some(close(code, &reason)),
            },
            _ = &mut init_deadline, if !gate.init_seen => Some(close(4408, "Connection initialisation timeout")),
            _ = &mut session_end => Some(close(4403, "Forbidden: session ended")),
        };
        let Some(reply) = reply else { continue };
        let closing = matches!(reply, Message::Close(_));
        if sink.send(reply).await.is_err() || closing {
            break;
        }
    }
}

enum Admit {
    Forward,
    /// Answer this operation id with an error; the connection stays.
    Refuse(String),
    Close(u16, String),
}

fn admit(gate: &mut Gate, msg: &ClientMessage, max_live: usize, lang: &mut Lang) -> Admit {
    match msg {
        ClientMessage::ConnectionInit { payload } => {
            gate.init_seen = true;
            if let Some(l) = payload.as_ref().and_then(init_lang) {
                *lang = l;
            }
            Admit::Forward
        }
        ClientMessage::Start { .. } if !(gate.acked || (gate.legacy && gate.init_seen)) => Admit::Close(4401, "Unauthorized".into()),
        ClientMessage::Start { id, .. } if gate.live.contains(id) => Admit::Close(4409, format!("Subscriber for {id} already exists")),
        ClientMessage::Start { id, .. } if gate.live.len() >= max_live => Admit::Refuse(id.clone()),
        ClientMessage::Start { id, .. } => {
            gate.live.insert(id.clone());
            Admit::Forward
        }
        ClientMessage::Stop { id } => {
            gate.live.remove(id);
            Admit::Forward
        }
        _ => Admit::Forward,
    }
}

/// Notes what the server said: the acknowledgement, and operations it ended.
fn observe(gate: &mut Gate, text: &str) {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(rename = "type", borrow)]
        ty: &'a str,
        #[serde(borrow)]
        id: Option<std::borrow::Cow<'a, str>>,
    }
    let Ok(head) = serde_json::from_str::<Head>(text) else { return };
    match (head.ty, head.id) {
        ("connection_ack", _) => gate.acked = true,
        ("complete" | "error", Some(id)) => {
            gate.live.remove(id.as_ref());
        }
        _ => {}
    }
}

/// The protocol's `error` message for an operation refused before it ran.
fn operation_refused(id: &str, lang: Lang) -> String {
    json!({
        "id": id,
        "type": "error",
        "payload": [{
            "message": TOO_MANY_OPERATIONS.text(lang),
            "extensions": {"code": Code::RateLimited.as_str(), "reason": TOO_MANY_OPERATIONS.reason},
        }],
    })
    .to_string()
}
