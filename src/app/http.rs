//! GraphQL over HTTP, per the GraphQL-over-HTTP specification:
//! POST with `application/json`, or `multipart/form-data` per the GraphQL
//! multipart request spec (file uploads); GET for queries only (a mutation over GET is
//! 405); `Accept` negotiation between `application/graphql-response+json` and
//! `application/json` (406 when neither is acceptable); request errors are 400
//! under the new media type and 200 under the legacy one. Also the GraphiQL
//! page. The WebSocket transport is in `ws.rs`.

use async_graphql::{
    http::GraphiQLSource,
    parser::types::{DocumentOperations, OperationType},
    Executor, Response as GqlResponse, Variables,
};
use axum::{
    body::Body,
    extract::{FromRef, RawQuery, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{Html, IntoResponse, Response},
    Extension,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{edge::ClientIp, errors::Finalizing, multipart::Refusal, schema::AppSchema};
use crate::{
    auth,
    error::{Code, Lang, Msg},
    files,
    graphql::context::RequestCtx,
    state::AppState,
};

/// What the handlers share: the state, and the schema for the GraphQL ones.
/// Area handlers take `State<AppState>` alone.
#[derive(Clone, FromRef)]
pub struct Web {
    pub state: AppState,
    pub schema: AppSchema,
}

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

#[derive(Clone, Copy, PartialEq, Debug)]
enum MediaType {
    GraphqlResponse,
    Json,
}

impl MediaType {
    fn header(self) -> &'static str {
        match self {
            MediaType::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            MediaType::Json => JSON,
        }
    }
}

/// Highest-q acceptable media type; a tie prefers `application/graphql-response+json`.
fn negotiate(headers: &HeaderMap) -> Option<MediaType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let ty = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok())).unwrap_or(1.0);
        let media = match ty.as_str() {
            "application/graphql-response+json" => MediaType::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((bq, bm)) => q > bq || (q == bq && media == MediaType::GraphqlResponse && bm != media),
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map(|(_, m)| m)
}

struct Params {
    query: String,
    variables: Option<Map<String, Value>>,
    operation_name: Option<String>,
    extensions: Option<Map<String, Value>>,
}

fn bad_request(media: MediaType, message: &str) -> Response {
    let body =
        json!({"errors": [{"message": message, "extensions": {"code": Code::BadUserInput.as_str(), "reason": "REQUEST_MALFORMED"}}]});
    (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, media.header())], body.to_string()).into_response()
}

/// 413 for a request (not a file) past `body_limit_bytes`.
fn too_large(media: MediaType) -> Response {
    let body = json!({"errors": [{"message": "request body too large", "extensions": {"code": Code::BadUserInput.as_str(), "reason": "REQUEST_TOO_LARGE"}}]});
    (StatusCode::PAYLOAD_TOO_LARGE, [(header::CONTENT_TYPE, media.header())], body.to_string()).into_response()
}

fn params_from_json(v: Value) -> Result<Params, &'static str> {
    let Value::Object(mut o) = v else { return Err("request body must be a JSON object") };
    let query = match o.remove("query") {
        Some(Value::String(q)) => q,
        _ => return Err("`query` must be a string"),
    };
    let variables = match o.remove("variables") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        _ => return Err("`variables` must be an object"),
    };
    let operation_name = match o.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        _ => return Err("`operationName` must be a string"),
    };
    let extensions = match o.remove("extensions") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        _ => return Err("`extensions` must be an object"),
    };
    Ok(Params { query, variables, operation_name, extensions })
}

#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    variables: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    extensions: Option<String>,
}

fn params_from_get(raw: &str) -> Result<Params, &'static str> {
    let p: GetParams = serde_urlencoded::from_str(raw).map_err(|_| "invalid query string")?;
    let query = p.query.ok_or("`query` is required")?;
    let parse_map = |s: Option<String>, what: &'static str| -> Result<Option<Map<String, Value>>, &'static str> {
        match s.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => match serde_json::from_str::<Value>(&s) {
                Ok(Value::Object(m)) => Ok(Some(m)),
                Ok(Value::Null) => Ok(None),
                _ => Err(what),
            },
        }
    };
    Ok(Params {
        query,
        variables: parse_map(p.variables, "`variables` must be a JSON object")?,
        operation_name: p.operation_name.filter(|s| !s.is_empty()),
        extensions: parse_map(p.extensions, "`extensions` must be a JSON object")?,
    })
}

