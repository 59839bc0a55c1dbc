"""The access log tells the truth (issue 21): the line is written when the response has
finished or failed, with the body bytes actually written, the real duration and how it
ended (complete / client gone / error), on HTTP/1.1 and HTTP/2; the response-size and
duration metrics follow the same numbers."""
import base64
import json
import re
import struct
import subprocess
import time

import pytest

from authhelpers import hash_password
from harness import RegistryProcess, sha256
from h2client import DATA, HEADERS, RST_STREAM, RawH2, frame, window_update
from ocihelpers import push_blob, random_bytes

pytestmark = pytest.mark.wharf_only

NAME = "ops/accesslog"
METRICS_SECRET = "access-log-metrics-secret"
FIELD = re.compile(r'(\S+?)=("(?:[^"\\]|\\.)*"|\S+)')


def start(formatter="text"):
    return RegistryProcess(config={"log": {"level": "info", "formatter": formatter},
                                   "openshift": {"metrics": {"enabled": True, "secret": METRICS_SECRET}}}).start()


def pushed_blob(r, size):
    """A blob of `size` random bytes pushed to NAME: (its bytes, its GET path)."""
    blob = push_blob(r, NAME, random_bytes(size))
    return blob, f"/v2/{NAME}/blobs/{sha256(blob)}"


def access_lines(log, path):
    """The access lines of requests to `path`, as dicts of their fields."""
    out = []
    for line in log.splitlines():
        if 'msg="response completed"' not in line:
            continue
        fields = {k: (v[1:-1] if v.startswith('"') else v) for k, v in FIELD.findall(line)}
        if fields.get("http.request.uri") == path:
            out.append(fields)
    return out


def seconds(duration):
    assert duration.endswith("s"), duration
    return float(duration[:-1])


def socket_buffers():
    """The most a TCP connection's send and receive buffers may hold together on this machine."""
    def most(name):
        with open(f"/proc/sys/net/ipv4/{name}") as f:
            return int(f.read().split()[2])
    return most("tcp_wmem") + most("tcp_rmem")


def curl(url, *args):
    """Runs curl; returns (size downloaded, seconds taken) as curl measured them."""
    result = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", *args, url],
                            capture_output=True, text=True, timeout=60)
    size, total = result.stdout.split()
    return int(size), float(total)


def metric_sum(r, name):
    status, _, body = r.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {METRICS_SECRET}"})
    assert status == 200
    match = re.search(rf"^{name}_sum (\S+)$", body.decode(), re.M)
    return float(match.group(1)) if match else 0.0


def test_slow_download_logs_its_real_duration_and_every_byte():
    r = start()
    try:
        blob, path = pushed_blob(r, 64 << 20)
        rate = 16 << 20
        size, took = curl(r.url + path, "--limit-rate", str(rate))
        assert size == len(blob)
        r.stop()
        [line] = access_lines(r.read_log(), path)
        assert line["http.response.status"] == "200"
        assert line["http.response.written"] == str(len(blob))
        assert line["http.response.ending"] == "complete"
        # The kernel's socket buffers (the most they may grow to, on both sides) took bytes
        # ahead of curl; the rest left at curl's pace, and the line covers that time.
        assert seconds(line["http.response.duration"]) >= (len(blob) - socket_buffers()) / rate, (line, took)
        assert seconds(line["http.response.duration"]) <= took
    finally:
        r.cleanup()


def test_aborted_download_logs_the_bytes_really_sent_and_client_gone():
    r = start()
    try:
        blob, path = pushed_blob(r, 64 << 20)
        before = metric_sum(r, "imageregistry_http_response_size_bytes")
        got, _ = curl(r.url + path, "--limit-rate", str(2 << 20), "--max-time", "1")
        assert 0 < got < len(blob)
        # The server notices at its next write; the line is written then.
        deadline = time.time() + 10
        while time.time() < deadline and not access_lines(r.read_log(), path):
            time.sleep(0.1)
        after = metric_sum(r, "imageregistry_http_response_size_bytes")
        r.stop()
        [line] = access_lines(r.read_log(), path)
        written = int(line["http.response.written"])
        assert line["http.response.status"] == "200"
        assert line["http.response.ending"] == "client gone"
        assert got <= written < len(blob) // 2, (got, line)
        # The response-size metric counts the same bytes (plus the first scrape's body).
        assert written <= after - before < written + (1 << 20)
    finally:
        r.cleanup()


def test_head_logs_no_body_bytes():
    r = start(formatter="json")
    try:
        blob, path = pushed_blob(r, 100_000)
        status, headers, _ = r.request("HEAD", path)
        assert status == 200 and headers["content-length"] == str(len(blob))
        r.stop()
        lines = [json.loads(l) for l in r.read_log().splitlines() if l.startswith("{") and '"response completed"' in l]
        [head] = [l for l in lines if l["http.request.uri"] == path and l["http.request.method"] == "HEAD"]
        assert head["http.response.written"] == 0 and head["http.response.status"] == 200
        assert isinstance(head["http.response.duration"], float)
        assert head["http.response.ending"] == "complete"
    finally:
        r.cleanup()


