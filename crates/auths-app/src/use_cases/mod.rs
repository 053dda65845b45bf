//! One module per use case.

pub mod create;
pub mod get;
mod resolve;
