#!/usr/bin/env python3
"""Wharf vs CNCF distribution 2.8.2 (Debian `docker-registry`), side by side on loopback.

Each scenario starts a fresh pair of servers (so VmHWM is the scenario's peak), prepares
data, then runs rounds alternately (Wharf, distribution, Wharf, ...), verifying every
answer. Prints medians, the ratio Wharf/distribution, server CPU per GB or per request,
idle and peak RSS. See bench/README.md.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "conformance"))
from harness import RegistryProcess, free_port, to_yaml  # noqa: E402

MiB = 1024 * 1024
CLK = os.sysconf("SC_CLK_TCK")
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar"
WRK_LUA = os.path.join(HERE, "manifest.lua")

os.environ.setdefault("WHARF_BIN", os.path.join(ROOT, ".build", "release", "wharf"))


class BenchFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise BenchFailure(what)


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- process measurements

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime, stime (fields 14, 15)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Server:
    """A named server process (registry or nginx) with CPU and RSS accounting."""

    def __init__(self, name, proc_owner, url_host, pid_fn, stop_fn):
        self.name, self.owner, self.host = name, proc_owner, url_host
        self.pid_fn, self.stop_fn = pid_fn, stop_fn
        self.idle_rss_kib = None
        self.idle_anon_kib = None

    @property
    def pid(self):
        return self.pid_fn()

    def cpu(self):
        return cpu_seconds(self.pid)

    def rss(self):
        return status_kib(self.pid, "VmRSS")

    def hwm(self):
        return status_kib(self.pid, "VmHWM")

    def settle_idle(self):
        time.sleep(0.5)
        self.idle_rss_kib = self.rss()
        # RssAnon is the process's own heap and stacks; the rest of VmRSS is mapped file
        # pages (the binary and shared libraries), shared with every other process using them.
        self.idle_anon_kib = status_kib(self.pid, "RssAnon")

    def conn(self, timeout=120):
        h, p = self.host.rsplit(":", 1)
        return http.client.HTTPConnection(h, int(p), timeout=timeout)

    def stop(self):
        self.stop_fn()


def start_registry(target, config=None, env=None):
    reg = RegistryProcess(target=target, config=config or {}, env=env or {})
    if target == "distribution":
        reg.env.pop("AWS_CA_BUNDLE", None)
    reg.start(timeout=30)
    # wait until /v2/ answers (socket accept alone is not enough for a slow start)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=5)
            c.request("GET", "/v2/")
            c.getresponse().read()
            c.close()
            break
        except OSError:
            time.sleep(0.1)
    name = "wharf" if target == "wharf" else "distribution"
    s = Server(name, reg, reg.host, lambda: reg.proc.pid, reg.cleanup)
    s.settle_idle()
    return s


def start_nginx(root_dir):
    tmp = tempfile.mkdtemp(prefix="bench-nginx-")
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
master_process off;
user root;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {tmp}/body;
  proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi;
  uwsgi_temp_path {tmp}/uwsgi;
  scgi_temp_path {tmp}/scgi;
  types {{ }}
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{port};
    location / {{ root {root_dir}; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, "stderr.log"), "wb"))
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise BenchFailure("nginx exited: " + open(os.path.join(tmp, "stderr.log")).read())
            time.sleep(0.05)

    def stop():
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    s = Server("nginx", proc, f"127.0.0.1:{port}", lambda: proc.pid, stop)
    s.settle_idle()
    return s


# ---------------------------------------------------------------- OCI client operations

def resp_read(r):
    body = r.read()
    return r.status, body


def location_path(server, r):
    loc = r.getheader("Location")
    check(loc, f"{server.name}: no Location in {r.status}")
    u = urllib.parse.urlsplit(loc)
    return u.path + ("?" + u.query if u.query else "")


def with_query(path, **params):
    sep = "&" if "?" in path else "?"
    return path + sep + urllib.parse.urlencode(params)


def push_blob_monolithic(server, conn, repo, data, digest, headers=None):
    """POST then PUT ?digest= with the whole body (what docker/podman do for small blobs)."""
    h = dict(headers or {})
    conn.request("POST", f"/v2/{repo}/blobs/uploads/", headers=h)
    r = conn.getresponse()
    r.read()
    check(r.status == 202, f"{server.name}: POST upload -> {r.status}")
    path = with_query(location_path(server, r), digest=digest)
    h.update({"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
    conn.request("PUT", path, body=data, headers=h)
    r = conn.getresponse()
    body = r.read()
    check(r.status == 201, f"{server.name}: PUT blob -> {r.status} {body[:200]!r}")
    check(r.getheader("Docker-Content-Digest") == digest, f"{server.name}: wrong digest header on PUT")


def push_blob_chunked(server, conn, repo, data, digest, chunk):
    conn.request("POST", f"/v2/{repo}/blobs/uploads/")
    r = conn.getresponse()
    r.read()
    check(r.status == 202, f"{server.name}: POST upload -> {r.status}")
    path = location_path(server, r)
    view = memoryview(data)
    for off in range(0, len(data), chunk):
        part = view[off:off + chunk]
        conn.request("PATCH", path, body=part, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(part)),
            "Content-Range": f"{off}-{off + len(part) - 1}"})
        r = conn.getresponse()
        body = r.read()
        check(r.status == 202, f"{server.name}: PATCH -> {r.status} {body[:200]!r}")
        check(r.getheader("Range") == f"0-{off + len(part) - 1}", f"{server.name}: wrong Range after PATCH")
        path = location_path(server, r)
    conn.request("PUT", with_query(path, digest=digest), headers={"Content-Length": "0"})
    r = conn.getresponse()
    body = r.read()
    check(r.status == 201, f"{server.name}: final PUT -> {r.status} {body[:200]!r}")
    check(r.getheader("Docker-Content-Digest") == digest, f"{server.name}: wrong digest header")


def head_blob_size(server, conn, repo, digest):
    conn.request("HEAD", f"/v2/{repo}/blobs/{digest}")
    r = conn.getresponse()
    r.read()
    check(r.status == 200, f"{server.name}: HEAD blob -> {r.status}")
    return int(r.getheader("Content-Length"))


def pull_blob_verify(server, path, size, digest, bufsize=1 * MiB):
    """GET `path`, stream the body through SHA-256, check size and digest."""
    conn = server.conn()
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        check(r.status == 200, f"{server.name}: GET blob -> {r.status}")
        h = hashlib.sha256()
        buf = bytearray(bufsize)
        mv = memoryview(buf)
        got = 0
        while True:
            n = r.readinto(mv)
            if not n:
                break
            h.update(mv[:n])
            got += n
        check(got == size, f"{server.name}: pulled {got} bytes, expected {size}")
        check("sha256:" + h.hexdigest() == digest, f"{server.name}: pulled blob has the wrong digest")
    finally:
        conn.close()


def make_manifest(config_data, layers):
    m = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
         "config": {"mediaType": CONFIG_TYPE, "digest": sha(config_data), "size": len(config_data)},
         "layers": [{"mediaType": LAYER_TYPE, "digest": sha(l), "size": len(l)} for l in layers]}
    return json.dumps(m, separators=(",", ":")).encode()


def put_manifest(server, conn, repo, ref, body, headers=None):
    h = {"Content-Type": MANIFEST_TYPE}
    h.update(headers or {})
    conn.request("PUT", f"/v2/{repo}/manifests/{ref}", body=body, headers=h)
    r = conn.getresponse()
    rb = r.read()
    check(r.status == 201, f"{server.name}: PUT manifest {repo}:{ref} -> {r.status} {rb[:300]!r}")
    check(r.getheader("Docker-Content-Digest") == sha(body), f"{server.name}: wrong manifest digest")


def push_image(server, conn, repo, tag, config_data, layers, headers=None):
    for blob in [config_data, *layers]:
        push_blob_monolithic(server, conn, repo, blob, sha(blob), headers)
    body = make_manifest(config_data, layers)
    put_manifest(server, conn, repo, tag, body, headers)
    return body


def get_verify(server, conn, path, expect_digest=None, headers=None):
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    body = r.read()
    check(r.status == 200, f"{server.name}: GET {path} -> {r.status}")
    if expect_digest:
        check(sha(body) == expect_digest, f"{server.name}: GET {path}: wrong bytes")
    return body


# ---------------------------------------------------------------- results

class Results:
    def __init__(self):
        self.rows = []  # (scenario, metric, {server: value}, unit, better)

    def add(self, scenario, metric, values, unit, higher_is_better=True):
        self.rows.append((scenario, metric, values, unit, higher_is_better))
        parts = []
        for k, v in values.items():
            parts.append(f"{k}={fmt(v)}")
        ratio = ""
        if "wharf" in values and "distribution" in values and values["distribution"]:
            ratio = f"  ratio wharf/distribution={values['wharf'] / values['distribution']:.2f}"
        print(f"  [{scenario}] {metric} ({unit}): " + ", ".join(parts) + ratio, flush=True)

    def dump(self, path):
        with open(path, "w") as f:
            json.dump([{"scenario": s, "metric": m, "values": v, "unit": u, "higher_is_better": h}
                       for s, m, v, u, h in self.rows], f, indent=1)


def fmt(v):
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 1:
            return f"{v:.2f}"
        return f"{v:.4f}"
    return str(v)


def med(xs):
    return statistics.median(xs)


def report_memory(res, scenario, servers):
    res.add(scenario, "idle RSS", {s.name: s.idle_rss_kib / 1024 for s in servers}, "MiB", False)
    res.add(scenario, "idle RssAnon (heap + stacks)", {s.name: s.idle_anon_kib / 1024 for s in servers}, "MiB", False)
    res.add(scenario, "peak RSS (VmHWM)", {s.name: s.hwm() / 1024 for s in servers}, "MiB", False)


def alternate(servers, rounds, fn):
    """Run fn(server, round) for each round, alternating servers; returns {name: [values]}."""
    out = {s.name: [] for s in servers}
    for i in range(rounds):
        for s in servers:
            out[s.name].append(fn(s, i))
    return out


# ---------------------------------------------------------------- load generators

def run_wrk(server, path, method="GET", conns=64, duration=8, expect_len=0, expect_digest="", auth=None):
    env = dict(os.environ, BENCH_METHOD=method, BENCH_LEN=str(expect_len), BENCH_DIGEST=expect_digest,
               BENCH_ACCEPT=MANIFEST_TYPE)
    if auth:
        env["BENCH_AUTH"] = auth
    cpu0 = server.cpu()
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", WRK_LUA,
                          f"http://{server.host}{path}"], capture_output=True, text=True, env=env, timeout=duration + 60)
    cpu = server.cpu() - cpu0
    m = re.search(r"^JSON (\{.*\})$", out.stdout, re.M)
    check(m, f"wrk gave no result: {out.stdout} {out.stderr}")
    r = json.loads(m.group(1))
    check(r["bad"] == 0 and r["errors"] == 0 and r["ok"] == r["requests"] and r["requests"] > 0,
          f"{server.name}: wrk {method} saw bad answers: {r}")
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["cpu_us_per_req"] = cpu / r["requests"] * 1e6
    return r


def run_ab_head(server, path, conns=64, seconds=8, expect_digest=""):
    """HEAD with ab (wrk cannot parse bodiless HEAD answers); the digest header is checked
    with a single request before and after, ab itself counts non-2xx and failures."""
    def one_head():
        c = server.conn()
        c.request("HEAD", path, headers={"Accept": MANIFEST_TYPE})
        r = c.getresponse()
        r.read()
        c.close()
        check(r.status == 200 and r.getheader("Docker-Content-Digest") == expect_digest,
              f"{server.name}: HEAD -> {r.status} {r.getheader('Docker-Content-Digest')}")
    one_head()
    cpu0 = server.cpu()
    out = subprocess.run(["ab", "-i", "-k", "-q", "-t", str(seconds), "-n", "100000000", f"-c{conns}", "-H", f"Accept: {MANIFEST_TYPE}",
                          f"http://{server.host}{path}"], capture_output=True, text=True, timeout=600)
    cpu = server.cpu() - cpu0
    one_head()
    done = re.search(r"Complete requests:\s+(\d+)", out.stdout)
    failed = re.search(r"Failed requests:\s+(\d+)", out.stdout)
    rps = re.search(r"Requests per second:\s+([\d.]+)", out.stdout)
    p50 = re.search(r"^\s+50%\s+(\d+)", out.stdout, re.M)
    p99 = re.search(r"^\s+99%\s+(\d+)", out.stdout, re.M)
    check(done and failed and rps and p99, f"ab output not understood: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    n = int(done.group(1))
    check(n > 0 and int(failed.group(1)) == 0 and "Non-2xx" not in out.stdout,
          f"{server.name}: ab HEAD saw bad answers: {out.stdout[-1500:]}")
    return {"rps": float(rps.group(1)), "p50_us": int(p50.group(1)) * 1000, "p99_us": int(p99.group(1)) * 1000,
            "cpu_us_per_req": cpu / n * 1e6}


def run_h2load(server, path, clients=4, streams=32, n=200000):
    cpu0 = server.cpu()
    out = subprocess.run(["h2load", f"-c{clients}", f"-m{streams}", f"-n{n}", "-t2", "-H", f"accept: {MANIFEST_TYPE}",
                          f"http://{server.host}{path}"], capture_output=True, text=True, timeout=600)
    cpu = server.cpu() - cpu0
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out.stdout)
    st = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out.stdout)
    rq = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                   out.stdout)
    check(m and st and rq, f"h2load output not understood: {out.stdout} {out.stderr}")
    check(int(st.group(1)) == n and int(rq.group(4)) == n, f"{server.name}: h2load not all 2xx: {st.group(0)} {rq.group(0)}")
    lat = re.search(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)", out.stdout)
    return {"rps": float(m.group(3)), "cpu_us_per_req": cpu / n * 1e6, "mean_latency": lat.group(3) if lat else "?"}


# ---------------------------------------------------------------- scenarios

def seed_manifest(server, repo="bench/app", tag="latest", headers=None):
    conn = server.conn()
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "bench": server.name}).encode()
    layer = os.urandom(4096)
    body = push_image(server, conn, repo, tag, cfg, [layer], headers)
    conn.close()
    return body


def scenario_manifest_get(res, args):
    """3: manifest GET and HEAD by tag with 64 connections (wrk, Lua-verified)."""
    sc = "3 manifest GET/HEAD"
    servers = [start_registry("wharf"), start_registry("distribution")]
    try:
        manifests = {s.name: seed_manifest(s) for s in servers}
        dur = 2 if args.quick else args.wrk_seconds
        path = "/v2/bench/app/manifests/latest"
        for method in ("GET", "HEAD"):
            if method == "GET":
                def one(s, i, d=dur):
                    return run_wrk(s, path, "GET", 64, d, len(manifests[s.name]), sha(manifests[s.name]))
            else:
                def one(s, i, d=dur):
                    return run_ab_head(s, path, 64, d, sha(manifests[s.name]))
            for s in servers:
                one(s, 0, 1)  # warm-up (not counted)
            runs = alternate(servers, args.rounds, one)
            res.add(sc, f"{method} req/s (64 conns)", {k: med([r["rps"] for r in v]) for k, v in runs.items()}, "req/s")
            res.add(sc, f"{method} p99 latency", {k: med([r["p99_us"] for r in v]) / 1000 for k, v in runs.items()}, "ms", False)
            res.add(sc, f"{method} p50 latency", {k: med([r["p50_us"] for r in v]) / 1000 for k, v in runs.items()}, "ms", False)
            res.add(sc, f"{method} server CPU per request", {k: med([r["cpu_us_per_req"] for r in v]) for k, v in runs.items()}, "µs", False)
        report_memory(res, sc, servers)
    finally:
        for s in servers:
            s.stop()


def big_blob(size, i):
    base = big_blob.cache.get(size)
    if base is None:
        base = big_blob.cache[size] = bytearray(os.urandom(size))
    base[:16] = f"round{i:011d}".encode()
    data = bytes(base)
    return data, sha(data)


big_blob.cache = {}


def scenario_push(res, args, servers=None, sc="1 push", size=None, rounds=None, chunked=True, peer_cpu=None):
    """1: push one big blob monolithically, and in 8 MiB PATCH chunks.
    peer_cpu: optional callable (CPU seconds of a storage peer), also measured per server's run."""
    own = servers is None
    servers = servers or [start_registry("wharf"), start_registry("distribution")]
    size = size or (8 * MiB if args.quick else args.blob_mib * MiB)
    rounds = rounds or args.big_rounds
    try:
        modes = [("monolithic", None)] + ([("chunked 8 MiB", 8 * MiB)] if chunked else [])
        for mode, chunk in modes:
            times = {s.name: [] for s in servers}
            cpus = {s.name: [] for s in servers}
            peer = {s.name: [] for s in servers}
            for i in range(rounds):
                data, digest = big_blob(size, i + (100 if chunk else 0))
                for s in servers:
                    conn = s.conn(timeout=600)
                    p0, cpu0, t0 = peer_cpu() if peer_cpu else 0, s.cpu(), time.perf_counter()
                    if chunk:
                        push_blob_chunked(s, conn, "bench/big", data, digest, chunk)
                    else:
                        push_blob_monolithic(s, conn, "bench/big", data, digest)
                    dt, cpu = time.perf_counter() - t0, s.cpu() - cpu0
                    check(head_blob_size(s, conn, "bench/big", digest) == size, f"{s.name}: stored size differs")
                    conn.close()
                    times[s.name].append(size / MiB / dt)
                    cpus[s.name].append(cpu / (size / 1e9))
                    if peer_cpu:
                        peer[s.name].append((peer_cpu() - p0) / (size / 1e9))
                del data
            res.add(sc, f"{mode} push {size // MiB} MiB, {rounds} rounds", {k: med(v) for k, v in times.items()}, "MB/s (MiB/s)")
            res.add(sc, f"{mode} server CPU per GB", {k: med(v) for k, v in cpus.items()}, "CPU s/GB", False)
            if peer_cpu:
                res.add(sc, f"{mode} storage peer CPU per GB", {k: med(v) for k, v in peer.items()}, "CPU s/GB", False)
        if own:
            report_memory(res, sc, servers)
    finally:
        if own:
            for s in servers:
                s.stop()


