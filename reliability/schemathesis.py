#!/usr/bin/env python3
"""Bad input, by machine: schemathesis against the real `authsd` and its OpenAPI document.

Makes (once, then reuses) a virtual environment with a pinned schemathesis from PyPI,
starts `authsd` on a fresh SQLite database with a bootstrap admin key, seeds a little
data (departments, a location, items, a slug, auths, a draft, an export), and runs
every schemathesis check (`--checks all`) on every operation of
`/api/v5/openapi.json`, in every phase (examples, coverage, fuzzing, stateful, with the
document's links). Then it checks that

- schemathesis found no failure (no 5xx, every answer conforms to the document, ...);
- every operation was exercised: each answered 2xx at least once;
- the server is still up (`/healthz`) and never logged a panic.

It exits 0 when all hold, 1 otherwise, and 77 when the environment cannot be made
(no `venv` module, PyPI unreachable): the Rust test that calls it says SKIPPED then,
unless AUTHS_REQUIRE_SCHEMATHESIS is set.

Environment:
  SCHEMATHESIS_MAX_EXAMPLES  examples per operation and phase (default 15: the CI run;
                             `make reliability` uses 200)
  SCHEMATHESIS_SEED          a seed, to repeat a run (default: a fixed one, 1)
  SCHEMATHESIS_WORKERS       concurrent schemathesis workers (default 1: with 2, hypothesis
                             parsing lambda sources in two threads once crashed CPython
                             3.11 with "AST constructor recursion depth mismatch", a
                             failure of the tool, not of the server)
  AUTHSD_BIN                 the authsd binary (default: `cargo build -p authsd`, debug)
  CARGO_TARGET_DIR           where the venv is kept (`<it>/schemathesis-venv`)
  SCHEMATHESIS_KEEP          keep the temporary folder (database, log, report)
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ST_VERSION = "4.32.5"  # 4.x reads OpenAPI 3.1 natively
KEY = "schemathesis-admin-key-0123456789abcdef"
ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target")
VENV = TARGET / "schemathesis-venv"
SKIP = 77


def log(msg: str) -> None:
    print(f"schemathesis.py: {msg}", flush=True)


def venv() -> Path:
    """The `st` executable of the cached environment, made when missing or stale."""
    st = VENV / "bin" / "st"
    try:
        out = subprocess.run([st, "--version"], capture_output=True, text=True, check=True)
        if ST_VERSION in out.stdout:
            return st
    except (OSError, subprocess.CalledProcessError):
        pass
    log(f"making {VENV} with schemathesis=={ST_VERSION}")
    ok = (
        subprocess.run([sys.executable, "-m", "venv", "--clear", VENV]).returncode == 0
        and subprocess.run(
            [VENV / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check",
             f"schemathesis=={ST_VERSION}"]
        ).returncode == 0
    )
    if not ok:
        log("SKIPPED: could not install schemathesis in a virtual environment")
        sys.exit(SKIP)
    return st


def authsd_bin() -> Path:
    if os.environ.get("AUTHSD_BIN"):
        return Path(os.environ["AUTHSD_BIN"]).resolve()
    subprocess.run(["cargo", "build", "--quiet", "-p", "authsd"], cwd=ROOT, check=True)
    return TARGET / "debug" / "authsd"


class Server:
    def __init__(self, binary: Path, work: Path) -> None:
        self.log_path = work / "server.log"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "AUTHS_BIND": "127.0.0.1:0",
            "AUTHS_DATABASE_URL": f"sqlite://{work / 'auths.db'}",
            "AUTHS_DATA_DIR": str(work / "data"),
            "AUTHS_BOOTSTRAP_API_KEY": KEY,
            "AUTHS_WORKERS": "2",
            "AUTHS_LOG": "warn,authsd=info",  # the address is announced at info
            # The fuzzer sends wrong credentials on purpose (the ignored_auth check,
            # negative headers): the slow-down would soon answer 429 to everything.
            # It has its own tests.
            "AUTHS_FAILED_LOGIN_LIMIT": "0",
        }
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary], cwd=work, env=env,
                                     stdout=subprocess.DEVNULL, stderr=self.log_file)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://([0-9.:]+)", self.log_path.read_text())
            if m:
                self.base = f"http://{m.group(1)}"
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"authsd did not start:\n{self.log_path.read_text()}")

    def call(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"X-Api-Key": KEY,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                status, text = res.status, res.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text.decode(errors="replace")

    def ok(self, method: str, path: str, body: object | None = None) -> dict:
        status, answer = self.call(method, path, body)
        if not 200 <= status < 300:
            raise SystemExit(f"seeding: {method} {path}: {status} {answer}")
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log_file.close()


# Operations left out of the fuzz run. Revoking keys: the fuzzer learns key names from
# `GET /api/v5/keys` and, given the route, revokes the very key it runs with, after
# which every operation answers 401. The route is checked below, after the run, and by
# the HTTP tests (crates/auths-http/tests/http/keys.rs).
UNFUZZED = ["DELETE /api/v5/keys/{name}"]


def by_hand(server: Server, label: str, failed: list[str]) -> collections.Counter:
    """An unfuzzed operation, checked once: a key made for it is revoked (204), then
    is no longer there to revoke (404)."""
    assert label == "DELETE /api/v5/keys/{name}", label
    counts: collections.Counter = collections.Counter()
    spare = server.ok("POST", "/api/v5/keys", {"name": "spare-key", "role": "viewer"})
    for want in (204, 404):
        status, answer = server.call("DELETE", f"/api/v5/keys/{spare['name']}")
        counts[f"{status // 100}xx"] += 1
        if status != want:
            failed.append(f"{label}: {status} {answer}, not {want}")
    return counts


def seed(server: Server) -> dict[str, list[str]]:
    """A little of everything, so that ids in requests can name something real."""
    ids: dict[str, list[str]] = collections.defaultdict(list)
    for kind, label in [("departments", "Finance"), ("departments", "HR"),
                        ("locations", "Berlin"), ("slugs", "corp-ldap"),
                        ("slugs", "hr-oidc")]:
        ids[kind].append(server.ok("POST", f"/api/v5/catalog/{kind}", {"label": label})["id"])
    # Unused departments, for the fuzzer to rename and delete.
    for i in range(8):
        ids["spare_departments"].append(
            server.ok("POST", "/api/v5/catalog/departments", {"label": f"Spare {i}"})["id"])
    for key, value, secret in [("host", "ldap.example", False),
                               ("bind_password", "s3cret-seed-value", True)]:
        entry = server.ok("POST", "/api/v5/catalog/items",
                          {"key": key, "value": value, "secret": secret})
        ids["items"].append(entry["id"])
    for kind in ["flags", "protocols"]:
        ids[kind] = [e["id"] for e in
                     server.ok("GET", f"/api/v5/catalog/{kind}?page_size=500")["entries"]]
    auths = [
        {"name": "Corp LDAP", "description": "The directory", "protocol_ids": ["protocol-ldap"],
         "department_ids": ids["departments"][:1], "slug_ids": ids["slugs"][:1],
         "item_ids": ids["items"]},
        {"name": "HR OIDC", "protocol_ids": ["protocol-oidc"],
         "department_ids": ids["departments"][1:], "slug_ids": ids["slugs"][1:],
         "location_ids": ids["locations"]},
    ] + [{"name": f"Spare {i}", "protocol_ids": ["protocol-external"]} for i in range(10)]
    created = server.ok("POST", "/api/v5/artifacts/auths/create", {"auths": auths})
    # Deletes draw from their own auths, so that the others stay for everyone else.
    ids["auths"] = [r["auth_id"] for r in created["results"][:6]]
    ids["doomed_auths"] = [r["auth_id"] for r in created["results"][6:]]
    draft = server.ok("PATCH", "/api/v5/artifacts/auths/draft",
                      {"auth_id": ids["auths"][0], "expected_version": 1,
                       "description": "A draft"})
    ids["drafts"].append(draft["draft_id"])
    ids["uploads"].append(server.ok("POST", "/api/v5/artifacts/auths/export", {})["upload_id"])
    # The admin key the fuzzer runs with (see UNFUZZED for why it may not revoke keys).
    fuzz_admin = f"fuzz-admin-{uuid.uuid4().hex}"
    ids["fuzz_key"] = [server.ok("POST", "/api/v5/keys", {"name": fuzz_admin, "role": "admin"})["key"]]
    return ids


def config(ids: dict[str, list[str]]) -> str:
    """The schemathesis configuration: ids of the seeded data as dictionaries that
    generated requests draw from half of the time, and 422 accepted for schema-valid
    data, since some rules are beyond what a JSON Schema can say (an id that names no
    catalog entry, a label blank once trimmed, a taken name, an item's body sent to
    another catalog): the API answers those 422 `validation_failed`, by design."""
    entries = [i for k in ["departments", "locations", "slugs", "items"] for i in ids[k]]
    dictionaries = {
        "auth_ids": ids["auths"],
        "doomed_auth_ids": ids["doomed_auths"],
        "spare_department_ids": ids["spare_departments"],
        "draft_ids": ids["drafts"],
        "upload_ids": ids["uploads"],
        "entry_ids": entries + ids["flags"] + ids["protocols"],
        "department_ids": ids["departments"],
        "department_kind": ["departments"],
        "location_ids": ids["locations"],
        "slug_ids": ids["slugs"],
        "item_ids": ids["items"],
        "flag_ids": ids["flags"],
        "protocol_ids": ids["protocols"],
        # Every seeded auth has version 1 (the first has a draft, not a second version).
        "versions": [1],
    }
    bindings = {
        "body.auth_id": "auth_ids",
        "body.entity_id": "auth_ids",
        "body.auth_ids[*]": "doomed_auth_ids",
        "body.auths[*].auth_id": "auth_ids",
        "query.auth_id": "auth_ids",
        "body.draft_id": "draft_ids",
        "body.input_draft_id": "draft_ids",
        "body.auths[*].draft_id": "draft_ids",
        "path.upload_id": "upload_ids",
        "path.id": "entry_ids",
    }
    for field in ["department", "location", "slug", "item", "protocol"]:
        bindings[f"body.{field}_ids[*]"] = f"{field}_ids"
        bindings[f"body.auths[*].{field}_ids[*]"] = f"{field}_ids"
    bindings["body.filter_department_ids[*]"] = "department_ids"
    for field in ["from_version", "to_version", "version"]:
        bindings[f"body.{field}"] = "versions"
    bindings["body.flag_id"] = "flag_ids"
    bindings["body.auths[*].flag_id"] = "flag_ids"
    lines = [
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2XX", "3XX", "401", "403", "404", "409", "422", "429"]',
        "",
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, name in bindings.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    # A rename or a delete needs the kind and the id of one entry: draw both from the
    # unused departments most of the time.
    for method in ["PATCH", "DELETE"]:
        lines += [
            "",
            "[[operations]]",
            f'include-name = "{method} /api/v5/catalog/{{kind}}/{{id}}"',
            "[operations.parameters]",
            '"path.kind" = { dictionary = "department_kind", probability = 0.7 }',
            '"path.id" = { dictionary = "spare_department_ids", probability = 0.7 }',
        ]

    return "\n".join(lines) + "\n"


def operations(doc: dict) -> list[tuple[str, str, re.Pattern[str]]]:
    ops = []
    for path, methods in doc["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
        for method in methods:
            ops.append((method.upper(), path, pattern))
    return ops


def statuses(report: Path, ops: list[tuple[str, str, re.Pattern[str]]]
             ) -> tuple[int, dict[str, collections.Counter]]:
    """Test cases run, and status classes answered by operation, from the NDJSON
    report's interactions."""
    seen: dict[str, collections.Counter] = {f"{m} {p}": collections.Counter() for m, p, _ in ops}
    cases = 0
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        cases += len(finished["recorder"].get("cases", {}))
        for interaction in finished["recorder"].get("interactions", {}).values():
            request, response = interaction["request"], interaction.get("response")
            if not response:
                continue
            path = urllib.parse.urlsplit(request["uri"]).path
            for m, p, pattern in ops:
                if m == request["method"] and pattern.match(path):
                    seen[f"{m} {p}"][f"{response['status_code'] // 100}xx"] += 1
                    break
    return cases, seen


