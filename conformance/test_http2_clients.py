"""HTTP/2 with real clients: curl (h2 over TLS by ALPN, h2c with prior knowledge), nghttp,
h2load, and the OCI push/pull flow over both; `http.http2.disabled` turns h2 off."""
import json
import os
import ssl
import subprocess
import socket

import pytest

from harness import RegistryProcess, make_tls, sha256
from ocihelpers import build_image, random_bytes

pytestmark = pytest.mark.wharf_only

NAME = "h2/clients"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_registry(tls_files):
    r = RegistryProcess(tls=(tls_files[1], tls_files[2])).start()
    yield r
    r.cleanup()


@pytest.fixture(scope="module")
def plain_registry():
    r = RegistryProcess().start()
    yield r
    r.cleanup()


def curl(registry, args, ca=None, data=None):
    """Runs curl with HTTP/2 (ALPN over TLS, prior knowledge on plain); returns (status, version, headers, body)."""
    import tempfile
    mode = ["--http2", "--cacert", ca] if registry.tls else ["--http2-prior-knowledge"]
    with tempfile.TemporaryDirectory() as d:
        hfile, bfile = os.path.join(d, "h"), os.path.join(d, "b")
        out = subprocess.run(["curl", "-sS", "-D", hfile, "-o", bfile, *mode, *args, "-w", "%{http_code} %{http_version}"],
                             input=data, capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr
        status, version = out.stdout.decode().split()
        blocks = [b for b in open(hfile).read().replace("\r\n", "\n").split("\n\n") if b.strip()]
        head = blocks[-1] if blocks else ""
        body = open(bfile, "rb").read() if os.path.exists(bfile) else b""
    headers = {}
    for line in head.strip().split("\n")[1:]:
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return int(status), version, headers, body


def push_and_pull_with_curl(registry, ca=None, tmp_path=None):
    img = build_image(layers=2, layer_size=300_000)
    base = registry.url
    for blob in img.blobs:
        # POST then PUT ?digest= (monolithic, the body read by the handler as a stream)
        st, ver, hdrs, _ = curl(registry, ["-X", "POST", f"{base}/v2/{NAME}/blobs/uploads/"], ca)
        assert (st, ver) == (202, "2"), (st, ver)
        loc = hdrs["location"]
        loc = loc if loc.startswith("http") else base + loc
        sep = "&" if "?" in loc else "?"
        path = tmp_path / "blob"
        path.write_bytes(blob.data)
        st, _, _, body = curl(registry, ["-X", "PUT", "-H", "Content-Type: application/octet-stream",
                                         "--data-binary", f"@{path}", f"{loc}{sep}digest={blob.digest}"], ca)
        assert st == 201, body
    mpath = tmp_path / "manifest"
    mpath.write_bytes(img.data)
    st, _, hdrs, body = curl(registry, ["-X", "PUT", "-H", f"Content-Type: {img.media_type}", "--data-binary",
                                        f"@{mpath}", f"{base}/v2/{NAME}/manifests/v1"], ca)
    assert st == 201, body
    assert hdrs["docker-content-digest"] == img.digest
    st, ver, hdrs, body = curl(registry, ["-H", f"Accept: {img.media_type}", f"{base}/v2/{NAME}/manifests/v1"], ca)
    assert (st, ver) == (200, "2") and body == img.data
    for blob in img.blobs:
        st, _, hdrs, body = curl(registry, [f"{base}/v2/{NAME}/blobs/{blob.digest}"], ca)
        assert st == 200 and sha256(body) == blob.digest and int(hdrs["content-length"]) == blob.size
    st, _, hdrs, body = curl(registry, ["-I", f"{base}/v2/{NAME}/blobs/{img.blobs[1].digest}"], ca)
    assert st == 200 and int(hdrs["content-length"]) == img.blobs[1].size  # HEAD: curl prints the head as the body
    st, _, _, body = curl(registry, [f"{base}/v2/{NAME}/tags/list"], ca)
    assert json.loads(body)["tags"] == ["v1"]
    st, _, _, body = curl(registry, [f"{base}/v2/{NAME}/manifests/nope"], ca)
    assert st == 404 and b"MANIFEST_UNKNOWN" in body


def test_curl_h2_over_tls_push_pull(tls_registry, tls_files, tmp_path):
    push_and_pull_with_curl(tls_registry, tls_files[0], tmp_path)


def test_curl_h2c_prior_knowledge_push_pull(plain_registry, tmp_path):
    push_and_pull_with_curl(plain_registry, None, tmp_path)


def test_alpn_offers_h2_then_http11(tls_registry):
    for offer, expect in [(["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1"), (["http/1.1", "h2"], "h2")]:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(offer)
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_registry.port), timeout=10)) as s:
            assert s.selected_alpn_protocol() == expect


