//! The operator's first hour (issue "The operator's first hour"): the real `authsd`, run
//! as a newcomer runs it, answers what is wrong and what to do, and creates nothing it
//! should not.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::path::Path;

use support::authsd;

fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = authsd(dir).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn commands_other_than_serve_and_migrate_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["keys", "list"][..],
        &["keys", "create", "--name", "ci", "--role", "viewer"],
        &["keys", "revoke", "ci"],
        &["secrets", "status"],
        &["secrets", "rotate-key"],
        &["export", "--out", "all.csv"],
    ] {
        let (ok, _, stderr) = run(dir.path(), args);
        assert!(!ok, "{args:?}");
        assert!(
            stderr.contains("no database at data/auths.db") && stderr.contains("authsd migrate"),
            "{args:?} says what is wrong and what to do: {stderr}"
        );
        assert!(is_empty(dir.path()), "{args:?} created something");
    }
    // A SQLite URL whose folder does not exist: no folder is made for a read.
    let (ok, _, stderr) = run(
        dir.path(),
        &[
            "keys",
            "list",
            "--database-url",
            "sqlite://nowhere/deep/auths.db",
        ],
    );
    assert!(!ok && stderr.contains("nowhere/deep/auths.db"), "{stderr}");
    assert!(is_empty(dir.path()));
    // After `migrate`, they work on what it made.
    assert!(run(dir.path(), &["migrate"]).0);
    let (ok, stdout, stderr) = run(dir.path(), &["keys", "list"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("NAME\tROLE"), "{stdout}");
}

#[test]
fn the_first_admin_key_is_printed_only_once_the_port_is_bound() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = authsd(dir.path())
        .env("AUTHS_BIND", &addr)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&format!("binding {addr}")), "{stderr}");
    assert!(!stderr.contains("auths_"), "no key printed: {stderr}");
    // ...and none made: the next start, on a free port, makes and prints the first one.
    let (_, listed, _) = run(dir.path(), &["keys", "list"]);
    assert_eq!(listed.lines().count(), 1, "no key yet: {listed}");
    drop(taken);
    let server = support::start(dir.path());
    assert_eq!(server.request("GET", "/readyz", &[], "").0, 200);
    let (ok, logs) = server.stop();
    assert!(ok);
    assert!(logs.contains("named bootstrap-admin"), "{logs}");
    assert!(
        logs.contains("authsd keys create --name admin2 --role admin"),
        "says how to make another: {logs}"
    );
    assert!(
        logs.lines().any(|l| l.trim().starts_with("auths_")),
        "{logs}"
    );
}

#[test]
fn a_refused_key_says_which_field_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    assert!(run(dir.path(), &["migrate"]).0);
    for (args, field) in [
        (
            &[
                "keys",
                "create",
                "--name",
                "x",
                "--role",
                "viewer",
                "--department",
                "no-such",
            ][..],
            "department: no-such is not an entry of the departments catalog",
        ),
        (
            &["keys", "create", "--name", " ", "--role", "viewer"],
            "name: a key's name",
        ),
        (
            &["keys", "create", "--name", "a:b", "--role", "viewer"],
            "name: a key's name",
        ),
    ] {
        let (ok, _, stderr) = run(dir.path(), args);
        assert!(!ok, "{args:?}");
        assert!(stderr.contains(field), "{args:?}: {stderr}");
    }
    // Every problem at once, each with its field.
    let (ok, _, stderr) = run(
        dir.path(),
        &[
            "keys",
            "create",
            "--name",
            "",
            "--role",
            "admin",
            "--department",
            "nope",
            "--department",
            "nope2",
            "--expires-at",
            "2020-01-01T00:00:00Z",
        ],
    );
    assert!(!ok);
    for field in [
        "name:",
        "expires_at:",
        "department: nope ",
        "department: nope2 ",
    ] {
        assert!(stderr.contains(field), "{field} in {stderr}");
    }
}

#[test]
fn subcommand_help_is_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, help, _) = run(dir.path(), &["keys", "create", "--help"]);
    assert!(ok);
    let at = |s: &str| help.find(s).unwrap_or_else(|| panic!("{s} in {help}"));
    // The command's own options first, then the shared ones, the server's last.
    assert!(at("--name") < at("Database and files:"), "{help}");
    assert!(at("Database and files:") < at("Logging:"), "{help}");
    assert!(at("Logging:") < at("Server (serve):"), "{help}");
    assert!(at("Server (serve):") < at("--bind"), "{help}");
    assert!(is_empty(dir.path()));
}

#[test]
fn a_folder_named_by_the_configuration_is_never_made_private_by_force() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // A SQLite URL naming a folder (`sqlite:///` names `/`) is refused, untouched.
    for url in [
        format!("sqlite://{}", shared.display()),
        format!("sqlite://{}/", shared.display()),
    ] {
        let (ok, _, stderr) = run(dir.path(), &["migrate", "--database-url", &url]);
        assert!(!ok && stderr.contains("not a folder"), "{url}: {stderr}");
        assert_eq!(mode(&shared), 0o755, "{url}");
    }
    // An existing data folder stays as it is (a warning says so); the files made in
    // it are private.
    let url = format!("sqlite://{}", dir.path().join("auths.db").display());
    let data = shared.to_str().unwrap();
    let (ok, _, stderr) = run(
        dir.path(),
        &["migrate", "--database-url", &url, "--data-dir", data],
    );
    assert!(ok, "{stderr}");
    assert_eq!(mode(&shared), 0o755);
    assert!(stderr.contains("readable by others"), "{stderr}");
    assert_eq!(mode(&shared.join("secret.key")), 0o600);
    assert_eq!(mode(&dir.path().join("auths.db")), 0o600);
}

#[test]
fn an_empty_database_file_is_left_empty_by_a_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let db = dir.path().join("data/auths.db");
    std::fs::write(&db, b"").unwrap();
    let (ok, _, stderr) = run(dir.path(), &["keys", "list"]);
    assert!(!ok);
    assert!(
        stderr.contains("not yet a database") && stderr.contains("authsd migrate"),
        "{stderr}"
    );
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "nothing written");
}