def scenario_pull(res, args, servers=None, sc="2 pull", size=None, rounds=None, clients_list=(1, 8), nginx=True,
                  peer_cpu=None):
    """2: pull the big blob with 1 and 8 concurrent clients; nginx sendfile as the limit."""
    own = servers is None
    servers = servers or [start_registry("wharf"), start_registry("distribution")]
    size = size or (8 * MiB if args.quick else args.blob_mib * MiB)
    rounds = rounds or args.big_rounds
    ngx_dir = tempfile.mkdtemp(prefix="bench-ngx-root-")
    try:
        data, digest = big_blob(size, 999)
        for s in servers:
            conn = s.conn(timeout=600)
            push_blob_monolithic(s, conn, "bench/big", data, digest)
            conn.close()
        paths = {s.name: f"/v2/bench/big/blobs/{digest}" for s in servers}
        if nginx:
            with open(os.path.join(ngx_dir, "blob"), "wb") as f:
                f.write(data)
            ngx = start_nginx(ngx_dir)
            servers = servers + [ngx]
            paths["nginx"] = "/blob"
        del data
        for clients in clients_list:
            def one(s, i):
                p0, cpu0, t0 = peer_cpu() if peer_cpu else 0, s.cpu(), time.perf_counter()
                with ThreadPoolExecutor(clients) as ex:
                    for f in [ex.submit(pull_blob_verify, s, paths[s.name], size, digest) for _ in range(clients)]:
                        f.result()
                dt, cpu = time.perf_counter() - t0, s.cpu() - cpu0
                gb = size * clients / 1e9
                return size * clients / MiB / dt, cpu / gb, ((peer_cpu() - p0) / gb if peer_cpu else 0)
            pull_blob_verify(servers[0], paths[servers[0].name], size, digest)  # warm the page cache
            runs = alternate(servers, rounds, one)
            res.add(sc, f"pull {size // MiB} MiB x {clients} clients, {rounds} rounds", {k: med([r[0] for r in v]) for k, v in runs.items()}, "MiB/s")
            res.add(sc, f"pull x {clients} server CPU per GB", {k: med([r[1] for r in v]) for k, v in runs.items()}, "CPU s/GB", False)
            if peer_cpu:
                res.add(sc, f"pull x {clients} storage peer CPU per GB", {k: med([r[2] for r in v]) for k, v in runs.items()}, "CPU s/GB", False)
        report_memory(res, sc, servers)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(ngx_dir, ignore_errors=True)


