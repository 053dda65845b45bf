#!/usr/bin/env python3
"""make bench: load N auths into a fresh authsd, measure against a same-run baseline.

Writes target/bench/report.md and target/bench/report.json, each figure with its
target for the backend and whether it holds. Needs wrk (Debian package `wrk`).
Environment: N (auths, default 100000), BACKEND (sqlite | postgres), DURATION (seconds
a wrk run, default 10), RUNS (repeated runs for the memory check, default 3),
QUESTIONS (distinct questions of the mixed search, default 20000), WRITES_PER_S (the
steady writer during the mixed search, default 10), AUTHS_BENCH_PG (base URL for
BACKEND=postgres, default postgres://postgres@127.0.0.1:5432/test).
"""
import json, os, random, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "bench")
N = int(os.environ.get("N", "100000"))
BACKEND = os.environ.get("BACKEND", "sqlite")
DURATION = int(os.environ.get("DURATION", "10"))
RUNS = int(os.environ.get("RUNS", "3"))
QUESTIONS = int(os.environ.get("QUESTIONS", "20000"))
WRITES_PER_S = float(os.environ.get("WRITES_PER_S", "10"))
PG = BACKEND == "postgres"
# Issue "Performance at the limit": the targets by backend.
TARGETS = {
    "create_1000_ms": "<= 600" if PG else "<= 300",
    "load_all_s": "<= 90" if PG else "(no target)",
    "get_32c": ">= 0.3 x baseline" if PG else ">= 0.6 x baseline",
    "search_mixed_16c_writer_p50_ms": "(no target)" if PG else "<= 3",
    "search_mixed_16c_writer_p99_ms": "<= 30" if PG else "<= 20",
    "export_all_s": "<= 4" if PG else "<= 2",
}
KEY = "bench-admin-key-0123456789abcdef"
PORT, BASE_PORT = 18480, 18481
URL = f"http://127.0.0.1:{PORT}"
WORKERS = os.cpu_count() or 2

WORDS = ("corporate directory staff partner federation portal payroll kiosk campus lab "
         "branch vpn wiki mail build finance legal sales support research cloud edge").split()
DEPARTMENTS = ["Finance", "HR", "IT", "Sales", "Legal", "Research", "Support", "Marketing",
               "Operations", "Security", "Facilities", "Procurement"]
LOCATIONS = ["Berlin", "Paris", "Madrid", "Lisbon", "Vienna", "Prague", "Warsaw", "Dublin"]
PROTOCOLS = ["protocol-ldap", "protocol-ldaps", "protocol-oidc", "protocol-oauth2",
             "protocol-saml2", "protocol-kerberos", "protocol-radius", "protocol-external"]


def call(method, path, body=None, key=KEY, timeout=600):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"X-Api-Key": key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return json.loads(raw) if raw and r.headers.get("content-type", "").startswith("application/json") else raw


def wait_ready(url, deadline=60):
    start = time.time()
    while time.time() - start < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.time() - start
        except Exception:
            time.sleep(0.01)
    raise SystemExit(f"{url} did not become ready")


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start_authsd(workdir, database_url):
    env = dict(os.environ, AUTHS_BIND=f"127.0.0.1:{PORT}", AUTHS_DATABASE_URL=database_url,
               AUTHS_BOOTSTRAP_API_KEY=KEY, AUTHS_LOG="warn", AUTHS_WORKERS=str(WORKERS),
               AUTHS_DATA_DIR=os.path.join(workdir, "data"))
    t0 = time.time()
    p = subprocess.Popen([os.path.join(ROOT, "target", "release", "authsd")], cwd=workdir, env=env,
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "authsd.log"), "a"))
    wait_ready(URL + "/readyz")
    return p, time.time() - t0


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)


def wrk(url, connections, lua=None, duration=DURATION, warmup=True):
    """One measured wrk run, after a 2 s warm-up with the same load (not measured), as
    benchmark tools do: caches filled, connections open, the CPU at speed."""
    if warmup:
        wrk(url, connections, lua, duration=2, warmup=False)
    return _wrk(url, connections, lua, duration)


