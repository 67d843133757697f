//! graphql-transport-ws on /graphql/ws.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::support::TestApp;

pub async fn connect(app: &TestApp) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut req = format!("ws://{}/graphql/ws", app.addr).into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws
}

pub async fn next_json(ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin)) -> Option<Value> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.ok()?? {
            Ok(Message::Text(t)) => return serde_json::from_str(&t).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            _ => continue,
        }
    }
}

#[tokio::test]
async fn server_time_streams_over_graphql_transport_ws_with_the_session_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut ws = connect(&app).await;
    ws.send(Message::Text(
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", admin.token.unwrap())}}).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "connection_ack");
    ws.send(Message::Text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription{serverTime(intervalSecs:1)}"}}).to_string().into(),
    ))
    .await
    .unwrap();
    for _ in 0..2 {
        let m = next_json(&mut ws).await.unwrap();
        assert_eq!(m["type"], "next");
        assert!(m["payload"]["data"]["serverTime"].is_string());
    }
}

#[tokio::test]
async fn a_revoked_token_in_connection_init_closes_the_socket() {
    let app = TestApp::spawn().await;
    let mut ws = connect(&app).await;
    ws.send(Message::Text(json!({"type": "connection_init", "payload": {"authorization": "Bearer not-a-token"}}).to_string().into()))
        .await
        .unwrap();
    let reply = next_json(&mut ws).await;
    assert!(reply.is_none() || reply.unwrap()["type"] != "connection_ack");
}

/// Queries over the socket get the same error finalisation as over HTTP: a
/// stable code and field, the message in the language of the upgrade request,
/// and no private keys.
#[tokio::test]
async fn errors_over_the_websocket_are_finalised_like_over_http() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut req = format!("ws://{}/graphql/ws", app.addr).into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    req.headers_mut().insert("accept-language", "en".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::Text(
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", admin.token.unwrap())}}).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "connection_ack");
    ws.send(Message::Text(
        json!({"id": "1", "type": "subscribe", "payload": {"query": "{ employees(first: 1000) { totalCount } }"}}).to_string().into(),
    ))
    .await
    .unwrap();
    let m = next_json(&mut ws).await.unwrap();
    let err = &m["payload"]["errors"][0];
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{m}");
    assert_eq!(err["extensions"]["field"], "first");
    assert!(err["extensions"].get("__messageEn").is_none(), "private key leaked: {m}");
    let message = err["message"].as_str().unwrap();
    assert!(message.is_ascii() && !message.is_empty(), "English message expected: {message}");
}
