//! An inverted index of auths, held in memory: what answers `/search` without visiting
//! the database for every match of a common word.
//!
//! Each auth is held whole (an [`Auth`], shared): the labels of its name, description,
//! slugs, protocols and departments are its words, its department ids scope, filter
//! and count it, and the rest is what a result row and the form view show, so that
//! neither needs a read beyond the data generation. The index maps every word (a run of letters
//! and digits, lower-cased: the words of [`super::search_terms`]) to the auths holding
//! it, with the columns it appears in. A search ([`SearchIndex::search`]) answers what
//! the store's `search_auths` port promises ([`AuthHits`]):
//!
//! - every term must be the prefix of a word of the auth (any column);
//! - **best match first**: an auth scores, for each term, twice the weight of the best
//!   column it matches in ([`WEIGHTS`]: name 10, description 4, slugs 3, protocols and
//!   departments 2), plus 1 when the term is a whole word of the auth rather than only
//!   a prefix; then by name (case-folded), then by number;
//! - the department facet counts the matches in scope, ignoring the department filter.
//!
//! Cost: a term costs the postings of the words it prefixes; ranking a page is a
//! selection (linear in the matches, no full sort), and the facet one pass over them.
//! Memory: about 10 bytes a (word, auth) pair, plus each auth's name key, its words and
//! the auth itself (shared with the answers that show it).
//!
//! The index knows nothing of storage: a store keeps it up to date by
//! [`SearchIndex::upsert`] and [`SearchIndex::remove`] as auths change, and records the
//! data generation it reflects ([`SearchIndex::generation`]).

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use super::{AuthHits, AuthQuery};
use crate::auth::Auth;
use crate::catalog::EntryRef;
use crate::ids::{AuthId, EntryId};
use crate::values::fold_case;

/// The weight of a match in each column: name, description, slugs, protocols,
/// departments.
pub const WEIGHTS: [u32; 5] = [10, 4, 3, 2, 2];

/// Each word of an auth's searched labels with the columns it is in (bit `i`: column
/// `i`, in [`WEIGHTS`]' order).
fn words(auth: &Auth) -> BTreeMap<String, u8> {
    let mut out: BTreeMap<String, u8> = BTreeMap::new();
    let mut add = |column: u8, text: &str| {
        for w in text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            *out.entry(w.to_lowercase()).or_default() |= 1 << column;
        }
    };
    add(0, &auth.name.label);
    if let Some(d) = &auth.description {
        add(1, &d.label);
    }
    auth.slugs.iter().for_each(|s| add(2, &s.label));
    auth.protocols.iter().for_each(|s| add(3, &s.label));
    auth.departments.iter().for_each(|s| add(4, &s.label));
    out
}

/// The auths holding one word: numbers ascending, and the columns of each.
#[derive(Debug, Clone, Default)]
struct Postings {
    numbers: Vec<i64>,
    columns: Vec<u8>,
}

impl Postings {
    fn insert(&mut self, number: i64, columns: u8) {
        match self.numbers.binary_search(&number) {
            Ok(i) => self.columns[i] = columns,
            Err(i) => {
                self.numbers.insert(i, number);
                self.columns.insert(i, columns);
            }
        }
    }

    fn remove(&mut self, number: i64) {
        if let Ok(i) = self.numbers.binary_search(&number) {
            self.numbers.remove(i);
            self.columns.remove(i);
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// The auth, as a result and the form view show it.
    auth: Arc<Auth>,
    name_key: Box<str>,
    departments: Box<[u32]>,
    /// Its words, with their columns.
    words: Box<[(Box<str>, u8)]>,
}

/// The index. See the module's documentation.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    generation: i64,
    docs: HashMap<i64, Entry>,
    words: BTreeMap<Box<str>, Postings>,
    /// Every department seen, as last seen (its label follows renames: a rename
    /// re-indexes every auth of the department).
    departments: Vec<EntryRef>,
    department_ix: HashMap<EntryId, u32>,
    /// Each auth's number, by id.
    by_id: HashMap<AuthId, i64>,
}

/// A term's matches: numbers ascending, with the score each earns.
type Matches = Vec<(i64, u32)>;

fn best_weight(columns: u8, whole: bool) -> u32 {
    let best = (0..WEIGHTS.len())
        .filter(|i| columns & (1 << i) != 0)
        .map(|i| WEIGHTS[i])
        .max()
        .unwrap_or(0);
    best * 2 + u32::from(whole)
}

impl SearchIndex {
    /// An empty index, reflecting `generation`.
    pub fn new(generation: i64) -> Self {
        Self {
            generation,
            ..Self::default()
        }
    }

