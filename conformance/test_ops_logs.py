"""Logs: the levels operators use (Normal, Debug, Trace, TraceAll), logrus text and JSON
lines, one access line per request, headers at Trace with credentials masked, storage
calls at TraceAll, and no secret anywhere."""
import base64
import json

import pytest

from harness import RegistryProcess
from ocihelpers import build_image, push_blob, push_manifest, start_upload, with_query, sha256, random_bytes

pytestmark = pytest.mark.wharf_only

HTTP_SECRET = "http-secret-never-logged-4711"
METRICS_SECRET = "metrics-secret-never-logged-0815"
BEARER_TOKEN = "bearer-token-never-logged-9999"
PASSWORD = "password-never-logged-1234"
COOKIE = "cookie-never-logged-5555"
SIGNATURE = "signature-never-logged-abcd"


def run(level, formatter="text", extra=None):
    cfg = {"log": {"level": level, "formatter": formatter}, "http": {"secret": HTTP_SECRET},
           "openshift": {"metrics": {"enabled": True, "secret": METRICS_SECRET}}}
    if extra:
        cfg.update(extra)
    return RegistryProcess(config=cfg).start()


def chunked_push(r, name, data):
    """POST, two PATCHes, PUT: every step carries a fresh `_state` token in its URL."""
    loc = start_upload(r, name)
    half = len(data) // 2
    for start, chunk in [(0, data[:half]), (half, data[half:])]:
        status, hdrs, body = r.request("PATCH", loc, body=chunk, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
            "Content-Range": f"{start}-{start + len(chunk) - 1}"})
        assert status == 202, body
        loc = hdrs["location"].split(r.host, 1)[-1]
    assert "_state=" in loc
    status, _, body = r.request("PUT", with_query(loc, digest=sha256(data)), body=b"", headers={"Content-Length": "0"})
    assert status == 201, body


def exercise(r):
    image = build_image(layers=1)
    for blob in image.blobs:
        push_blob(r, "ops/logs", blob)
    push_manifest(r, "ops/logs", "v1", image)
    chunked_push(r, "ops/logs", random_bytes(5000))
    basic = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    r.request("GET", "/v2/", headers={"Authorization": f"Bearer {BEARER_TOKEN}", "Cookie": f"session={COOKIE}"})
    r.request("GET", "/v2/", headers={"Authorization": f"Basic {basic}", "X-Registry-Auth": BEARER_TOKEN})
    r.request("GET", f"/v2/ops/logs/tags/list?X-Amz-Signature={SIGNATURE}&X-Amz-Credential={PASSWORD}",
              headers={"Referer": f"https://x.example/?X-Amz-Signature={SIGNATURE}"})
    r.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {METRICS_SECRET}"})
    basic_metrics = base64.b64encode(f"any:{METRICS_SECRET}".encode()).decode()
    r.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Basic {basic_metrics}"})
    return image


def assert_no_secrets(log):
    for secret in [HTTP_SECRET, METRICS_SECRET, BEARER_TOKEN, PASSWORD, COOKIE, SIGNATURE,
                   base64.b64encode(f"user:{PASSWORD}".encode()).decode(),
                   base64.b64encode(f"any:{METRICS_SECRET}".encode()).decode()]:
        assert secret not in log, f"{secret} leaked into the log"
    assert "_state=" not in log and "X-Amz-Signature" not in log


def access_lines(log):
    return [l for l in log.splitlines() if 'msg="response completed"' in l]


@pytest.mark.parametrize("level", ["TraceAll", "traceall"])
def test_trace_all_logs_storage_calls_and_masked_headers_but_no_secret(level):
    r = run(level)
    try:
        exercise(r)
        r.stop()
        log = r.read_log()
        assert_no_secrets(log)
        assert "http.request.header.authorization=\"*****\"" in log
        assert "http.request.header.cookie=\"*****\"" in log
        assert "http.request.header.x-registry-auth=\"*****\"" in log
        assert "http.request.header.user-agent=" in log or "http.request.header.host=" in log
        assert 'msg="storage call"' in log and "operation=StorageDriver.PutContent" in log
    finally:
        r.cleanup()


def test_trace_adds_headers_without_storage_calls():
    r = run("Trace")
    try:
        exercise(r)
        r.stop()
        log = r.read_log()
        assert_no_secrets(log)
        assert "http.request.header.host=" in log
        assert 'msg="storage call"' not in log
    finally:
        r.cleanup()


@pytest.mark.parametrize("level", ["Normal", "info", "Debug"])
def test_normal_and_debug_have_one_access_line_per_request_without_headers(level):
    r = run(level)
    try:
        for _ in range(3):
            assert r.request("GET", "/v2/")[0] == 200
        assert r.request("GET", "/v2/nope/manifests/x")[0] == 404
        r.stop()
        log = r.read_log()
        lines = access_lines(log)
        assert len(lines) == 4, lines
        assert sum("http.response.status=404" in l for l in lines) == 1
        for l in lines:
            assert l.startswith('time="') and " level=info " in l
            for field in ["http.request.method=", "http.request.uri=", "http.response.status=", "http.response.written=",
                          "http.response.duration=", "http.request.remoteaddr=", "http.request.id=", "instance.id="]:
                assert field in l, (field, l)
        assert "http.request.header." not in log
    finally:
        r.cleanup()


def test_error_level_has_no_access_lines():
    r = run("error")
    try:
        assert r.request("GET", "/v2/")[0] == 200
        r.stop()
        assert access_lines(r.read_log()) == []
    finally:
        r.cleanup()


def test_json_formatter_at_trace_all():
    r = run("TraceAll", formatter="json")
    try:
        exercise(r)
        r.stop()
        log = r.read_log()
        assert_no_secrets(log)
        entries = [json.loads(l) for l in log.splitlines() if l.strip()]
        assert entries and all({"time", "level", "msg"} <= set(e) for e in entries)
        access = [e for e in entries if e["msg"] == "response completed"]
        assert access and all(e["level"] == "info" and "http.request.id" in e for e in access)
        assert any(e.get("http.request.header.authorization") == "*****" for e in access)
        assert any(e["msg"] == "storage call" for e in entries)
    finally:
        r.cleanup()


def test_start_line_says_what_is_running():
    """One info line at start: version and commit, address, TLS, storage and where, read-only,
    auth, metrics and the maintenance jobs."""
    r = run("info", formatter="json", extra={"storage": {"maintenance": {
        "uploadpurging": {"enabled": True, "age": "168h", "interval": "24h"},
        "pruning": {"enabled": True, "schedule": "30 2 * * *"}}}})
    try:
        r.stop()
        entries = [json.loads(l) for l in r.read_log().splitlines() if l.strip()]
        start = [e for e in entries if e["msg"].startswith("listening on ")]
        assert len(start) == 1, entries
        line = start[0]
        assert line["level"] == "info" and line["addr"] == r.host
        assert line["version"] and line["commit"]
        assert line["tls"] == "off" and line["storage"] == "filesystem"
        assert line["storage.location"] == r.storage_dir
        assert line["readonly"] == "false" and line["auth"] == "none" and line["metrics"] == "on"
        assert "uploadpurging every 24h" in line["maintenance"], line
        assert "pruning at '30 2 * * *'" in line["maintenance"], line
    finally:
        r.cleanup()
