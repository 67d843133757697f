//! The HTTP surface: GraphQL over HTTP and WebSocket, health probes, the
//! WeCom callback, file upload and download, and the archive ingest.

use axum::{
    extract::DefaultBodyLimit,
    http::{HeaderName, Request},
    routing::{get, post},
    Router,
};
use tower_http::{
    cors::CorsLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use super::{
    http::{self as gql_http, Web},
    wiring::App,
};
use crate::{archive, files, leads, materials, official_accounts, ops, wecom_sync};

pub fn router(app: &App) -> Router {
    let web = Web { state: app.state.clone(), schema: app.schema.clone() };
    let request_id = HeaderName::from_static("x-request-id");
    let body_limit = web.state.config.body_limit_bytes;
    let api = Router::new()
        .route("/graphql/ws", get(super::ws::graphql_ws))
        .route("/graphiql", get(gql_http::graphiql))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/callbacks/wecom/{corp}", get(wecom_sync::callbacks::verify_url).post(wecom_sync::callbacks::receive))
        .route("/callbacks/oa/{corp}/{appid}", get(official_accounts::callbacks::verify_url).post(official_accounts::callbacks::receive))
        .route("/files/{id}", get(files::http::download))
        .route("/r/{token}", get(materials::http::open_tracked))
        .route("/templates/leads.xlsx", get(leads::http::template))
        .route("/archive/{corp}/messages", post(archive::http::ingest))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit));
    // Uploads carry their own, larger limit (an attachment may be 20 MB).
    let uploads = Router::new()
        .route("/files", post(files::http::upload))
        .layer(DefaultBodyLimit::max(files::MAX_FILE_BYTES + 1))
        .layer(RequestBodyLimitLayer::new(files::MAX_FILE_BYTES + 1));
    // `/graphql` limits its bodies itself: JSON to `body_limit`, multipart to
    // one largest file, each refusal a GraphQL error.
    let graphql = Router::new().route("/graphql", get(gql_http::graphql_get).post(gql_http::graphql_post));
    api.merge(uploads)
        .merge(graphql)
        .layer(CorsLayer::permissive())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        // A panic in a handler is a 500 for that request, not a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        // Outermost: vets the client's request id before the layer above keeps it.
        .layer(axum::middleware::from_fn_with_state(web.state.clone(), super::edge::edge))
        .with_state(web)
}
