//! Slowing down credential guessing: after [`MAX_FAILURES`] failed credentials from one
//! address within [`WINDOW`], every failed credential from that address is answered
//! 429 ("Too many tries, please try again in a few minutes.", as Foreman says) instead
//! of 401 until the oldest failure leaves the window, while valid keys from the same
//! address (other clients behind one proxy or NAT) go through. Memory is bounded: at most [`MAX_ADDRESSES`]
//! addresses are tracked; past that the tracker starts over. The number of failures is
//! the server's setting ([`FailedLogins::new`]); 0 turns the slow-down off (behind a
//! reverse proxy every client has the proxy's address).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures that trigger the slow-down, by default.
pub const MAX_FAILURES: usize = 30;
/// Over how long.
pub const WINDOW: Duration = Duration::from_secs(300);
/// Most addresses tracked at once.
pub const MAX_ADDRESSES: usize = 100_000;
/// What a throttled caller is told.
pub const MESSAGE: &str = "Too many tries, please try again in a few minutes.";

/// Recent failures by address.
#[derive(Debug)]
pub struct FailedLogins {
    recent: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    max_failures: usize,
}

impl Default for FailedLogins {
    /// [`MAX_FAILURES`] in [`WINDOW`].
    fn default() -> Self {
        Self::new(MAX_FAILURES)
    }
}

impl FailedLogins {
    /// A tracker that throttles an address after `max_failures` failures in
    /// [`WINDOW`]; 0 never throttles.
    pub fn new(max_failures: usize) -> Self {
        Self {
            recent: Mutex::default(),
            max_failures,
        }
    }

    fn prune(list: &mut VecDeque<Instant>, now: Instant) {
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            list.pop_front();
        }
    }

    /// Whether `ip` is throttled now.
    pub fn is_throttled(&self, ip: IpAddr) -> bool {
        if self.max_failures == 0 {
            return false;
        }
        let now = Instant::now();
        let Ok(mut map) = self.recent.lock() else {
            return false;
        };
        match map.get_mut(&ip) {
            Some(list) => {
                Self::prune(list, now);
                list.len() >= self.max_failures
            }
            None => false,
        }
    }

    /// Records a failed credential from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        if self.max_failures == 0 {
            return;
        }
        let now = Instant::now();
        let Ok(mut map) = self.recent.lock() else {
            return;
        };
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&ip) {
            map.retain(|_, list| {
                Self::prune(list, now);
                !list.is_empty()
            });
            if map.len() >= MAX_ADDRESSES {
                map.clear();
            }
        }
        let list = map.entry(ip).or_default();
        Self::prune(list, now);
        if list.len() < self.max_failures {
            list.push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_failures_throttle_one_address_only() {
        let t = FailedLogins::default();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed(a);
        }
        assert!(!t.is_throttled(a));
        t.failed(a);
        assert!(t.is_throttled(a));
        assert!(!t.is_throttled(b));
        for _ in 0..100 {
            t.failed(a);
        }
        assert_eq!(
            t.recent.lock().unwrap()[&a].len(),
            MAX_FAILURES,
            "bounded per address"
        );
    }

    #[test]
    fn the_limit_is_a_setting_and_zero_turns_it_off() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let three = FailedLogins::new(3);
        for _ in 0..3 {
            assert!(!three.is_throttled(a));
            three.failed(a);
        }
        assert!(three.is_throttled(a));
        let off = FailedLogins::new(0);
        for _ in 0..1000 {
            off.failed(a);
        }
        assert!(!off.is_throttled(a));
        assert!(off.recent.lock().unwrap().is_empty(), "nothing kept");
    }
}
