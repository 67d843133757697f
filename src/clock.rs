//! The server's clock. Production reads the system time; tests move it
//! forward (`advance`) so timers such as reply timeouts fire without waiting.
//! Every deadline the job queue and the alert rules compare goes through it.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

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

/// A time as people in China read it in exported files: `2026-12-07 15:04:05`.
pub fn china_text(at: DateTime<Utc>) -> String {
    at.with_timezone(&china()).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// China time (UTC+8): push windows, working hours, schedules and exported
/// times are read in it.
pub fn china() -> FixedOffset {
    CHINA
}

// Evaluated at compile time: an out-of-range offset fails the build, not a request.
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Minutes since midnight of an "HH:MM" time; "24:00" ends the day.
pub fn minute_of_day(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

/// The instant China's day `day` begins.
pub fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    (day.and_time(NaiveTime::MIN) - Duration::seconds(i64::from(CHINA.local_minus_utc()))).and_utc()
}
