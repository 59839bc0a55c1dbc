"""GCS with a service-account key, against a real verifier: a local token endpoint (the
key's `token_uri`) checks the RS256 JWT assertion with PyJWT (signature, aud, iss, scope,
exp) and issues short-lived tokens; a proxy in front of gcp-storage-emulator refuses any
request without a current bearer token. A push that outlives a token shows the refresh.
The key also comes from GOOGLE_APPLICATION_CREDENTIALS, and without a key the token comes
from a fake GCE metadata server (GCE_METADATA_HOST) that insists on `Metadata-Flavor: Google`."""
import json
import threading
import time
import urllib.parse

import pytest

from gcshelpers import GCSEmulator, GCSRegistryProcess
from harness import free_port
from ocihelpers import build_image, push_image, random_bytes
from s3helpers import _ProxyHandler
from storagehelpers import _LoopbackServer
from tokenhelpers import BearerProxy, IssuedTokens, slow_push

jwt = pytest.importorskip("jwt")
rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")

pytestmark = pytest.mark.wharf_only

SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
EMAIL = "registry@wharf-test.iam.gserviceaccount.com"
#: Tokens live 62 s; Wharf replaces them 60 s before expiry, so every ~2 s.
TOKEN_LIFETIME = 62
#: The proxy takes a token only this long after it was issued (the "current" one).
TOKEN_ACCEPTED_FOR = 4


class TokenEndpoint(_LoopbackServer):
    """POST /token: a JWT-bearer grant whose assertion PyJWT verifies with `public_key`."""

    def __init__(self, public_key):
        self.port = free_port()
        self.issued = {}      # token -> time issued
        self.rejected = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(_ProxyHandler):
            def do_POST(self):
                form = urllib.parse.parse_qs(self.read_body().decode())
                try:
                    assert form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
                    claims = jwt.decode(form["assertion"][0], public_key, algorithms=["RS256"],
                                        audience=endpoint.token_uri, issuer=EMAIL,
                                        options={"require": ["exp", "iat", "aud", "iss"]})
                    assert claims["scope"] == SCOPE, claims
                    assert claims["exp"] - claims["iat"] <= 3600
                except Exception as e:  # noqa: BLE001 (any failure is a refused grant)
                    with endpoint.lock:
                        endpoint.rejected.append(repr(e))
                    self._answer(400, {"error": "invalid_grant", "error_description": repr(e)})
                    return
                with endpoint.lock:
                    token = f"tok-{len(endpoint.issued) + 1}"
                    endpoint.issued[token] = time.time()
                self._answer(200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"})

            def _answer(self, status, doc):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)

    @property
    def token_uri(self):
        return f"http://127.0.0.1:{self.port}/token"

    def current(self, token):
        with self.lock:
            issued = self.issued.get(token)
        return issued is not None and time.time() - issued < TOKEN_ACCEPTED_FOR


