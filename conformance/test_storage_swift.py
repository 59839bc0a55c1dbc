"""Wharf on OpenStack Swift (the SAIO of ../shared/emulators/swift-saio.sh): blob GETs
redirect to temp URLs that Swift's own tempurl middleware checks (the right bytes; an expired
or tampered URL refused), a wrong password is 503 and never printed, and the proxy stopped
during a push and during a pull gives 503 with the OCI error JSON and no crash, and Wharf
recovers once it is back."""
import hashlib
import os
import shutil
import hmac
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from harness import sha256
from ocihelpers import build_image, error_codes, location_path, push_image, random_bytes, start_upload, with_query
from storagehelpers import push_through_an_outage
from swifthelpers import SwiftRegistryProcess, SwiftSAIO, _auth, start_proxy, stop_proxy

pytestmark = pytest.mark.wharf_only

KEY = "wharf-temp-url-key"


@pytest.fixture(scope="module")
def saio():
    if shutil.which("swift-proxy-server") is None:
        pytest.skip("Debian's swift packages are not installed (see .ci/run)")
    s = SwiftSAIO().start()
    yield s
    s.stop()


def refused(url):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, timeout=30)
    return e.value.code


def test_blob_get_redirects_to_a_temp_url_swift_checks(saio):
    container = SwiftSAIO.new_container()
    r = SwiftRegistryProcess(container, swift={"secretkey": KEY}).start()
    try:
        # layers over the 1 MiB chunk (SLOs of three segments) and a small config (one PUT)
        img = build_image(layers=2, layer_size=2 * 1024 * 1024 + 17)
        push_image(r, "sw/app", img, tag="v1")
        for blob in img.blobs:
            st, h, _ = r.request("GET", f"/v2/sw/app/blobs/{blob.digest}")
            assert st == 307, st
            location = h["location"]
            assert location.startswith(f"http://127.0.0.1:9310/v1/AUTH_test/{container}/registry/files/docker/registry/v2/blobs/sha256/")
            with urllib.request.urlopen(location, timeout=60) as got:
                assert got.read() == blob.data
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
            sig, expires = query["temp_url_sig"][0], int(query["temp_url_expires"][0])
            assert len(sig) == 64  # HMAC-SHA256: the SAIO's /info offers it
            # one hex digit of the signature changed
            tampered = location.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
            assert refused(tampered) == 401
            # a URL signed with the right key whose time is past
            path = urllib.parse.urlsplit(location).path
            past = int(time.time()) - 60
            expired_sig = hmac.new(KEY.encode(), f"GET\n{past}\n{path}".encode(), hashlib.sha256).hexdigest()
            assert refused(location.split("?")[0] + f"?temp_url_sig={expired_sig}&temp_url_expires={past}") == 401
            # the same signing with a future time is accepted: the refusal above is the expiry
            fresh_sig = hmac.new(KEY.encode(), f"GET\n{expires}\n{path}".encode(), hashlib.sha256).hexdigest()
            assert fresh_sig == sig
    finally:
        r.cleanup()


