"""A 1 GiB layer filled through the pull-through cache with the server's memory bounded:
the upstream's bytes stream to the client and to storage, never held whole."""
import hashlib
import http.client
import os
import time

import pytest

from harness import vm_hwm_kib
from ocihelpers import start_upload, with_query
from pullthroughhelpers import METRICS_CONFIG, scratch, start_mirror, start_upstream, upstream_gets

pytestmark = [pytest.mark.wharf_only, pytest.mark.slow]

MIB = 1 << 20
TOTAL_MIB = 1024


def blocks(base):
    for i in range(TOTAL_MIB):
        yield i.to_bytes(8, "big") + base[8:]


def test_1gib_layer_streams_through_in_bounded_memory():
    with scratch("wharf-pullthrough-large-") as (tmp, stack):
        upstream, _ = start_upstream(os.path.join(tmp, "upstream"), tls=False, htpasswd=False)
        stack.callback(upstream.cleanup)
        base = os.urandom(MIB)
        hasher = hashlib.sha256()
        for b in blocks(base):
            hasher.update(b)
        digest = "sha256:" + hasher.hexdigest()
        loc = start_upload(upstream, "big/layer")
        conn = http.client.HTTPConnection("127.0.0.1", upstream.port, timeout=300)
        conn.request("PUT", with_query(loc, digest=digest), body=blocks(base), encode_chunked=True,
                     headers={"Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        assert resp.status == 201, resp.read()
        conn.close()

        mirror = start_mirror(upstream.url, credentials=False, extra=METRICS_CONFIG)
        stack.callback(mirror.cleanup)
        pid = mirror.proc.pid
        before = vm_hwm_kib(pid)
        conn = mirror.connection(300)
        conn.request("GET", f"/v2/big/layer/blobs/{digest}")
        resp = conn.getresponse()
        assert resp.status == 200
        back, n, peak = hashlib.sha256(), 0, 0
        while True:
            chunk = resp.read(MIB)
            if not chunk:
                break
            back.update(chunk)
            n += len(chunk)
            if n % (64 * MIB) == 0:
                peak = max(peak, vm_hwm_kib(pid))
        conn.close()
        assert n == TOTAL_MIB * MIB and "sha256:" + back.hexdigest() == digest
        peak = max(peak, vm_hwm_kib(pid))
        assert peak < before + 96 * 1024, f"server RSS peaked at {peak} KiB (at start {before} KiB)"
        assert upstream_gets(upstream, "big/layer", digest) == 1
        # committed (the client may have its last byte a moment before the commit)
        stored = os.path.join(mirror.storage_dir, "docker/registry/v2/blobs/sha256", digest[7:9], digest[7:], "data")
        deadline = time.time() + 60
        while not os.path.exists(stored) and time.time() < deadline:
            time.sleep(0.1)
        assert os.path.getsize(stored) == TOTAL_MIB * MIB
        print(f"pull-through 1 GiB: server VmHWM {before} KiB at start, {peak} KiB peak")
