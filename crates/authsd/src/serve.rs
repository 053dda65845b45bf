//! `authsd serve`: migrate, make sure a key exists, and serve HTTP until SIGTERM or
//! Ctrl-C, then drain in-flight requests and exit 0.

use std::time::Duration;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use auths_http::BodyLimit;
use auths_store::Db;

use crate::config::Config;

/// How often pending `last_used_at` times are written.
const KEY_USE_FLUSH: Duration = Duration::from_secs(30);
/// How long in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: u64 = 30;

/// Runs the server.
///
/// # Errors
/// A database that cannot be opened or migrated, a bad bootstrap key, an address that
/// cannot be bound.
pub fn serve(config: &Config) -> anyhow::Result<()> {
    let service = crate::open_service(config, crate::secrets::KeyAccess::Prepare)?;
    // The address first: when it is taken, no admin key is made (and printed above an
    // "Address already in use", never to be shown again).
    let listener = std::net::TcpListener::bind(config.bind.as_str()).with_context(|| {
        format!(
            "binding {} (AUTHS_BIND, --bind: HOST:PORT, such as 127.0.0.1:8080)",
            config.bind
        )
    })?;
    if let Some(issued) = service
        .bootstrap(config.bootstrap_api_key.as_deref())
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        if config.bootstrap_api_key.is_some() {
            tracing::info!(name = %issued.principal.name, "created the bootstrap admin key from AUTHS_BOOTSTRAP_API_KEY");
        } else {
            // Shown once, on stderr, never logged through tracing (logs are often shipped).
            eprintln!(
                "\nNo API key existed, so an admin key named bootstrap-admin was created. It is shown only this once:\n\n    {}\n\nUse it as `X-Api-Key: <key>` (or Basic bootstrap-admin:<key>). Lost it? Make another with\n`authsd keys create --name admin2 --role admin` (it prints the new key).\n",
                issued.key
            );
        }
    }
    match service.remove_partial_exports() {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            files = n,
            "removed the partial files of interrupted exports"
        ),
        Err(e) => tracing::warn!(error = %e, "could not clean the uploads folder"),
    }
    match service.remove_expired_exports() {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            files = n,
            retention = ?service.settings().export_retention,
            "removed expired exports"
        ),
        Err(e) => tracing::warn!(error = %e, "could not remove expired exports"),
    }
    let data = web::Data::new(service);
    // The search index is built off the request path while the server starts listening.
    let warming = data.clone();
    std::thread::spawn(move || match warming.warm_search_index() {
        Ok(took) => tracing::info!(ms = took.as_millis() as u64, "search index ready"),
        Err(e) => {
            tracing::warn!(error = %e, "could not build the search index yet: the first search will")
        }
    });
    let failed_logins = web::Data::new(auths_http::throttle::FailedLogins::new(
        config.failed_login_limit,
    ));
    let workers = config.workers();
    let body_limit = config.body_limit;
    actix_web::rt::System::new().block_on(async move {
        let app_data = data.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_data.clone())
                .app_data(failed_logins.clone())
                .app_data(BodyLimit(body_limit))
                .wrap(actix_web::middleware::from_fn(
                    auths_http::trace::request_log,
                ))
                .configure(auths_http::configure::<Db>)
        })
        .workers(workers)
        .shutdown_timeout(SHUTDOWN_GRACE)
        .client_request_timeout(Duration::from_secs(10))
        .listen(listener)
        .with_context(|| format!("listening on {}", config.bind))?;
        for addr in server.addrs() {
            tracing::info!(%addr, workers, "listening on http://{addr}");
        }
        let flusher = data.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(KEY_USE_FLUSH);
            loop {
                tick.tick().await;
                flush(&flusher).await;
            }
        });
        server.run().await.context("running the server")?;
        flush(&data).await;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn flush(service: &web::Data<auths_app::AuthService<Db>>) {
    let svc = service.clone().into_inner();
    match web::block(move || svc.flush_key_use()).await {
        Ok(Ok(n)) if n > 0 => tracing::debug!(keys = n, "recorded key use"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "could not record key use"),
        Err(e) => tracing::warn!(error = %e, "could not record key use"),
    }
}