    /// The data generation the index reflects.
    pub const fn generation(&self) -> i64 {
        self.generation
    }

    /// Records that the index now reflects `generation`.
    pub fn set_generation(&mut self, generation: i64) {
        self.generation = generation;
    }

    /// How many auths it holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds an auth, or replaces what it held of it.
    pub fn upsert(&mut self, auth: Arc<Auth>) {
        let number = auth.number;
        self.remove(number);
        let words = words(&auth);
        for (w, columns) in &words {
            self.words
                .entry(w.as_str().into())
                .or_default()
                .insert(number, *columns);
        }
        let mut departments: Vec<u32> = auth
            .departments
            .iter()
            .map(|d| self.department(d))
            .collect();
        departments.sort_unstable();
        departments.dedup();
        self.by_id.insert(auth.auth_id.clone(), number);
        self.docs.insert(
            number,
            Entry {
                name_key: fold_case(&auth.name.label).into(),
                departments: departments.into(),
                words: words.into_iter().map(|(w, c)| (w.into(), c)).collect(),
                auth,
            },
        );
    }

    /// Forgets an auth (nothing when it holds none of that number).
    pub fn remove(&mut self, number: i64) {
        let Some(old) = self.docs.remove(&number) else {
            return;
        };
        if self.by_id.get(&old.auth.auth_id) == Some(&number) {
            self.by_id.remove(&old.auth.auth_id);
        }
        for (w, _) in old.words.iter() {
            if let Some(p) = self.words.get_mut(w) {
                p.remove(number);
                if p.numbers.is_empty() {
                    self.words.remove(w);
                }
            }
        }
    }

    /// The auth `id`, as the index holds it (`None`: no such auth at its generation).
    pub fn get(&self, id: &AuthId) -> Option<Arc<Auth>> {
        self.by_id
            .get(id)
            .and_then(|n| self.docs.get(n))
            .map(|e| Arc::clone(&e.auth))
    }

    fn department(&mut self, d: &EntryRef) -> u32 {
        if let Some(i) = self.department_ix.get(&d.id) {
            if let Some(known) = self.departments.get_mut(*i as usize)
                && known.label != d.label
            {
                known.label.clone_from(&d.label);
            }
            return *i;
        }
        let i = u32::try_from(self.departments.len()).unwrap_or(u32::MAX);
        self.departments.push(d.clone());
        self.department_ix.insert(d.id.clone(), i);
        i
    }

    /// The words `term` prefixes, with their postings.
    fn prefixed<'a>(&'a self, term: &'a str) -> impl Iterator<Item = (&'a str, &'a Postings)> + 'a {
        self.words
            .range::<str, _>((std::ops::Bound::Included(term), std::ops::Bound::Unbounded))
            .take_while(move |(w, _)| w.starts_with(term))
            .map(|(w, p)| (&**w, p))
    }

    /// How many (word, auth) pairs `term` prefixes: the cost of listing its auths.
    fn estimate(&self, term: &str) -> usize {
        self.prefixed(term).map(|(_, p)| p.numbers.len()).sum()
    }

    /// The auths some word of which starts with `term`, with the score of the term.
    fn term(&self, term: &str) -> Matches {
        let mut lists: Vec<(&Postings, bool)> =
            self.prefixed(term).map(|(w, p)| (p, w == term)).collect();
        if let [(p, whole)] = lists.as_slice() {
            return p
                .numbers
                .iter()
                .zip(&p.columns)
                .map(|(n, c)| (*n, best_weight(*c, *whole)))
                .collect();
        }
        let mut all: Matches = Vec::new();
        for (p, whole) in lists.drain(..) {
            all.extend(
                p.numbers
                    .iter()
                    .zip(&p.columns)
                    .map(|(n, c)| (*n, best_weight(*c, whole))),
            );
        }
        all.sort_unstable();
        // One entry a number, its best score among the words it holds.
        let mut out: Matches = Vec::with_capacity(all.len());
        for (n, s) in all {
            match out.last_mut() {
                Some((m, best)) if *m == n => *best = (*best).max(s),
                _ => out.push((n, s)),
            }
        }
        out
    }

