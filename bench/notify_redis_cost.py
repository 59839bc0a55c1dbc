"""What notifications and the Redis blob descriptor cache cost or save, one wharf binary,
alternating variants within each round (robust to a loaded machine):

- manifest GET, server CPU per request: no notifications / an endpoint that takes events
  (a Python receiver: slower than the registry, so its queue fills and drops the oldest) /
  an endpoint that is down (backing off);
- blob HEAD on S3 (moto) through the registry: without a cache / with Redis (hits after the
  first), requests per second and server CPU per request.

usage: WHARF_BIN=.build/release/wharf python3 bench/notify_redis_cost.py [ROUNDS]"""
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
from harness import RegistryProcess  # noqa: E402
from notifyhelpers import EventReceiver, notifications_yaml  # noqa: E402
from ocihelpers import build_image, push_blob, push_manifest, OCI_MANIFEST  # noqa: E402
from redishelpers import RedisServer  # noqa: E402
from s3helpers import MotoServer, S3RegistryProcess  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3


def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url, seconds, headers=(), method=None):
    """(requests, req/s) of 8 connections for `seconds`: wrk for GET, ab -i for HEAD (wrk waits
    for a HEAD answer's body)."""
    if method == "HEAD":
        out = subprocess.run(["ab", "-i", "-k", "-c", "8", "-t", str(seconds), "-n", "10000000", url],
                             capture_output=True, text=True).stdout
        assert re.search(r"Non-2xx responses", out) is None and "Failed requests:        0" in out, out
        return int(re.search(r"Complete requests:\s+(\d+)", out).group(1)), float(re.search(r"Requests per second:\s+([\d.]+)", out).group(1))
    args = ["wrk", "-t1", "-c8", f"-d{seconds}s"]
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, text=True).stdout
    assert "Non-2xx" not in out, out
    return int(re.search(r"(\d+) requests in", out).group(1)), float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(reg, path, seconds=5, headers=(), method=None):
    url = f"http://{reg.host}{path}"
    wrk(url, 1, headers, method)
    c0 = cpu(reg.proc.pid)
    n, rps = wrk(url, seconds, headers, method)
    return (cpu(reg.proc.pid) - c0) / n * 1e6, rps


def manifest_variant(name, receiver_url):
    reg = RegistryProcess(config={"log": {"level": "error"}})
    if receiver_url:
        with open(reg.config_path, "a") as f:
            f.write(notifications_yaml([{"name": "bench", "url": receiver_url, "threshold": 3, "backoff": "1s"}]))
    reg.start()
    image = build_image(layers=1)
    for b in image.blobs:
        push_blob(reg, "bench/app", b)
    push_manifest(reg, "bench/app", "latest", image)
    try:
        return measure(reg, "/v2/bench/app/manifests/latest", headers=[f"Accept: {OCI_MANIFEST}"])
    finally:
        reg.cleanup()


def main():
    results = {}
    receiver = EventReceiver().start()
    down = EventReceiver()  # never started: connections refused
    variants = [("no notifications", None), ("endpoint up", receiver.url), ("endpoint down", down.url)]
    for rnd in range(ROUNDS):
        for name, url in (variants if rnd % 2 == 0 else variants[::-1]):
            results.setdefault(f"manifest GET, {name}", []).append(manifest_variant(name, url))
    receiver.stop()

    moto = MotoServer().start()
    redis = RedisServer().start()
    try:
        for rnd in range(ROUNDS):
            for cached in ((False, True) if rnd % 2 == 0 else (True, False)):
                extra = {"storage": {"cache": {"blobdescriptor": "redis"}}, "redis": {"addrs": [redis.addr]}} if cached else {}
                reg = S3RegistryProcess(moto.endpoint, moto.create_bucket(), redirect=False,
                                        storage=extra.get("storage"), config={"log": {"level": "error"}, **({"redis": extra["redis"]} if cached else {})})
                reg.start()
                try:
                    blob = build_image(layers=1).blobs[1]
                    push_blob(reg, "bench/s3", blob)
                    key = "blob HEAD on S3, " + ("Redis cache" if cached else "no cache")
                    results.setdefault(key, []).append(measure(reg, f"/v2/bench/s3/blobs/{blob.digest}", seconds=4, method="HEAD"))
                finally:
                    reg.cleanup()
    finally:
        redis.cleanup()
        moto.stop()

    print(f"{'variant':45} {'CPU µs/request (median)':>24} {'req/s (median)':>16}")
    for name, runs in results.items():
        print(f"{name:45} {statistics.median(r[0] for r in runs):24.1f} {statistics.median(r[1] for r in runs):16.0f}"
              f"   rounds: {', '.join(f'{c:.0f}µs/{r:.0f}' for c, r in runs)}")


if __name__ == "__main__":
    main()
