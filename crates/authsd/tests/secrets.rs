//! No secret item value and no API key appears in any answer, export, audit record or
//! log line: the real `authsd`, logging at `trace` (text and JSON), goes through a full
//! scenario (keys made by the CLI, secret items created and changed, an auth using them
//! created, updated, drafted, duplicated, exported and downloaded, the audit read, the
//! Foreman-compatible API asked, wrong credentials tried), and every byte it answered,
//! wrote or logged is searched for every secret.
//!
//! The audit answer is the stored record's JSON as it is (see `v5/audit.rs`), so
//! reading it through the API searches the stored records too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

const BOOTSTRAP: &str = "secrets-test-bootstrap-admin-key-5f1e2d3c4b";
const SECRET_1: &str = "S3cret-bind-password-7f1c0a";
const SECRET_2: &str = "S3cret-client-secret-d4e5b6";
const SECRET_3: &str = "S3cret-rotated-password-92ab";
const SECRET_4: &str = "S3cret-in-a-refused-change-6c7d";
const PUBLIC: &str = "ldap-public-host.example.org";
/// Credentials that are wrong, but still not to be written down anywhere.
const WRONG: [&str; 2] = [
    "auths_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "wrong-credential-guess-31a9c8",
];

/// Standard base64, for the Basic credentials and to look for them encoded.
fn base64(input: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Everything seen: raw answers (status line, headers, body), files, logs.
#[derive(Default)]
struct Seen {
    texts: Vec<(String, String)>,
}

impl Seen {
    fn add(&mut self, what: impl Into<String>, text: impl Into<String>) {
        self.texts.push((what.into(), text.into()));
    }

    fn all(&self) -> String {
        self.texts
            .iter()
            .map(|(_, t)| t.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One HTTP exchange; records the whole raw answer; returns status and JSON body.
fn call(
    seen: &mut Seen,
    addr: &str,
    method: &str,
    path: &str,
    auth: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Value) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in auth {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let status = raw[9..12].parse().unwrap();
    let text = raw.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    seen.add(format!("{method} {path} -> {status}"), raw);
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Runs the CLI; records its stderr (logs) and, unless it prints a new key, its stdout.
fn cli(seen: &mut Seen, dir: &Path, log_format: &str, args: &[&str]) -> String {
    let out = support::authsd(dir)
        .env("AUTHS_LOG", "trace")
        .env("AUTHS_LOG_FORMAT", log_format)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "authsd {args:?}: {stderr}");
    seen.add(format!("authsd {args:?} stderr"), stderr);
    if args[..2] != ["keys", "create"] {
        seen.add(format!("authsd {args:?} stdout"), stdout.clone());
    }
    stdout.trim().to_owned()
}

fn files_under(dir: &Path, seen: &mut Seen) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += files_under(&path, seen);
        } else {
            // Every file: the database and its WAL too (secret values are sealed, keys
            // kept as hashes), the key file, exports.
            let bytes = std::fs::read(&path).unwrap();
            seen.add(path.display().to_string(), String::from_utf8_lossy(&bytes));
            n += 1;
        }
    }
    n
}

/// `dir` is 0700 and every file under it 0600 (folders 0700).
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_private(&path);
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
    }
}