pub async fn graphql_get(
    State(web): State<Web>,
    Extension(client): Extension<ClientIp>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let raw = raw.unwrap_or_default();
    let wants_html = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if wants_html && !raw.contains("query=") {
        return Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").title("wecrm").finish())
            .into_response();
    }
    let Some(media) = negotiate(&headers) else { return StatusCode::NOT_ACCEPTABLE.into_response() };
    match params_from_get(&raw) {
        Ok(params) => execute(web, headers, client, params, media, Method::GET).await,
        Err(msg) => bad_request(media, msg),
    }
}

pub async fn graphql_post(State(web): State<Web>, Extension(client): Extension<ClientIp>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else { return StatusCode::NOT_ACCEPTABLE.into_response() };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut ct = content_type.split(';');
    let essence = ct.next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "multipart/form-data" {
        return multipart(web, headers, client, &content_type, body, media).await;
    }
    if essence != "application/json" {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            [(header::CONTENT_TYPE, media.header())],
            json!({"errors": [{"message": "Content-Type must be application/json or multipart/form-data", "extensions": {"code": "BAD_USER_INPUT", "reason": "REQUEST_MALFORMED"}}]}).to_string(),
        )
            .into_response();
    }
    let charset_ok = ct.all(|p| match p.trim().to_ascii_lowercase().strip_prefix("charset=") {
        Some(cs) => cs.trim_matches('"') == "utf-8",
        None => true,
    });
    if !charset_ok {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "only utf-8 is supported").into_response();
    }
    // The route admits upload-sized bodies; a JSON body keeps the usual limit.
    let body = match axum::body::to_bytes(body, web.state.config.body_limit_bytes).await {
        Ok(body) => body,
        Err(e) if e.to_string().contains("length limit") => return too_large(media),
        Err(_) => return bad_request(media, "the request body could not be read"),
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return bad_request(media, "request body is not valid JSON"),
    };
    match params_from_json(value) {
        Ok(params) => execute(web, headers, client, params, media, Method::POST).await,
        Err(msg) => bad_request(media, msg),
    }
}

/// A GraphQL multipart request (file uploads; see `multipart.rs`). Only a
/// caller with a session may send one: nothing is spooled for anyone else.
async fn multipart(web: Web, headers: HeaderMap, client: ClientIp, content_type: &str, body: Body, media: MediaType) -> Response {
    let rctx = request_ctx(&web.state, &headers, client, auth::service::bearer(&headers)).await;
    let refuse = |status: StatusCode, code: Code, msg: Msg, field: Option<&str>| {
        let body = json!({"errors": [{"message": msg.text(rctx.lang), "extensions": {"code": code.as_str(), "reason": msg.reason, "field": field}}]});
        (status, [(header::CONTENT_TYPE, media.header())], body.to_string()).into_response()
    };
    if rctx.auth.is_none() {
        return refuse(StatusCode::UNAUTHORIZED, Code::Unauthenticated, crate::error::msg::LOGIN_REQUIRED, None);
    }
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > super::multipart::MAX_BODY_BYTES) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, Code::BadUserInput, files::media::FILE_TOO_LARGE, Some("file"));
    }
    match super::multipart::receive(content_type, body, web.state.config.body_limit_bytes).await {
        Ok(request) => run(web, rctx, request, media).await,
        Err(Refusal::FileTooLarge) => refuse(StatusCode::PAYLOAD_TOO_LARGE, Code::BadUserInput, files::media::FILE_TOO_LARGE, Some("file")),
        Err(Refusal::RequestTooLarge) => too_large(media),
        Err(Refusal::Malformed(why)) => bad_request(media, &format!("invalid multipart request: {why}")),
        Err(Refusal::Internal(e)) => {
            tracing::error!(request_id = %rctx.request_id, error = ?e, "spooling an upload failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, Code::Internal, crate::error::msg::INTERNAL, None)
        }
    }
}

