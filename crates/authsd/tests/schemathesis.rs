//! Bad input, by machine: `reliability/schemathesis.py` runs schemathesis (every check,
//! every operation of `/api/v5/openapi.json`) against this build's `authsd`, in a quick,
//! bounded run (`SCHEMATHESIS_MAX_EXAMPLES`, default 15 examples per operation and
//! phase; `make reliability` runs 200).
//!
//! Needs `python3` with `venv` and access to PyPI the first time (the virtual
//! environment is kept in cargo's target folder). Without them the test says SKIPPED
//! and passes, unless `AUTHS_REQUIRE_SCHEMATHESIS` is set (as `.ci/run` does), which
//! makes it fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

use std::path::Path;
use std::process::Command;

/// The script's exit status for "the environment could not be made".
const SKIP: i32 = 77;

#[test]
fn schemathesis_finds_nothing() {
    let required = std::env::var_os("AUTHS_REQUIRE_SCHEMATHESIS").is_some();
    let have_python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_python {
        assert!(
            !required,
            "AUTHS_REQUIRE_SCHEMATHESIS is set but python3 is missing"
        );
        eprintln!("SKIPPED (schemathesis): python3 is not installed");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // CARGO_TARGET_TMPDIR is <target>/tmp: the venv goes beside it, in <target>.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("..");
    let out = Command::new("python3")
        .arg(root.join("reliability/schemathesis.py"))
        .env("AUTHSD_BIN", env!("CARGO_BIN_EXE_authsd"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(SKIP) {
        assert!(
            !required,
            "AUTHS_REQUIRE_SCHEMATHESIS is set but schemathesis could not be installed:\n{stdout}\n{stderr}"
        );
        eprintln!("SKIPPED (schemathesis): could not install it in a virtual environment");
        return;
    }
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{stdout}\n{stderr}"
    );
    // The script's own summary: "N operations, ..." then one line an operation, each
    // with 2xx answers and none with 5xx.
    let operations: usize = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("schemathesis.py: ")?
                .split_once(" operations, ")
        })
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary:\n{stdout}"));
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("schemathesis.py:   "))
        .collect();
    assert!(operations >= 17, "every v5 operation is tested:\n{stdout}");
    assert_eq!(summary.len(), operations, "{stdout}");
    assert!(
        summary
            .iter()
            .all(|l| l.contains("2xx=") && !l.contains("5xx=")),
        "{stdout}"
    );
    eprintln!("{}", summary.join("\n"));
}
