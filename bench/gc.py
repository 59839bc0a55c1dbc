#!/usr/bin/env python3
"""GC bench: `wharf garbage-collect` vs distribution 2.8.2's `registry garbage-collect` on
the same generated registry (default 10,000 blobs, 1,000 manifests), on the filesystem
and on S3 (moto_server): wall time, blobs deleted, and (S3) requests by kind (GetObject,
List, HEAD, DeleteObjects, ...), counted by conformance's CountingS3Proxy in front of moto.
Every run starts from a fresh copy of the same layout.

    python3 bench/gc.py [--blobs 10000] [--manifests 1000] [--rounds 2] [--skip-s3] [--skip-fs]
                        [--tools wharf,distribution]

Layout: 20 repositories; each manifest has a config, 2 layers from a shared pool of 500
and 2 layers of its own, one tag, `_layers` links for all; the rest of the blobs are
orphans. Blobs are 128 random bytes: GC cost is metadata, not bytes.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
from harness import to_yaml  # noqa: E402
from s3helpers import CountingS3Proxy, MotoServer  # noqa: E402

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layout(blobs, manifests):
    """{relative path under docker/registry/v2: bytes}."""
    files = {}
    rng = os.urandom

    def blob(data):
        d = sha(data)
        h = d.split(":")[1]
        files[f"blobs/sha256/{h[:2]}/{h}/data"] = data
        return d

    def link(path, digest):
        files[path] = digest.encode()

    shared = [blob(rng(128)) for _ in range(500)]
    count = len(shared)
    for i in range(manifests):
        repo = f"bench/r{i % 20}"
        config = blob(json.dumps({"architecture": "amd64", "os": "linux", "n": rng(8).hex(),
                                  "rootfs": {"type": "layers", "diff_ids": []}}).encode())
        layers = [shared[(i * 7) % 500], shared[(i * 13 + 1) % 500], blob(rng(128)), blob(rng(128))]
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 100},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": l, "size": 128}
                                      for l in layers]}).encode()
        m = blob(body)
        count += 4
        base = f"repositories/{repo}"
        for d in [config] + layers:
            link(f"{base}/_layers/sha256/{d.split(':')[1]}/link", d)
        link(f"{base}/_manifests/revisions/sha256/{m.split(':')[1]}/link", m)
        link(f"{base}/_manifests/tags/t{i}/current/link", m)
        link(f"{base}/_manifests/tags/t{i}/index/sha256/{m.split(':')[1]}/link", m)
    while count < blobs:
        blob(rng(128))
        count += 1
    return files


def write_tree(files, root):
    v2 = os.path.join(root, "docker/registry/v2")
    for rel, data in files.items():
        path = os.path.join(v2, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def blob_count_fs(root):
    n = 0
    for _, _, fs in os.walk(os.path.join(root, "docker/registry/v2/blobs")):
        n += "data" in fs
    return n


def upload_s3(moto, bucket, files):
    def put(item):
        rel, data = item
        status, body = moto.request("PUT", f"/{bucket}/registry/docker/registry/v2/{rel}", body=data)
        assert status == 200, (rel, status, body[:200])
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put, files.items()))


def s3_blob_count(moto, bucket):
    import re
    import urllib.parse
    n, token = 0, None
    while True:
        q = {"list-type": "2", "prefix": "registry/docker/registry/v2/blobs/"}
        if token:
            q["continuation-token"] = token
        status, body = moto.request("GET", f"/{bucket}?" + urllib.parse.urlencode(q))
        text = body.decode()
        n += len(re.findall(r"<Key>[^<]*/data</Key>", text))
        found = re.search(r"<NextContinuationToken>([^<]*)</NextContinuationToken>", text)
        if not found:
            return n
        token = found.group(1)


def config_file(directory, storage):
    path = os.path.join(directory, "config.yml")
    with open(path, "w") as f:
        f.write(to_yaml({"version": 0.1, "storage": storage}) + "\n")
    return path


def run_tool(tool, config):
    cmd = [os.environ.get("WHARF_BIN", os.path.join(HERE, "..", ".build/release/wharf")), "garbage-collect", config] \
        if tool == "wharf" else ["docker-registry", "garbage-collect", config]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, timeout=3600)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, (tool, proc.stdout[-2000:], proc.stderr[-2000:])
    return seconds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--blobs", type=int, default=10000)
    ap.add_argument("--manifests", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--skip-s3", action="store_true")
    ap.add_argument("--skip-fs", action="store_true")
    ap.add_argument("--tools", default="wharf,distribution")
    args = ap.parse_args()
    files = layout(args.blobs, args.manifests)
    total = sum(1 for k in files if k.endswith("/data"))
    print(f"layout: {total} blobs, {args.manifests} manifests, {len(files)} files")
    tmp = tempfile.mkdtemp(prefix="wharf-gc-bench-")
    results = {}
    tools = args.tools.split(",")
    try:
        src = os.path.join(tmp, "src")
        write_tree(files, src)
        for r in range(0 if args.skip_fs else args.rounds):
            for tool in tools:
                root = os.path.join(tmp, f"{tool}-{r}")
                shutil.copytree(src, root)
                seconds = run_tool(tool, config_file(root, {"filesystem": {"rootdirectory": root}}))
                deleted = total - blob_count_fs(root)
                results.setdefault(("filesystem", tool), []).append((seconds, deleted, {}))
                print(f"filesystem {tool}: {seconds:.2f}s, {deleted} blobs deleted", flush=True)
                shutil.rmtree(root)
        if not args.skip_s3:
            moto = MotoServer().start()
            proxy = CountingS3Proxy(moto.port).start()
            try:
                for tool in tools:
                    bucket = moto.create_bucket()
                    upload_s3(moto, bucket, files)
                    proxy.requests.clear()
                    s3 = {"bucket": bucket, "region": "us-east-1", "regionendpoint": f"http://127.0.0.1:{proxy.port}",
                          "accesskey": "test", "secretkey": "test", "rootdirectory": "/registry", "secure": False}
                    seconds = run_tool(tool, config_file(os.path.join(tmp), {"s3": s3}))
                    deleted = total - s3_blob_count(moto, bucket)
                    counts = dict(proxy.requests)
                    results.setdefault(("s3", tool), []).append((seconds, deleted, counts))
                    print(f"s3 {tool}: {seconds:.2f}s, {deleted} blobs deleted, requests {counts}", flush=True)
            finally:
                proxy.stop()
                moto.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n| storage | tool | time (median) | blobs deleted | requests |\n|---|---|---|---|---|")
    for (storage, tool), runs in results.items():
        med = statistics.median(s for s, _, _ in runs)
        reqs = runs[-1][2]
        text = ", ".join(f"{k} {v}" for k, v in sorted(reqs.items())) + f" (total {sum(reqs.values())})" if reqs else "—"
        print(f"| {storage} | {tool} | {med:.2f} s | {runs[-1][1]} | {text} |")


if __name__ == "__main__":
    main()
