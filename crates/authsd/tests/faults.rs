//! Faults, on the real `authsd` binary: a `kill -9` in the middle of a write load
//! (SQLite and PostgreSQL), a PostgreSQL outage (a private server started and stopped
//! by the test), and exports interrupted by a kill or by a full disk.
//!
//! Quick by default (a few seconds a test, for `cargo test --workspace`); with
//! `AUTHS_RELIABILITY_FULL=1` the full length: more kill rounds, longer loads, an
//! outage longer than the key cache, a larger export. Each test prints one summary line
//! on the process's stderr (`faults: ...`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const KEY: &str = "faults-test-admin-key-0123456789";

/// `AUTHS_RELIABILITY_FULL=1`: the full-length run.
fn full() -> bool {
    std::env::var("AUTHS_RELIABILITY_FULL").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A line on the process's own stderr, which the test harness does not capture.
fn report(line: &str) {
    use std::io::Write;
    match std::fs::OpenOptions::new().append(true).open("/dev/stderr") {
        Ok(mut f) => {
            let _ = writeln!(f, "{line}");
        }
        Err(_) => eprintln!("{line}"),
    }
}

/// The server's command: its own folder, database and data folder, the test's key.
fn authsd(dir: &Path, database_url: &str) -> Command {
    let mut cmd = support::authsd(dir);
    configure(&mut cmd, dir, database_url);
    cmd
}

fn configure(cmd: &mut Command, dir: &Path, database_url: &str) {
    cmd.env("AUTHS_DATABASE_URL", database_url)
        .env("AUTHS_DATA_DIR", dir.join("data"))
        .env("AUTHS_BOOTSTRAP_API_KEY", KEY)
        .env("AUTHS_WORKERS", "2")
        .env("AUTHS_LOG", "warn,authsd=info");
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("auths.db").display())
}

/// An HTTP client of one server address, with the test's key.
#[derive(Debug, Clone)]
struct Api {
    addr: String,
    timeout: Duration,
}

impl Api {
    fn of(server: &support::Server) -> Self {
        Self {
            addr: server.addr.clone(),
            timeout: Duration::from_secs(30),
        }
    }

