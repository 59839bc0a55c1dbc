"""HTTP/2 streams stalled at a zero flow-control window release their files when the client
goes away (issue 22): EOF resets every stream of the connection at once."""
import os
import time

import pytest

from harness import RegistryProcess, sha256
from h2client import HEADERS, RST_STREAM, RawH2
from ocihelpers import push_blob, random_bytes

pytestmark = pytest.mark.wharf_only

NAME = "h2/release"
SETTINGS_INITIAL_WINDOW_SIZE = 4


def open_descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_zero_window_streams_release_their_files_when_the_client_closes():
    r = RegistryProcess().start()
    try:
        blob = random_bytes(4 << 20)
        push_blob(r, NAME, blob)
        path = f"/v2/{NAME}/blobs/{sha256(blob)}"
        pid = r.proc.pid
        time.sleep(0.3)
        baseline = open_descriptors(pid)
        conns = []
        for _ in range(10):
            c = RawH2(r.port, settings=((SETTINGS_INITIAL_WINDOW_SIZE, 0),))
            for i in range(50):
                c.request(1 + 2 * i, "GET", path)
            conns.append(c)
        # Every stream has its blob open, waiting for a window that never comes.
        assert wait_for(lambda: open_descriptors(pid) >= baseline + 10 * 50, 10), \
            (baseline, open_descriptors(pid))
        # Read what the server sent (settings, response heads) so that closing sends a clean
        # FIN, not a reset: the server sees end of input with every stream still waiting.
        for c in conns:
            seen = set()
            while len(seen) < 50:
                f = c.next_frame(5)
                assert f is not None
                if f[0] == HEADERS:
                    seen.add(f[2])
            c.send(b"")
        time.sleep(0.1)
        for c in conns:
            c.close()
        assert wait_for(lambda: open_descriptors(pid) <= baseline + 2, 1.0), (baseline, open_descriptors(pid))
        # Still serving.
        c = RawH2(r.port)
        c.request(1)
        assert c.response(1)[0] == 200
        c.close()
    finally:
        r.cleanup()


def test_a_stream_waiting_on_the_window_is_reset_after_flowcontroltimeout():
    r = RegistryProcess(config={"http": {"http2": {"flowcontroltimeout": "1s"}, "limits": {"iotimeout": "300s"}}}).start()
    try:
        blob = random_bytes(1 << 20)
        push_blob(r, NAME, blob)
        c = RawH2(r.port, settings=((SETTINGS_INITIAL_WINDOW_SIZE, 0),))
        t0 = time.monotonic()
        c.request(1, "GET", f"/v2/{NAME}/blobs/{sha256(blob)}")
        assert c.reset_of(1, timeout=10) == "CANCEL"
        assert time.monotonic() - t0 < 5
        c.close()
    finally:
        r.cleanup()


class LimitedRegistry(RegistryProcess):
    """A registry started with a small open-file limit (prlimit), so the budget is reachable."""

    def __init__(self, nofile, **kw):
        super().__init__(**kw)
        self.nofile = nofile

    def command(self):
        return ["prlimit", f"--nofile={self.nofile}:{self.nofile}", "--"] + super().command()


def test_streams_near_the_open_file_limit_are_refused_not_failed():
    """With 300 descriptors, three connections each open 100 zero-window blob streams: the
    streams that do not fit get REFUSED_STREAM (the client may retry them), none gets a 500
    from EMFILE, and a new client still downloads the blob."""
    r = LimitedRegistry(300).start()
    try:
        blob = random_bytes(1 << 20)
        push_blob(r, NAME, blob)
        path = f"/v2/{NAME}/blobs/{sha256(blob)}"
        conns, statuses, refused = [], [], 0
        for _ in range(3):
            c = RawH2(r.port, settings=((SETTINGS_INITIAL_WINDOW_SIZE, 0),))
            for i in range(100):
                c.request(1 + 2 * i, "GET", path)
            conns.append(c)
        for c in conns:
            answered = set()
            while len(answered) < 100:
                f = c.next_frame(10)
                assert f is not None, f"connection closed after {len(answered)} answers"
                ftype, _, sid, payload = f
                if ftype == HEADERS and sid not in answered:
                    statuses.append(dict(c.decoder.decode(payload))[":status"])
                    answered.add(sid)
                elif ftype == RST_STREAM and sid not in answered:
                    code = int.from_bytes(payload[:4], "big")
                    assert code == 7, f"stream {sid} reset with {code}"
                    refused += 1
                    answered.add(sid)
        assert statuses and set(statuses) == {"200"}, sorted(set(statuses))
        assert refused > 0, "every stream fitted: the budget was not reached"
        # A new client is served while the stalled streams hold their files.
        status, _, body = r.request("GET", path)
        assert status == 200 and body == blob
        assert b"Too many open files" not in open(r.log_path, "rb").read()
        for c in conns:
            c.close()
    finally:
        r.cleanup()
