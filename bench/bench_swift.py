"""Scenario 10 of bench.py: push and pull through OpenStack Swift, Wharf next to distribution
2.8.2 (Debian `docker-registry`) on the same SAIO (`conformance/swifthelpers.py`: Debian's
swift 2.30, tempauth v1, one proxy worker, one object server), in one run. Each registry has
its own container; redirects are off, so the registry carries every byte. The SAIO is Python
on the same two cores and bounds the MB/s: its CPU (all its processes, from /proc) is
measured around each registry's runs, and the Swift requests each registry sent are counted
from the proxy's log. An SAIO already answering is reused and left running."""
import json
import os
import shutil
import tempfile
import time
import urllib.parse

from bench_clouds import _registry
from swifthelpers import AUTH_URL, KEY, STATE, USER, SwiftSAIO, swift_config

MiB = 1024 * 1024
CHUNK = 8 * MiB  # segment size of both registries (distribution's default is 20 MiB, as Wharf's)


def saio_pids():
    """{pid: component} of the SAIO's processes: the swift servers on its config, and memcached."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        words = [a.decode("utf-8", "replace") for a in argv if a]
        conf = [w for w in words if w.startswith(os.path.join(STATE, "etc"))]
        if conf and any(os.path.basename(w).startswith("swift-") for w in words):
            out[int(d)] = os.path.basename(conf[0]).split("-")[0]  # proxy, object, container, account
        elif words and os.path.basename(words[0]) == "memcached" and "9314" in words:
            out[int(d)] = "memcached"
    return out


def saio_cpu(bench, pids):
    """{component: CPU seconds} over `pids` (a process gone since is left out)."""
    out = {}
    for pid, comp in pids.items():
        try:
            out[comp] = out.get(comp, 0.0) + bench.cpu_seconds(pid)
        except OSError:
            pass
    return out


def proxy_requests(offset, names):
    """{registry: {method: count}} of client requests (not the proxy's own subrequests) in the
    proxy log after `offset`, by container (`names`: registry -> container). Requests on the
    account itself (bulk delete) go by User-Agent: distribution's says so, Wharf sends none.
    "other" counts everyone else's (this script's cleanup, another session's tests on the
    same SAIO: those would show in the SAIO's CPU too)."""
    counts = {k: {} for k in names}
    counts["other"] = {}
    with open(os.path.join(STATE, "log", "proxy.log"), "rb") as f:
        f.seek(offset)
        for raw in f:
            words = raw.decode("utf-8", "replace").split()
            if len(words) < 10 or words[0] != "proxy-server:" or words[1] == "-":
                continue
            method, path, agent = words[4], urllib.parse.unquote(words[5]), words[9]
            if path.startswith("/auth/"):
                continue
            container = path.split("?")[0][len("/v1/AUTH_test/"):].split("/")[0] if path.startswith("/v1/AUTH_test/") else None
            if container is None and path.startswith("/v1/AUTH_test?"):
                k = "distribution" if agent.startswith("distribution/") else "wharf" if agent == "-" else "other"
            else:
                k = next((k for k, c in names.items() if c == container), "other")
            counts[k][method] = counts[k].get(method, 0) + 1
    return counts


def proxy_log_size():
    return os.path.getsize(os.path.join(STATE, "log", "proxy.log"))


def delete_container(saio, container):
    """Empties and deletes a bench container (segments live in it too)."""
    while True:
        st, _, body = saio.request("GET", f"/{container}?format=json&limit=1000")
        if st == 404:
            return
        names = [o["name"] for o in json.loads(body or b"[]")]
        if not names:
            break
        for n in names:
            saio.request("DELETE", f"/{container}/{urllib.parse.quote(n)}")
    saio.request("DELETE", f"/{container}")


def keep_log(srv, logdir):
    """Makes `srv.stop()` first copy the registry's log (its temp dir goes at stop) to `logdir`."""
    path, stop = os.path.join(logdir, srv.name + ".log"), srv.stop_fn

    def copy_then_stop():
        if os.path.exists(srv.owner.log_path):
            shutil.copyfile(srv.owner.log_path, path)
        stop()
    srv.stop_fn = copy_then_stop
    return srv


def scenario_swift(res, args, bench):
    """10: push/pull through Swift (the SAIO), Wharf and distribution, one run."""
    sc = "10 Swift (SAIO)"
    saio = SwiftSAIO().start()
    pids = saio_pids()
    bench.check(any(c == "proxy" for c in pids.values()), "no SAIO proxy process found")
    logdir = tempfile.mkdtemp(prefix="bench-swift-logs-")
    names = {"wharf": "wharf-bench-" + SwiftSAIO.new_container()[6:], "distribution": "dist-bench-" + SwiftSAIO.new_container()[6:]}
    servers = []
    try:
        print(f"  [{sc}] registry logs: {logdir}", flush=True)
        servers.append(keep_log(_registry(bench, "wharf", "wharf",
                                          {"swift": swift_config(names["wharf"], chunksize=CHUNK, authversion=1)}), logdir))
        servers.append(keep_log(_registry(bench, "distribution", "distribution",
                                          {"swift": {"authurl": AUTH_URL, "username": USER, "password": KEY, "authversion": 1,
                                                     "container": names["distribution"], "prefix": "/registry",
                                                     "chunksize": CHUNK}}), logdir))
        size = 4 * MiB if args.quick else args.s3_blob_mib * MiB
        rounds = 2 if args.quick else args.s3_rounds
        peer = lambda: sum(saio_cpu(bench, pids).values())  # noqa: E731
        cpu0, off0 = saio_cpu(bench, pids), proxy_log_size()
        bench.scenario_push(res, args, servers, sc, size, rounds, chunked=True, peer_cpu=peer)
        time.sleep(1)  # the proxy's log lines of the last requests
        off1 = proxy_log_size()
        push_reqs = proxy_requests(off0, names)
        res.add(sc, "peak RSS (VmHWM) after the pushes", {s.name: s.hwm() / 1024 for s in servers}, "MiB", False)
        bench.scenario_pull(res, args, servers, sc, size, rounds, clients_list=(1,), nginx=False, peer_cpu=peer)
        time.sleep(1)
        pull_reqs = proxy_requests(off1, names)
        cpu1 = saio_cpu(bench, pids)
        res.add(sc, "SAIO CPU total over the scenario", {k: cpu1.get(k, 0) - v for k, v in cpu0.items()}, "CPU s", False)
        res.add(sc, f"Swift requests per pushed blob ({2 * rounds} pushes)",
                {k: sum(push_reqs[k].values()) / (2 * rounds) for k in names}, "requests", False)
        res.add(sc, f"Swift requests, pull phase (1 push + {rounds} pulls)",
                {k: sum(pull_reqs[k].values()) for k in names}, "requests", False)
        print(f"  [{sc}] other clients' Swift requests: push phase {push_reqs['other']}, pull phase {pull_reqs['other']}", flush=True)
        for k in names:
            print(f"  [{sc}] {k} Swift requests by method: push phase {push_reqs[k]}, pull phase {pull_reqs[k]}", flush=True)
    finally:
        for s in servers:
            s.stop()
        for c in names.values():
            delete_container(saio, c)
        saio.stop()  # only when this run started it
