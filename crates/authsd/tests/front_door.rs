//! The front door, end to end: the real `authsd` binary started in an empty folder.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use support::{authsd, start};

fn bootstrap_key(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("auths_") && l.len() == 70)
        .map(str::to_owned)
}

#[test]
fn serves_on_an_empty_folder_and_reuses_the_database() {
    let dir = tempfile::tempdir().unwrap();

    let first = start(dir.path());
    assert_eq!(first.request("GET", "/readyz", &[], "").0, 200);
    assert!(
        dir.path().join("data/auths.db").is_file(),
        "the SQLite file is created with its folder"
    );
    let (ok, stderr) = first.stop();
    assert!(ok, "SIGTERM exits 0: {stderr}");
    let key =
        bootstrap_key(&stderr).unwrap_or_else(|| panic!("the first start prints a key: {stderr}"));

    let second = start(dir.path());
    let create = second.request(
        "POST",
        "/api/v5/artifacts/auths/create",
        &[("X-Api-Key", &key), ("Content-Type", "application/json")],
        r#"{"auths":[{"name":"Corp LDAP","protocol_ids":["protocol-ldap"]}]}"#,
    );
    assert_eq!(create.0, 200, "{}", create.1);
    assert!(create.1.contains(r#""success":true"#), "{}", create.1);
    let (ok, stderr) = second.stop();
    assert!(ok);
    assert_eq!(
        bootstrap_key(&stderr),
        None,
        "a second start reuses the database and its key: {stderr}"
    );
}

#[test]
fn migrate_and_keys_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = authsd(dir.path()).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = authsd(dir.path())
        .args(["keys", "create", "--name", "ci", "--role", "editor"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the key alone on stdout: {stdout:?}"
    );
    assert!(key.starts_with("auths_") && key.len() == 70, "{key}");

    let list = authsd(dir.path()).args(["keys", "list"]).output().unwrap();
    let listing = String::from_utf8(list.stdout).unwrap();
    assert!(listing.contains("ci\teditor\t*"), "{listing}");
    assert!(!listing.contains(key), "keys list never shows a key");

    let dup = authsd(dir.path())
        .args(["keys", "create", "--name", "ci", "--role", "viewer"])
        .output()
        .unwrap();
    assert!(!dup.status.success());
    let bad = authsd(dir.path())
        .args(["keys", "create", "--name", "x", "--role", "root"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    // An expiry in the past is refused with what is wrong; one in the future is listed.
    let late = authsd(dir.path())
        .args(["keys", "create", "--name", "late", "--role", "viewer"])
        .args(["--expires-at", "2001-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert!(!late.status.success());
    assert!(
        String::from_utf8_lossy(&late.stderr).contains("future"),
        "{}",
        String::from_utf8_lossy(&late.stderr)
    );
    let brief = authsd(dir.path())
        .args(["keys", "create", "--name", "brief", "--role", "viewer"])
        .args(["--expires-at", "2999-01-01T00:00:00+01:00"])
        .output()
        .unwrap();
    assert!(
        brief.status.success(),
        "{}",
        String::from_utf8_lossy(&brief.stderr)
    );
    let listing = String::from_utf8(
        authsd(dir.path())
            .args(["keys", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let brief = listing.lines().find(|l| l.starts_with("brief	")).unwrap();
    assert!(
        brief.contains("	2998-12-31 23:00:00	-"),
        "expiry, in UTC: {brief}"
    );

    assert!(
        authsd(dir.path())
            .args(["keys", "revoke", "ci"])
            .status()
            .unwrap()
            .success()
    );
    assert!(
        !authsd(dir.path())
            .args(["keys", "revoke", "ci"])
            .status()
            .unwrap()
            .success()
    );
    let listing = String::from_utf8(
        authsd(dir.path())
            .args(["keys", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let ci = listing.lines().find(|l| l.starts_with("ci\t")).unwrap();
    assert!(!ci.ends_with("\t-"), "revoked time shown: {ci}");
}

#[test]
fn a_bad_database_url_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = authsd(dir.path())
        .args(["migrate", "--database-url", "mysql://x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported database URL"));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing created"
    );
}

#[test]
fn json_logs_are_one_json_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = authsd(dir.path());
    cmd.env("AUTHS_LOG_FORMAT", "json");
    let server = support::start_with(cmd);
    assert_eq!(server.request("GET", "/readyz", &[], "").0, 200);
    let (ok, stderr) = server.stop();
    assert!(ok);
    let logs: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(logs.len() >= 2, "{stderr}");
    for line in logs {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
    }
}

/// A key revoked by the CLI (another process) is refused by a running server within a
/// second, though the server had verified and cached it: on SQLite, and on PostgreSQL
/// when `AUTHS_TEST_DATABASE_URL` names one.
#[test]
fn a_key_revoked_by_the_cli_is_refused_by_the_server_within_a_second() {
    revoked_by_the_cli(None);
    if let Some(pg) = auths_store::testing::TestDb::postgres() {
        revoked_by_the_cli(Some(&pg.url));
    }
}

fn revoked_by_the_cli(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let cmd = || {
        let mut c = authsd(dir.path());
        if let Some(url) = database_url {
            c.env("AUTHS_DATABASE_URL", url);
        }
        c
    };
    let server = support::start_with(cmd());
    let out = cmd()
        .args(["keys", "create", "--name", "doomed", "--role", "viewer"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "keys create ({database_url:?}): {:?}\nstderr: {}\nstdout: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let get = || {
        server
            .request(
                "GET",
                "/api/v5/catalog/protocols",
                &[("X-Api-Key", &key)],
                "",
            )
            .0
    };
    assert_eq!(get(), 200, "{database_url:?}");
    assert_eq!(get(), 200, "verified, and cached");
    assert!(
        cmd()
            .args(["keys", "revoke", "doomed"])
            .status()
            .unwrap()
            .success()
    );
    let revoked = std::time::Instant::now();
    while get() == 200 {
        assert!(
            revoked.elapsed() < std::time::Duration::from_secs(1),
            "still accepted a second after the CLI revoked it ({database_url:?})"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(get(), 401);
    let (ok, _) = server.stop();
    assert!(ok);
}

#[test]
fn without_its_key_file_a_server_serves_all_but_secret_values() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("data/secret.key");
    let first = start(dir.path());
    assert_eq!(first.request("GET", "/readyz", &[], "").0, 200);
    let (ok, stderr) = first.stop();
    assert!(ok, "{stderr}");
    assert!(key_file.is_file(), "created on first start");
    let key = bootstrap_key(&stderr).unwrap();
    let item = |server: &support::Server, key_name: &str| {
        server.request(
            "POST",
            "/api/v5/catalog/items",
            &[("X-Api-Key", &key), ("Content-Type", "application/json")],
            &format!(r#"{{"key":"{key_name}","value":"hunter2-canary","secret":true}}"#),
        )
    };

    let second = start(dir.path());
    let sealed = item(&second, "bind_password");
    assert_eq!(sealed.0, 201, "{}", sealed.1);
    assert!(second.stop().0);

    // The key file is lost: the server starts, does not make a new key (the sealed value
    // would never open again), serves the rest, and names the missing key.
    std::fs::remove_file(&key_file).unwrap();
    let third = start(dir.path());
    let refused = item(&third, "client_secret");
    assert_eq!(refused.0, 503, "{}", refused.1);
    assert!(
        refused.1.contains("\"unavailable\"") && refused.1.contains("AUTHS_SECRET_KEY_FILE"),
        "{}",
        refused.1
    );
    let plain = third.request(
        "POST",
        "/api/v5/catalog/items",
        &[("X-Api-Key", &key), ("Content-Type", "application/json")],
        r#"{"key":"host","value":"ldap.example.org"}"#,
    );
    assert_eq!(plain.0, 201, "{}", plain.1);
    let (ok, stderr) = third.stop();
    assert!(ok);
    assert!(!key_file.exists(), "no new key over sealed values");
    assert!(stderr.contains("restore the file from backup"), "{stderr}");
}

#[test]
fn a_bootstrap_key_of_one_letter_repeated_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (weak, why) in [
        ("a".repeat(24), "too predictable"),
        ("ab12".repeat(10), "too predictable"),
        ("short-key".to_owned(), "at least 24 characters"),
    ] {
        let out = authsd(dir.path())
            .env("AUTHS_BOOTSTRAP_API_KEY", &weak)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{weak}: {stderr}");
        assert!(stderr.contains(why), "{weak}: {stderr}");
        assert!(!stderr.contains(&weak), "the key is not echoed: {stderr}");
    }
    let list = authsd(dir.path()).args(["keys", "list"]).output().unwrap();
    let listing = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listing.lines().count(), 1, "no key was made: {listing}");
}

#[test]
fn instances_on_one_database_share_one_secrets_key() {
    let shared = tempfile::tempdir().unwrap();
    share_one_key(&format!(
        "sqlite://{}",
        shared.path().join("auths.db").display()
    ));
    if let Some(pg) = auths_store::testing::TestDb::postgres() {
        share_one_key(&pg.url);
    }
}

fn share_one_key(database_url: &str) {
    const BOOT: &str = "shared-bootstrap-4f9c2a7e1b8d6c3a5e0f";
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let cmd = |dir: &std::path::Path| {
        let mut c = authsd(dir);
        c.env("AUTHS_DATABASE_URL", database_url)
            .env("AUTHS_BOOTSTRAP_API_KEY", BOOT);
        c
    };
    let secret = |server: &support::Server, key: &str| {
        server
            .request(
                "POST",
                "/api/v5/catalog/items",
                &[("X-Api-Key", BOOT), ("Content-Type", "application/json")],
                &format!(r#"{{"key":"{key}","value":"v","secret":true}}"#),
            )
            .0
    };
    let key_file = |dir: &tempfile::TempDir| dir.path().join("data/secret.key");

    let first = support::start_with(cmd(a.path()));
    assert_eq!(secret(&first, "a1"), 201);
    assert!(key_file(&a).is_file());
    // A second instance makes no key of its own: it would seal what no other opens.
    let second = support::start_with(cmd(b.path()));
    assert!(!key_file(&b).exists(), "no second key");
    let refused = second.request(
        "POST",
        "/api/v5/catalog/items",
        &[("X-Api-Key", BOOT), ("Content-Type", "application/json")],
        r#"{"key":"b1","value":"v","secret":true}"#,
    );
    assert_eq!(refused.0, 503, "{}", refused.1);
    assert!(refused.1.contains("AUTHS_SECRET_KEY_FILE"), "{}", refused.1);
    let (_, logs) = second.stop();
    assert!(logs.contains("copy it from another instance"), "{logs}");

    // With a copy of the first one's key file, it seals as the first does.
    std::fs::create_dir_all(b.path().join("data")).unwrap();
    std::fs::copy(key_file(&a), key_file(&b)).unwrap();
    let second = support::start_with(cmd(b.path()));
    assert_eq!(secret(&second, "b2"), 201);
    assert!(second.stop().0);
    assert!(first.stop().0);

    // A rotation on the first; the second's copy is now stale: it says so and seals
    // nothing under the old key.
    let rotated = cmd(a.path())
        .args(["secrets", "rotate-key"])
        .output()
        .unwrap();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let second = support::start_with(cmd(b.path()));
    assert_eq!(secret(&second, "b3"), 503);
    let (_, logs) = second.stop();
    assert!(logs.contains("does not hold the key"), "{logs}");
    // And a rotation from the stale copy changes nothing.
    let before = std::fs::read(key_file(&b)).unwrap();
    let refused = cmd(b.path())
        .args(["secrets", "rotate-key"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("nothing was changed"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(std::fs::read(key_file(&b)).unwrap(), before);
    // Nor does one from a key file of another database, even with nothing sealed yet
    // under the registered key: it would take the registration over.
    let c = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(c.path().join("data")).unwrap();
    std::fs::write(
        key_file(&c),
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
    )
    .unwrap();
    let foreign = cmd(c.path())
        .args(["secrets", "rotate-key"])
        .output()
        .unwrap();
    assert!(!foreign.status.success());
    assert!(
        String::from_utf8_lossy(&foreign.stderr).contains("nothing was changed"),
        "{}",
        String::from_utf8_lossy(&foreign.stderr)
    );
}

#[test]
fn two_instances_starting_at_once_on_a_fresh_database_both_serve() {
    let shared = tempfile::tempdir().unwrap();
    both_start(&format!(
        "sqlite://{}",
        shared.path().join("auths.db").display()
    ));
    if let Some(pg) = auths_store::testing::TestDb::postgres() {
        // A fresh schema of its own, not migrated yet.
        let schema = format!("fresh_{}", std::process::id());
        pg.execute(&format!("CREATE SCHEMA \"{schema}\""));
        let base = pg.url.split("?options").next().unwrap().to_owned();
        both_start(&format!("{base}?options=-csearch_path%3D{schema}"));
        pg.execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"));
    }
}

fn both_start(database_url: &str) {
    const KEY: &str = "both-start-7c1e9a3f5d2b8e4a6f0c";
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let servers: Vec<support::Server> = std::thread::scope(|s| {
        let started: Vec<_> = dirs
            .iter()
            .map(|d| {
                s.spawn(|| {
                    let mut c = authsd(d.path());
                    c.env("AUTHS_DATABASE_URL", database_url)
                        .env("AUTHS_BOOTSTRAP_API_KEY", KEY);
                    support::start_with(c)
                })
            })
            .collect();
        started.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for server in servers {
        let (status, body) = server.request(
            "GET",
            "/api/v5/catalog/protocols",
            &[("X-Api-Key", KEY)],
            "",
        );
        assert_eq!(status, 200, "{body}");
        assert!(server.stop().0);
    }
}
