"""openshift.requests.*: writes beyond maxrunning wait in a FIFO queue of maxinqueue for
maxwaitinqueue, then get 429 with Retry-After: 1; reads have their own limits."""
import socket
import threading
import time

import pytest

from harness import RegistryProcess
from ocihelpers import start_upload

pytestmark = pytest.mark.wharf_only


def limited(env):
    return RegistryProcess(env=env).start()


def hold_write_slot(registry, name):
    """Starts a PATCH whose body never finishes: its handler holds the write slot until
    the returned socket is closed."""
    loc = start_upload(registry, name)
    s = socket.create_connection(("127.0.0.1", registry.port))
    s.sendall((f"PATCH {loc} HTTP/1.1\r\nHost: {registry.host}\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: 100000\r\n\r\n").encode() + b"x" * 10)
    time.sleep(0.3)
    return s


def post(registry, name, results, index):
    status, hdrs, body = registry.request("POST", f"/v2/{name}/blobs/uploads/", body=b"",
                                          headers={"Content-Length": "0"}, timeout=30)
    results[index] = (status, hdrs, body, time.time())


def test_queue_full_and_wait_expired_get_429():
    r = limited({"REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXRUNNING": "1",
                 "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXINQUEUE": "1",
                 "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXWAITINQUEUE": "3s"})
    try:
        holder = hold_write_slot(r, "ops/limits")
        n = 8
        results = [None] * n
        started = time.time()
        threads = [threading.Thread(target=post, args=(r, "ops/limits", results, i)) for i in range(n)]
        for t in threads:
            t.start()
        # Reads are not limited by the write limiter.
        assert r.request("GET", "/v2/")[0] == 200
        for t in threads:
            t.join()
        statuses = [res[0] for res in results]
        assert statuses.count(429) == n, statuses
        for status, hdrs, body, _ in results:
            assert hdrs.get("retry-after") == "1"
            assert body == b"Too many requests, please try again later.\n"
        # Exactly one waited in the queue until its wait (3 s) expired; the others were refused
        # at once (the margin is wide so that a loaded machine cannot blur the two).
        waits = sorted(res[3] - started for res in results)
        assert waits[-1] >= 2.9, waits
        assert waits[-2] < 2.0, waits
        holder.close()
        time.sleep(0.3)
        status, _, _ = r.request("POST", "/v2/ops/limits/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 202
    finally:
        r.cleanup()


def test_queued_requests_run_when_the_slot_frees():
    r = limited({"REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXRUNNING": "1",
                 "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXINQUEUE": "4",
                 "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXWAITINQUEUE": "0"})
    try:
        holder = hold_write_slot(r, "ops/queue")
        results = [None] * 6
        threads = [threading.Thread(target=post, args=(r, "ops/queue", results, i)) for i in range(6)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        time.sleep(0.5)
        holder.close()
        for t in threads:
            t.join()
        statuses = sorted(res[0] for res in results)
        # Four waited (no deadline) and ran once the slot was freed; two found the queue full.
        assert statuses == [202, 202, 202, 202, 429, 429], statuses
    finally:
        r.cleanup()


def test_reads_and_writes_are_limited_separately():
    r = limited({"REGISTRY_OPENSHIFT_REQUESTS_READ_MAXRUNNING": "1",
                 "REGISTRY_OPENSHIFT_REQUESTS_WRITE_MAXRUNNING": "1"})
    try:
        holder = hold_write_slot(r, "ops/reads")
        # The write slot is taken and no queue is configured: a write is refused at once,
        # while GET, HEAD and OPTIONS use the read slot.
        status, hdrs, _ = r.request("POST", "/v2/ops/reads/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 429 and hdrs.get("retry-after") == "1"
        for method in ["GET", "HEAD", "GET"]:
            assert r.request(method, "/v2/")[0] == 200
        assert r.request("OPTIONS", "/v2/")[0] != 429
        holder.close()
    finally:
        r.cleanup()


def test_invalid_limit_refuses_to_start():
    r = RegistryProcess(env={"REGISTRY_OPENSHIFT_REQUESTS_READ_MAXRUNNING": "lots"})
    try:
        with pytest.raises(RuntimeError, match="maxrunning"):
            r.start()
        assert r.proc.returncode == 2
    finally:
        r.cleanup()
