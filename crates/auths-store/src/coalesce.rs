//! Reads that concurrent requests share, without ever answering stale.
//!
//! On PostgreSQL every request that must be exact reads the data generation (and the
//! form view its reader's draft) from the database: one round trip, which on a busy
//! machine is most of the request. A [`Coalescer`] lets the requests that arrive while
//! such a read is under way share the next one: a request joins the round that is
//! being collected, and a round's statement begins only after every request in it
//! arrived, so it sees every commit that preceded each of them, exactly as a read of
//! its own would. At most one round runs at a time; its answer is handed to all of its
//! requests. Under no load a round holds one request and costs what the read cost.
//!
//! A round that has run longer than [`PATIENCE`] (a database that does not answer, or
//! answers slowly) is not waited for: the requests waiting for it read by themselves,
//! as they would without a coalescer, so that no request waits for two reads.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long the requests waiting for a round let the running one go on before they
/// read by themselves (a round takes well under a millisecond when the database
/// answers).
pub(crate) const PATIENCE: Duration = Duration::from_millis(200);

use auths_domain::RepoError;

/// One shared read: the keys of its requests and, once run, its answer.
struct Round<V> {
    answer: OnceLock<Result<Arc<V>, RepoError>>,
}

impl<V> Default for Round<V> {
    fn default() -> Self {
        Self {
            answer: OnceLock::new(),
        }
    }
}

struct State<K, V> {
    /// The round now collecting requests (not begun).
    open: Arc<Round<V>>,
    /// Its requests' keys.
    keys: Vec<K>,
    /// When the round under way began, if one is.
    running: Option<Instant>,
}

/// Shares reads among concurrent requests (see the module's documentation).
pub(crate) struct Coalescer<K, V> {
    state: Mutex<State<K, V>>,
    done: Condvar,
}

impl<K, V> Default for Coalescer<K, V> {
    fn default() -> Self {
        Self {
            state: Mutex::new(State {
                open: Arc::new(Round::default()),
                keys: Vec::new(),
                running: None,
            }),
            done: Condvar::new(),
        }
    }
}

/// Ends a round however its read ends (a panic included): the round is answered and
/// the next may begin.
struct Ending<'a, K, V> {
    coalescer: &'a Coalescer<K, V>,
    round: Arc<Round<V>>,
}

impl<K, V> Drop for Ending<'_, K, V> {
    fn drop(&mut self) {
        let _ = self.round.answer.set(Err(RepoError::Internal(
            "a shared read ended without an answer".into(),
        )));
        self.coalescer.lock().running = None;
        self.coalescer.done.notify_all();
    }
}

impl<K, V> Coalescer<K, V> {
    fn lock(&self) -> MutexGuard<'_, State<K, V>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Clone, V> Coalescer<K, V> {
    /// The answer of a read that began after this call did, for `key` among the keys of
    /// the requests it serves. `read` runs with those keys (this request's among them)
    /// on the thread of whichever request leads the round.
    ///
    /// # Errors
    /// The read's error, shared by every request of its round.
    pub(crate) fn read(
        &self,
        key: K,
        read: impl FnOnce(Vec<K>) -> Result<V, RepoError>,
    ) -> Result<Arc<V>, RepoError> {
        let mut state = self.lock();
        let round = Arc::clone(&state.open);
        state.keys.push(key.clone());
        loop {
            if let Some(answer) = round.answer.get() {
                return answer.clone();
            }
            match state.running {
                Some(since) if since.elapsed() >= PATIENCE => {
                    // The round under way is stuck: read alone, now (a read that
                    // begins after this request arrived, as a round's would).
                    drop(state);
                    return read(vec![key]).map(Arc::new);
                }
                Some(since) => {
                    let left = PATIENCE.saturating_sub(since.elapsed());
                    state = self
                        .done
                        .wait_timeout(state, left.max(Duration::from_millis(1)))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
                None => {}
            }
            if Arc::ptr_eq(&state.open, &round) {
                // This request leads its round: it closes it and runs its read.
                state.running = Some(Instant::now());
                let keys = std::mem::take(&mut state.keys);
                state.open = Arc::new(Round::default());
                drop(state);
                let ending = Ending {
                    coalescer: self,
                    round: Arc::clone(&round),
                };
                let _ = round.answer.set(read(keys).map(Arc::new));
                drop(ending);
                return round
                    .answer
                    .get()
                    .cloned()
                    .unwrap_or_else(|| Err(RepoError::Internal("no answer".into())));
            }
            state = self
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failing test should fail loudly")]

    use super::Coalescer;
    use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    /// Every request gets an answer read after it arrived: a counter raised before each
    /// request is never above what its answer read. Concurrent requests share reads.
    #[test]
    fn a_shared_read_begins_after_each_of_its_requests() {
        let coalescer = Arc::new(Coalescer::<i64, i64>::default());
        let committed = Arc::new(AtomicI64::new(0));
        let reads = Arc::new(AtomicUsize::new(0));
        let threads = 16;
        let start = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (coalescer, committed, reads, start) = (
                    Arc::clone(&coalescer),
                    Arc::clone(&committed),
                    Arc::clone(&reads),
                    Arc::clone(&start),
                );
                std::thread::spawn(move || {
                    start.wait();
                    for _ in 0..200 {
                        // A write commits, then this request asks.
                        let before = committed.fetch_add(1, Ordering::SeqCst) + 1;
                        let answer = coalescer
                            .read(before, |keys| {
                                reads.fetch_add(1, Ordering::SeqCst);
                                assert!(!keys.is_empty());
                                std::thread::sleep(std::time::Duration::from_micros(50));
                                Ok(committed.load(Ordering::SeqCst))
                            })
                            .unwrap();
                        assert!(*answer >= before, "stale: {answer} < {before}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let reads = reads.load(Ordering::SeqCst);
        assert!(reads < threads * 200, "no read was shared ({reads})");
    }

    /// A request does not wait for a round stuck longer than the patience: it reads
    /// alone and answers within about the patience plus its own read.
    #[test]
    fn a_stuck_round_is_not_waited_for() {
        let coalescer = Arc::new(Coalescer::<u8, u8>::default());
        let stuck = {
            let coalescer = Arc::clone(&coalescer);
            std::thread::spawn(move || {
                coalescer.read(0, |_| {
                    std::thread::sleep(super::PATIENCE * 5);
                    Ok(0)
                })
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        let started = std::time::Instant::now();
        assert_eq!(*coalescer.read(1, |keys| Ok(keys[0])).unwrap(), 1);
        assert!(
            started.elapsed() < super::PATIENCE * 3,
            "{:?}",
            started.elapsed()
        );
        assert_eq!(*stuck.join().unwrap().unwrap(), 0);
    }

    /// A read's error is every request's of its round, and the next round reads again;
    /// a read that panics answers its round with an error instead of leaving it waiting.
    #[test]
    fn errors_and_panics_end_their_round_only() {
        let coalescer = Coalescer::<(), i64>::default();
        let failed = coalescer.read((), |_| Err(auths_domain::RepoError::Stale));
        assert_eq!(failed, Err(auths_domain::RepoError::Stale));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            coalescer.read((), |_| panic!("a read that panics"))
        }));
        assert!(panicked.is_err());
        assert_eq!(*coalescer.read((), |_| Ok(7)).unwrap(), 7);
    }
}
