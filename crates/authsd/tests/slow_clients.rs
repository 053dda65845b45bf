//! Limits that only the real server can show: clients that send their request head or
//! body too slowly are cut off (408) while everyone else is served, and a body nested
//! 100,000 levels deep is a clear 400, not a stack overflow. The real `authsd` binary,
//! with its own configuration (one worker, to make starving it easy).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const KEY: &str = "slow-clients-test-admin-key-0123456789";

fn server(dir: &std::path::Path) -> support::Server {
    let mut cmd = support::authsd(dir);
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", KEY);
    support::start_with(cmd)
}

/// Sends `start` and then nothing; answers what the server says before it closes (or
/// within `wait`), and how long that took.
fn stall(addr: &str, start: &str, wait: Duration) -> (String, Duration) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(start.as_bytes()).unwrap();
    let began = Instant::now();
    let mut answer = Vec::new();
    // Read until the server closes; a read timeout leaves what came so far.
    let _ = s.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        began.elapsed(),
    )
}

#[test]
fn slow_heads_and_bodies_are_cut_off_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let head =
        format!("POST /api/v5/artifacts/auths/get HTTP/1.1\r\nHost: x\r\nX-Api-Key: {KEY}\r\n");
    let body = format!(
        "POST /api/v5/artifacts/auths/get HTTP/1.1\r\nHost: x\r\nX-Api-Key: {KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"auth"
    );
    // The Foreman-compatible API reads its bodies itself.
    let foreman = format!(
        "PUT /api/auth_source_externals/1 HTTP/1.1\r\nHost: x\r\nX-Api-Key: {KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"auth"
    );
    // Fifteen of each, all stalled at once, on a server with one worker.
    let stalled: Vec<_> = (0..45)
        .map(|i| {
            let addr = server.addr.clone();
            let (kind, start) = match i % 3 {
                0 => ("head", head.clone()),
                1 => ("body", body.clone()),
                _ => ("foreman body", foreman.clone()),
            };
            std::thread::spawn(move || (kind, stall(&addr, &start, Duration::from_secs(40))))
        })
        .collect();

    // Meanwhile, others are served, promptly.
    std::thread::sleep(Duration::from_millis(500));
    for _ in 0..5 {
        let began = Instant::now();
        let (status, answer) = server.request(
            "POST",
            "/api/v5/artifacts/auths/get",
            &[("X-Api-Key", KEY), ("Content-Type", "application/json")],
            "{}",
        );
        assert_eq!(status, 200, "{answer}");
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "served in {:?} while 45 clients stall",
            began.elapsed()
        );
        std::thread::sleep(Duration::from_secs(1));
    }

    for h in stalled {
        let (kind, (answer, took)) = h.join().unwrap();
        // The head must arrive within 10 s (client_request_timeout), and no byte of a
        // body may keep us waiting 10 s (the body deadline): then an answer, and the
        // connection is closed (read_to_end returned before the 40 s read timeout).
        assert!(
            took >= Duration::from_secs(9) && took < Duration::from_secs(20),
            "a slow {kind} cut off after {took:?}: {answer:?}"
        );
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "a slow {kind} gets 408: {answer:?}"
        );
        if kind == "body" {
            let json = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
            let v: serde_json::Value = serde_json::from_str(json)
                .unwrap_or_else(|_| panic!("a JSON error body: {answer:?}"));
            assert_eq!(v["error"]["code"], "bad_request", "{v}");
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("request body"),
                "{v}"
            );
        }
    }

    assert_eq!(server.request("GET", "/readyz", &[], "").0, 200);
    let (ok, stderr) = server.stop();
    assert!(ok, "the server still exits cleanly: {stderr}");
}

#[test]
fn deep_nesting_is_a_clear_400_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let deep = 100_000;
    let headers = [("X-Api-Key", KEY), ("Content-Type", "application/json")];
    let bodies = [
        (
            "POST",
            "/api/v5/artifacts/auths/create",
            format!(r#"{{"auths": {}"#, "[".repeat(deep)),
        ),
        (
            "POST",
            "/api/v5/artifacts/auths/search",
            format!("{}1{}", r#"{"a":"#.repeat(deep), "}".repeat(deep)),
        ),
        (
            "PATCH",
            "/api/v5/artifacts/auths/draft",
            format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        ),
        // The Foreman-compatible API reads its bodies itself.
        (
            "PUT",
            "/api/auth_source_externals/1",
            format!(r#"{{"auth_source_external": {}"#, "[".repeat(deep)),
        ),
        (
            "POST",
            "/api/locations",
            format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        ),
    ];
    for (method, path, body) in &bodies {
        let (status, answer) = server.request(method, path, &headers, body);
        assert!(
            (400..500).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        let v: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON: {answer}"));
        assert!(v["error"].is_object(), "{method} {path}: {v}");
        // And the next request is answered as usual.
        let (status, _) = server.request("POST", "/api/v5/artifacts/auths/get", &headers, "{}");
        assert_eq!(status, 200, "after {method} {path}");
    }
    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