class MetadataServer(_LoopbackServer):
    """The GCE metadata server's token path: tokens only for `Metadata-Flavor: Google`."""

    PATH = "/computeMetadata/v1/instance/service-accounts/default/token"

    def __init__(self):
        self.port = free_port()
        self.tokens = IssuedTokens("gce", TOKEN_ACCEPTED_FOR)
        self.refused = 0
        server = self

        class Handler(_ProxyHandler):
            def do_GET(self):
                ok = self.path == MetadataServer.PATH and self.headers.get("Metadata-Flavor") == "Google"
                if ok:
                    doc = {"access_token": server.tokens.issue(), "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}
                else:
                    server.refused += 1
                    doc = {"error": "forbidden"}
                body = json.dumps(doc).encode()
                self.send_response(200 if ok else 403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)


@pytest.fixture(scope="module")
def key_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, private.public_key()


def _stack(tmp_path, key_pair, redirect, verifier=None, key_in_env=False):
    """The token endpoint (checking assertions with `verifier`, by default the key's public
    half), the emulator behind the bearer proxy, and a registry with the key (in `keyfile`,
    or named by GOOGLE_APPLICATION_CREDENTIALS with `key_in_env`)."""
    pem, public = key_pair
    tokens = TokenEndpoint(verifier or public).start()
    gcs = GCSEmulator().start()
    bucket = gcs.create_bucket()
    proxy = BearerProxy(gcs.port, tokens).start()
    key = {"type": "service_account", "project_id": "wharf-test", "private_key_id": "k1", "private_key": pem,
           "client_email": EMAIL, "token_uri": tokens.token_uri}
    key_path = tmp_path / "key.json"
    key_path.write_text(json.dumps(key))
    if key_in_env:
        r = GCSRegistryProcess(proxy.endpoint, bucket, redirect=redirect,
                               env={"GOOGLE_APPLICATION_CREDENTIALS": str(key_path)}).start()
    else:
        r = GCSRegistryProcess(proxy.endpoint, bucket, redirect=redirect, gcs={"keyfile": str(key_path)}).start()
    yield r, tokens, proxy, gcs, bucket
    r.cleanup()
    proxy.stop()
    gcs.stop()
    tokens.stop()


@pytest.fixture
def authed(tmp_path, key_pair):
    yield from _stack(tmp_path, key_pair, redirect=False)


@pytest.fixture
def wrong_key(tmp_path, key_pair):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    yield from _stack(tmp_path, key_pair, redirect=False, verifier=other)


@pytest.fixture
def key_in_env(tmp_path, key_pair):
    yield from _stack(tmp_path, key_pair, redirect=False, key_in_env=True)


@pytest.fixture
def metadata():
    """The emulator behind the bearer proxy checking the metadata server's tokens, and a
    registry with no key whose environment names the metadata server."""
    server = MetadataServer().start()
    gcs = GCSEmulator().start()
    bucket = gcs.create_bucket()
    proxy = BearerProxy(gcs.port, server.tokens).start()
    r = GCSRegistryProcess(proxy.endpoint, bucket, redirect=True,
                           env={"GCE_METADATA_HOST": f"127.0.0.1:{server.port}", "GOOGLE_APPLICATION_CREDENTIALS": ""}).start()
    yield r, server, proxy
    r.cleanup()
    proxy.stop()
    gcs.stop()
    server.stop()


@pytest.fixture
def redirecting(tmp_path, key_pair):
    yield from _stack(tmp_path, key_pair, redirect=True)


def test_the_proxy_refuses_requests_without_a_current_token(authed):
    r, tokens, proxy, _, _ = authed
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.request("GET", "/storage/v1/b/x/o")
    assert conn.getresponse().status == 401


def test_a_long_push_refreshes_its_token_and_pulls_back(authed):
    r, tokens, proxy, _, _ = authed
    digest, data = slow_push(r, "auth/app", [random_bytes(512 * 1024) for _ in range(4)])
    st, _, body = r.request("GET", f"/v2/auth/app/blobs/{digest}", timeout=120)
    assert st == 200 and body == data
    img = build_image(layers=1)
    push_image(r, "auth/app", img, tag="v1")
    assert tokens.rejected == [], tokens.rejected
    assert len(tokens.issued) >= 3, tokens.issued      # refreshed during the push
    assert proxy.refused == 0 and proxy.forwarded > 0
    log = r.read_log()
    assert "PRIVATE KEY" not in log


def test_a_refused_key_is_503_naming_the_key_file_never_the_key(wrong_key, tmp_path):
    r, tokens, proxy, _, _ = wrong_key
    st, _, body = r.request("GET", "/v2/auth/app/manifests/v1")
    assert st == 503, (st, body)
    assert tokens.rejected and proxy.forwarded == 0
    assert str(tmp_path / "key.json").encode() in body
    log = r.read_log()
    assert str(tmp_path / "key.json") in log
    assert b"PRIVATE KEY" not in body and "PRIVATE KEY" not in log
    assert r.proc.poll() is None


def test_blob_gets_redirect_to_a_v4_signed_url_the_public_key_verifies(redirecting, key_pair):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    import hashlib
    r, _, proxy, gcs, bucket = redirecting
    img = build_image(layers=1, layer_size=4096)
    push_image(r, "signed/app", img, tag="v1")
    layer = img.blobs[-1]
    st, h, body = r.request("GET", f"/v2/signed/app/blobs/{layer.digest}")
    assert st == 307, (st, body)
    url = urllib.parse.urlsplit(h["location"])
    assert url.netloc == f"127.0.0.1:{proxy.port}"
    hexdigest = layer.digest.split(":", 1)[1]
    assert url.path == f"/{bucket}/registry/docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"
    params = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    signature = dict(params)["X-Goog-Signature"]
    q = dict(params)
    assert q["X-Goog-Algorithm"] == "GOOG4-RSA-SHA256"
    assert q["X-Goog-Expires"] == "1200" and q["X-Goog-SignedHeaders"] == "host"
    assert q["X-Goog-Credential"] == f"{EMAIL}/{q['X-Goog-Date'][:8]}/auto/storage/goog4_request"
    # The canonical request, recomputed as GCS does, and the signature checked with the public key.
    signed = sorted((k, v) for k, v in params if k != "X-Goog-Signature")
    canonical_query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in signed)
    canonical = "\n".join(["GET", url.path, canonical_query, f"host:{url.netloc}", "", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["GOOG4-RSA-SHA256", q["X-Goog-Date"], f"{q['X-Goog-Date'][:8]}/auto/storage/goog4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key_pair[1].verify(bytes.fromhex(signature), to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    # The URL names the right object: the emulator (which does not check signatures) serves it.
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", gcs.port, timeout=30)
    conn.request("GET", url.path + "?" + url.query)
    answer = conn.getresponse()
    assert answer.status == 200 and answer.read() == layer.data


def test_the_key_named_by_google_application_credentials_is_used(key_in_env):
    r, tokens, proxy, _, _ = key_in_env
    img = build_image(layers=1)
    push_image(r, "env/app", img, tag="v1")
    st, _, body = r.request("GET", f"/v2/env/app/blobs/{img.blobs[-1].digest}")
    assert st == 200 and body == img.blobs[-1].data
    assert tokens.issued and tokens.rejected == []
    assert proxy.refused == 0 and proxy.forwarded > 0


def test_without_a_key_tokens_come_from_the_gce_metadata_server(metadata):
    r, server, proxy = metadata
    img = build_image(layers=1, layer_size=600 * 1024)
    push_image(r, "gce/app", img, tag="v1")
    time.sleep(2.5)   # the first token is due for replacement
    layer = img.blobs[-1]
    st, _, body = r.request("GET", f"/v2/gce/app/blobs/{layer.digest}", timeout=60)
    # No key to sign a URL with: the registry serves the bytes itself.
    assert st == 200 and body == layer.data, st
    assert len(server.tokens.issued) >= 2, server.tokens.issued     # refreshed
    assert server.refused == 0                           # every request said Metadata-Flavor: Google
    assert proxy.refused == 0 and proxy.forwarded > 0


def test_an_unreachable_metadata_server_is_503_saying_how_to_configure_credentials():
    gcs = GCSEmulator().start()
    bucket = gcs.create_bucket()
    r = GCSRegistryProcess(gcs.endpoint, bucket, redirect=False,
                           env={"GCE_METADATA_HOST": f"127.0.0.1:{free_port()}"}).start()
    try:
        st, _, body = r.request("GET", "/v2/gce/app/manifests/v1", timeout=60)
        assert st == 503, (st, body)
        assert json.loads(body)["errors"], body
        assert b"GCE metadata server" in body and b"GOOGLE_APPLICATION_CREDENTIALS" in body
        assert r.proc.poll() is None
    finally:
        r.cleanup()
        gcs.stop()
