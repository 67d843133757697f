//! The server's clock. Production reads the system time; tests move it
//! forward (`advance`) so timers such as reply timeouts fire without waiting.
//! Every deadline the job queue and the alert rules compare goes through it.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Default, Debug)]
pub struct Clock {
    /// Milliseconds added to the system time.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}
