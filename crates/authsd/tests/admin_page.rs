//! The admin page at `/`, in a real browser: headless Chromium (Debian's `chromium`)
//! driven by Playwright for Python, against the real server on SQLite and, when
//! `AUTHS_TEST_DATABASE_URL` names one, on PostgreSQL. The steps (sign in, search,
//! facet, paging, open, edit, save a draft, publish, a conflict, history and restore,
//! the audit log, a deprecated auth, a new auth with a secret item, export, a scoped
//! key, a viewer's disabled form, a revoked key) are in `admin_page.py`, beside this
//! file, which asserts each of them and what the page wrote through the API.
//!
//! Needs `python3` with `venv`, access to PyPI (Playwright's own browser download is
//! not used: the script launches the browser at `AUTHS_CHROMIUM`, default
//! `/usr/bin/chromium`). Without them the test says SKIPPED and passes, unless
//! `AUTHS_REQUIRE_BROWSER` is set (as `.ci/run` does), which makes it fail.
//! `AUTHS_ADMIN_SCREENSHOTS=FOLDER` saves the main views there (the SQLite run):
//! `make screenshots` refreshes docs/admin-page/.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const KEY: &str = "page-test-admin-key-4c8e2a9f1b7d3e60";
const REQUIRE: &str = "AUTHS_REQUIRE_BROWSER";

/// The browser, or `None` (after saying SKIPPED) when it is not installed and not
/// required.
fn chromium() -> Option<PathBuf> {
    let path = PathBuf::from(
        std::env::var("AUTHS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
    );
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os(REQUIRE).is_none(),
        "{REQUIRE} is set but {} is missing (Debian: apt-get install chromium)",
        path.display()
    );
    eprintln!("SKIPPED (admin page): no browser at {}", path.display());
    None
}

/// Runs the browser script against a fresh server on `database_url` (SQLite when
/// `None`), and asserts that it passed.
fn page_works(venv: &Path, browser: &Path, database_url: Option<&str>, shots: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::authsd(dir.path());
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", KEY)
        // The page works as well with several workers as with one.
        .env("AUTHS_WORKERS", "2");
    if let Some(url) = database_url {
        cmd.env("AUTHS_DATABASE_URL", url);
    }
    let server = support::start_with(cmd);
    let mut run = Command::new(venv.join("bin/python"));
    run.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/admin_page.py"))
        .arg(format!("http://{}", server.addr))
        .arg(KEY)
        .env("CHROMIUM", browser);
    if let Some(folder) = shots {
        std::fs::create_dir_all(folder).unwrap();
        run.env("SCREENSHOTS", folder);
    }
    let out = run.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed ({}):\n{stdout}\n{stderr}",
        database_url.map_or("SQLite", |_| "PostgreSQL")
    );
    assert!(stdout.contains("every step passed"), "{stdout}\n{stderr}");
}

#[test]
fn the_admin_page_works_in_a_real_browser_on_both_backends() {
    let Some(browser) = chromium() else { return };
    let Some(venv) = support::python_venv(
        "playwright",
        &["playwright>=1.49,<2"],
        "from playwright.sync_api import sync_playwright",
        REQUIRE,
    ) else {
        return;
    };
    let shots = std::env::var("AUTHS_ADMIN_SCREENSHOTS").ok();
    page_works(&venv, &browser, None, shots.as_deref());
    if let Some(pg) = auths_store::testing::TestDb::postgres() {
        page_works(&venv, &browser, Some(&pg.url), None);
    }
}
