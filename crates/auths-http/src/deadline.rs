//! Slow clients: a request body that stops arriving, or trickles in for too long, ends
//! the request with 408 instead of holding the connection open for ever.
//!
//! actix-web bounds the time to receive a request's head (`client_request_timeout`,
//! set by the server), but not its body. The [`body_deadline`] middleware wraps the
//! body of every `/api` request: when no byte arrives for [`BODY_IDLE_TIMEOUT`], or the
//! whole body has not arrived within [`BODY_TIMEOUT`], reading it fails with a
//! [`std::io::ErrorKind::TimedOut`] error, which the extractors answer with 408. The
//! timers start only when the body is not there yet, so a body that has already
//! arrived costs nothing.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::rt::time::{Instant, Sleep, sleep, sleep_until};
use actix_web::web::Bytes;
use futures_util::Stream;

/// The longest pause between two pieces of a request body.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest time to receive a whole request body (4 MiB at 560 kbit/s).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Middleware: puts the request's body under [`BODY_IDLE_TIMEOUT`] and [`BODY_TIMEOUT`].
///
/// # Errors
/// Only the inner service's own errors.
pub async fn body_deadline<B: actix_web::body::MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let inner = req.take_payload();
    let deadline = Instant::now() + BODY_TIMEOUT;
    req.set_payload(Payload::Stream {
        payload: Box::pin(Deadline {
            inner,
            idle: None,
            total: None,
            deadline,
            done: false,
        }),
    });
    next.call(req).await
}

/// When a body read failed because the client was too slow: why, for the client.
pub fn timed_out(e: &PayloadError) -> Option<String> {
    match e {
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Some(io.to_string()),
        _ => None,
    }
}

struct Deadline {
    inner: Payload,
    /// Started when the body first keeps us waiting; restarted by each piece.
    idle: Option<Pin<Box<Sleep>>>,
    total: Option<Pin<Box<Sleep>>>,
    deadline: Instant,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                if let Some(idle) = this.idle.as_mut() {
                    idle.as_mut().reset(Instant::now() + BODY_IDLE_TIMEOUT);
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let deadline = this.deadline;
                let idle = this
                    .idle
                    .get_or_insert_with(|| Box::pin(sleep(BODY_IDLE_TIMEOUT)));
                let total = this
                    .total
                    .get_or_insert_with(|| Box::pin(sleep_until(deadline)));
                let idle_over = idle.as_mut().poll(cx).is_ready();
                if idle_over || total.as_mut().poll(cx).is_ready() {
                    this.done = true;
                    let why = if idle_over {
                        format!(
                            "no part of the request body arrived for {} s",
                            BODY_IDLE_TIMEOUT.as_secs()
                        )
                    } else {
                        format!(
                            "the request body did not arrive within {} s",
                            BODY_TIMEOUT.as_secs()
                        )
                    };
                    return Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        why,
                    )))));
                }
                Poll::Pending
            }
        }
    }
}
