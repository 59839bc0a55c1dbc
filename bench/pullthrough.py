#!/usr/bin/env python3
"""Pull-through bench: a cold and a warm pull of a 256 MiB image (four 64 MiB layers)
through Wharf and through docker-registry 2.8.2 in proxy mode, both mirroring the same
plain docker-registry upstream on loopback. Rounds alternate Wharf, distribution, ...;
each cold pull starts the mirror on empty storage. A pull is what a client does: the
manifest by tag, then the config and the layers, 4 at a time. Reports MB/s, the mirror's
CPU seconds per GB, its peak RSS, and the upstream GETs per layer (single flight).

    WHARF_BIN=.build/release/wharf python3 bench/pullthrough.py [--rounds 3] [--layer-mib 64]
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
os.environ.setdefault("WHARF_BIN", os.path.join(HERE, "..", ".build", "release", "wharf"))

from harness import RegistryProcess  # noqa: E402

MIB = 1 << 20
LAYER = "application/vnd.oci.image.layer.v1.tar"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put_blob(reg, repo, data):
    st, h, body = reg.request("POST", f"/v2/{repo}/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
    assert st == 202, body
    loc = h["location"]
    loc = loc[loc.index("/v2/"):]
    sep = "&" if "?" in loc else "?"
    st, _, body = reg.request("PUT", f"{loc}{sep}digest={sha(data)}", body=data,
                              headers={"Content-Type": "application/octet-stream"}, timeout=300)
    assert st == 201, body
    return {"mediaType": LAYER, "digest": sha(data), "size": len(data)}


def seed(upstream, layers, layer_mib):
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    descs = [put_blob(upstream, "bench/big", os.urandom(layer_mib * MIB)) for _ in range(layers)]
    cfg = put_blob(upstream, "bench/big", config)
    cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cfg, "layers": descs}).encode()
    st, _, body = upstream.request("PUT", "/v2/bench/big/manifests/v1", body=manifest,
                                   headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert st == 201, body
    return [cfg] + descs


def fetch_blob(reg, digest):
    conn = http.client.HTTPConnection("127.0.0.1", reg.port, timeout=600)
    conn.request("GET", f"/v2/bench/big/blobs/{digest}")
    resp = conn.getresponse()
    assert resp.status == 200, resp.status
    n = 0
    while True:
        chunk = resp.read(MIB)
        if not chunk:
            break
        n += len(chunk)
    conn.close()
    return n


def pull(reg, blobs):
    t0 = time.monotonic()
    st, _, body = reg.request("GET", "/v2/bench/big/manifests/v1",
                              headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert st == 200, body
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sizes = list(pool.map(lambda d: fetch_blob(reg, d["digest"]), blobs))
    assert sizes == [d["size"] for d in blobs], sizes
    return time.monotonic() - t0, sum(sizes)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def upstream_gets(upstream, digest):
    return upstream.read_log().count(f"GET /v2/bench/big/blobs/{digest} HTTP")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--layer-mib", type=int, default=64)
    ap.add_argument("--json")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="wharf-bench-pt-")
    upstream = RegistryProcess(target="distribution", storage_dir=os.path.join(tmp, "upstream")).start()
    results = {"wharf": {"cold": [], "warm": []}, "distribution": {"cold": [], "warm": []}}
    try:
        blobs = seed(upstream, args.layers, args.layer_mib)
        for r in range(args.rounds):
            for target in ("wharf", "distribution"):
                mirror = RegistryProcess(target=target, storage_dir=os.path.join(tmp, f"{target}-{r}"),
                                         config={"proxy": {"remoteurl": upstream.url}}).start()
                try:
                    before = {d["digest"]: upstream_gets(upstream, d["digest"]) for d in blobs}
                    for kind in ("cold", "warm"):
                        cpu0 = cpu_seconds(mirror.proc.pid)
                        seconds, total = pull(mirror, blobs)
                        cpu = cpu_seconds(mirror.proc.pid) - cpu0
                        results[target][kind].append({"seconds": seconds, "mb_s": total / 1e6 / seconds,
                                                      "cpu_s_per_gb": cpu / (total / 1e9)})
                    gets = [upstream_gets(upstream, d["digest"]) - before[d["digest"]] for d in blobs]
                    results[target]["warm"][-1]["upstream_gets_per_blob"] = max(gets)
                    results[target]["cold"][-1]["peak_rss_mib"] = vm_hwm_mib(mirror.proc.pid)
                    print(f"round {r + 1} {target}: " + ", ".join(
                        f"{k} {results[target][k][-1]['mb_s']:.0f} MB/s" for k in ("cold", "warm")), flush=True)
                finally:
                    mirror.cleanup()
    finally:
        upstream.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    def med(target, kind, key):
        return statistics.median(x[key] for x in results[target][kind] if key in x)
    size = args.layers * args.layer_mib
    print(f"\n| pull of a {size} MiB image | Wharf | distribution 2.8.2 proxy | Wharf ÷ distribution |")
    print("|---|---|---|---|")
    for kind in ("cold", "warm"):
        w, d = med("wharf", kind, "mb_s"), med("distribution", kind, "mb_s")
        print(f"| {kind}, MB/s (median of {args.rounds}) | {w:.0f} | {d:.0f} | {w / d:.2f}× |")
        w, d = med("wharf", kind, "cpu_s_per_gb"), med("distribution", kind, "cpu_s_per_gb")
        print(f"| {kind}, mirror CPU s/GB | {w:.2f} | {d:.2f} | {w / d:.2f}× |")
    w, d = med("wharf", "cold", "peak_rss_mib"), med("distribution", "cold", "peak_rss_mib")
    print(f"| mirror peak RSS, MiB | {w:.0f} | {d:.0f} | {w / d:.2f}× |")
    w, d = med("wharf", "warm", "upstream_gets_per_blob"), med("distribution", "warm", "upstream_gets_per_blob")
    print(f"| upstream GETs per blob, cold + warm pull | {w:.0f} | {d:.0f} | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
