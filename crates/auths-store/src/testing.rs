//! Test fixtures (feature `testing`): a migrated database of either backend, fresh for
//! each test and removed afterwards.
//!
//! Each holds a fresh in-memory secrets key ([`crate::Secrets::ephemeral`]).
//!
//! - SQLite: a new file in a temporary folder.
//! - PostgreSQL: a new schema in the database `AUTHS_TEST_DATABASE_URL` names, used
//!   through `search_path`, dropped when the fixture is dropped. Tests may run in
//!   parallel: each has its own schema. When the variable is unset,
//!   [`TestDb::postgres`] answers `None` and says on stderr that the test was skipped.

#![expect(
    clippy::expect_used,
    reason = "a fixture that cannot be built must fail the test loudly"
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;

use crate::{Db, PoolOptions, Target};

/// The variable naming the PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "AUTHS_TEST_DATABASE_URL";
/// When set, a PostgreSQL test without [`TEST_DATABASE_URL`] fails instead of being
/// skipped (CI sets it).
pub const REQUIRE_POSTGRES: &str = "AUTHS_REQUIRE_POSTGRES";

/// A migrated database that disappears with the fixture.
#[derive(Debug)]
pub struct TestDb {
    /// The database.
    pub db: Db,
    /// The URL it was opened with.
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Dir(#[allow(dead_code, reason = "kept for its Drop")] tempfile::TempDir),
    Schema { base_url: String, schema: String },
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

fn options() -> PoolOptions {
    PoolOptions {
        max_size: 4,
        ..PoolOptions::default()
    }
}

impl TestDb {
    /// A fresh, migrated SQLite file.
    ///
    /// # Panics
    /// When the file cannot be created or migrated (a broken test machine).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("auths.db").display());
        let db = Db::open(&url, &options()).expect("open SQLite");
        db.migrate().expect("migrate SQLite");
        db.set_secrets(crate::Secrets::ephemeral());
        Self {
            db,
            url,
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// A fresh, migrated PostgreSQL schema, or `None` (with a note on stderr) when
    /// `AUTHS_TEST_DATABASE_URL` is unset.
    ///
    /// # Panics
    /// When the variable is set but the server cannot be used: a configured backend
    /// that fails must fail the test, not skip it.
    pub fn postgres() -> Option<Self> {
        let Ok(base_url) = std::env::var(TEST_DATABASE_URL) else {
            assert!(
                std::env::var_os(REQUIRE_POSTGRES).is_none(),
                "{REQUIRE_POSTGRES} is set but {TEST_DATABASE_URL} is not: the PostgreSQL \
                 tests must run (set it to e.g. postgres://postgres@127.0.0.1:5432/test)"
            );
            announce_skip();
            return None;
        };
        let schema = format!("auths_test_{}", unique_suffix());
        let mut admin = Target::Postgres(base_url.clone())
            .connect()
            .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL} is set but unusable: {e}"));
        admin
            .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
            .expect("create test schema");
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options=-csearch_path%3D{schema}");
        let db = Db::open(&url, &options()).expect("open PostgreSQL");
        db.migrate().expect("migrate PostgreSQL");
        db.set_secrets(crate::Secrets::ephemeral());
        Some(Self {
            db,
            url,
            cleanup: Cleanup::Schema { base_url, schema },
        })
    }
}

impl TestDb {
    /// Runs SQL directly, as an out-of-band change would.
    pub fn execute(&self, sql: &str) {
        let mut conn = Target::parse(&self.url)
            .expect("url")
            .connect()
            .expect("connect");
        conn.batch_execute(sql).expect("execute");
    }

    /// The texts a query answers in its column `t`, one a row (NULL as empty), for
    /// tests that check what is (not) stored.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            t: Option<String>,
        }
        let mut conn = Target::parse(&self.url)
            .expect("url")
            .connect()
            .expect("connect");
        diesel::sql_query(sql)
            .load::<Row>(&mut conn)
            .expect("query")
            .into_iter()
            .map(|r| r.t.unwrap_or_default())
            .collect()
    }

    /// Every text the `principals` table holds, row by row, for tests that check what
    /// is (not) stored.
    pub fn principals_text(&self) -> String {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        let mut conn = Target::parse(&self.url)
            .expect("url")
            .connect()
            .expect("connect");
        diesel::sql_query(
            "SELECT id || ' ' || name || ' ' || role || ' ' || key_lookup || ' ' || key_hash AS t FROM principals",
        )
        .load::<Row>(&mut conn)
        .expect("read principals")
        .into_iter()
        .map(|r| r.t)
        .collect::<Vec<_>>()
        .join("\n")
    }
}

/// Says once per test binary, on the real stderr (libtest captures only the print
/// macros), that the PostgreSQL variants pass without running.
fn announce_skip() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use std::io::Write;
        let note = format!(
            "SKIPPED (PostgreSQL): {TEST_DATABASE_URL} is unset, so the postgres:: tests of this binary pass without running"
        );
        // The process's own stderr, which the test harness does not capture.
        match std::fs::OpenOptions::new().append(true).open("/dev/stderr") {
            Ok(mut tty) => {
                let _ = writeln!(tty, "{note}");
            }
            Err(_) => eprintln!("{note}"),
        }
    });
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Schema { base_url, schema } = &self.cleanup
            && let Ok(mut c) = Target::Postgres(base_url.clone()).connect()
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"));
        }
    }
}

/// Defines each listed test function (taking `&Db`) twice: in module `sqlite` and in
/// module `postgres`, so that one suite runs on both backends.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { let t = $crate::testing::TestDb::sqlite(); super::$name(&t.db); } )*
        }
        mod postgres {
            $( #[test] fn $name() {
                if let Some(t) = $crate::testing::TestDb::postgres() { super::$name(&t.db); }
            } )*
        }
    };
}
