//! Cached answers of the read use cases, valid for one data generation.
//!
//! A read use case that is asked the same question again (the same caller, the same
//! request) answers from here when nothing has been written since: every write
//! transaction, in this process or any other, raises the store's data generation
//! ([`auths_domain::Store::generation`]), and an answer is only ever reused at the
//! generation it was computed at. So an answer from the cache is exact, never stale,
//! and checking costs one primary-key read instead of the search itself.
//!
//! Memory is bounded twice: by entries and by an estimate of their bytes; the least
//! recently used answers go first. `/refresh` empties it.

use std::any::Any;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::AppError;

/// The kinds of cached answers; `/refresh` reports them as its invalidated tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tag {
    /// `POST /search` answers.
    Search,
    /// The Foreman-compatible index.
    ExternalIndex,
    /// The small catalogs' options every form lists.
    Options,
}

impl Tag {
    pub(crate) const ALL: [Tag; 3] = [Tag::Search, Tag::ExternalIndex, Tag::Options];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Tag::Search => "search",
            Tag::ExternalIndex => "external_index",
            Tag::Options => "catalog_options",
        }
    }
}

/// How many answers at most.
const MAX_ENTRIES: usize = 4096;
/// How many bytes of answers at most (estimated by the caller of [`Answers::put`]).
pub(crate) const MAX_BYTES: usize = 32 << 20;
/// An answer larger than this is not kept (it would push out many smaller ones).
const MAX_ONE: usize = MAX_BYTES / 16;

struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    bytes: usize,
}

struct Inner {
    /// The newest generation seen; entries of older ones are gone.
    generation: i64,
    entries: LruCache<(Tag, String), Entry>,
    bytes: usize,
}

/// The cache. Cheap when idle: one mutex, held only to look up or insert.
pub(crate) struct Answers {
    inner: Mutex<Inner>,
    /// One gate a question being answered: the requests that ask it meanwhile wait for
    /// that answer instead of computing it again (a search at 100k auths costs tens of
    /// milliseconds; sixteen of them at once would cost a second).
    computing: Mutex<Gates>,
}

/// The gates of the questions being answered.
type Gates = HashMap<(Tag, String), Arc<Mutex<Option<AppError>>>>;

/// A held gate: dropping it lets the waiters in, and forgets the gate when none is left.
pub(crate) struct Gate<'a> {
    answers: &'a Answers,
    key: (Tag, String),
    /// The error of the last computation through this gate, which its waiters share.
    gate: Arc<Mutex<Option<AppError>>>,
}

impl Gate<'_> {
    /// Waits for whoever computes this answer now, then holds the gate. `f` is given
    /// the failure of the computation it waited for, if that failed (so that waiters
    /// share one failure instead of each waiting out their own), and records its own.
    pub(crate) fn hold<T>(&self, f: impl FnOnce(&mut Option<AppError>) -> T) -> T {
        let mut failed = self
            .gate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut failed)
    }
}

impl Drop for Gate<'_> {
    fn drop(&mut self) {
        if let Ok(mut computing) = self.answers.computing.lock() {
            // Ours and the map's are the last two references: nobody waits.
            if Arc::strong_count(&self.gate) <= 2 {
                computing.remove(&self.key);
            }
        }
    }
}

impl std::fmt::Debug for Answers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (len, bytes) = self
            .inner
            .lock()
            .map(|i| (i.entries.len(), i.bytes))
            .unwrap_or_default();
        f.debug_struct("Answers")
            .field("entries", &len)
            .field("bytes", &bytes)
            .finish()
    }
}

impl Default for Answers {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                generation: i64::MIN,
                entries: LruCache::new(NonZeroUsize::MIN.saturating_add(MAX_ENTRIES - 1)),
                bytes: 0,
            }),
            computing: Mutex::new(HashMap::new()),
        }
    }
}

