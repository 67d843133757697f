//! The composition root: the only module that knows every area. It builds
//! the infrastructure (`AppState`), the GraphQL schema and the job runner,
//! and serves them. Only `main.rs`, tests and examples import it.

pub mod demo;
pub mod edge;
pub mod errors;
pub mod http;
pub mod jobs;
pub mod limits;
pub mod multipart;
pub mod router;
pub mod runner;
pub mod schema;
pub mod wiring;
pub mod ws;

use tokio::sync::watch;

pub use router::router;
pub use runner::Runner;
pub use schema::AppSchema;
pub use wiring::App;

/// The router as a service that records each connection's peer address
/// (the client address throttling keys on).
pub fn make_service(app: &App) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, std::net::SocketAddr> {
    router(app).into_make_service_with_connect_info::<std::net::SocketAddr>()
}

/// Serves the app on `listener` in the background until `shutdown` turns true.
pub fn spawn_server(listener: tokio::net::TcpListener, app: &App, mut shutdown: watch::Receiver<bool>) {
    let service = make_service(app);
    tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|v| *v).await;
            })
            .await
            .ok();
    });
}
