//! The Auth artifact API, v5: `/api/v5/...`.

mod audit;
mod bulk;
mod catalog;
mod create;
mod delete;
mod docs;
mod drafts;
mod duplicate;
mod export;
mod fields;
mod get;
mod history;
mod keys;
pub mod openapi;
pub mod paging;
mod refresh;
pub mod registry;
pub(crate) mod schemas;
mod search;
mod update;
mod views;

use actix_web::web;
use auths_domain::Store;

/// Mounts the v5 routes (inside the `/api/v5` scope), from the registry.
pub fn configure<S: Store>(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi::openapi::<S>));
    registry::mount::<S>(cfg);
}