def main() -> int:
    st = venv()
    binary = authsd_bin()
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15")
    seed_value = os.environ.get("SCHEMATHESIS_SEED", "1")
    workers = os.environ.get("SCHEMATHESIS_WORKERS", "1")
    work = Path(tempfile.mkdtemp(prefix="auths-schemathesis-"))
    server = Server(binary, work)
    failed: list[str] = []
    try:
        ids = seed(server)
        (work / "schemathesis.toml").write_text(config(ids))
        started = time.monotonic()
        run = subprocess.run(
            [st, "--config-file", work / "schemathesis.toml", "run",
             f"{server.base}/api/v5/openapi.json",
             "--checks", "all",
             "--header", f"X-Api-Key: {ids['fuzz_key'][0]}",
             *[arg for name in UNFUZZED for arg in ("--exclude-name", name)],
             "--max-examples", examples,
             "--seed", seed_value,
             "--workers", workers,
             "--request-timeout", "10",
             "--report", "ndjson", "--report-dir", work / "report",
             "--no-color"],
            cwd=work,
        )
        elapsed = time.monotonic() - started
        if run.returncode != 0:
            failed.append(f"schemathesis reported failures (exit {run.returncode})")
        _, doc = server.call("GET", "/api/v5/openapi.json")
        ops = operations(doc)
        reports = list((work / "report").glob("*.ndjson"))
        if not reports:
            failed.append("no NDJSON report was written")
        else:
            cases, seen = statuses(reports[0], ops)
            total = sum(sum(c.values()) for c in seen.values())
            log(f"{len(ops)} operations, {cases} test cases, {total} requests in {elapsed:.0f} s "
                f"(max {examples} examples per operation and phase, seed {seed_value}):")
            for label in UNFUZZED:
                seen[label] = by_hand(server, label, failed)
            for label, counts in sorted(seen.items()):
                note = " (by hand, not fuzzed)" if label in UNFUZZED else ""
                log(f"  {label:45} " + " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
                    + note)
                if counts["2xx"] == 0:
                    failed.append(f"{label} never answered 2xx: not exercised")
                if counts["5xx"]:
                    failed.append(f"{label} answered 5xx {counts['5xx']} times")
        status, health = server.call("GET", "/healthz")
        if status != 200:
            failed.append(f"the server is down after the run: /healthz {status} {health}")
    finally:
        server.stop()
    server_log = server.log_path.read_text()
    if "panicked" in server_log:
        failed.append("the server log shows a panic")
    if failed:
        print(server_log[-20000:], file=sys.stderr)
        for f in failed:
            log(f"FAILED: {f}")
        log(f"kept {work}")
        return 1
    if os.environ.get("SCHEMATHESIS_KEEP"):
        log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
