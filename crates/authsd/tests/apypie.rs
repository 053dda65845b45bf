//! Foreman compatibility, proven with a real Foreman client: the Python library apypie
//! (which the Foreman Ansible modules are built on) drives the running server.
//!
//! Needs `python3` with `venv` and access to PyPI; the virtual environment is kept in
//! cargo's target folder and reused. Without python3 the test says SKIPPED and passes,
//! unless `AUTHS_REQUIRE_APYPIE` is set (as `.ci/run` does), which makes it fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::path::PathBuf;
use std::process::Command;

const KEY: &str = "apypie-test-admin-key-0123456789";

fn python_venv() -> Option<PathBuf> {
    support::python_venv(
        "apypie",
        &["apypie"],
        "import apypie",
        "AUTHS_REQUIRE_APYPIE",
    )
    .map(|venv| venv.join("bin/python"))
}

/// One HTTP call to the server, answering the JSON body.
fn call(server: &support::Server, method: &str, path: &str, body: &str) -> serde_json::Value {
    support::ok_json(server, KEY, method, path, body)
}

const SCRIPT: &str = r#"
import json, os, sys, tempfile
from apypie import Api

api = Api(uri=os.environ["URL"], username="bootstrap-admin", password=os.environ["KEY"],
          api_version=2, apidoc_cache_dir=tempfile.mkdtemp())
res = api.resource("auth_source_externals")
out = {}
out["resources"] = api.resources
out["index"] = res.call("index", {"search": "name ~ corp", "per_page": 4294967296})
first = out["index"]["results"][0]["id"]
out["show"] = res.call("show", {"id": first})
out["update"] = res.call("update", {"id": first, "auth_source_external": {"name": "Corp External (renamed)", "location_ids": [int(os.environ["LOCATION"])]}})
out["by_location"] = api.resource("auth_source_externals").call("index", {"location_id": int(os.environ["LOCATION"])})
out["status"] = api.resource("home").call("status")
print(json.dumps(out))
"#;

#[test]
fn apypie_drives_the_foreman_api() {
    let Some(python) = python_venv() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::authsd(dir.path());
    cmd.env("AUTHS_BOOTSTRAP_API_KEY", KEY);
    let server = support::start_with(cmd);

    let loc = call(
        &server,
        "POST",
        "/api/v5/catalog/locations",
        r#"{"label": "Location 1"}"#,
    );
    let body = format!(
        r#"{{"auths": [{{"name": "Corp External", "protocol_ids": ["protocol-external"]}}, {{"name": "Other", "protocol_ids": ["protocol-external"], "location_ids": ["{}"]}}, {{"name": "Corp LDAP", "protocol_ids": ["protocol-ldap"]}}]}}"#,
        loc["id"].as_str().unwrap()
    );
    let created = call(&server, "POST", "/api/v5/artifacts/auths/create", &body);
    assert!(
        created["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == true),
        "{created}"
    );
    let locations = call(&server, "GET", "/api/locations", "");
    let location = locations["results"][0]["id"].as_i64().unwrap();

    let out = Command::new(&python)
        .args(["-c", SCRIPT])
        .env("URL", format!("http://{}", server.addr))
        .env("KEY", KEY)
        .env("LOCATION", location.to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "apypie failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();

    assert!(
        r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "auth_source_externals")
    );
    let index = &r["index"];
    assert_eq!(
        (index["total"].as_u64(), index["subtotal"].as_u64()),
        (Some(2), Some(1)),
        "{index}"
    );
    assert_eq!(index["results"][0]["name"], "Corp External");
    assert_eq!(r["show"]["name"], "Corp External");
    assert_eq!(r["show"]["external_usergroups"], serde_json::json!([]));
    assert_eq!(r["update"]["name"], "Corp External (renamed)");
    assert_eq!(r["update"]["locations"][0]["id"], location);
    let names: Vec<&str> = r["by_location"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Corp External (renamed)", "Other"],
        "{}",
        r["by_location"]
    );
    assert_eq!(r["status"]["api_version"], 2);

    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");
}
