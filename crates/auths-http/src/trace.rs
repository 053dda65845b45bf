//! One log line a request: method, path, status, duration. Never headers or bodies
//! (they carry keys and secret values).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use tracing::Instrument;

/// Middleware: a span per request and a line when it ends.
///
/// # Errors
/// Only the inner service's own errors.
pub async fn request_log<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let span = tracing::info_span!("request", method = %req.method(), path = %req.path());
    let started = Instant::now();
    async move {
        let res = next.call(req).await;
        let micros = started.elapsed().as_micros();
        match &res {
            Ok(r) if r.status().is_server_error() => {
                tracing::warn!(status = r.status().as_u16(), micros, "request failed")
            }
            Ok(r) => tracing::info!(status = r.status().as_u16(), micros, "request"),
            Err(e) => tracing::warn!(error = %e, micros, "request error"),
        }
        res
    }
    .instrument(span)
    .await
}
