//! Time and fresh ids, the two impure inputs of the use cases.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Now, truncated to microseconds: the precision both databases keep, so that a value
/// read back equals the value written.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// A fresh opaque id: a UUIDv7, time-ordered so that new rows land at the end of
/// indexes instead of splitting pages at random.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
