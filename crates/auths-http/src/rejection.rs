//! What the shared HTTP layer refuses, before any use case runs, as a type: the
//! credential middleware and the request-body reader serve both APIs, and each API
//! words these reasons its own way through its [`Dialect`].

use actix_web::ResponseError;
use auths_app::AppError;

/// Why the shared layer refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No credential, or one that authenticates nobody. `login` is the Basic name, if
    /// one was sent.
    Unauthenticated {
        /// The name of `Authorization: Basic NAME:KEY`.
        login: Option<String>,
    },
    /// Too many failed credentials from the caller's address.
    Throttled,
    /// A NUL character (`%00`) in the query string.
    NulInQuery,
    /// A body whose media type is not JSON.
    UnsupportedMediaType,
    /// A body over the limit, in bytes.
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// A body that arrived too slowly; the text says how.
    TimedOut(String),
    /// A body that could not be read; the text is the transport's.
    Unreadable(String),
    /// A body that is not JSON, or holds too many values; the text is the parser's.
    MalformedJson(String),
    /// A JSON body with a NUL character in a string.
    NulInBody,
    /// The credential could not be checked (the database is out of reach, a bug).
    App(AppError),
}

impl Rejection {
    /// The limit on JSON values in one body: far above what the largest legitimate
    /// request needs (1,000 bulk items of a few dozen values).
    pub const MAX_VALUES: usize = 200_000;
}

/// The wording of one API: how it answers the shared layer's refusals.
pub trait Dialect: 'static {
    /// The API's error, which renders the answer.
    type Error: ResponseError + From<Rejection>;
}
