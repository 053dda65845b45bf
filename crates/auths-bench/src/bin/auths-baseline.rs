//! The baseline of `make bench`: the least an actix-web + diesel + SQLite service can
//! do per request. `GET /row/{id}` reads one row by primary key on a pooled connection,
//! off the async threads, and answers it as JSON. Every HTTP figure of the benchmark
//! report is a ratio to this server, measured in the same run with the same load.
//!
//! `auths-baseline ADDR SQLITE_FILE WORKERS`

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::sql_types::{BigInt, Text};

#[derive(QueryableByName, serde::Serialize)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    value: String,
}

type Db = Pool<ConnectionManager<SqliteConnection>>;

async fn row(pool: web::Data<Db>, id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    let found = web::block(move || {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT id, name, value FROM rows WHERE id = ?")
            .bind::<BigInt, _>(id)
            .get_result::<Row>(&mut conn)
            .optional()
            .map_err(|e| e.to_string())
    })
    .await;
    match found {
        Ok(Ok(Some(r))) => HttpResponse::Ok().json(r),
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

#[expect(
    clippy::expect_used,
    reason = "a benchmark tool fails loudly at start-up"
)]
fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:18181".into());
    let file = args.get(2).cloned().unwrap_or_else(|| "baseline.db".into());
    let workers: usize = args.get(3).and_then(|w| w.parse().ok()).unwrap_or(2);
    let mut conn = SqliteConnection::establish(&file).expect("open the baseline database");
    diesel::sql_query("PRAGMA journal_mode = WAL")
        .execute(&mut conn)
        .ok();
    diesel::sql_query("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL)")
        .execute(&mut conn)
        .expect("create the table");
    diesel::sql_query(
        "INSERT OR IGNORE INTO rows (id, name, value) VALUES (1, 'Corp LDAP', 'ldap.example.com')",
    )
    .execute(&mut conn)
    .expect("seed the row");
    let pool: Db = Pool::builder()
        .max_size(u32::try_from(workers * 2).unwrap_or(4))
        .build(ConnectionManager::new(file))
        .expect("pool");
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(pool.clone()))
                .route("/row/{id}", web::get().to(row))
        })
        .workers(workers)
        .bind(addr)?
        .run()
        .await
    })
}
