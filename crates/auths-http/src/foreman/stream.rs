//! Index answers longer than one page: `per_page=all`, or a `per_page` above
//! [`STREAM_ABOVE`] (apypie sends 4294967296). Foreman answers them whole; so do we,
//! but written as they are read: the envelope's head, then the records a batch of
//! [`INDEX_BATCH`] at a time, each batch its own short read, so that memory stays flat
//! whatever the table holds and no statement binds a list that grows with it.
//!
//! The head (`total`, `subtotal`, the echoed `per_page`) and the first batch are read
//! before the answer starts, so a bad search or order is still a 400 and a missing
//! taxonomy a 404. A later batch that fails can no longer change the status: the answer
//! is then cut short (the client sees a broken body, never a complete-looking one), and
//! the failure is logged.

use std::future::Future;
use std::pin::Pin;

use actix_web::HttpResponse;
use actix_web::web::Bytes;
use auths_app::{AppError, INDEX_BATCH};
use futures_util::stream;
use serde::Serialize;

use super::views::Sort;

/// Above this `per_page`, an index answer is served in batches, like `per_page=all`.
pub const STREAM_ABOVE: u64 = INDEX_BATCH as u64;

/// The envelope's fields before `results`, in Foreman's order.
#[derive(Debug, Serialize)]
pub struct Head {
    /// Records in the taxonomy scope.
    pub total: u64,
    /// Records matching the search too.
    pub subtotal: u64,
    /// The page asked for.
    pub page: u64,
    /// As asked (`total` for `all`).
    pub per_page: u64,
    /// The search, as given.
    pub search: Option<String>,
    /// The order.
    pub sort: Sort,
}

/// A batch being read: the records from an offset, at most a limit of them.
pub type Batch<T> = Pin<Box<dyn Future<Output = Result<Vec<T>, AppError>>>>;

/// Where an answer is: `rows` wanted from `offset`, the next batch read by `next`.
struct State<T, N> {
    next: N,
    offset: u64,
    left: u64,
    written: bool,
    done: bool,
    first: Option<(Vec<u8>, Vec<T>)>,
}

/// Appends `items` to `out`, comma-separated after any written before.
fn push_items<T: Serialize>(out: &mut Vec<u8>, items: &[T], written: &mut bool) {
    for item in items {
        if *written {
            out.push(b',');
        }
        // Our views always serialize; a failure would be a bug, shown as null.
        if serde_json::to_writer(&mut *out, item).is_err() {
            out.extend_from_slice(b"null");
        }
        *written = true;
    }
}

/// How many records a batch asks for when `left` are still wanted.
pub fn limit(left: u64) -> u32 {
    u32::try_from(left.min(u64::from(INDEX_BATCH))).unwrap_or(INDEX_BATCH)
}

/// The whole answer: `head`, then `first` (the batch read from `offset`, of at most
/// [`INDEX_BATCH`] records), then batches `next(offset, limit)` until `wanted` records
/// are written or a batch comes back short.
pub fn answer<T, N>(head: &Head, first: Vec<T>, offset: u64, wanted: u64, next: N) -> HttpResponse
where
    T: Serialize + 'static,
    N: FnMut(u64, u32) -> Batch<T> + 'static,
{
    let mut open = serde_json::to_vec(head).unwrap_or_else(|_| b"{}".to_vec());
    open.pop();
    if open.len() > 1 {
        open.push(b',');
    }
    open.extend_from_slice(b"\"results\":[");
    let read = first.len() as u64;
    let state = State {
        next,
        offset: offset.saturating_add(read),
        left: wanted.saturating_sub(read),
        written: false,
        done: read < u64::from(limit(wanted)) || read >= wanted,
        first: Some((open, first)),
    };
    let body = stream::unfold(Some(state), |state| async move {
        let mut st = state?;
        if let Some((mut out, first)) = st.first.take() {
            push_items(&mut out, &first, &mut st.written);
            return Some((Ok(Bytes::from(out)), Some(st)));
        }
        if st.done {
            return Some((Ok(Bytes::from_static(b"]}")), None));
        }
        let want = limit(st.left);
        match (st.next)(st.offset, want).await {
            Ok(batch) => {
                let read = batch.len() as u64;
                st.offset = st.offset.saturating_add(read);
                st.left = st.left.saturating_sub(read);
                st.done = read < u64::from(want) || st.left == 0;
                let mut out = Vec::new();
                push_items(&mut out, &batch, &mut st.written);
                Some((Ok(Bytes::from(out)), Some(st)))
            }
            Err(e) => {
                tracing::error!(error = %e, offset = st.offset, "a batch of a long index answer failed: the answer is cut short");
                Some((Err(std::io::Error::other("index batch failed")), None))
            }
        }
    });
    HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .streaming(body)
}

/// Whether a `per_page` (`None`: `all`) is served in batches.
pub const fn streamed(per_page: Option<u64>) -> bool {
    match per_page {
        None => true,
        Some(n) => n > STREAM_ABOVE,
    }
}

/// Where a streamed answer starts, and how many records it wants: `all` is every
/// record on page 1 and none after (Foreman's `per_page` is then `total`, and page 2
/// starts past the end); a number `n` is page `page` of `n`.
pub const fn span(page: u64, per_page: Option<u64>) -> (u64, u64) {
    match per_page {
        None if page == 1 => (0, u64::MAX),
        None => (u64::MAX, 0),
        Some(n) => ((page - 1).saturating_mul(n), n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_pages_are_streamed_from_where_they_start() {
        assert!(streamed(None));
        assert!(streamed(Some(501)));
        assert!(!streamed(Some(500)));
        assert_eq!(span(1, None), (0, u64::MAX));
        assert_eq!(span(2, None), (u64::MAX, 0));
        assert_eq!(span(3, Some(1000)), (2000, 1000));
        assert_eq!(span(u64::MAX, Some(u64::MAX)), (u64::MAX, u64::MAX));
        assert_eq!(limit(u64::MAX), INDEX_BATCH);
        assert_eq!(limit(7), 7);
    }
}