fn scenario(log_format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Seen::default();
    let mut cmd = support::authsd(dir.path());
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", BOOTSTRAP)
        .env("AUTHS_LOG", "trace")
        .env("AUTHS_LOG_FORMAT", log_format);
    let server = support::start_with(cmd);
    let addr = server.addr.clone();

    // Keys from the CLI, while the server runs.
    let editor = cli(
        &mut seen,
        dir.path(),
        log_format,
        &["keys", "create", "--name", "editor", "--role", "editor"],
    );
    let viewer = cli(
        &mut seen,
        dir.path(),
        log_format,
        &["keys", "create", "--name", "viewer", "--role", "viewer"],
    );
    let agent = cli(
        &mut seen,
        dir.path(),
        log_format,
        &[
            "keys",
            "create",
            "--name",
            "agent",
            "--role",
            "editor",
            "--allow-mcp-writes",
        ],
    );
    let listed = cli(&mut seen, dir.path(), log_format, &["keys", "list"]);
    assert!(
        listed.contains("editor") && listed.contains("agent"),
        "{listed}"
    );

    let admin = [("X-Api-Key", BOOTSTRAP)];
    let bearer = format!("Bearer {editor}");
    let as_editor = [("Authorization", bearer.as_str())];
    let basic = format!("Basic {}", base64(&format!("editor:{editor}")));
    let as_editor_basic = [("Authorization", basic.as_str())];
    let as_viewer = [("X-Api-Key", viewer.as_str())];
    let as_agent = [("X-Api-Key", agent.as_str()), ("X-MCP", "claude")];
    let mut call = |method: &str, path: &str, auth: &[(&str, &str)], body: Option<Value>| {
        call(&mut seen, &addr, method, path, auth, body.as_ref())
    };
    let ok = |(status, body): (u16, Value)| -> Value {
        assert!((200..300).contains(&status), "{status} {body}");
        body
    };

    // Items: two secrets, one public value; one secret changed; one refused change.
    let pw = ok(call(
        "POST",
        "/api/v5/catalog/items",
        &admin,
        Some(json!({"key": "bind_password", "value": SECRET_1, "secret": true})),
    ));
    assert!(pw["value"].is_null(), "{pw}");
    let pw = pw["id"].as_str().unwrap().to_owned();
    let cs = ok(call(
        "POST",
        "/api/v5/catalog/items",
        &as_editor,
        Some(json!({"key": "client_secret", "value": SECRET_2, "secret": true})),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let host = ok(call(
        "POST",
        "/api/v5/catalog/items",
        &as_editor_basic,
        Some(json!({"key": "host", "value": PUBLIC, "secret": false})),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(call(
        "PATCH",
        &format!("/api/v5/catalog/items/{pw}"),
        &admin,
        Some(json!({"key": "bind_password", "value": SECRET_3, "secret": true})),
    ));
    let (status, _) = call(
        "PATCH",
        &format!("/api/v5/catalog/items/{cs}"),
        &as_editor,
        Some(json!({"key": " ", "value": SECRET_4, "secret": true})),
    );
    assert_eq!(status, 422);
    let dept = ok(call(
        "POST",
        "/api/v5/catalog/departments",
        &admin,
        Some(json!({"label": "Finance"})),
    ))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(call("GET", "/api/v5/catalog/items", &as_viewer, None));
    ok(call(
        "GET",
        &format!("/api/v5/catalog/items?search={SECRET_1}"),
        &as_viewer,
        None,
    ));

    // An auth with them: created, read, updated, drafted, published, duplicated.
    let created = ok(call(
        "POST",
        "/api/v5/artifacts/auths/create",
        &as_editor,
        Some(
            json!({"auths": [{"name": "Corp LDAP", "protocol_ids": ["protocol-ldap", "protocol-external"],
            "item_ids": [pw, host], "department_ids": [dept]}]}),
        ),
    ));
    let id = created["results"][0]["auth_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let form = ok(call(
        "POST",
        "/api/v5/artifacts/auths/get",
        &as_viewer,
        Some(json!({"auth_id": id})),
    ));
    assert_eq!(
        form["items"]["values"].as_array().unwrap().len(),
        2,
        "{form}"
    );
    let updated = ok(call(
        "POST",
        "/api/v5/artifacts/auths/update",
        &as_editor_basic,
        Some(
            json!({"auths": [{"auth_id": id, "expected_version": 1, "item_ids": [pw, cs, host]}]}),
        ),
    ));
    assert_eq!(updated["results"][0]["success"], true, "{updated}");
    let draft = ok(call(
        "PATCH",
        "/api/v5/artifacts/auths/draft",
        &as_agent,
        Some(json!({"auth_id": id, "expected_version": 2, "description": "Drafted by an agent"})),
    ));
    let draft_id = draft["draft_id"].as_str().unwrap().to_owned();
    ok(call(
        "PATCH",
        "/api/v5/artifacts/auths/draft",
        &as_agent,
        Some(json!({"input_draft_id": draft_id, "expected_version": 1, "item_ids": [pw, cs]})),
    ));
    ok(call(
        "POST",
        "/api/v5/artifacts/auths/drafts",
        &as_agent,
        None,
    ));
    ok(call(
        "POST",
        "/api/v5/artifacts/auths/get",
        &as_agent,
        Some(json!({"draft_id": draft_id})),
    ));
    let published = ok(call(
        "POST",
        "/api/v5/artifacts/auths/update",
        &as_agent,
        Some(json!({"auths": [{"auth_id": id, "draft_id": draft_id}]})),
    ));
    assert_eq!(published["results"][0]["success"], true, "{published}");
    ok(call(
        "POST",
        "/api/v5/artifacts/auths/duplicate",
        &as_editor,
        Some(json!({"auth_id": id})),
    ));
    ok(call(
        "POST",
        "/api/v5/artifacts/auths/search",
        &as_viewer,
        Some(json!({"search": "corp"})),
    ));
    ok(call(
        "POST",
        "/api/v5/artifacts/auths/docs",
        &as_viewer,
        Some(json!({"entity_id": id})),
    ));

    // Export and download; the audit, all of it.
    let export = ok(call(
        "POST",
        "/api/v5/artifacts/auths/export",
        &as_editor,
        Some(json!({})),
    ));
    let upload = export["upload_id"].as_str().unwrap().to_owned();
    let (status, csv) = call(
        "GET",
        &format!("/api/v5/uploads/{upload}"),
        &as_editor,
        None,
    );
    assert_eq!(status, 200);
    let csv = csv.as_str().unwrap_or_default().to_owned();
    assert!(csv.contains("Corp LDAP"), "{csv}");
    let audit = ok(call("GET", "/api/v5/audit?page_size=500", &admin, None));
    let records = audit["entries"].as_array().unwrap();
    assert!(
        records.len() >= 10,
        "catalog, auth, draft and key changes are all there: {audit}"
    );
    assert!(
        records
            .iter()
            .any(|r| r["after"]["items"].as_array().is_some_and(|i| i.len() == 3)),
        "the audit shows the items (masked): {audit}"
    );
    ok(call(
        "GET",
        &format!("/api/v5/audit?auth_id={id}"),
        &as_editor,
        None,
    ));

    // The Foreman-compatible API, as Foreman clients call it.
    let list = ok(call(
        "GET",
        "/api/v2/auth_source_externals",
        &as_editor_basic,
        None,
    ));
    let number = list["results"][0]["id"].as_i64().unwrap();
    ok(call(
        "GET",
        &format!("/api/v2/auth_source_externals/{number}"),
        &as_editor_basic,
        None,
    ));
    ok(call("GET", "/api/status", &as_viewer, None));

    // Wrong credentials, every way.
    let wrong_basic = format!("Basic {}", base64(&format!("editor:{}", WRONG[1])));
    let wrong_bearer = format!("Bearer {}", WRONG[0]);
    for auth in [
        [("X-Api-Key", WRONG[0])],
        [("X-Api-Key", WRONG[1])],
        [("Authorization", wrong_bearer.as_str())],
        [("Authorization", wrong_basic.as_str())],
    ] {
        let (status, _) = call(
            "POST",
            "/api/v5/artifacts/auths/get",
            &auth,
            Some(json!({})),
        );
        assert_eq!(status, 401);
    }
    let (status, _) = call(
        "GET",
        "/api/v2/auth_source_externals",
        &[("Authorization", wrong_basic.as_str())],
        None,
    );
    assert_eq!(status, 401);

    // The CLI's export, and every file the server wrote.
    let out = dir.path().join("cli-export.csv");
    cli(
        &mut seen,
        dir.path(),
        log_format,
        &["export", "--out", out.to_str().unwrap()],
    );
    assert!(
        files_under(dir.path(), &mut seen) >= 2,
        "the exports are searched"
    );

    let (stopped, logs) = server.stop();
    assert!(stopped, "{logs}");
    seen.add("server log", logs.clone());

    // The data folder is private, and so is every file in it.
    assert_private(&dir.path().join("data"));
    // A rotation re-seals every value under a new key, which the status then shows.
    let status_before = cli(&mut seen, dir.path(), log_format, &["secrets", "status"]);
    let rotated = cli(
        &mut seen,
        dir.path(),
        log_format,
        &["secrets", "rotate-key"],
    );
    assert!(
        rotated.starts_with("sealed 2 secret values under the new key"),
        "{rotated}"
    );
    let status_after = cli(&mut seen, dir.path(), log_format, &["secrets", "status"]);
    let new_id = rotated.split_whitespace().nth(8).unwrap();
    assert!(
        status_after.contains(&format!("sealing key: {new_id}")),
        "{status_after}"
    );
    assert!(
        status_after.contains(&format!("{new_id}\t2")),
        "{status_after}"
    );
    assert_ne!(status_before, status_after);
    // Rotated twice: the values opened under the first new key, so it sealed them.
    let again = cli(
        &mut seen,
        dir.path(),
        log_format,
        &["secrets", "rotate-key"],
    );
    assert!(again.starts_with("sealed 2 secret values"), "{again}");
    assert!(
        files_under(dir.path(), &mut seen) >= 4,
        "the database is searched"
    );

    // The logs were verbose, and saw the requests.
    let lines = logs.lines().count();
    let level = if log_format == "json" {
        "\"level\":\"DEBUG\""
    } else {
        "DEBUG"
    };
    assert!(
        logs.contains(level) && logs.contains("/api/v5/catalog/items"),
        "{lines} log lines, none at debug or about the requests: {logs}"
    );
    // What may be shown is shown: the scan would see a secret if one were there.
    let everything = seen.all();
    for shown in [PUBLIC, "bind_password", "client_secret", "Corp LDAP"] {
        assert!(everything.contains(shown), "{shown} is nowhere");
    }

    let mut needles: Vec<String> = vec![
        SECRET_1.into(),
        SECRET_2.into(),
        SECRET_3.into(),
        SECRET_4.into(),
        BOOTSTRAP.into(),
        editor.clone(),
        viewer.clone(),
        agent.clone(),
        base64(&format!("editor:{editor}")),
    ];
    for key in [&editor, &viewer, &agent] {
        assert!(key.starts_with("auths_") && key.len() == 70, "{key}");
        // The random part alone, too (as a log might cut the prefix).
        needles.push(key["auths_".len()..].to_owned());
    }
    needles.extend(WRONG.iter().map(|w| (*w).to_owned()));
    needles.push(base64(&format!("editor:{}", WRONG[1])));
    let mut leaks = Vec::new();
    for (what, text) in &seen.texts {
        for needle in &needles {
            if text.contains(needle.as_str()) {
                let line = text
                    .lines()
                    .find(|l| l.contains(needle.as_str()))
                    .unwrap_or("");
                leaks.push(format!("{what}: {needle}: {line}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets shown:\n{}", leaks.join("\n"));
    eprintln!(
        "{log_format}: searched {} answers, files and logs ({lines} server log lines, {} bytes) for {} secrets",
        seen.texts.len(),
        everything.len(),
        needles.len()
    );
}

#[test]
fn no_secret_in_answers_exports_audit_or_text_logs() {
    scenario("text");
}

#[test]
fn no_secret_in_json_logs() {
    scenario("json");
}