    /// One call: the status and the JSON body (`Null` when the body is not JSON), or the
    /// I/O error of a server that is gone.
    fn try_call(&self, method: &str, path: &str, body: &Value) -> std::io::Result<(u16, Value)> {
        let text = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        let (status, text) = support::http(
            &self.addr,
            method,
            path,
            &[("X-Api-Key", KEY), ("Content-Type", "application/json")],
            &text,
            self.timeout,
        )?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A call that must succeed (2xx): its JSON body.
    fn ok(&self, method: &str, path: &str, body: &Value) -> Value {
        let (status, answer) = self
            .try_call(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {answer}"
        );
        answer
    }

    fn post(&self, op: &str, body: &Value) -> Value {
        self.ok("POST", &format!("/api/v5/artifacts/auths/{op}"), body)
    }

    /// The raw bytes of a download, or its status when not 200.
    fn download(&self, upload_id: &str) -> Result<String, u16> {
        let (status, text) = support::http(
            &self.addr,
            "GET",
            &format!("/api/v5/uploads/{upload_id}"),
            &[("X-Api-Key", KEY)],
            "",
            self.timeout,
        )
        .unwrap();
        if status == 200 { Ok(text) } else { Err(status) }
    }

    /// Creates catalog entries for the loads: departments and (non-secret) items.
    fn fixtures(&self) -> Fixtures {
        let departments = (0..3)
            .map(|i| {
                self.ok(
                    "POST",
                    "/api/v5/catalog/departments",
                    &json!({"label": format!("Faults dept {i}")}),
                )["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        let items = (0..3)
            .map(|i| {
                self.ok(
                    "POST",
                    "/api/v5/catalog/items",
                    &json!({"key": format!("faults.key{i}"), "value": format!("value {i}"), "secret": false}),
                )["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        Fixtures { departments, items }
    }

    /// Every audit record, newest first.
    fn audit(&self, auth_id: Option<&str>) -> Vec<Value> {
        let mut entries = Vec::new();
        loop {
            let mut path = format!("/api/v5/audit?page_size=500&page_offset={}", entries.len());
            if let Some(id) = auth_id {
                write!(path, "&auth_id={id}").unwrap();
            }
            let page = self.ok("GET", &path, &Value::Null);
            let rows = page["entries"].as_array().unwrap().clone();
            let total = page["total_count"].as_u64().unwrap();
            let done = rows.is_empty();
            entries.extend(rows);
            if done || entries.len() as u64 >= total {
                return entries;
            }
        }
    }

    /// The number of auths a search finds (`None`: every auth).
    fn count(&self, search: Option<&str>) -> u64 {
        self.post("search", &json!({"search": search, "page_size": 1}))["total_count"]
            .as_u64()
            .unwrap()
    }
}

/// Catalog entries the loads pick from.
#[derive(Debug, Clone)]
struct Fixtures {
    departments: Vec<String>,
    items: Vec<String>,
}

/// A small deterministic generator (xorshift64*), so that a failure can be replayed.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A subset of `from`, sorted, never empty when `non_empty`.
    fn subset(&mut self, from: &[String], non_empty: bool) -> Vec<String> {
        loop {
            let mask = self.next();
            let mut picked: Vec<String> = from
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, s)| s.clone())
                .collect();
            if !non_empty || !picked.is_empty() {
                picked.sort();
                return picked;
            }
        }
    }
}

/// The values one write gives an auth's sections (the name never changes).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Values {
    description: String,
    flag: String,
    protocols: Vec<String>,
    departments: Vec<String>,
    items: Vec<String>,
}

impl Values {
    fn random(rng: &mut Rng, fx: &Fixtures, token: &str, version: i64) -> Self {
        let protocols = [
            "protocol-ldap".to_owned(),
            "protocol-oidc".to_owned(),
            "protocol-saml2".to_owned(),
        ];
        Self {
            description: format!("{token} version {version} written by the fault test"),
            flag: ["flag-active", "flag-disabled"][rng.below(2) as usize].to_owned(),
            protocols: rng.subset(&protocols, true),
            departments: rng.subset(&fx.departments, false),
            items: rng.subset(&fx.items, false),
        }
    }

    fn fields(&self) -> serde_json::Map<String, Value> {
        let v = json!({
            "description": self.description,
            "flag_id": self.flag,
            "protocol_ids": self.protocols,
            "department_ids": self.departments,
            "item_ids": self.items,
        });
        v.as_object().unwrap().clone()
    }

    /// The values the form view of `/get` shows.
    fn of_form(form: &Value) -> Self {
        let ids = |section: &str| {
            let mut ids: Vec<String> = form[section]["values"]
                .as_array()
                .unwrap_or_else(|| panic!("{section} in {form}"))
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        };
        Self {
            description: form["descriptions"]["value"]["label"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            flag: form["flags"]["value"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            protocols: ids("protocols"),
            departments: ids("departments"),
            items: ids("items"),
        }
    }
}

/// One auth of the load, as its writer knows it.
#[derive(Debug, Clone)]
struct Tracked {
    /// A word found in no other auth's name or description.
    token: String,
    name: String,
    /// `None` while its create is not acknowledged.
    auth_id: Option<String>,
    /// The last acknowledged version (0: none).
    acked: i64,
    /// Every version sent: the acknowledged ones, and at most one in flight.
    sent: BTreeMap<i64, Values>,
}

/// What one writer thread did in one round.
#[derive(Debug, Default)]
struct Tally {
    writes_acked: u64,
    unanswered: u64,
}

/// Bulk creates of three auths and single updates against `expected_version`, as fast as
/// the server answers, until it stops answering (it is killed).
fn writer(
    api: &Api,
    fx: &Fixtures,
    thread: usize,
    seed: u64,
    mine: &mut Vec<Tracked>,
    counter: &mut u64,
    stop: &AtomicBool,
) -> Tally {
    let mut rng = Rng::new(seed);
    let mut tally = Tally::default();
    loop {
        if stop.load(Ordering::Relaxed) {
            return tally;
        }
        let known: Vec<usize> = (0..mine.len())
            .filter(|&i| mine[i].auth_id.is_some())
            .collect();
        if known.len() < 3 || rng.below(3) == 0 {
            let first = mine.len();
            let mut items = Vec::new();
            for _ in 0..3 {
                *counter += 1;
                let token = format!("k{thread:02}x{counter:06}");
                let values = Values::random(&mut rng, fx, &token, 1);
                let mut item = values.fields();
                let name = format!("Fault load {token}");
                item.insert("name".into(), json!(name));
                items.push(Value::Object(item));
                mine.push(Tracked {
                    token,
                    name,
                    auth_id: None,
                    acked: 0,
                    sent: BTreeMap::from([(1, values)]),
                });
            }
            let Some(answer) = answered(api.try_call(
                "POST",
                "/api/v5/artifacts/auths/create",
                &json!({"auths": items}),
            )) else {
                tally.unanswered += 1;
                return tally;
            };
            for (i, r) in answer["results"].as_array().unwrap().iter().enumerate() {
                assert_eq!(r["success"], true, "create failed: {r}");
                assert_eq!(r["version"], 1, "{r}");
                let t = &mut mine[first + i];
                t.auth_id = Some(r["auth_id"].as_str().unwrap().to_owned());
                t.acked = 1;
                tally.writes_acked += 1;
            }
        } else {
            let t = &mut mine[known[rng.below(known.len() as u64) as usize]];
            let version = t.acked + 1;
            let values = Values::random(&mut rng, fx, &t.token, version);
            t.sent.insert(version, values.clone());
            let mut item = values.fields();
            item.insert("auth_id".into(), json!(t.auth_id));
            item.insert("expected_version".into(), json!(t.acked));
            let Some(answer) = answered(api.try_call(
                "POST",
                "/api/v5/artifacts/auths/update",
                &json!({"auths": [item]}),
            )) else {
                tally.unanswered += 1;
                return tally;
            };
            let r = &answer["results"][0];
            assert_eq!(r["success"], true, "update failed: {r}");
            assert_eq!(r["version"], version, "{r}");
            t.acked = version;
            tally.writes_acked += 1;
        }
    }
}

/// A complete 200 answer, or `None` when the server went away before answering.
fn answered(r: std::io::Result<(u16, Value)>) -> Option<Value> {
    match r {
        Ok((200, body)) if !body.is_null() => Some(body),
        Ok((status, body)) => panic!("a write answered {status} {body}"),
        Err(_) => None,
    }
}

/// After a restart: every acknowledged write is there whole, an unacknowledged one is
/// there whole or not at all; the search index and the audit log agree. Settles what
/// was in flight, so that the next round starts from what the database holds. Answers
/// the number of in-flight writes found committed.
fn check_after_restart(api: &Api, all: &mut [Vec<Tracked>]) -> u64 {
    let mut landed = 0;
    let mut known = 0_u64;
    for mine in all.iter_mut() {
        mine.retain_mut(|t| {
            let found = api.post("search", &json!({"search": t.token, "page_size": 5}));
            let rows = found["auths"].as_array().unwrap();
            assert!(
                rows.len() <= 1,
                "{} found {} times: {found}",
                t.token,
                rows.len()
            );
            let Some(row) = rows.first() else {
                assert!(
                    t.auth_id.is_none(),
                    "acknowledged auth {} ({}) is missing after the kill",
                    t.name,
                    t.auth_id.as_deref().unwrap_or_default()
                );
                return false; // its create never committed: forget it
            };
            let auth_id = row["auth_id"].as_str().unwrap().to_owned();
            match &t.auth_id {
                Some(id) => assert_eq!(id, &auth_id, "{}", t.name),
                None => {
                    landed += 1; // a create in flight at the kill, committed
                    t.auth_id = Some(auth_id.clone());
                }
            }
            let form = api.post("get", &json!({"auth_id": auth_id}));
            let version = form["version"].as_i64().unwrap();
            assert!(
                version >= t.acked,
                "{} is at version {version}, below the acknowledged {}",
                t.name,
                t.acked
            );
            let expected = t.sent.get(&version).unwrap_or_else(|| {
                panic!(
                    "{} is at version {version}, which was never sent (sent: {:?})",
                    t.name,
                    t.sent.keys()
                )
            });
            assert_eq!(form["names"]["value"]["label"], t.name.as_str());
            assert_eq!(
                &Values::of_form(&form),
                expected,
                "{} at version {version}: sections differ from what was sent",
                t.name
            );
            if version > t.acked && t.acked > 0 {
                landed += 1; // an update in flight at the kill, committed
            }
            assert_eq!(
                row["version"], version,
                "the search index disagrees with the auth: {row}"
            );
            let audit = api.audit(Some(&auth_id));
            let ops: Vec<&str> = audit
                .iter()
                .map(|e| e["operation"].as_str().unwrap())
                .collect();
            let mut expected_ops = vec!["auth.update"; usize::try_from(version - 1).unwrap()];
            expected_ops.push("auth.create");
            assert_eq!(
                ops, expected_ops,
                "{}: one audit record per committed write",
                t.name
            );
            assert_eq!(
                audit[0]["after"]["version"], version,
                "the newest audit record shows the current version"
            );
            t.acked = version;
            t.sent.retain(|v, _| *v <= version);
            known += 1;
            true
        });
    }
    assert_eq!(api.count(None), known, "no auth other than the known ones");
    landed
}

/// kill -9 in the middle of a write load, restart on the same database, check, again.
fn kill_under_write_load(backend: &str, dir: &Path, database_url: &str) {
    let rounds = if full() { 10 } else { 2 };
    let threads = 4;
    let load = if full() {
        Duration::from_millis(3000)
    } else {
        Duration::from_millis(800)
    };
    let started = Instant::now();
    let mut server = support::start_with(authsd(dir, database_url));
    let fx = Api::of(&server).fixtures();
    let mut all: Vec<Vec<Tracked>> = vec![Vec::new(); threads];
    let mut counters = vec![0_u64; threads];
    let (mut acked, mut unanswered, mut landed) = (0, 0, 0);
    let seed = std::env::var("AUTHS_FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::from(std::process::id()));
    eprintln!("kill -9 under write load ({backend}): AUTHS_FAULTS_SEED={seed}");
    let mut seed_rng = Rng::new(seed);
    for round in 0..rounds {
        let api = Api::of(&server);
        let stop = AtomicBool::new(false);
        let tallies: Vec<Tally> = std::thread::scope(|s| {
            let handles: Vec<_> = all
                .iter_mut()
                .zip(counters.iter_mut())
                .enumerate()
                .map(|(thread, (mine, counter))| {
                    let (api, fx, stop) = (&api, &fx, &stop);
                    let seed = seed_rng.next();
                    s.spawn(move || writer(api, fx, thread, seed, mine, counter, stop))
                })
                .collect();
            // Kill at a slightly different moment each round.
            std::thread::sleep(load + Duration::from_millis(seed_rng.below(300)));
            assert!(server.is_running(), "the server died under load");
            let pid = server.pid();
            let kill = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
            assert!(kill.success());
            stop.store(true, Ordering::Relaxed);
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        server.kill(); // reaps the killed process
        server = support::start_with(authsd(dir, database_url));
        let round_acked: u64 = tallies.iter().map(|t| t.writes_acked).sum();
        assert!(round_acked > 0, "round {round}: no write was acknowledged");
        acked += round_acked;
        unanswered += tallies.iter().map(|t| t.unanswered).sum::<u64>();
        landed += check_after_restart(&Api::of(&server), &mut all);
    }
    let auths: usize = all.iter().map(Vec::len).sum();
    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");
    report(&format!(
        "faults: kill -9 under write load ({backend}): {rounds} kills, {threads} writers, \
         {acked} writes acknowledged and all found whole, {unanswered} requests unanswered at a kill \
         ({landed} auth writes of them committed, whole), {auths} auths checked after every kill, \
         {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn kill_9_under_write_load_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    kill_under_write_load("SQLite", dir.path(), &sqlite_url(dir.path()));
}

#[test]
fn kill_9_under_write_load_postgres() {
    let Some(db) = auths_store::testing::TestDb::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    kill_under_write_load("PostgreSQL", dir.path(), &db.url);
}

/// The folder of the newest PostgreSQL server binaries (`initdb`, `pg_ctl`), if any.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A PostgreSQL server of the test's own: a cluster made by `initdb` in a temporary
/// folder, on a free port, TCP only. initdb refuses to run as root, so as root the
/// server's programs run as the `postgres` user, who owns the folder.
struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
}

impl PrivatePg {
    /// A new cluster, not started; `None` (with a note) when PostgreSQL's server
    /// programs are not installed and `AUTHS_TEST_DATABASE_URL` is unset.
    fn init() -> Option<Self> {
        let required = std::env::var_os(auths_store::testing::TEST_DATABASE_URL).is_some();
        let Some(bin) = pg_bin() else {
            assert!(
                !required,
                "AUTHS_TEST_DATABASE_URL is set, so the outage test must run, but no initdb \
                 was found (in /usr/lib/postgresql/*/bin or on PATH)"
            );
            report(
                "SKIPPED (PostgreSQL outage): no initdb in /usr/lib/postgresql/*/bin or on PATH",
            );
            return None;
        };
        let uid = Command::new("id").arg("-u").output().unwrap();
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        // As root, in /tmp: the postgres user may not reach root's own TMPDIR.
        let dir = if as_postgres {
            tempfile::tempdir_in("/tmp").unwrap()
        } else {
            tempfile::tempdir().unwrap()
        };
        if as_postgres {
            let chown = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(
                chown.success(),
                "running as root, the cluster's folder must be given to the postgres user"
            );
        }
        let pg = Self {
            dir,
            bin,
            as_postgres,
            port: free_port(),
        };
        let out = pg
            .cmd("initdb")
            .arg("-D")
            .arg(pg.data())
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("pgdata")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("postgres.log")
    }

    /// A server program, as the `postgres` user when the test runs as root.
    fn cmd(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.current_dir(self.dir.path());
        cmd
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts (or restarts) the server on its port; a port taken meanwhile by someone
    /// else is replaced by another free one (only before the first start).
    fn start(&mut self, first: bool) {
        for attempt in 0..3 {
            let conf = format!(
                "\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n\
                 shared_buffers = 16MB\nmax_connections = 40\n",
                self.port
            );
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(self.data().join("postgresql.conf"))
                .unwrap();
            std::io::Write::write_all(&mut f, conf.as_bytes()).unwrap();
            let started = self
                .cmd("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .arg("-l")
                .arg(self.log())
                .args(["-w", "-t", "30", "start"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap();
            if started.success() {
                return;
            }
            assert!(
                first && attempt < 2,
                "pg_ctl start failed: {}",
                std::fs::read_to_string(self.log()).unwrap_or_default()
            );
            self.port = free_port();
        }
    }

    /// `pg_ctl stop -m immediate`: the server quits at once, as in a crash.
    fn stop_immediate(&self) -> bool {
        self.cmd("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = self.stop_immediate();
    }
}

/// One timed call during the outage.
#[derive(Debug)]
struct Probe {
    what: &'static str,
    status: u16,
    code: String,
    elapsed: Duration,
    body: Value,
}

fn probe(api: &Api, what: &'static str, method: &str, path: &str, body: &Value) -> Probe {
    let t = Instant::now();
    let (status, body) = api
        .try_call(method, path, body)
        .unwrap_or_else(|e| panic!("{what} during the outage: the server did not answer: {e}"));
    Probe {
        what,
        status,
        code: body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        elapsed: t.elapsed(),
        body,
    }
}

/// The requests of one look at the server while its database is down, all at once:
/// reads, writes (a draft, one-item bulks), the Foreman-compatible API, the probes.
fn probes_during_outage(api: &Api, auth_id: &str, n: usize) -> Vec<Probe> {
    let get = json!({"auth_id": auth_id});
    let search = json!({"search": "o001"});
    let draft = json!({"expected_version": 0, "name": format!("Outage draft {n}")});
    let create = json!({"auths": [{"name": format!("Outage during {n}"), "protocol_ids": ["protocol-ldap"]}]});
    let update = json!({"auths": [{"auth_id": auth_id, "description": format!("during {n}")}]});
    let delete = json!({"auth_ids": [auth_id]});
    std::thread::scope(|s| {
        let calls = [
            ("get", "POST", "/api/v5/artifacts/auths/get", &get),
            ("search", "POST", "/api/v5/artifacts/auths/search", &search),
            ("draft", "PATCH", "/api/v5/artifacts/auths/draft", &draft),
            ("create", "POST", "/api/v5/artifacts/auths/create", &create),
            ("update", "POST", "/api/v5/artifacts/auths/update", &update),
            ("delete", "POST", "/api/v5/artifacts/auths/delete", &delete),
            (
                "foreman",
                "GET",
                "/api/v2/auth_source_externals",
                &Value::Null,
            ),
            ("readyz", "GET", "/readyz", &Value::Null),
            ("healthz", "GET", "/healthz", &Value::Null),
        ];
        let handles: Vec<_> = calls
            .into_iter()
            .map(|(what, method, path, body)| s.spawn(move || probe(api, what, method, path, body)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// What a request must answer while the database is down.
fn check_outage_answer(p: &Probe) {
    assert!(
        p.elapsed < Duration::from_secs(2),
        "{} took {:?} to answer during the outage: {} {}",
        p.what,
        p.elapsed,
        p.status,
        p.body
    );
    match p.what {
        "healthz" => assert_eq!(p.status, 200, "the process is alive: {}", p.body),
        "foreman" => {
            // Foreman's error shape: {"error": {"message"}}.
            assert_eq!(p.status, 503, "{}", p.body);
            assert!(p.body["error"]["message"].is_string(), "{}", p.body);
        }
        // A bulk may answer per item (the spec): then every item says unavailable.
        "create" | "update" | "delete" if p.status == 200 => {
            let results = p.body["results"].as_array().unwrap();
            assert!(
                !results.is_empty()
                    && results
                        .iter()
                        .all(|r| r["success"] == false && r["error"]["code"] == "unavailable"),
                "{} during the outage: {}",
                p.what,
                p.body
            );
        }
        _ => assert_eq!(
            (p.status, p.code.as_str()),
            (503, "unavailable"),
            "{} during the outage: {}",
            p.what,
            p.body
        ),
    }
}

#[test]
fn postgresql_outage_answers_503_and_recovers() {
    let Some(mut pg) = PrivatePg::init() else {
        return;
    };
    pg.start(true);
    let dir = tempfile::tempdir().unwrap();
    let server = support::start_with(authsd(dir.path(), &pg.url()));
    let api = Api::of(&server);

    // Acknowledged writes before the outage: 20 creates, 5 updates.
    let items: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("Outage auth o{i:03}"), "protocol_ids": ["protocol-ldap"]}))
        .collect();
    let created = api.post("create", &json!({"auths": items}));
    let ids: Vec<String> = created["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["success"], true, "{r}");
            r["auth_id"].as_str().unwrap().to_owned()
        })
        .collect();
    let updates: Vec<Value> = ids[..5]
        .iter()
        .map(|id| json!({"auth_id": id, "expected_version": 1, "description": "updated before the outage"}))
        .collect();
    for r in api.post("update", &json!({"auths": updates}))["results"]
        .as_array()
        .unwrap()
    {
        assert_eq!(r["success"], true, "{r}");
    }

    // The outage. The full run outlasts the verified-key cache (30 s), so that keys
    // are checked against the missing database too.
    let outage = if full() {
        Duration::from_secs(40)
    } else {
        Duration::ZERO
    };
    assert!(pg.stop_immediate(), "pg_ctl stop");
    let down = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut looks = 0;
    loop {
        looks += 1;
        let probes = probes_during_outage(&api, &ids[0], looks);
        for p in &probes {
            eprintln!(
                "outage look {looks}: {} answered {} in {:?}: {}",
                p.what, p.status, p.elapsed, p.body
            );
        }
        for p in &probes {
            check_outage_answer(p);
            slowest = slowest.max(p.elapsed);
        }
        if down.elapsed() >= outage {
            break;
        }
        std::thread::sleep(Duration::from_secs(5).min(outage.saturating_sub(down.elapsed())));
    }

    // The database returns; the server reconnects by itself.
    let outage_len = down.elapsed();
    pg.start(false);
    let up = Instant::now();
    let recovered = loop {
        let ready = api
            .try_call("GET", "/readyz", &Value::Null)
            .is_ok_and(|(s, _)| s == 200);
        let get = api
            .try_call(
                "POST",
                "/api/v5/artifacts/auths/get",
                &json!({"auth_id": ids[0]}),
            )
            .is_ok_and(|(s, _)| s == 200);
        if ready && get {
            break up.elapsed();
        }
        assert!(
            up.elapsed() < Duration::from_secs(10),
            "no recovery 10 s after the database came back"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    // Nothing acknowledged before the outage is lost, nothing refused during it is there.
    for (i, id) in ids.iter().enumerate() {
        let form = api.post("get", &json!({"auth_id": id}));
        assert_eq!(form["version"], if i < 5 { 2 } else { 1 }, "{form}");
        assert_eq!(
            form["names"]["value"]["label"],
            format!("Outage auth o{i:03}").as_str()
        );
    }
    assert_eq!(api.count(None), 20, "exactly the auths acknowledged");
    assert_eq!(api.count(Some("during")), 0);
    let after = api.post(
        "create",
        &json!({"auths": [{"name": "Outage after", "protocol_ids": ["protocol-ldap"]}]}),
    );
    assert_eq!(after["results"][0]["success"], true, "{after}");
    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");
    report(&format!(
        "faults: PostgreSQL outage: {:.1} s down, {looks} look(s) of 9 requests, every API \
         answer unavailable (slowest {} ms){}, /readyz 503, recovered {} ms after the \
         database came back, 25 acknowledged writes all there",
        outage_len.as_secs_f64(),
        slowest.as_millis(),
        if outage_len > Duration::from_secs(30) {
            " (keys re-checked after the key cache expired, too)"
        } else {
            ""
        },
        recovered.as_millis()
    ));
}

/// Creates `n` auths in bulks of 500, descriptions of about `desc_len` characters:
/// their ids, in order.
fn load(api: &Api, n: usize, desc_len: usize) -> Vec<String> {
    let filler: String = "lorem ipsum dolor sit amet "
        .chars()
        .cycle()
        .take(desc_len)
        .collect();
    let mut ids = Vec::with_capacity(n);
    while ids.len() < n {
        let items: Vec<Value> = (ids.len()..n.min(ids.len() + 500))
            .map(|i| {
                json!({
                    "name": format!("Export load e{i:06}"),
                    "description": format!("e{i:06} {filler}"),
                    "protocol_ids": ["protocol-ldap", "protocol-oidc"],
                })
            })
            .collect();
        for r in api.post("create", &json!({"auths": items}))["results"]
            .as_array()
            .unwrap()
        {
            assert_eq!(r["success"], true, "{r}");
            ids.push(r["auth_id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

/// A whole export of `rows` auths: the header, then one line a row, the last one ended.
fn assert_whole_csv(what: &str, text: &str, rows: usize) {
    assert!(
        text.starts_with("auth_id,id,name,description,"),
        "{what}: no header: {:?}",
        &text[..text.len().min(80)]
    );
    assert!(text.ends_with('\n'), "{what}: the last row is cut short");
    assert_eq!(
        text.lines().count(),
        rows + 1,
        "{what}: a header and {rows} rows"
    );
}

/// The files of the uploads folder: `(complete .csv, leftover .csv.part)` names.
fn upload_files(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut csv = Vec::new();
    let mut part = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv.part") {
            part.push(name);
        } else {
            assert!(name.ends_with(".csv"), "unexpected file in uploads: {name}");
            csv.push(name);
        }
    }
    (csv, part)
}

/// The upload ids the server offers: those its audit log records as exports.
fn offered_uploads(api: &Api) -> Vec<(String, usize)> {
    api.audit(None)
        .iter()
        .filter(|e| e["operation"] == "auths.export")
        .map(|e| {
            (
                e["after"]["upload_id"].as_str().unwrap().to_owned(),
                usize::try_from(e["after"]["row_count"].as_u64().unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn export_killed_mid_way_offers_no_half_file() {
    let n = if full() { 20_000 } else { 1_500 };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let uploads = dir.path().join("data/uploads");
    let mut server = support::start_with(authsd(dir.path(), &url));
    let ids = load(&Api::of(&server), n, 100);
    let loaded = started.elapsed();

    // POST /export, and SIGKILL as soon as its .part file holds some rows; again (at
    // most 5 times) should the export have finished before the kill landed.
    let mut killed: Option<(String, u64)> = None;
    let mut tries = 0;
    while killed.is_none() {
        tries += 1;
        assert!(tries <= 5, "the kill never landed during an export");
        let api = Api::of(&server);
        let before = upload_files(&uploads).1;
        let exporter = std::thread::spawn(move || {
            api.try_call("POST", "/api/v5/artifacts/auths/export", &json!({}))
        });
        let t = Instant::now();
        let part = loop {
            let (_, parts) = upload_files(&uploads);
            if let Some(p) = parts.into_iter().find(|p| {
                !before.contains(p) && std::fs::metadata(uploads.join(p)).is_ok_and(|m| m.len() > 0)
            }) {
                break Some(p);
            }
            if exporter.is_finished() {
                break None;
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "no export file appeared"
            );
            std::thread::sleep(Duration::from_millis(1));
        };
        let stderr = server.kill();
        let answer = exporter.join().unwrap();
        if let Some(part) = part {
            let id = part.trim_end_matches(".csv.part").to_owned();
            let left = std::fs::read_to_string(uploads.join(&part)).unwrap_or_default();
            let landed = !left.is_empty() && !uploads.join(format!("{id}.csv")).exists();
            if landed {
                assert!(
                    answer.is_err(),
                    "a killed export answered: {answer:?}\n{stderr}"
                );
                assert!(left.lines().count() < n + 1, "the .part left is partial");
                killed = Some((id, left.len() as u64));
            }
        }
        server = support::start_with(authsd(dir.path(), &url));
    }
    let (killed, partial_bytes) = killed.unwrap();
    let api = Api::of(&server);

    // The killed export is not offered, no complete-looking file is partial, and every
    // offered upload downloads whole.
    assert_eq!(
        api.download(&killed),
        Err(404),
        "the killed export is offered"
    );
    let (csv, parts) = upload_files(&uploads);
    assert!(
        parts.is_empty(),
        "the restart removes what interrupted exports left: {parts:?}"
    );
    for name in &csv {
        let text = std::fs::read_to_string(uploads.join(name)).unwrap();
        assert_whole_csv(name, &text, n);
    }
    let offered = offered_uploads(&api);
    assert!(
        offered.iter().all(|(id, _)| *id != killed),
        "the killed export is in the audit log"
    );
    for (id, rows) in &offered {
        assert_eq!(*rows, n);
        assert_whole_csv(id, &api.download(id).unwrap(), n);
    }

    // And the next export works, whole.
    let t = Instant::now();
    let done = api.post("export", &json!({}));
    let export_time = t.elapsed();
    assert_eq!(done["row_count"], n, "{done}");
    let text = api.download(done["upload_id"].as_str().unwrap()).unwrap();
    assert_whole_csv("the export after the restart", &text, n);
    let exported: std::collections::HashSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(ids.iter().all(|id| exported.contains(id.as_str())));
    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");
    report(&format!(
        "faults: export killed mid-way (SQLite): {n} auths (loaded in {:.1} s), {tries} kill(s) \
         to land one during the export ({partial_bytes} bytes written), the killed upload not \
         offered ({} .part left, {} whole .csv, {} uploads offered), the next export whole \
         (in {} ms), {:.1} s",
        loaded.as_secs_f64(),
        parts.len(),
        csv.len(),
        offered.len(),
        export_time.as_millis(),
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn export_on_a_full_disk_offers_nothing_and_the_server_stays_up() {
    let n = if full() { 5_000 } else { 600 };
    let limit: u64 = 256 * 1024;
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let uploads = dir.path().join("data/uploads");
    let server = support::start_with(authsd(dir.path(), &url));
    let ids = load(&Api::of(&server), n, 1000);
    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");

    // The "disk" now takes no file beyond 256 KiB; the export needs far more.
    let mut cmd = support::authsd_with_file_size_limit(dir.path(), limit);
    configure(&mut cmd, dir.path(), &url);
    let mut server = support::start_with(cmd);
    let api = Api::of(&server);
    let t = Instant::now();
    let (status, body) = api
        .try_call("POST", "/api/v5/artifacts/auths/export", &json!({}))
        .expect("the server answers a failed export");
    let failed_in = t.elapsed();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (500, Some("internal")),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("uploads") && !message.contains(".csv") && !message.contains("large"),
        "the cause is logged, not sent: {message}"
    );
    assert!(server.is_running(), "the server survives a full disk");
    assert_eq!(api.try_call("GET", "/readyz", &Value::Null).unwrap().0, 200);
    let (csv, parts) = upload_files(&uploads);
    assert!(
        csv.is_empty() && parts.is_empty(),
        "a failed export leaves no file: {csv:?} {parts:?}"
    );
    assert!(
        offered_uploads(&api).is_empty(),
        "a failed export is offered"
    );

    // A small export still fits, and is offered whole.
    let one = api.post("export", &json!({"auth_id": ids[0]}));
    assert_eq!(one["row_count"], 1, "{one}");
    let text = api.download(one["upload_id"].as_str().unwrap()).unwrap();
    assert_whole_csv("an export of one auth", &text, 1);
    let (_, stderr) = server.stop();
    assert!(
        stderr.contains("File too large"),
        "the cause of the failed export is logged: {stderr}"
    );

    // With room again, the full export works.
    let server = support::start_with(authsd(dir.path(), &url));
    let api = Api::of(&server);
    let done = api.post("export", &json!({}));
    assert_eq!(done["row_count"], n, "{done}");
    let full_text = api.download(done["upload_id"].as_str().unwrap()).unwrap();
    assert_whole_csv("the export with room again", &full_text, n);
    assert!(
        full_text.len() as u64 > 2 * limit,
        "the export did need more room"
    );
    assert_eq!(offered_uploads(&api).len(), 2);
    let (ok, stderr) = server.stop();
    assert!(ok, "{stderr}");
    report(&format!(
        "faults: export on a full disk (SQLite, files limited to {} KiB, export {} KiB): \
         500 internal in {} ms, no file and no upload left, the server up, a small export \
         then a full one (with room) whole, {:.1} s",
        limit / 1024,
        full_text.len() / 1024,
        failed_in.as_millis(),
        started.elapsed().as_secs_f64()
    ));
}
