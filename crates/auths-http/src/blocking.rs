//! Running blocking work (every use case: they talk to the database through diesel)
//! off the async threads. One exception: `/get` of an auth on SQLite is answered on the
//! event loop when the store can answer without waiting (`Store::form_read_now`,
//! docs/decisions.md §39).

use auths_app::AppError;

use crate::error::ApiError;

/// Runs `f` on actix's blocking thread pool, inside the caller's tracing span. The
/// closure takes its pooled connection itself (through the store), since waiting for
/// one can block too. A panic in `f` becomes an internal error, never a dead worker.
///
/// # Errors
/// `Internal` when the blocking task could not run or panicked.
pub async fn run_blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))
}

/// [`run_blocking`] for a use case: its error (or the task's failure) becomes the
/// API's answer through `word`.
///
/// # Errors
/// `f`'s error, or `Internal` when the blocking task could not run or panicked, worded.
pub async fn blocking_as<T, E, F>(f: F, word: impl FnOnce(AppError) -> E) -> Result<T, E>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    run_blocking(f).await.and_then(|r| r).map_err(word)
}

/// [`blocking_as`] for a use case of the v5 API.
///
/// # Errors
/// `f`'s error, or `internal` when the blocking task could not run or panicked.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    blocking_as(f, ApiError::from).await
}