/// Builds the per-request context: request id, language, client and caller.
/// The request id was vetted (or made) by the router's edge layer.
pub async fn request_ctx(app: &AppState, headers: &HeaderMap, client: ClientIp, token: Option<&str>) -> RequestCtx {
    let request_id =
        headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let lang = Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let (auth, token_rejected) = match token {
        None => (None, false),
        Some(t) => match auth::service::authenticate(app, t).await {
            Ok(Some(a)) => (Some(a), false),
            Ok(None) => (None, true),
            Err(e) => {
                tracing::error!(error = ?e, "authentication lookup failed");
                (None, true)
            }
        },
    };
    RequestCtx { request_id, lang, client_ip: client.0, auth, token_rejected, fresh_login: Default::default() }
}

async fn execute(web: Web, headers: HeaderMap, client: ClientIp, params: Params, media: MediaType, method: Method) -> Response {
    let mut request = async_graphql::Request::new(params.query);
    if let Some(v) = params.variables {
        request = request.variables(Variables::from_json(Value::Object(v)));
    }
    if let Some(op) = params.operation_name {
        request = request.operation_name(op);
    }
    if let Some(ext) = params.extensions {
        for (k, v) in ext {
            if let Ok(v) = async_graphql::Value::from_json(v) {
                request.extensions.insert(k, v);
            }
        }
    }
    if method == Method::GET {
        let op_name = request.operation_name.clone();
        if let Ok(doc) = request.parsed_query() {
            let ty = match &doc.operations {
                DocumentOperations::Single(op) => Some(op.node.ty),
                DocumentOperations::Multiple(ops) => match &op_name {
                    Some(name) => ops.iter().find(|(n, _)| n.as_str() == name).map(|(_, op)| op.node.ty),
                    None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
                    None => None,
                },
            };
            if ty.is_some_and(|t| t != OperationType::Query) {
                return (
                    StatusCode::METHOD_NOT_ALLOWED,
                    [(header::ALLOW, HeaderValue::from_static("POST"))],
                    "mutations and subscriptions must use POST",
                )
                    .into_response();
            }
        }
    }
    let rctx = request_ctx(&web.state, &headers, client, auth::service::bearer(&headers)).await;
    run(web, rctx, request, media).await
}

/// Runs a request with the caller's context and renders the answer.
async fn run(web: Web, rctx: RequestCtx, request: async_graphql::Request, media: MediaType) -> Response {
    let Web { state: app, schema } = web;
    let request = super::schema::with_request_data(request, &app, rctx);
    let response = Finalizing(schema).execute(request).await;
    render(response, media)
}

/// The HTTP answer for a response whose errors the schema already finalised.
fn render(response: GqlResponse, media: MediaType) -> Response {
    let request_error =
        response.data == async_graphql::Value::Null && !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty());
    let mut body = Map::new();
    if !request_error {
        body.insert("data".into(), response.data.into_json().unwrap_or(Value::Null));
    }
    if !response.errors.is_empty() {
        body.insert("errors".into(), serde_json::to_value(&response.errors).unwrap_or(Value::Null));
    }
    if !response.extensions.is_empty() {
        body.insert("extensions".into(), serde_json::to_value(&response.extensions).unwrap_or(Value::Null));
    }
    let status = if request_error && media == MediaType::GraphqlResponse { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, [(header::CONTENT_TYPE, media.header())], Value::Object(body).to_string()).into_response()
}

pub async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql/ws").title("wecrm").finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(accept: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        m
    }

    #[test]
    fn negotiation_follows_q_values_and_prefers_the_new_media_type_on_ties() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(MediaType::Json));
        assert_eq!(negotiate(&h("application/graphql-response+json, application/json")), Some(MediaType::GraphqlResponse));
        assert_eq!(negotiate(&h("application/json;q=1, application/graphql-response+json;q=0.5")), Some(MediaType::Json));
        assert_eq!(negotiate(&h("*/*")), Some(MediaType::Json));
        assert_eq!(negotiate(&h("text/html")), None);
    }
}
