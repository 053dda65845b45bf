//! docs/api.md runs as written: its `sh` blocks, in order, in one `bash -euo pipefail`
//! against a fresh server, with only `KEY` and `B` set, as a reader would; and every
//! line of the answers it shows (`json` and `csv` blocks, `…` standing for any text)
//! is found in what the commands printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::process::Command;

const KEY: &str = "docs-test-admin-key-7f3a9c2e5b1d8f4a6c0e";

/// The blocks of `lang` in `markdown`, in order.
fn blocks<'a>(markdown: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("a closed block");
        out.push(&body[..end]);
        rest = &body[end + 3..];
    }
    out
}

/// Whether `line` (with `…` for any text, within a line's reach) occurs in `text`.
fn shown(line: &str, text: &str) -> bool {
    let mut from: Option<usize> = None;
    for part in line.split('…').filter(|p| !p.is_empty()) {
        let start = from.unwrap_or(0);
        match text[start..].find(part) {
            // The first part anywhere; each next one soon after the one before.
            Some(at) if from.is_none() || at < 4096 => from = Some(start + at + part.len()),
            _ => return false,
        }
    }
    true
}

#[test]
fn the_matcher_tells_what_was_not_shown() {
    let text = r#"{"id":"x1","label":"a"} and {"version":3}"#;
    assert!(shown(r#"{"id":"…","label":"a"}"#, text));
    assert!(shown(r#"…"version":3}"#, text));
    assert!(!shown(r#"{"id":"…","label":"b"}"#, text));
    assert!(!shown(r#""version":4"#, text));
}

#[test]
fn the_api_walkthrough_runs_as_written() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    let script = blocks(&doc, "sh").join("\n");
    assert!(script.contains("curl"), "no commands found");
    assert!(
        Command::new("jq")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "docs/api.md needs jq (Debian: apt-get install jq; .ci/run installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::authsd(dir.path());
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", KEY);
    let server = support::start_with(cmd);
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEY", KEY)
        .env("B", format!("http://{}/api/v5", server.addr))
        .output()
        .unwrap();
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the walkthrough failed:\n{printed}");
    let mut missing = Vec::new();
    for block in blocks(&doc, "json").into_iter().chain(blocks(&doc, "csv")) {
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !shown(line, &printed) {
                missing.push(line.to_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "answers shown in docs/api.md but not given:\n{}\n\nprinted:\n{printed}",
        missing.join("\n")
    );
    assert!(server.stop().0);
}

#[test]
fn the_readmes_first_steps_run_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let script = blocks(&readme, "sh")
        .into_iter()
        .find(|b| b.contains("readyz"))
        .expect("the README's first steps");
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::authsd(dir.path());
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", KEY);
    let server = support::start_with(cmd);
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEY", KEY)
        .env("HOST", &server.addr)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains(r#""success":true"#), "created: {printed}");
    assert!(
        printed.contains(r#""name":"Intranet""#),
        "listed by Foreman's API: {printed}"
    );
    assert!(server.stop().0);
}