def test_http11_still_served_beside_h2c(plain_registry):
    status, hdrs, body = plain_registry.request("GET", "/v2/")
    assert status == 200 and body == b"{}"


def test_big_blob_download_over_one_stream(plain_registry, tls_registry, tls_files):
    data = random_bytes(24 << 20)
    for r, ca in [(plain_registry, None), (tls_registry, tls_files[0])]:
        from ocihelpers import push_blob
        push_blob(r, NAME, data)
        st, ver, hdrs, body = curl(r, [f"{r.url}/v2/{NAME}/blobs/{sha256(data)}"], ca)
        assert (st, ver) == (200, "2") and len(body) == len(data) and sha256(body) == sha256(data)


def rss_kib(registry):
    with open(f"/proc/{registry.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def test_nghttp_and_h2load(plain_registry, tls_registry):
    img = build_image()
    from ocihelpers import push_image
    push_image(plain_registry, NAME, img, tag="load")
    url = f"{plain_registry.url}/v2/{NAME}/manifests/load"
    out = subprocess.run(["nghttp", "-nv", "-H", f"accept: {img.media_type}", url], capture_output=True, timeout=60, text=True)
    assert out.returncode == 0, out.stderr
    assert ":status: 200" in out.stdout and "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100" in out.stdout
    # nghttp over TLS negotiates h2 by ALPN.
    out = subprocess.run(["nghttp", "-nv", f"{tls_registry.url}/v2/"], capture_output=True, timeout=60, text=True)
    assert out.returncode == 0 and ":status: 200" in out.stdout, out.stdout[-2000:]
    out = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "50", "-H", f"accept: {img.media_type}", url],
                         capture_output=True, timeout=120, text=True)
    assert out.returncode == 0, out.stderr
    assert "2000 succeeded, 0 failed, 0 errored" in out.stdout, out.stdout
    assert "status codes: 2000 2xx" in out.stdout


def test_http2_disabled_by_config(tls_files):
    r = RegistryProcess(tls=(tls_files[1], tls_files[2]), config={"http": {"http2": {"disabled": True}}}).start()
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", r.port), timeout=10)) as s:
            assert s.selected_alpn_protocol() == "http/1.1"
        st, ver, _, _ = curl(r, [f"{r.url}/v2/"], tls_files[0])
        assert (st, ver) == (200, "1.1")
    finally:
        r.cleanup()
    plain = RegistryProcess(config={"http": {"http2": {"disabled": True}}}).start()
    try:
        # The h2c preface is then just a bad HTTP/1.1 request.
        with socket.create_connection(("127.0.0.1", plain.port), timeout=10) as s:
            s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 ")
    finally:
        plain.cleanup()


def test_skopeo_over_tls_with_h2_offered(tls_registry, tmp_path):
    """A Go registry client (containers/image) on a listener that offers h2 first: whichever
    protocol it picks (skopeo 1.9's transport keeps HTTP/1.1 with its own TLS config), push and
    pull work, and the access log says which protocol served each request."""
    from clienthelpers import OCILayout, read_layout_manifest, sample_image, skopeo
    lay = OCILayout(str(tmp_path / "src"))
    img = sample_image("amd64", "h2")
    lay.add_image(img, "v1")
    dst = f"docker://{tls_registry.host}/h2/skopeo:v1"
    skopeo("copy", "--quiet", "--dest-tls-verify=false", f"oci:{lay.path}:v1", dst)
    skopeo("copy", "--quiet", "--src-tls-verify=false", "--preserve-digests", dst, f"oci:{tmp_path / 'back'}:v1")
    digest, data = read_layout_manifest(str(tmp_path / "back"), "v1")
    assert digest == img.digest and data == img.manifest
    log = tls_registry.read_log()
    assert "h2/skopeo" in log and ("http.request.proto=HTTP/2" in log or "http.request.proto=HTTP/1.1" in log)


def test_max_concurrent_streams_from_config():
    r = RegistryProcess(config={"http": {"http2": {"maxconcurrentstreams": 5}}}).start()
    try:
        out = subprocess.run(["nghttp", "-nv", f"{r.url}/v2/"], capture_output=True, timeout=60, text=True)
        assert "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):5]" in out.stdout, out.stdout
        # h2load with 20 streams in flight on one connection: the client keeps to 5 and all succeed.
        out = subprocess.run(["h2load", "-n", "100", "-c", "1", "-m", "20", f"{r.url}/v2/"], capture_output=True,
                             timeout=60, text=True)
        assert "100 succeeded" in out.stdout, out.stdout
    finally:
        r.cleanup()