def scenario_small(res, args):
    """4: 200 small images (config + 2 x 64 KiB layers + manifest + tag) by 16 threads, then read back."""
    sc = "4 small images"
    servers = [start_registry("wharf"), start_registry("distribution")]
    n = 20 if args.quick else 200
    threads = 16
    try:
        def images(i):
            out = []
            for k in range(n):
                cfg = json.dumps({"architecture": "amd64", "os": "linux", "round": i, "k": k}).encode()
                out.append((f"bench/small{k % threads}", f"r{i}-{k}", cfg, [os.urandom(64 * 1024), os.urandom(64 * 1024)]))
            return out

        def push_all(s, imgs):
            local = threading.local()

            def push(img):
                if not hasattr(local, "c"):
                    local.c = s.conn()
                    conns.append(local.c)
                repo, tag, cfg, layers = img
                return push_image(s, local.c, repo, tag, cfg, layers)
            conns = []
            with ThreadPoolExecutor(threads) as ex:
                bodies = list(ex.map(push, imgs))
            for c in conns:
                c.close()
            return bodies

        def read_all(s, imgs, bodies):
            local = threading.local()
            conns = []

            def read(pair):
                if not hasattr(local, "c"):
                    local.c = s.conn()
                    conns.append(local.c)
                (repo, tag, cfg, layers), body = pair
                get_verify(s, local.c, f"/v2/{repo}/manifests/{tag}", sha(body), {"Accept": MANIFEST_TYPE})
                for b in [cfg, *layers]:
                    get_verify(s, local.c, f"/v2/{repo}/blobs/{sha(b)}", sha(b))
            with ThreadPoolExecutor(threads) as ex:
                list(ex.map(read, zip(imgs, bodies)))
            for c in conns:
                c.close()

        push_rates, read_rates, push_cpu, read_cpu = ({s.name: [] for s in servers} for _ in range(4))
        for i in range(args.rounds):
            imgs = images(i)
            for s in servers:
                cpu0, t0 = s.cpu(), time.perf_counter()
                bodies = push_all(s, imgs)
                dt, cpu1 = time.perf_counter() - t0, s.cpu()
                push_rates[s.name].append(n / dt)
                push_cpu[s.name].append((cpu1 - cpu0) / n * 1000)
                t0 = time.perf_counter()
                read_all(s, imgs, bodies)
                dt = time.perf_counter() - t0
                read_rates[s.name].append(n / dt)
                read_cpu[s.name].append((s.cpu() - cpu1) / n * 1000)
        res.add(sc, f"push {n} images, 16 threads", {k: med(v) for k, v in push_rates.items()}, "images/s")
        res.add(sc, "push server CPU per image", {k: med(v) for k, v in push_cpu.items()}, "CPU ms", False)
        res.add(sc, f"read back {n} images, 16 threads", {k: med(v) for k, v in read_rates.items()}, "images/s")
        res.add(sc, "read server CPU per image", {k: med(v) for k, v in read_cpu.items()}, "CPU ms", False)
        report_memory(res, sc, servers)
    finally:
        for s in servers:
            s.stop()