def _wrk(url, connections, lua=None, duration=DURATION):
    args = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{duration}s", "--latency"]
    if lua:
        args += ["-s", lua]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def ms(label):
        m = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": ms("50%"), "p99_ms": ms("99%"), "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def lua(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def questions(rng, deps, count):
    """Distinct questions as people ask them: a rare word of a name (its number: one
    auth), a common word, a pair of words, a word within a department, the second page
    of a word or a pair. Tens of thousands of them, so that an answer cache cannot hold
    the run."""
    seen, out = set(), []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.3:
            q = {"search": f"{rng.randrange(N):06d}"}
        elif kind < 0.5:
            q = {"search": rng.choice(WORDS)}
        elif kind < 0.7:
            q = {"search": " ".join(rng.sample(WORDS, 2))}
        elif kind < 0.85:
            q = {"search": rng.choice(WORDS), "filter_department_ids": [rng.choice(deps)]}
        else:
            q = {"search": " ".join(rng.sample(WORDS, rng.choice([1, 2]))), "page_size": 20, "page_offset": 20}
        key = json.dumps(q, sort_keys=True)
        if key in seen and len(seen) < 4 * count:
            continue
        seen.add(key)
        out.append(json.dumps(q))
    return out


class Writer(threading.Thread):
    """A steady writer: WRITES_PER_S one-item updates a second, each a new data
    generation (so the answer cache starts over), for as long as it runs."""

    def __init__(self, ids, rate):
        super().__init__(daemon=True)
        self.ids, self.rate, self.done, self.failed = ids, rate, 0, 0
        self.versions = {}
        self.halt = threading.Event()

    def run(self):
        rng = random.Random(11)
        step = 1.0 / self.rate
        next_at = time.monotonic()
        while not self.halt.is_set():
            auth = rng.choice(self.ids)
            try:
                version = self.versions.get(auth) or call("POST", "/api/v5/artifacts/auths/get", {"auth_id": auth})["version"]
                res = call("POST", "/api/v5/artifacts/auths/update", {"auths": [
                    {"auth_id": auth, "expected_version": version, "description": f"changed {self.done}"}]})
                r = res["results"][0]
                if r["success"]:
                    self.versions[auth] = r["version"]
                    self.done += 1
                else:
                    self.versions.pop(auth, None)
                    self.failed += 1
            except (urllib.error.URLError, OSError, KeyError):
                self.failed += 1
            next_at += step
            self.halt.wait(max(0.0, next_at - time.monotonic()))


def holds(value, target):
    """Whether a figure meets its target ("<= 300", ">= 0.6 x baseline"); "" when the
    target is not a bound."""
    m = re.match(r"\s*(<=|>=)\s*([\d.]+)", str(target))
    if not m or value is None or isinstance(value, list):
        return ""
    bound = float(m.group(2))
    return "yes" if (value <= bound if m.group(1) == "<=" else value >= bound) else "NO"


def main():
    if not shutil.which("wrk"):
        raise SystemExit("make bench needs wrk (Debian: apt-get install wrk)")
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "authsd", "-p", "auths-bench"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="auths-bench-")
    if BACKEND == "postgres":
        base = os.environ.get("AUTHS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/test")
        db = f"auths_bench_{int(time.time())}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {db}"], check=True)
        database_url = base.rsplit("/", 1)[0] + "/" + db
    else:
        database_url = "sqlite://" + os.path.join(work, "auths.db")
    report = {"n": N, "backend": BACKEND, "workers": WORKERS, "duration_s": DURATION, "figures": {}}
    fig = report["figures"]

    server, _ = start_authsd(work, database_url)
    try:
        deps = [call("POST", "/api/v5/catalog/departments", {"label": d})["id"] for d in DEPARTMENTS]
        locs = [call("POST", "/api/v5/catalog/locations", {"label": l})["id"] for l in LOCATIONS]
        rng = random.Random(7)
        made, batch_times = 0, []
        load_started = time.time()
        while made < N:
            count = min(1000, N - made)
            items = []
            for i in range(made, made + count):
                words = rng.sample(WORDS, 2)
                items.append({
                    "name": f"{words[0].title()} {words[1].title()} {i:06d}",
                    "description": f"{rng.choice(WORDS)} sign-on for the {rng.choice(WORDS)} {rng.choice(WORDS)} team",
                    "protocol_ids": rng.sample(PROTOCOLS, rng.choice([1, 1, 2])),
                    "department_ids": rng.sample(deps, rng.choice([1, 1, 2])),
                    "location_ids": rng.sample(locs, rng.choice([0, 1, 1, 2])),
                })
            t0 = time.time()
            res = call("POST", "/api/v5/artifacts/auths/create", {"auths": items})
            batch_times.append((count, time.time() - t0))
            bad = [r for r in res["results"] if not r["success"]]
            if bad:
                raise SystemExit(f"create failed: {bad[:3]}")
            made += count
            print(f"\rloaded {made}/{N}", end="", file=sys.stderr)
        print(file=sys.stderr)
        load_s = time.time() - load_started
        if BACKEND == "postgres":
            # What autovacuum does after a load, on a server where it is on (its
            # default); this machine's PostgreSQL runs without it. Without statistics
            # the planner reads a 500-number `= ANY` lookup as most of auth_links and
            # scans it whole: the export took 22 s instead of 8 at 100,000 auths.
            subprocess.run(["psql", database_url, "-qc", "ANALYZE"], check=True)
        full = [t for c, t in batch_times if c == 1000]
        fig["create_1000_ms"] = {"value": round(1000 * sorted(full)[len(full) // 2], 1) if full else None,
                                 "target": TARGETS["create_1000_ms"], "note": "median of the load's 1000-item requests"}
        fig["load_all_s"] = {"value": round(load_s, 1), "target": TARGETS["load_all_s"],
                             "note": f"{N} auths through the bulk API, 1000 a request, one client"}
        ids = [a["auth_id"] for a in call("POST", "/api/v5/artifacts/auths/search", {"page_size": 500})["auths"]]
        for off in range(500, min(N, 20000), 500):
            ids += [a["auth_id"] for a in call("POST", "/api/v5/artifacts/auths/search", {"page_size": 500, "page_offset": off})["auths"]]

        baseline = subprocess.Popen([os.path.join(ROOT, "target", "release", "auths-baseline"), f"127.0.0.1:{BASE_PORT}",
                                     os.path.join(work, "baseline.db"), str(WORKERS)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(f"http://127.0.0.1:{BASE_PORT}/row/1")
        try:
            memory, per_run = [], []
            # The first search run without warm-up: what a cold cache costs (reported,
            # not a target).
            s_lua = lua(os.path.join(work, "search.lua"), "words = {" + ",".join(f'"{w}"' for w in WORDS) + "}\n"
                        "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                        f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n"
                        "request = function()\n  return wrk.format(nil, \"/api/v5/artifacts/auths/search\", nil, "
                        "'{\"search\": \"' .. words[math.random(#words)] .. '\"}')\nend\n")
            cold = wrk(URL + "/api/v5/artifacts/auths/search", 16, s_lua, warmup=False)
            fig["search_16c_cold_p99_ms"] = {"value": cold["p99_ms"], "rps": cold["rps"], "p50_ms": cold["p50_ms"], "non_2xx": cold["non_2xx"], "target": "(not a target: the first run, every answer computed once)"}
            for run in range(RUNS):
                b32 = wrk(f"http://127.0.0.1:{BASE_PORT}/row/1", 32)
                get_lua = lua(os.path.join(work, "get.lua"), "ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n"
                              "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                              f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n"
                              "request = function()\n  return wrk.format(nil, \"/api/v5/artifacts/auths/get\", nil, "
                              "'{\"auth_id\": \"' .. ids[math.random(#ids)] .. '\"}')\nend\n")
                g = wrk(URL + "/api/v5/artifacts/auths/get", 32, get_lua)
                fm_lua = lua(os.path.join(work, "fm.lua"), f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n")
                f = wrk(URL + "/api/auth_source_externals?per_page=20&search=name%20~%20portal", 32, fm_lua)
                s_lua = lua(os.path.join(work, "search.lua"), "words = {" + ",".join(f'"{w}"' for w in WORDS) + "}\n"
                            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                            f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n"
                            "request = function()\n  return wrk.format(nil, \"/api/v5/artifacts/auths/search\", nil, "
                            "'{\"search\": \"' .. words[math.random(#words)] .. '\"}')\nend\n")
                b16 = wrk(f"http://127.0.0.1:{BASE_PORT}/row/1", 16)
                s = wrk(URL + "/api/v5/artifacts/auths/search", 16, s_lua)
                memory.append(rss_kib(server.pid))
                # Each run measures the baseline right before the figures it divides;
                # the report gives the median run (its ratio) and every run's ratio, since
                # the baseline alone moves by 20% from one run to the next on 2 cores.
                per_run.append({
                    "get_32c": {"value": round(g["rps"] / b32["rps"], 3), "rps": g["rps"], "baseline_rps": b32["rps"], "p99_ms": g["p99_ms"], "non_2xx": g["non_2xx"], "target": TARGETS["get_32c"]},
                    "foreman_index_search_32c": {"value": round(f["rps"] / b32["rps"], 3), "rps": f["rps"], "baseline_rps": b32["rps"], "p99_ms": f["p99_ms"], "non_2xx": f["non_2xx"], "target": ">= 0.4 x baseline"},
                    "search_16c_p99_ms": {"value": s["p99_ms"], "rps": s["rps"], "baseline_rps": b16["rps"], "ratio": round(s["rps"] / b16["rps"], 3), "non_2xx": s["non_2xx"], "target": "<= 20"},
                })
            for name in ("get_32c", "foreman_index_search_32c", "search_16c_p99_ms"):
                runs = sorted((r[name] for r in per_run), key=lambda x: x["value"])
                fig[name] = dict(runs[len(runs) // 2], runs=[r[name]["value"] for r in per_run],
                                 note=f"median of {len(runs)} runs (RUNS; odd for a true median)")
            fig["rss_after_runs_kib"] = {"value": memory, "target": "no growth across runs"}
            # Mixed questions under a steady writer: what no answer cache can carry.
            qs = questions(random.Random(5), deps, QUESTIONS)
            mixed_lua = lua(os.path.join(work, "mixed.lua"), "bodies = {" + ",".join(json.dumps(q) for q in qs) + "}\n"
                            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                            f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n"
                            "request = function()\n  return wrk.format(nil, \"/api/v5/artifacts/auths/search\", nil, "
                            "bodies[math.random(#bodies)])\nend\n")
            writer = Writer(ids, WRITES_PER_S)
            writer.start()
            try:
                m = wrk(URL + "/api/v5/artifacts/auths/search", 16, mixed_lua)
            finally:
                writer.halt.set()
                writer.join()
            detail = {"rps": m["rps"], "non_2xx": m["non_2xx"], "questions": len(qs),
                      "writes": writer.done, "write_failures": writer.failed,
                      "note": f"16 clients, {WRITES_PER_S:g} writes/s during the warm-up and the run"}
            fig["search_mixed_16c_writer_p50_ms"] = {"value": m["p50_ms"], "target": TARGETS["search_mixed_16c_writer_p50_ms"], **detail}
            fig["search_mixed_16c_writer_p99_ms"] = {"value": m["p99_ms"], "target": TARGETS["search_mixed_16c_writer_p99_ms"]}
        finally:
            stop(baseline)

        before = rss_kib(server.pid, "VmHWM")
        times = []
        for _ in range(3):
            t0 = time.time()
            exp = call("POST", "/api/v5/artifacts/auths/export", {})
            times.append(round(time.time() - t0, 2))
        fig["export_all_s"] = {"value": sorted(times)[1], "runs": times, "rows": exp["row_count"], "target": TARGETS["export_all_s"], "note": "median of 3"}
        fig["export_peak_rss_growth_mib"] = {"value": round((rss_kib(server.pid, "VmHWM") - before) / 1024, 1), "target": "<= 32", "note": "over the 3 exports"}
    finally:
        stop(server)
    server, startup = start_authsd(work, database_url)
    stop(server)
    fig["startup_to_ready_s"] = {"value": round(startup, 3), "target": "<= 1", "note": f"on the {N}-auth database"}

    lines = [f"# Benchmark report ({BACKEND}, {N} auths, {WORKERS} workers, wrk {DURATION}s a run)", "",
             "| figure | value | target | holds | detail |", "|---|---|---|---|---|"]
    for name, v in fig.items():
        detail = ", ".join(f"{k}={v[k]}" for k in v if k not in ("value", "target"))
        v["holds"] = holds(v["value"], v["target"])
        lines.append(f"| {name} | {v['value']} | {v['target']} | {v['holds']} | {detail} |")
    with open(os.path.join(OUT, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    if BACKEND != "postgres":
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
