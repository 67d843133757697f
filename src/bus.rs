//! The event bus: every alert and session end, delivered to the subscribers
//! of every server instance. Without Redis it is in-process; with Redis each
//! message is PUBLISHed once and every instance (the publisher included)
//! receives it from its one SUBSCRIBE connection, so a subscriber on any
//! instance gets it exactly once.
//!
//! Delivery is addressed: the hub keeps subscribers by (corp, employee) and
//! hands an alert only to its recipients' streams, so the cost of an alert
//! is its recipients, not the number of open sockets.

use std::sync::PoisonError;
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, RwLock,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

/// An alert as it travels: who it is for, and what to show.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AlertEvent {
    pub id: i64,
    pub corp_id: i64,
    /// RADAR, TIMEOUT or SENSITIVE.
    pub category: String,
    pub kind: String,
    pub recipients: Vec<i64>,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub employee_id: Option<i64>,
    pub text: String,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
pub enum BusMessage {
    Alert(AlertEvent),
    /// A session was revoked (logout, resignation): its sockets close.
    SessionEnded {
        session_id: i64,
    },
}

/// How many alerts a slow subscriber may have waiting before newer ones are dropped for it.
const SUBSCRIBER_BUFFER: usize = 256;

type Subscribers = HashMap<(i64, i64), Vec<(u64, mpsc::Sender<Arc<AlertEvent>>)>>;

#[derive(Default)]
struct Hub {
    alerts: RwLock<Subscribers>,
    sessions: RwLock<HashMap<i64, watch::Sender<bool>>>,
    next: AtomicU64,
}

impl Hub {
    fn deliver(&self, msg: BusMessage) {
        match msg {
            BusMessage::Alert(a) => {
                let a = Arc::new(a);
                let subs = self.alerts.read().unwrap_or_else(PoisonError::into_inner);
                for r in &a.recipients {
                    if let Some(list) = subs.get(&(a.corp_id, *r)) {
                        for (_, tx) in list {
                            if tx.try_send(a.clone()).is_err() {
                                tracing::warn!(employee = r, "alert subscriber lagging; alert dropped for it");
                            }
                        }
                    }
                }
            }
            BusMessage::SessionEnded { session_id } => {
                if let Some(tx) = self.sessions.read().unwrap_or_else(PoisonError::into_inner).get(&session_id) {
                    let _ = tx.send(true);
                }
            }
        }
    }
}

#[derive(Clone)]
pub struct Bus {
    hub: Arc<Hub>,
    redis: Option<(ConnectionManager, String)>,
}

/// A subscriber's stream of alerts; unregisters itself when dropped.
pub struct AlertStream {
    rx: mpsc::Receiver<Arc<AlertEvent>>,
    key: (i64, i64),
    id: u64,
    hub: Arc<Hub>,
}

impl AlertStream {
    pub async fn recv(&mut self) -> Option<Arc<AlertEvent>> {
        self.rx.recv().await
    }
}

impl Drop for AlertStream {
    fn drop(&mut self) {
        let mut subs = self.hub.alerts.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = subs.get_mut(&self.key) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                subs.remove(&self.key);
            }
        }
    }
}

/// A socket's watch on its session; the hub forgets the session when the
/// last socket of it closes.
pub struct SessionWatch {
    rx: watch::Receiver<bool>,
    session_id: i64,
    hub: Arc<Hub>,
}

impl SessionWatch {
    /// Resolves when the session is revoked.
    pub async fn revoked(&mut self) {
        let _ = self.rx.wait_for(|r| *r).await;
    }
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        let mut sessions = self.hub.sessions.write().unwrap_or_else(PoisonError::into_inner);
        // This watch's receiver is still alive here: it is the last one when the count is 1.
        if sessions.get(&self.session_id).is_some_and(|tx| tx.receiver_count() <= 1) {
            sessions.remove(&self.session_id);
        }
    }
}

impl Bus {
    pub fn memory() -> Bus {
        Bus { hub: Arc::default(), redis: None }
    }