def latency_series(s, path, count, validate):
    conn = s.conn()
    lat = []
    cpu0 = s.cpu()
    for _ in range(count):
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        lat.append(time.perf_counter() - t0)
        check(r.status == 200, f"{s.name}: GET {path} -> {r.status}")
        validate(body)
    cpu = s.cpu() - cpu0
    conn.close()
    lat.sort()
    return {"p50": lat[len(lat) // 2] * 1000, "p99": lat[int(len(lat) * 0.99)] * 1000, "cpu_ms": cpu / count * 1000}


def scenario_lists(res, args):
    """5: tags/list with 1000 tags, _catalog with 1000 repositories (latency per request)."""
    sc = "5 tags/catalog"
    servers = [start_registry("wharf"), start_registry("distribution")]
    count = 50 if args.quick else 1000
    try:
        cfg = b'{"architecture":"amd64","os":"linux"}'
        layer = b"bench layer"
        for s in servers:
            conn = s.conn()
            body = push_image(s, conn, "bench/tags", "t0", cfg, [layer])
            for i in range(1, count):
                put_manifest(s, conn, "bench/tags", f"t{i}", body)
            conn.close()
            local = threading.local()

            def mk(i):
                if not hasattr(local, "c"):
                    local.c = s.conn()
                c = local.c
                for b in (cfg, layer):
                    push_blob_monolithic(s, c, f"bench/repo{i:04d}", b, sha(b))
                put_manifest(s, c, f"bench/repo{i:04d}", "latest", body)
            with ThreadPoolExecutor(8) as ex:
                list(ex.map(mk, range(count - 1)))  # + bench/tags = count repositories

        def v_tags(body):
            tags = json.loads(body)["tags"]
            check(len(tags) == count, f"tags/list returned {len(tags)} tags")

        def v_cat(body):
            repos = json.loads(body)["repositories"]
            check(len(repos) == count, f"_catalog returned {len(repos)} repositories")
        per = 20 if args.quick else 200
        for name, path, v in (("tags/list", "/v2/bench/tags/tags/list", v_tags),
                              ("_catalog", f"/v2/_catalog?n={count}", v_cat)):
            for s in servers:
                latency_series(s, path, 5, v)
            runs = alternate(servers, args.rounds, lambda s, i: latency_series(s, path, per, v))
            res.add(sc, f"{name} of {count}: median latency", {k: med([r["p50"] for r in x]) for k, x in runs.items()}, "ms", False)
            res.add(sc, f"{name} of {count}: p99 latency", {k: med([r["p99"] for r in x]) for k, x in runs.items()}, "ms", False)
            res.add(sc, f"{name} server CPU per request", {k: med([r["cpu_ms"] for r in x]) for k, x in runs.items()}, "CPU ms", False)
        report_memory(res, sc, servers)
    finally:
        for s in servers:
            s.stop()


def start_wharf_auth():
    tmp = tempfile.mkdtemp(prefix="bench-auth-")
    token = secrets.token_hex(24)
    policy = os.path.join(tmp, "policy.yml")
    with open(policy, "w") as f:
        f.write(f"""users:
  - name: bench
    tokens: ["sha256:{hashlib.sha256(token.encode()).hexdigest()}"]
bindings:
  - role: registry-editor
    subjects: ["user:bench"]
    projects: ["bench"]
""")
    s = start_registry("wharf", {"auth": {"openshift": {"policy": policy, "tokenexpiration": "2h"}}})
    basic = "Basic " + base64.b64encode(f"any:{token}".encode()).decode()
    conn = s.conn()
    conn.request("GET", f"/openshift/token?service={s.host}&scope=repository:bench/app:pull,push",
                 headers={"Authorization": basic})
    r = conn.getresponse()
    body = r.read()
    check(r.status == 200, f"token endpoint -> {r.status} {body!r}")
    jwt = json.loads(body)["token"]
    conn.close()
    s.name = "wharf+auth"
    return s, "Bearer " + jwt, tmp


def scenario_auth(res, args):
    """6: manifest GET with bearer auth on (Wharf auth.openshift + JWT) vs Wharf without auth."""
    sc = "6 manifest GET with auth"
    plain = start_registry("wharf")
    authd, bearer, tmp = start_wharf_auth()
    servers = [authd, plain]
    try:
        bodies = {plain.name: seed_manifest(plain), authd.name: seed_manifest(authd, headers={"Authorization": bearer})}
        # without the token: must be refused
        c = authd.conn()
        c.request("GET", "/v2/bench/app/manifests/latest")
        r = c.getresponse()
        r.read()
        check(r.status == 401, f"auth server answered {r.status} without credentials")
        c.close()
        dur = 2 if args.quick else args.wrk_seconds
        auths = {authd.name: bearer, plain.name: None}
        for s in servers:
            run_wrk(s, "/v2/bench/app/manifests/latest", "GET", 64, 1, len(bodies[s.name]), sha(bodies[s.name]), auths[s.name])
        runs = alternate(servers, args.rounds, lambda s, i: run_wrk(
            s, "/v2/bench/app/manifests/latest", "GET", 64, dur, len(bodies[s.name]), sha(bodies[s.name]), auths[s.name]))
        vals = {k: med([r["rps"] for r in v]) for k, v in runs.items()}
        res.add(sc, "GET req/s (64 conns)", vals, "req/s")
        res.add(sc, "auth/no-auth throughput", {"ratio": vals[authd.name] / vals[plain.name]}, "x")
        res.add(sc, "GET p99 latency", {k: med([r["p99_us"] for r in v]) / 1000 for k, v in runs.items()}, "ms", False)
        res.add(sc, "server CPU per request", {k: med([r["cpu_us_per_req"] for r in v]) for k, v in runs.items()}, "µs", False)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def scenario_h2(res, args):
    """7: h2load -c 4 -m 32 against Wharf h2c, next to wrk HTTP/1.1 with 64 connections."""
    sc = "7 manifest GET h2c vs HTTP/1.1"
    s = start_registry("wharf")
    try:
        body = seed_manifest(s)
        n = 20000 if args.quick else args.h2_requests
        dur = 2 if args.quick else args.wrk_seconds
        run_h2load(s, "/v2/bench/app/manifests/latest", n=min(n, 20000))
        h2, h1 = [], []
        for i in range(args.rounds):
            h2.append(run_h2load(s, "/v2/bench/app/manifests/latest", n=n))
            h1.append(run_wrk(s, "/v2/bench/app/manifests/latest", "GET", 64, dur, len(body), sha(body)))
        res.add(sc, "GET req/s", {"h2c -c4 -m32": med([r["rps"] for r in h2]), "http/1.1 wrk -c64": med([r["rps"] for r in h1])}, "req/s")
        res.add(sc, "server CPU per request", {"h2c -c4 -m32": med([r["cpu_us_per_req"] for r in h2]),
                                               "http/1.1 wrk -c64": med([r["cpu_us_per_req"] for r in h1])}, "µs", False)
        res.add(sc, "peak RSS (VmHWM)", {"wharf": s.hwm() / 1024}, "MiB", False)
    finally:
        s.stop()


def scenario_s3(res, args):
    """8: push/pull on S3 (moto_server on loopback), redirects off so the registry carries the bytes."""
    sc = "8 S3 (moto)"
    port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    servers = []
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                check(time.time() < deadline and moto.poll() is None, "moto_server did not start")
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        for target in ("wharf", "distribution"):
            bucket = f"bench-{target}"
            c = http.client.HTTPConnection("127.0.0.1", port)
            c.request("PUT", f"/{bucket}")
            r = c.getresponse()
            r.read()
            check(r.status == 200, f"create bucket -> {r.status}")
            c.close()
            st = {"s3": {"bucket": bucket, "region": "us-east-1", "regionendpoint": endpoint, "accesskey": "test",
                         "secretkey": "test", "secure": False, "v4auth": True, "rootdirectory": "/registry",
                         "chunksize": 10 * MiB},
                  "delete": {"enabled": True}, "redirect": {"disable": True}}
            reg = RegistryProcess(target=target, config={}, env={"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
            reg.config["storage"] = st
            with open(reg.config_path, "w") as f:
                f.write(to_yaml(reg.config) + "\n")
            if target == "distribution":
                reg.env.pop("AWS_CA_BUNDLE", None)
            reg.start(timeout=30)
            srv = Server(target, reg, reg.host, (lambda r: lambda: r.proc.pid)(reg), reg.cleanup)
            srv.settle_idle()
            servers.append(srv)
        size = 4 * MiB if args.quick else args.s3_blob_mib * MiB
        rounds = 2 if args.quick else args.s3_rounds
        scenario_push(res, args, servers, sc, size, rounds, chunked=True)
        scenario_pull(res, args, servers, sc, size, rounds, clients_list=(1,), nginx=False)
        res.add(sc, "moto CPU total", {"moto": cpu_seconds(moto.pid)}, "CPU s", False)
    finally:
        for s in servers:
            s.stop()
        moto.terminate()
        moto.wait(10)


def scenario_clouds(res, args):
    """9: push/pull through S3 (moto), GCS (gcp-storage-emulator) and Azure (the fake), one run."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_clouds import scenario_clouds as run
    run(res, args, sys.modules[__name__])


def scenario_swift(res, args):
    """10: push/pull through OpenStack Swift (the SAIO), Wharf next to distribution, one run."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_swift import scenario_swift as run
    run(res, args, sys.modules[__name__])


SCENARIOS = {
    "manifest-get": scenario_manifest_get,
    "push": scenario_push,
    "pull": scenario_pull,
    "small-images": scenario_small,
    "lists": scenario_lists,
    "auth": scenario_auth,
    "h2": scenario_h2,
    "s3": scenario_s3,
    "clouds": scenario_clouds,
    "swift": scenario_swift,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="run only these (repeatable)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, short runs: a smoke test")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds for short scenarios")
    ap.add_argument("--big-rounds", type=int, default=3, help="rounds for the 256 MiB push/pull")
    ap.add_argument("--blob-mib", type=int, default=256)
    ap.add_argument("--s3-blob-mib", type=int, default=64)
    ap.add_argument("--s3-rounds", type=int, default=3)
    ap.add_argument("--wrk-seconds", type=int, default=8)
    ap.add_argument("--h2-requests", type=int, default=200000)
    ap.add_argument("--json", help="write all results here")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.big_rounds = min(args.rounds, 2), min(args.big_rounds, 2)
    check(os.access(os.environ["WHARF_BIN"], os.X_OK), f"no wharf binary at {os.environ['WHARF_BIN']}")
    print(f"wharf: {os.environ['WHARF_BIN']}; distribution: /usr/bin/docker-registry; rounds={args.rounds} "
          f"big-rounds={args.big_rounds}", flush=True)
    res = Results()
    failed = []
    for name in args.scenario or list(SCENARIOS):
        print(f"== {name}: {SCENARIOS[name].__doc__.strip().splitlines()[0]}", flush=True)
        t0 = time.time()
        try:
            SCENARIOS[name](res, args)
        except BenchFailure as e:
            print(f"  FAILED: {e}", flush=True)
            failed.append(name)
        print(f"  ({time.time() - t0:.0f}s)", flush=True)
    if args.json:
        res.dump(args.json)
    if failed:
        print("FAILED scenarios: " + ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