impl Answers {
    /// The gate of one question (see [`Answers::computing`]).
    pub(crate) fn gate(&self, tag: Tag, key: &str) -> Gate<'_> {
        let key = (tag, key.to_owned());
        let gate = self
            .computing
            .lock()
            .map(|mut c| Arc::clone(c.entry(key.clone()).or_default()))
            .unwrap_or_default();
        Gate {
            answers: self,
            key,
            gate,
        }
    }

    /// The answer to `key` computed at `generation`, if one is kept.
    pub(crate) fn get<T: Any + Send + Sync>(
        &self,
        generation: i64,
        tag: Tag,
        key: &str,
    ) -> Option<Arc<T>> {
        let mut inner = self.inner.lock().ok()?;
        if inner.generation != generation {
            return None;
        }
        // The key is looked up by value: building it is the caller's work anyway.
        let entry = inner.entries.get(&(tag, key.to_owned()))?;
        Arc::clone(&entry.value).downcast::<T>().ok()
    }

    /// Keeps `value`, computed at `generation`, as the answer to `key`. An answer of a
    /// generation older than one already seen is dropped; a newer one empties the cache.
    pub(crate) fn put<T: Any + Send + Sync>(
        &self,
        generation: i64,
        tag: Tag,
        key: String,
        value: Arc<T>,
        bytes: usize,
    ) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if generation < inner.generation || bytes > MAX_ONE {
            return;
        }
        if generation > inner.generation {
            inner.entries.clear();
            inner.bytes = 0;
            inner.generation = generation;
        }
        let bytes = bytes.saturating_add(key.len());
        if let Some((_, old)) = inner.entries.push((tag, key), Entry { value, bytes }) {
            inner.bytes = inner.bytes.saturating_sub(old.bytes);
        }
        inner.bytes = inner.bytes.saturating_add(bytes);
        while inner.bytes > MAX_BYTES {
            match inner.entries.pop_lru() {
                Some((_, old)) => inner.bytes = inner.bytes.saturating_sub(old.bytes),
                None => break,
            }
        }
    }

    /// Drops every answer; answers the tags of those dropped.
    pub(crate) fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.entries.clear();
            inner.bytes = 0;
        }
    }

    /// Entries and estimated bytes held.
    #[cfg(test)]
    pub(crate) fn size(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|i| (i.entries.len(), i.bytes))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn an_answer_is_reused_only_at_its_generation() {
        let a = Answers::default();
        a.put(5, Tag::Search, "k".into(), Arc::new(1_u32), 10);
        assert_eq!(a.get::<u32>(5, Tag::Search, "k").as_deref(), Some(&1));
        assert!(a.get::<u32>(6, Tag::Search, "k").is_none());
        assert!(a.get::<u32>(5, Tag::ExternalIndex, "k").is_none());
        assert!(a.get::<u64>(5, Tag::Search, "k").is_none(), "wrong type");
    }

    #[test]
    fn a_newer_generation_empties_the_cache_and_an_older_one_is_not_kept() {
        let a = Answers::default();
        a.put(5, Tag::Search, "k".into(), Arc::new(1_u32), 10);
        a.put(7, Tag::Search, "j".into(), Arc::new(2_u32), 10);
        assert_eq!(a.size().0, 1);
        a.put(6, Tag::Search, "k".into(), Arc::new(3_u32), 10);
        assert!(a.get::<u32>(6, Tag::Search, "k").is_none());
        assert_eq!(a.get::<u32>(7, Tag::Search, "j").as_deref(), Some(&2));
    }

    #[test]
    fn one_question_is_computed_once_while_others_wait_for_it() {
        let a = Arc::new(Answers::default());
        let computed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (a, computed) = (Arc::clone(&a), Arc::clone(&computed));
                std::thread::spawn(move || {
                    let gate = a.gate(Tag::Search, "q");
                    gate.hold(|_| {
                        if a.get::<u32>(1, Tag::Search, "q").is_none() {
                            computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            a.put(1, Tag::Search, "q".into(), Arc::new(7_u32), 8);
                        }
                    });
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(
            a.computing.lock().unwrap().is_empty(),
            "gates are forgotten"
        );
    }

    #[test]
    fn memory_stays_within_its_bound() {
        let a = Answers::default();
        for i in 0..10_000 {
            a.put(1, Tag::Search, format!("k{i}"), Arc::new(i), MAX_ONE);
        }
        let (entries, bytes) = a.size();
        assert!(bytes <= MAX_BYTES, "{bytes}");
        assert!(entries <= MAX_ENTRIES);
        assert!(entries >= MAX_BYTES / (MAX_ONE + 16) - 1, "{entries}");
        // The most recent is kept, the oldest went first.
        assert!(a.get::<i32>(1, Tag::Search, "k9999").is_some());
        assert!(a.get::<i32>(1, Tag::Search, "k0").is_none());
        a.put(1, Tag::Search, "huge".into(), Arc::new(0), MAX_ONE + 1);
        assert!(a.get::<i32>(1, Tag::Search, "huge").is_none());
        a.clear();
        assert_eq!(a.size(), (0, 0));
    }
}