    /// Publishes through Redis channel `<prefix>bus`; a background task
    /// relays what the channel carries to this instance's subscribers, and
    /// reconnects when the connection drops.
    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Bus> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client.clone()).await?;
        let channel = format!("{prefix}bus");
        let hub: Arc<Hub> = Arc::default();
        // Subscribe before returning, so nothing published after start-up is missed.
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&channel).await?;
        let (relay_hub, relay_channel) = (hub.clone(), channel.clone());
        tokio::spawn(async move {
            let mut pubsub = Some(pubsub);
            loop {
                if let Some(mut ps) = pubsub.take() {
                    let mut messages = ps.on_message();
                    while let Some(m) = messages.next().await {
                        let Ok(text) = m.get_payload::<String>() else { continue };
                        match serde_json::from_str::<BusMessage>(&text) {
                            Ok(msg) => relay_hub.deliver(msg),
                            Err(e) => tracing::warn!(error = %e, "unreadable bus message"),
                        }
                    }
                    tracing::warn!("bus subscription lost; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                match client.get_async_pubsub().await {
                    Ok(mut ps) => {
                        if ps.subscribe(&relay_channel).await.is_ok() {
                            pubsub = Some(ps);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "bus reconnect failed"),
                }
            }
        });
        Ok(Bus { hub, redis: Some((conn, channel)) })
    }

    pub async fn publish(&self, msg: BusMessage) -> anyhow::Result<()> {
        match &self.redis {
            None => {
                self.hub.deliver(msg);
                Ok(())
            }
            Some((conn, channel)) => {
                let mut conn = conn.clone();
                let text = serde_json::to_string(&msg)?;
                let _: i64 = redis::cmd("PUBLISH").arg(channel).arg(text).query_async(&mut conn).await?;
                Ok(())
            }
        }
    }

    /// Alerts addressed to this employee, from now on.
    pub fn subscribe(&self, corp_id: i64, employee_id: i64) -> AlertStream {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_BUFFER);
        let id = self.hub.next.fetch_add(1, Ordering::Relaxed);
        self.hub.alerts.write().unwrap_or_else(PoisonError::into_inner).entry((corp_id, employee_id)).or_default().push((id, tx));
        AlertStream { rx, key: (corp_id, employee_id), id, hub: self.hub.clone() }
    }

    /// Turns true when the session is revoked (on any instance).
    pub fn session_watch(&self, session_id: i64) -> SessionWatch {
        let mut sessions = self.hub.sessions.write().unwrap_or_else(PoisonError::into_inner);
        let rx = sessions.entry(session_id).or_insert_with(|| watch::channel(false).0).subscribe();
        SessionWatch { rx, session_id, hub: self.hub.clone() }
    }

    /// Open alert streams on this instance.
    pub fn subscriber_count(&self) -> usize {
        self.hub.alerts.read().unwrap_or_else(PoisonError::into_inner).values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(corp: i64, recipients: Vec<i64>) -> BusMessage {
        BusMessage::Alert(AlertEvent {
            id: 1,
            corp_id: corp,
            category: "RADAR".into(),
            kind: "JOINED_GROUP".into(),
            recipients,
            customer_id: None,
            group_id: None,
            employee_id: None,
            text: String::new(),
            payload: Value::Null,
            occurred_at: Utc::now(),
        })
    }

    #[tokio::test]
    async fn an_alert_reaches_only_its_recipients_in_its_corp() {
        let bus = Bus::memory();
        let (mut a, mut b, mut other_corp) = (bus.subscribe(1, 10), bus.subscribe(1, 11), bus.subscribe(2, 10));
        bus.publish(alert(1, vec![10])).await.unwrap();
        assert_eq!(a.recv().await.unwrap().recipients, vec![10]);
        assert!(b.rx.try_recv().is_err());
        assert!(other_corp.rx.try_recv().is_err());
        drop(a);
        assert_eq!(bus.subscriber_count(), 2);
    }

    #[tokio::test]
    async fn a_session_end_wakes_its_sockets_and_the_last_one_out_forgets_it() {
        let bus = Bus::memory();
        let (mut one, two) = (bus.session_watch(7), bus.session_watch(7));
        bus.publish(BusMessage::SessionEnded { session_id: 7 }).await.unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(1), one.revoked()).await.expect("woken");
        drop(one);
        assert!(bus.hub.sessions.read().unwrap().contains_key(&7), "the other socket still watches");
        drop(two);
        assert!(bus.hub.sessions.read().unwrap().is_empty());
    }
}
