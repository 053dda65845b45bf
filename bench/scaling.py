#!/usr/bin/env python3
"""make bench-scaling: two authsd instances on one PostgreSQL database.

Starts instance A and instance B on the same database and the same data folder (the
secrets key file and the export files are shared, as docs/scaling.md says to), loads
N auths through A, then:

- checks that B answers what A wrote at once (an update, a search, a draft, a
  version, a revoked key within a second);
- measures reads (`/get`, 32 clients) and writes (one-auth creates, 16 clients) against
  one instance, then against both at once (a wrk on each, figures added up).

Writes target/bench/scaling.md and scaling.json. Needs wrk and psql. Environment: N
(auths, default 5000), DURATION (seconds a wrk run, default 10), AUTHS_BENCH_PG (base
URL, default postgres://postgres@127.0.0.1:5432/test).
"""
import json, os, shutil, subprocess, sys, tempfile, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the load generator's helpers)

ROOT = run.ROOT
N = int(os.environ.get("N", "5000"))
DURATION = int(os.environ.get("DURATION", "10"))
PORTS = (18490, 18491)
KEY = run.KEY


def url(i):
    return f"http://127.0.0.1:{PORTS[i]}"


def call(i, method, path, body=None, key=KEY):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url(i) + path, data=data, method=method,
                                 headers={"X-Api-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, (json.loads(raw) if raw else None)


def ok(i, method, path, body=None, key=KEY):
    status, answer = call(i, method, path, body, key)
    if status >= 300:
        raise SystemExit(f"{method} {path} on instance {'AB'[i]}: {status} {answer}")
    return answer


def start(i, work, database_url):
    env = dict(os.environ, AUTHS_BIND=f"127.0.0.1:{PORTS[i]}", AUTHS_DATABASE_URL=database_url,
               AUTHS_BOOTSTRAP_API_KEY=KEY, AUTHS_LOG="warn", AUTHS_WORKERS="2",
               AUTHS_DATA_DIR=os.path.join(work, "data"))
    p = subprocess.Popen([os.path.join(ROOT, "target", "release", "authsd")], cwd=work, env=env,
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, f"authsd-{'ab'[i]}.log"), "a"))
    run.wait_ready(url(i) + "/readyz")
    return p


def consistency(fig, ids):
    """What A writes, B answers at once."""
    checks = {}
    auth = ids[0]
    version = ok(0, "POST", "/api/v5/artifacts/auths/get", {"auth_id": auth})["version"]
    ok(0, "POST", "/api/v5/artifacts/auths/update", {"auths": [
        {"auth_id": auth, "expected_version": version, "name": "Scaling Zyzzyva Check"}]})
    seen = ok(1, "POST", "/api/v5/artifacts/auths/get", {"auth_id": auth})
    checks["update_seen_by_b"] = seen["version"] == version + 1
    found = ok(1, "POST", "/api/v5/artifacts/auths/search", {"search": "zyzzyva"})
    checks["search_on_b_finds_it"] = [a["auth_id"] for a in found["auths"]] == [auth]
    history = ok(1, "POST", "/api/v5/artifacts/auths/history", {"auth_id": auth})
    checks["version_on_b"] = history["entries"][0]["version"] == version + 1
    draft = ok(0, "PATCH", "/api/v5/artifacts/auths/draft", {"auth_id": auth, "expected_version": version + 1, "description": "drafted on A"})
    edited = ok(1, "PATCH", "/api/v5/artifacts/auths/draft", {"input_draft_id": draft["draft_id"], "expected_version": draft["new_version"], "description": "edited on B"})
    checks["draft_edited_on_b"] = edited["new_version"] == draft["new_version"] + 1
    # A stale write through B after A's: refused, nothing lost.
    status, answer = call(1, "POST", "/api/v5/artifacts/auths/update", {"auths": [
        {"auth_id": auth, "expected_version": version, "name": "Lost update"}]})
    checks["stale_write_on_b_refused"] = answer["results"][0]["error"]["code"] == "conflict"
    spare = ok(0, "POST", "/api/v5/keys", {"name": f"spare-{int(time.time())}", "role": "viewer"})
    assert call(1, "POST", "/api/v5/artifacts/auths/search", {}, key=spare["key"])[0] == 200
    status, _ = call(0, "DELETE", f"/api/v5/keys/{spare['name']}")
    t0 = time.time()
    while call(1, "POST", "/api/v5/artifacts/auths/search", {}, key=spare["key"])[0] != 401:
        if time.time() - t0 > 5:
            break
        time.sleep(0.02)
    checks["revoked_on_b_within_s"] = round(time.time() - t0, 3)
    fig["consistency"] = checks
    return all(v is True for k, v in checks.items() if k != "revoked_on_b_within_s") and checks["revoked_on_b_within_s"] <= 1.0


