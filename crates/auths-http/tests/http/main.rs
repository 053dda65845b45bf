//! The HTTP layer through actix's test service, with the real store underneath, on a
//! fresh SQLite file and a fresh PostgreSQL schema. One test binary, one module a
//! subject.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod admin;
mod catalog;
mod drafts;
mod export;
mod findings;
mod foreman;
mod foundation;
mod history;
mod identity;
mod keys;
mod ldap;
mod limits;
mod mcp;
mod registry;
mod scope;
mod scope_rule;
mod sealed;
mod seams;
mod search;
mod slapd;
mod support;
mod taxonomies;
mod writes;