def test_http2_stream_reset_mid_body_logs_the_bytes_sent_and_client_gone():
    r = start()
    try:
        blob, path = pushed_blob(r, 4 << 20)
        c = RawH2(r.port)
        # Plenty of connection window: the stream's own window is what bounds the server.
        c.send(window_update(0, 16 << 20))
        c.request(1, "GET", path)
        received = 0
        while received < 300_000:
            f = c.next_frame(10)
            assert f is not None
            ftype, _, sid, payload = f
            if ftype == HEADERS:
                c.decoder.decode(payload)  # keeps the HPACK table in step
            if ftype == DATA and sid == 1:
                received += len(payload)
                c.send(window_update(1, len(payload)))
        c.send(frame(RST_STREAM, 0, 1, struct.pack(">I", 8)))  # CANCEL
        # The connection goes on: another request is answered.
        c.request(3, "GET", "/v2/")
        assert c.response(3)[0] == 200
        c.close()
        r.stop()
        [line] = access_lines(r.read_log(), path)
        written = int(line["http.response.written"])
        assert line["http.response.status"] == "200"
        assert line["http.response.ending"] == "client gone"
        assert line["http.request.proto"] == "HTTP/2"
        # The server can only have sent what the windows allowed: what we read plus the
        # initial 65535-byte stream window.
        assert received <= written <= received + 65535, (received, line)
    finally:
        r.cleanup()


def test_http2_download_that_never_starts_logs_no_bytes():
    """A stream reset before its window opens: the full size was never sent, and the line says so."""
    r = start()
    try:
        blob, path = pushed_blob(r, 1 << 20)
        c = RawH2(r.port, settings=((4, 0),))  # SETTINGS_INITIAL_WINDOW_SIZE = 0
        c.request(1, "GET", path)
        head = c.until(lambda f: f[0] == HEADERS and f[2] == 1, 10)
        assert head is not None
        assert dict(c.decoder.decode(head[3]))[":status"] == "200"
        c.send(frame(RST_STREAM, 0, 1, struct.pack(">I", 8)))
        c.request(3, "GET", "/v2/")
        c.send(window_update(3, 1 << 16))
        assert c.response(3)[0] == 200
        c.close()
        r.stop()
        [line] = access_lines(r.read_log(), path)
        assert line["http.response.written"] == "0"
        assert line["http.response.ending"] == "client gone"
    finally:
        r.cleanup()


def test_trace_all_storage_calls_carry_the_request_id_and_their_paths():
    r = RegistryProcess(config={"log": {"level": "TraceAll"}}).start()
    try:
        blob = random_bytes(10_000)
        push_blob(r, NAME, blob)
        digest = sha256(blob)
        path = f"/v2/{NAME}/blobs/{digest}"
        assert r.request("GET", path)[0] == 200
        r.stop()
        log = r.read_log()
        [line] = access_lines(log, path)
        request_id = line["http.request.id"]
        calls = []
        for l in log.splitlines():
            if 'msg="storage call"' in l:
                calls.append({k: (v[1:-1] if v.startswith('"') else v) for k, v in FIELD.findall(l)})
        mine = [c for c in calls if c.get("http.request.id") == request_id]
        assert mine, calls
        hex_digest = digest.split(":", 1)[1]
        assert any(hex_digest in c["path"] and c["path"].startswith("/docker/registry/v2/") for c in mine), mine
        # Every storage call made for a request to this repository says which.
        about_repo = [c for c in calls if f"/repositories/{NAME}/" in c["path"] or hex_digest in c["path"]]
        assert about_repo and all(c.get("http.request.id") for c in about_repo), about_repo
    finally:
        r.cleanup()


def test_every_access_line_names_the_authenticated_user(tmp_path):
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"alice:{hash_password('wonderland')}\n")
    r = RegistryProcess(config={"auth": {"htpasswd": {"realm": "wharf-basic", "path": str(htpasswd)}}}).start()
    try:
        alice = {"Authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode()}
        assert r.request("GET", "/v2/", headers=alice)[0] == 200
        assert r.request("GET", "/v2/ops/none/tags/list", headers=alice)[0] == 404
        assert r.request("GET", "/v2/")[0] == 401
        r.stop()
        log = r.read_log()
        users = [l["auth.user.name"] for l in access_lines(log, "/v2/")]
        assert sorted(users) == ["", "alice"], users
        [tags] = access_lines(log, "/v2/ops/none/tags/list")
        assert tags["auth.user.name"] == "alice" and tags["http.response.status"] == "404"
    finally:
        r.cleanup()