def write_lua(path):
    return run.lua(path, "counter = 0\nprefix = tostring(math.random(1, 1000000000))\n"
                   "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                   f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n"
                   "request = function()\n  counter = counter + 1\n"
                   "  return wrk.format(nil, \"/api/v5/artifacts/auths/create\", nil, "
                   "'{\"auths\": [{\"name\": \"Scale ' .. prefix .. ' ' .. counter .. '\", \"protocol_ids\": [\"protocol-oidc\"]}]}')\nend\n")


def both(target_a, target_b, connections, lua):
    """wrk on both instances at once, each with half the connections."""
    half = max(1, connections // 2)
    procs = []
    for target in (target_a, target_b):
        args = ["wrk", "-t", "1", "-c", str(half), "-d", f"{DURATION}s", "--latency", "-s", lua, target]
        procs.append(subprocess.Popen(args, stdout=subprocess.PIPE, text=True))
    outs = [p.communicate()[0] for p in procs]
    rps = sum(float(run.re.search(r"Requests/sec:\s+([\d.]+)", o).group(1)) for o in outs)
    non2xx = sum(int(m.group(1)) for o in outs for m in [run.re.search(r"Non-2xx or 3xx responses: (\d+)", o)] if m)
    return {"rps": round(rps, 1), "non_2xx": non2xx}


def main():
    if not shutil.which("wrk"):
        raise SystemExit("make bench-scaling needs wrk (Debian: apt-get install wrk)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "authsd"], cwd=ROOT, check=True)
    os.makedirs(run.OUT, exist_ok=True)
    base = os.environ.get("AUTHS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/test")
    db = f"auths_scaling_{int(time.time())}"
    subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {db}"], check=True)
    database_url = base.rsplit("/", 1)[0] + "/" + db
    work = tempfile.mkdtemp(prefix="auths-scaling-")
    fig = {"n": N, "duration_s": DURATION}
    a = start(0, work, database_url)
    b = start(1, work, database_url)
    try:
        made = 0
        while made < N:
            count = min(1000, N - made)
            items = [{"name": f"Scaled {i:06d}", "protocol_ids": ["protocol-ldap"]} for i in range(made, made + count)]
            ok(made // 1000 % 2, "POST", "/api/v5/artifacts/auths/create", {"auths": items})
            made += count
        ids = [x["auth_id"] for x in ok(0, "POST", "/api/v5/artifacts/auths/search", {"page_size": 500})["auths"]]
        held = consistency(fig, ids)
        get_lua = run.lua(os.path.join(work, "get.lua"), "ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n"
                          "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                          f"wrk.headers[\"X-Api-Key\"] = \"{KEY}\"\n"
                          "request = function()\n  return wrk.format(nil, \"/api/v5/artifacts/auths/get\", nil, "
                          "'{\"auth_id\": \"' .. ids[math.random(#ids)] .. '\"}')\nend\n")
        w_lua = write_lua(os.path.join(work, "write.lua"))
        one = run.wrk(url(0) + "/api/v5/artifacts/auths/get", 32, get_lua, duration=DURATION)
        two = both(url(0) + "/api/v5/artifacts/auths/get", url(1) + "/api/v5/artifacts/auths/get", 32, get_lua)
        fig["get_32c"] = {"one_instance_rps": one["rps"], "two_instances_rps": two["rps"], "non_2xx": one["non_2xx"] + two["non_2xx"]}
        one = run.wrk(url(0) + "/api/v5/artifacts/auths/create", 16, w_lua, duration=DURATION)
        two = both(url(0) + "/api/v5/artifacts/auths/create", url(1) + "/api/v5/artifacts/auths/create", 16, w_lua)
        fig["create_one_16c"] = {"one_instance_rps": one["rps"], "p99_ms": one["p99_ms"], "two_instances_rps": two["rps"], "non_2xx": one["non_2xx"] + two["non_2xx"]}
    finally:
        run.stop(a)
        run.stop(b)
    fig["consistent"] = held
    with open(os.path.join(run.OUT, "scaling.json"), "w") as f:
        json.dump(fig, f, indent=2)
    lines = [f"# Two instances on one PostgreSQL database ({N} auths, wrk {DURATION}s a run)", "",
             f"- consistency (B answers what A wrote): {json.dumps(fig['consistency'])}",
             f"- /get, 32 clients: one instance {fig['get_32c']['one_instance_rps']} rps, two {fig['get_32c']['two_instances_rps']} rps",
             f"- one-auth creates, 16 clients: one instance {fig['create_one_16c']['one_instance_rps']} rps, two {fig['create_one_16c']['two_instances_rps']} rps",
             f"- non-2xx answers: {fig['get_32c']['non_2xx'] + fig['create_one_16c']['non_2xx']}"]
    with open(os.path.join(run.OUT, "scaling.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    subprocess.run(["psql", base, "-qc", f"DROP DATABASE {db}"], check=False)
    shutil.rmtree(work, ignore_errors=True)
    if not held:
        raise SystemExit("an instance answered stale data")


if __name__ == "__main__":
    main()