def test_wrong_password_is_503_and_never_printed(saio):
    secret = "not-the-key-" + "x" * 8
    r = SwiftRegistryProcess(SwiftSAIO.new_container(), swift={"password": secret}, redirect=False).start()
    try:
        data = random_bytes(4096)
        st, _, body = r.request("POST", f"/v2/bad/app/blobs/uploads/?digest={sha256(data)}", body=data,
                                headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        assert st == 503 and error_codes(body) and b"storage unavailable" in body, (st, body)
        log = r.read_log()
        assert "authentication" in log
        assert secret not in log and secret not in body.decode()
        assert r.proc.poll() is None
    finally:
        r.cleanup()


@pytest.fixture
def registry_on_saio(saio):
    r = SwiftRegistryProcess(SwiftSAIO.new_container(), redirect=False).start()
    yield r
    start_proxy_if_down()
    r.cleanup()


def start_proxy_if_down():
    if _auth() is None:
        start_proxy()


def test_proxy_down_during_a_push_is_503_then_the_push_resumes(registry_on_saio):
    push_through_an_outage(registry_on_saio, stop_proxy, start_proxy, random_bytes(1536 * 1024), random_bytes(700 * 1024))


def test_proxy_down_during_a_pull_is_503_then_the_pull_works(registry_on_saio):
    r = registry_on_saio
    img = build_image(layers=1, layer_size=512 * 1024)
    push_image(r, "fault/pull", img, tag="v1")
    stop_proxy()
    st, _, body = r.request("GET", f"/v2/fault/pull/blobs/{img.blobs[0].digest}", timeout=120)
    assert st == 503 and error_codes(body) == ["UNKNOWN"], (st, body)
    st, _, body = r.request("GET", "/v2/fault/pull/manifests/v1", headers={"Accept": img.media_type}, timeout=120)
    assert st in (200, 503), (st, body)  # the manifest may be served from the registry's cache
    assert r.proc.poll() is None, "the registry must not crash"
    start_proxy()
    st, _, body = r.request("GET", f"/v2/fault/pull/blobs/{img.blobs[0].digest}", timeout=120)
    assert st == 200 and body == img.blobs[0].data


class _IdentityStandIn:
    """A stand-in for Keystone v3's `POST /v3/auth/tokens` on a free loopback port: it checks
    the password request body (user and project by name in domain `Default`), answers with
    a token of the SAIO's tempauth as `X-Subject-Token` and a catalog whose only working
    object-store endpoint is the internal one of RegionTwo (the others point at a closed
    port), so the driver's region and interface choice is checked too. Real Keystone is in
    test_storage_swift_keystone.py."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from harness import free_port

        stand_in = self
        self.bodies = []
        dead = f"http://127.0.0.1:{free_port()}/v1/AUTH_test"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stand_in.bodies.append(body)
                auth = body.get("auth", {})
                user = auth.get("identity", {}).get("password", {}).get("user", {})
                ok = (self.path == "/v3/auth/tokens" and auth.get("identity", {}).get("methods") == ["password"]
                      and user == {"name": "registry", "password": "s3cret", "domain": {"name": "Default"}}
                      and auth.get("scope") == {"project": {"name": "images", "domain": {"name": "Default"}}})
                if not ok:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                token, storage = _auth()
                catalog = [{"type": "identity", "endpoints": [{"interface": "public", "region": "RegionTwo", "url": dead}]},
                           {"type": "object-store", "name": "swift", "endpoints": [
                               {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": dead},
                               {"interface": "internal", "region": "RegionOne", "region_id": "RegionOne", "url": dead},
                               {"interface": "public", "region": "RegionTwo", "region_id": "RegionTwo", "url": dead},
                               {"interface": "internal", "region": "RegionTwo", "region_id": "RegionTwo", "url": storage}]}]
                out = json.dumps({"token": {"methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
                                            "project": {"name": "images", "domain": {"name": "Default"}},
                                            "catalog": catalog}}).encode()
                self.send_response(201)
                self.send_header("X-Subject-Token", token)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


def test_keystone_v3_project_credentials_push_and_pull(saio):
    identity = _IdentityStandIn()
    r = SwiftRegistryProcess(SwiftSAIO.new_container(), redirect=False, swift={
        "authurl": f"http://127.0.0.1:{identity.port}/v3", "username": "registry", "password": "s3cret",
        "domain": "Default", "tenant": "images", "region": "RegionTwo", "endpointtype": "internal"}).start()
    try:
        img = build_image(layers=2, layer_size=1536 * 1024)
        push_image(r, "v3/app", img, tag="v1")
        for blob in img.blobs:
            st, _, body = r.request("GET", f"/v2/v3/app/blobs/{blob.digest}", timeout=60)
            assert st == 200 and body == blob.data
        assert len(identity.bodies) >= 1
    finally:
        r.cleanup()
        identity.stop()


def _proc_stat(pid):
    """(peak RSS in KiB, CPU seconds) of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return hwm, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_one_gib_push_and_pull_keep_rss_bounded(saio):
    """A 1 GiB blob pushed in one streamed PATCH and pulled back: Wharf's peak RSS stays
    far below the blob (one 1 MiB segment per upload plus buffers). Prints MB/s and CPU
    seconds per GB for bench/RESULTS.md; asserts only bytes."""
    r = SwiftRegistryProcess(SwiftSAIO.new_container(), redirect=False).start()
    try:
        size, piece = 1 << 30, random_bytes(1 << 20)
        digest = hashlib.sha256()
        for _ in range(size // len(piece)):
            digest.update(piece)
        digest = "sha256:" + digest.hexdigest()
        loc = start_upload(r, "big/blob")
        _, cpu0 = _proc_stat(r.proc.pid)
        t0 = time.monotonic()
        conn = r.connection(timeout=600)
        conn.request("PATCH", loc, body=(piece for _ in range(size // len(piece))),
                     headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 202, answer.status
        loc = location_path(r, answer.getheader("location"))
        st, _, body = r.request("PUT", with_query(loc, digest=digest), headers={"Content-Length": "0"}, timeout=600)
        assert st == 201, (st, body)
        push_seconds = time.monotonic() - t0
        peak_push, cpu1 = _proc_stat(r.proc.pid)
        t1 = time.monotonic()
        conn = r.connection(timeout=600)
        conn.request("GET", f"/v2/big/blob/blobs/{digest}")
        answer = conn.getresponse()
        assert answer.status == 200
        got, check = 0, hashlib.sha256()
        while True:
            chunk = answer.read(1 << 20)
            if not chunk:
                break
            got += len(chunk)
            check.update(chunk)
        pull_seconds = time.monotonic() - t1
        peak, cpu2 = _proc_stat(r.proc.pid)
        assert got == size and "sha256:" + check.hexdigest() == digest
        print(f"\nswift 1 GiB: push {size / push_seconds / 1e6:.0f} MB/s, {(cpu1 - cpu0) / (size / 1e9):.2f} CPU s/GB; "
              f"pull {size / pull_seconds / 1e6:.0f} MB/s, {(cpu2 - cpu1) / (size / 1e9):.2f} CPU s/GB; "
              f"peak RSS {peak_push // 1024} MiB after push, {peak // 1024} MiB after pull")
        assert peak < 160 * 1024, f"wharf's RSS peaked at {peak} KiB for a 1 GiB blob"
    finally:
        r.cleanup()


def test_a_refused_token_logs_in_again(saio):
    """Every tempauth token lives in memcached: flushing it makes the registry's token
    unknown (401) mid-life; the driver logs in again and the request still succeeds."""
    import socket
    r = SwiftRegistryProcess(SwiftSAIO.new_container(), redirect=False).start()
    try:
        img = build_image(layers=1, layer_size=64 * 1024)
        push_image(r, "reauth/app", img, tag="v1")
        with socket.create_connection(("127.0.0.1", 9314), timeout=5) as s:
            s.sendall(b"flush_all\r\n")
            assert s.recv(64).startswith(b"OK")
        assert _auth() is not None  # tempauth answers; the old token is gone
        st, _, body = r.request("GET", f"/v2/reauth/app/blobs/{img.blobs[1].digest}", timeout=60)
        assert st == 200 and body == img.blobs[1].data, (st, body[:200])
    finally:
        r.cleanup()
