//! The composition root: the only module that knows every area. It builds
//! the infrastructure (`AppState`), the GraphQL schema and the job runner,
//! and serves them. Only `main.rs`, tests and examples import it.

pub mod demo;
pub mod errors;
pub mod http;
pub mod jobs;
pub mod router;
pub mod runner;
pub mod schema;
pub mod wiring;

use tokio::sync::watch;

pub use router::router;
pub use runner::Runner;
pub use schema::AppSchema;
pub use wiring::App;

/// Serves the app on `listener` in the background until `shutdown` turns true.
pub fn spawn_server(listener: tokio::net::TcpListener, app: &App, mut shutdown: watch::Receiver<bool>) {
    let router = router(app);
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|v| *v).await;
            })
            .await
            .ok();
    });
}