    fn ids(&self, ids: &[EntryId]) -> Vec<u32> {
        ids.iter()
            .filter_map(|id| self.department_ix.get(id).copied())
            .collect()
    }

    /// The auths every term prefixes a word of, numbers ascending, with their scores
    /// (`None`: no terms, every auth).
    fn matching(&self, terms: &[String]) -> Option<Matches> {
        if terms.is_empty() {
            return None;
        }
        // The rarest term first; each other term is intersected with what is left, or,
        // when what is left is much smaller than what the term lists, checked against
        // those auths' own words. Nothing left: done (`zzq a e i o` costs `zzq`).
        let mut terms: Vec<(&str, usize)> = terms
            .iter()
            .map(|t| (t.as_str(), self.estimate(t)))
            .collect();
        terms.sort_by_key(|(_, n)| *n);
        let mut terms = terms.into_iter();
        let mut acc = terms.next().map(|(t, _)| self.term(t)).unwrap_or_default();
        for (term, estimate) in terms {
            if acc.is_empty() {
                break;
            }
            if acc.len().saturating_mul(8) < estimate {
                acc.retain_mut(|(n, s)| {
                    let best = self.docs.get(n).and_then(|e| {
                        e.words
                            .iter()
                            .filter(|(w, _)| w.starts_with(term))
                            .map(|(w, c)| best_weight(*c, &**w == term))
                            .max()
                    });
                    best.inspect(|b| *s += b).is_some()
                });
                continue;
            }
            let next = self.term(term);
            let mut j = 0;
            acc.retain_mut(|(n, s)| {
                while j < next.len() && next[j].0 < *n {
                    j += 1;
                }
                if j < next.len() && next[j].0 == *n {
                    *s += next[j].1;
                    true
                } else {
                    false
                }
            });
        }
        Some(acc)
    }

    /// Answers a query. See the module's documentation for what matches and in which
    /// order.
    pub fn search(&self, q: &AuthQuery) -> AuthHits {
        let scope = q.scope.as_deref().map(|s| self.ids(s));
        let filter = q.departments.as_deref().map(|f| self.ids(f));
        let in_any = |e: &Entry, ids: &Option<Vec<u32>>| {
            ids.as_ref()
                .is_none_or(|ids| e.departments.iter().any(|d| ids.contains(d)))
        };
        let mut facet = vec![0u64; self.departments.len()];
        let mut ranked: Vec<(u32, &str, i64)> = Vec::new();
        // One pass over the matches, each auth looked up once: scope, facet (before
        // the department filter), filter, and what ranks it.
        let matches = self.matching(&q.terms);
        let candidates: Box<dyn Iterator<Item = (i64, u32, &Entry)> + '_> = match &matches {
            None => Box::new(self.docs.iter().map(|(n, e)| (*n, 0, e))),
            Some(m) => Box::new(
                m.iter()
                    .filter_map(|(n, s)| self.docs.get(n).map(|e| (*n, *s, e))),
            ),
        };
        for (n, score, e) in candidates {
            if !in_any(e, &scope) {
                continue;
            }
            for d in e.departments.iter() {
                if let Some(c) = facet.get_mut(*d as usize) {
                    *c += 1;
                }
            }
            if in_any(e, &filter) {
                ranked.push((score, &e.name_key, n));
            }
        }
        let total = ranked.len();
        let order = |a: &(u32, &str, i64), b: &(u32, &str, i64)| {
            b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)).then(a.2.cmp(&b.2))
        };
        let offset = usize::try_from(q.page.offset).unwrap_or(usize::MAX);
        let end = offset
            .saturating_add(q.page.limit as usize)
            .min(ranked.len());
        let numbers: Vec<i64> = if offset >= end {
            Vec::new()
        } else {
            if end < ranked.len() {
                ranked.select_nth_unstable_by(end, order);
                ranked.truncate(end);
            }
            ranked.sort_unstable_by(order);
            ranked[offset..].iter().map(|(_, _, n)| *n).collect()
        };
        let rows = numbers
            .iter()
            .filter_map(|n| self.docs.get(n).map(|e| Arc::clone(&e.auth)))
            .collect();
        let mut departments: Vec<(EntryRef, u64)> = facet
            .into_iter()
            .zip(&self.departments)
            .filter(|(n, _)| *n > 0)
            .map(|(n, d)| (d.clone(), n))
            .collect();
        departments.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        AuthHits {
            numbers,
            rows,
            total: total as u64,
            departments,
        }
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
