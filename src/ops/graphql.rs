use std::time::Duration;

use async_graphql::{Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;

#[derive(Default)]
pub struct ServerQuery;

#[Object]
impl ServerQuery {
    /// The server's clock.
    async fn server_time(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}

#[derive(Default)]
pub struct ServerSubscription;

#[Subscription]
impl ServerSubscription {
    /// The server's clock, every `intervalSecs` seconds (1–60); proves the socket works.
    async fn server_time(&self, #[graphql(default = 1)] interval_secs: u64) -> impl Stream<Item = DateTime<Utc>> {
        let every = Duration::from_secs(interval_secs.clamp(1, 60));
        async_stream::stream! {
            loop {
                yield Utc::now();
                tokio::time::sleep(every).await;
            }
        }
    }
}
