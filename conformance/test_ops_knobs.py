"""The operator's knobs: read-only mode, Location behind proxies (X-Forwarded-*, Forwarded,
http.host), and the storage-backed health checks."""
import json
import os
import shutil

import pytest

from harness import RegistryProcess
from ocihelpers import build_image, push_image, error_codes, start_upload, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only


def test_read_only_refuses_pushes_and_deletes_but_serves_pulls(tmp_path):
    storage = str(tmp_path / "data")
    writable = RegistryProcess(storage_dir=storage).start()
    image = build_image(layers=1)
    try:
        push_image(writable, "ops/ro", image, tag="v1")
    finally:
        writable.stop()
    ro = RegistryProcess(storage_dir=storage,
                         config={"storage": {"maintenance": {"readonly": {"enabled": True}}}}).start()
    try:
        status, _, body = ro.request("POST", "/v2/ops/ro/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        assert "read-only" in json.loads(body)["errors"][0]["message"]
        status, _, body = ro.request("PUT", "/v2/ops/ro/manifests/v2", body=image.data,
                                     headers={"Content-Type": OCI_MANIFEST})
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        status, _, body = ro.request("DELETE", f"/v2/ops/ro/manifests/{image.digest}")
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        status, _, body = ro.request("DELETE", f"/v2/ops/ro/blobs/{image.blobs[-1].digest}")
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        status, _, body = ro.request("GET", "/v2/ops/ro/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert status == 200 and body == image.data
        status, _, body = ro.request("GET", f"/v2/ops/ro/blobs/{image.blobs[-1].digest}")
        assert status == 200 and body == image.blobs[-1].data
    finally:
        ro.cleanup()


def test_read_only_by_environment():
    r = RegistryProcess(env={"REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED": "true"}).start()
    try:
        status, _, body = r.request("POST", "/v2/ops/env/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
    finally:
        r.cleanup()


@pytest.fixture(scope="module")
def plain():
    r = RegistryProcess().start()
    yield r
    r.cleanup()


def upload_location(registry, headers):
    status, hdrs, body = registry.request("POST", "/v2/ops/fwd/blobs/uploads/", body=b"",
                                          headers={"Content-Length": "0", **headers})
    assert status == 202, body
    return hdrs["location"]


def test_location_follows_the_request_host(plain):
    loc = upload_location(plain, {})
    assert loc.startswith(f"http://{plain.host}/v2/ops/fwd/blobs/uploads/")


def test_location_follows_x_forwarded(plain):
    loc = upload_location(plain, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example:8443, inner"})
    assert loc.startswith("https://registry.example:8443/v2/ops/fwd/blobs/uploads/")


def test_location_follows_forwarded_before_x_forwarded(plain):
    loc = upload_location(plain, {"Forwarded": 'for=10.0.0.1;proto=https;host="route.apps.example", for=10.0.0.2',
                                  "X-Forwarded-Host": "ignored.example", "X-Forwarded-Proto": "http"})
    assert loc.startswith("https://route.apps.example/v2/ops/fwd/blobs/uploads/")


def test_forwarded_values_that_would_break_a_url_are_ignored(plain):
    loc = upload_location(plain, {"Forwarded": 'proto=gopher;host="evil.example/path"'})
    assert loc.startswith(f"http://{plain.host}/v2/")


def test_http_host_overrides_forwarded_headers():
    r = RegistryProcess(config={"http": {"host": "https://registry.corp.example"}}).start()
    try:
        loc = upload_location(r, {"Forwarded": "proto=http;host=other.example"})
        assert loc.startswith("https://registry.corp.example/v2/ops/fwd/blobs/uploads/")
    finally:
        r.cleanup()


def test_health_ok(plain):
    for path in ["/healthz", "/"]:
        status, _, body = plain.request("GET", path)
        assert status == 200 and body == b"ok\n"
    status, hdrs, body = plain.request("GET", "/debug/health")
    assert status == 200
    assert json.loads(body) == {"storagedriver_filesystem": {"status": "ok"}}


def test_health_503_when_storage_fails(tmp_path):
    base = str(tmp_path / "base")
    r = RegistryProcess(storage_dir=os.path.join(base, "data")).start()
    try:
        assert r.request("GET", "/healthz")[0] == 200
        # A storage root below a directory that loops on itself: every stat fails with ELOOP.
        shutil.rmtree(base, ignore_errors=True)
        os.symlink(base, base)
        for path in ["/healthz", "/"]:
            assert r.request("GET", path)[0] == 503
        status, _, body = r.request("GET", "/debug/health")
        assert status == 503
        check = json.loads(body)["storagedriver_filesystem"]
        assert check["status"] == "error" and check["error"]
    finally:
        if os.path.islink(base):
            os.unlink(base)
        r.cleanup()
