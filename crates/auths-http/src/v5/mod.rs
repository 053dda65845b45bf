//! The Auth artifact API, v5: `/api/v5/...`.

mod audit;
mod bulk;
mod catalog;
mod create;
mod delete;
mod drafts;
mod duplicate;
mod export;
mod fields;
mod get;
pub mod paging;
mod search;
mod update;
mod views;

use actix_web::web;
use auths_domain::Store;

use crate::fallback::method_not_allowed;

/// Mounts the v5 routes (under the `/api` scope).
pub fn configure<S: Store>(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v5/catalog/{kind}")
            .route(web::get().to(catalog::list::<S>))
            .route(web::post().to(catalog::create::<S>))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/v5/catalog/{kind}/{id}")
            .route(web::patch().to(catalog::update::<S>))
            .route(web::delete().to(catalog::delete::<S>))
            .default_service(web::to(method_not_allowed)),
    );
    cfg.service(
        web::resource("/v5/uploads/{upload_id}")
            .route(web::get().to(export::download::<S>))
            .default_service(web::to(method_not_allowed)),
    );
    cfg.service(
        web::resource("/v5/audit")
            .route(web::get().to(audit::list::<S>))
            .default_service(web::to(method_not_allowed)),
    );
    cfg.service(
        web::scope("/v5/artifacts/auths")
            .service(
                web::resource("/get")
                    .route(web::post().to(get::get::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/draft")
                    .route(web::patch().to(drafts::patch::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/drafts")
                    .route(web::post().to(drafts::list::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/export")
                    .route(web::post().to(export::export::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/search")
                    .route(web::post().to(search::search::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/create")
                    .route(web::post().to(create::create::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/update")
                    .route(web::post().to(update::update::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/delete")
                    .route(web::post().to(delete::delete::<S>))
                    .default_service(web::to(method_not_allowed)),
            )
            .service(
                web::resource("/duplicate")
                    .route(web::post().to(duplicate::duplicate::<S>))
                    .default_service(web::to(method_not_allowed)),
            ),
    );
}
