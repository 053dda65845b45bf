#!/usr/bin/env python3
"""make bench-writes: the cost of the write path, for comparing two builds (issue
"History, diff, restore": keeping versions must not cost more than 15 % of a write).

Runs the authsd binary AUTHSD (default target/release/authsd) on a fresh database
(BACKEND sqlite | postgres; AUTHS_BENCH_PG as in run.py) and measures:
- bulk create: BATCHES requests of 1,000 auths (default 10), median and best, ms;
- single updates: UPDATES sequential one-item updates (default 500), p50 and p99, ms.
Prints one JSON line; `--label` names it. Compare two builds by running this once with
each binary, alternately, on a quiet machine.
"""
import json, os, random, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AUTHSD = os.path.abspath(os.environ.get("AUTHSD", os.path.join(ROOT, "target", "release", "authsd")))
BACKEND = os.environ.get("BACKEND", "sqlite")
BATCHES = int(os.environ.get("BATCHES", "10"))
UPDATES = int(os.environ.get("UPDATES", "500"))
KEY = "bench-admin-key-0123456789abcdef"
PORT = int(os.environ.get("PORT", "18490"))
URL = f"http://127.0.0.1:{PORT}"
PROTOCOLS = ["protocol-ldap", "protocol-oidc", "protocol-saml2", "protocol-external"]


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"X-Api-Key": KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def main():
    label = sys.argv[sys.argv.index("--label") + 1] if "--label" in sys.argv else AUTHSD
    work = tempfile.mkdtemp(prefix="auths-writes-")
    if BACKEND == "postgres":
        base = os.environ.get("AUTHS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/test")
        db = f"auths_writes_{int(time.time() * 1000)}"
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {db}"], check=True)
        database_url = base.rsplit("/", 1)[0] + "/" + db
    else:
        database_url = "sqlite://" + os.path.join(work, "auths.db")
    env = dict(os.environ, AUTHS_BIND=f"127.0.0.1:{PORT}", AUTHS_DATABASE_URL=database_url,
               AUTHS_BOOTSTRAP_API_KEY=KEY, AUTHS_LOG="warn", AUTHS_DATA_DIR=os.path.join(work, "data"))
    server = subprocess.Popen([AUTHSD], cwd=work, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "authsd.log"), "a"))
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(URL + "/readyz", timeout=1):
                    break
            except Exception:
                time.sleep(0.05)
        deps = [call("POST", "/api/v5/catalog/departments", {"label": f"Dept {i}"})["id"] for i in range(8)]
        rng = random.Random(11)
        creates, ids = [], []
        for b in range(BATCHES):
            items = [{"name": f"Auth {b:03d}-{i:04d}", "description": f"load {b} {i}",
                      "protocol_ids": rng.sample(PROTOCOLS, 1), "department_ids": rng.sample(deps, 1)}
                     for i in range(1000)]
            t0 = time.perf_counter()
            res = call("POST", "/api/v5/artifacts/auths/create", {"auths": items})
            creates.append(1000 * (time.perf_counter() - t0))
            assert all(r["success"] for r in res["results"]), res["results"][:2]
            ids += [r["auth_id"] for r in res["results"]]
        versions = {i: 1 for i in ids}
        updates = []
        for n in range(UPDATES):
            auth = rng.choice(ids)
            body = {"auths": [{"auth_id": auth, "expected_version": versions[auth],
                               "description": f"changed {n}"}]}
            t0 = time.perf_counter()
            res = call("POST", "/api/v5/artifacts/auths/update", body)
            updates.append(1000 * (time.perf_counter() - t0))
            assert res["results"][0]["success"], res
            versions[auth] = res["results"][0]["version"]
        creates.sort()
        updates.sort()
        print(json.dumps({
            "label": label, "backend": BACKEND,
            "create_1000_ms_median": round(creates[len(creates) // 2], 1),
            "create_1000_ms_best": round(creates[0], 1),
            "update_ms_p50": round(updates[len(updates) // 2], 2),
            "update_ms_p99": round(updates[int(len(updates) * 0.99) - 1], 2),
        }))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
