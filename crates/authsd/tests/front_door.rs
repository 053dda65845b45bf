//! The front door, end to end: the real `authsd` binary started in an empty folder.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_authsd");

/// A running server, with the stderr lines read so far and the rest to come.
struct Server {
    child: Child,
    addr: String,
    early: Vec<String>,
    stderr: mpsc::Receiver<String>,
}

fn authsd(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AUTHS_BIND", "127.0.0.1:0")
        .env("AUTHS_WORKERS", "1");
    cmd
}

#[expect(
    clippy::zombie_processes,
    reason = "Server's Drop (or stop) waits for the child"
)]
fn start(dir: &Path) -> Server {
    let mut child = authsd(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut early = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no address announced: {early:#?}"));
        let addr = line
            .split("listening on http://")
            .nth(1)
            .map(|r| r.split_whitespace().next().unwrap().to_owned());
        early.push(line);
        if let Some(addr) = addr {
            return Server {
                child,
                addr,
                early,
                stderr: rx,
            };
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).unwrap();
        let mut res = String::new();
        s.read_to_string(&mut res).unwrap();
        let status = res[9..12].parse().unwrap();
        let body = res.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
        (status, body)
    }

    /// SIGTERM, then the exit status and everything printed on stderr.
    fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        // The reader thread ends at EOF, so this collects every remaining line.
        self.early.extend(self.stderr.iter());
        (status.success(), self.early.join("\n"))
    }
}

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
