"""Azure with token credentials, against real checks: a local Microsoft identity platform
endpoint (`credentials.authorityhost`) checks the client-credentials form (grant_type,
client_id, client_secret, scope) and issues short-lived tokens; a local managed-identity
endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER) does the same for `default_credentials`. A
proxy in front of the azure-blob-fake forwards only requests with a current bearer token
and x-ms-version, re-signing them with SharedKey (the fake knows no other scheme; its
checks use the azure-storage-blob SDK). With a token there is no SAS to redirect to: the
registry serves blob bytes itself."""
import json
import time
import urllib.parse

import pytest

from azurehelpers import ACCOUNT, KEY, AzureBlobFake, AzureRegistryProcess
from harness import free_port
from ocihelpers import build_image, push_image, random_bytes
from s3helpers import _ProxyHandler
from storagehelpers import _LoopbackServer
from tokenhelpers import BearerProxy, IssuedTokens, slow_push

auth = pytest.importorskip("azure.storage.blob._shared.authentication")

pytestmark = pytest.mark.wharf_only

TENANT = "wharf-tenant"
CLIENT_ID = "0b7c1d2e-wharf-app"
SECRET = "s3cr3t-value-never-printed"
IDENTITY_HEADER = "wharf-identity-header"
SCOPE = "https://storage.azure.com/.default"
#: Tokens live 62 s; Wharf replaces them 60 s before expiry, so every ~2 s.
TOKEN_LIFETIME = 62
#: The proxy takes a token only this long after it was issued.
TOKEN_ACCEPTED_FOR = 4


class IdentityEndpoint(_LoopbackServer):
    """POST /<tenant>/oauth2/v2.0/token (client credentials) and GET /msi/token (a managed
    identity, App Service style): tokens only for exactly the expected fields."""

    def __init__(self):
        self.port = free_port()
        self.tokens = IssuedTokens("aad", TOKEN_ACCEPTED_FOR)
        self.rejected = []
        endpoint = self

        class Handler(_ProxyHandler):
            def do_POST(self):
                form = urllib.parse.parse_qs(self.read_body().decode(), keep_blank_values=True)
                expected = {"grant_type": ["client_credentials"], "client_id": [CLIENT_ID],
                            "client_secret": [SECRET], "scope": [SCOPE]}
                ok = (self.path == f"/{TENANT}/oauth2/v2.0/token" and form == expected
                      and self.headers.get("Content-Type") == "application/x-www-form-urlencoded")
                self._token(ok, f"{self.path} {sorted(form)}", {"expires_in": TOKEN_LIFETIME})

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                ok = (url.path == "/msi/token" and q.get("resource") == "https://storage.azure.com/"
                      and q.get("api-version") and self.headers.get("X-IDENTITY-HEADER") == IDENTITY_HEADER)
                # App Service answers expires_on (epoch seconds, a string).
                self._token(ok, self.path, {"expires_on": str(int(time.time()) + TOKEN_LIFETIME)})

            def _token(self, ok, what, lifetime):
                if ok:
                    status, doc = 200, {"access_token": endpoint.tokens.issue(), "token_type": "Bearer", **lifetime}
                else:
                    endpoint.rejected.append(what)
                    status, doc = 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)


class _SDKRequest:
    """The request shape the SDK's SharedKeyCredentialPolicy signs."""

    class _Part:
        pass

    def __init__(self, method, url, headers, query):
        self.http_request = self._Part()
        self.http_request.method, self.http_request.url = method, url
        self.http_request.headers, self.http_request.query = headers, query
        self.context = self._Part()
        self.context.transport = None


def shared_key_resign(method, path, headers):
    """The forwarded headers, SharedKey-signed by the SDK's own policy for the fake."""
    lowered = {k.lower(): v for k, v in headers.items()}
    query = urllib.parse.urlsplit(path).query
    raw = {p.partition("=")[0]: p.partition("=")[2] for p in query.split("&")} if query else {}
    req = _SDKRequest(method, "http://" + lowered.get("host", "localhost") + path, lowered, raw)
    auth.SharedKeyCredentialPolicy(ACCOUNT, KEY).on_request(req)
    lowered["authorization"] = req.http_request.headers["Authorization"]
    return lowered


def _stack(azure=None, env=None):
    identity = IdentityEndpoint().start()
    fake = AzureBlobFake().start()
    container = fake.create_container()
    proxy = BearerProxy(fake.port, identity.tokens, resign=shared_key_resign, required_headers=("x-ms-version",)).start()
    params = {"accountkey": None}
    params.update(azure or {})
    r = AzureRegistryProcess(f"{proxy.endpoint}/{ACCOUNT}", container, redirect=True, azure=params,
                             env={k: v.replace("{identity}", identity.endpoint) for k, v in (env or {}).items()}).start()
    return r, identity, proxy, fake


def _client_secret(secret=SECRET, **extra):
    return {"credentials": {"type": "client_secret", "clientid": CLIENT_ID, "tenantid": TENANT, "secret": secret, **extra}}


@pytest.fixture
def stack(request):
    r, identity, proxy, fake = _stack(**request.param)
    yield r, identity, proxy
    r.cleanup()
    proxy.stop()
    fake.stop()
    identity.stop()


CLIENT_SECRET = {"env": {"REGISTRY_STORAGE_AZURE_CREDENTIALS_AUTHORITYHOST": "{identity}"}, "azure": _client_secret()}
FROM_VARIABLES = {"azure": {"credentials": {"type": "default_credentials"}},
                  "env": {"AZURE_CLIENT_ID": CLIENT_ID, "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_SECRET": SECRET,
                          "AZURE_AUTHORITY_HOST": "{identity}"}}
MANAGED_IDENTITY = {"azure": {"credentials": {"type": "default_credentials"}},
                    "env": {"IDENTITY_ENDPOINT": "{identity}/msi/token", "IDENTITY_HEADER": IDENTITY_HEADER,
                            "AZURE_CLIENT_ID": "", "AZURE_CLIENT_SECRET": ""}}
WRONG_SECRET = {"env": {"REGISTRY_STORAGE_AZURE_CREDENTIALS_AUTHORITYHOST": "{identity}"},
                "azure": _client_secret(secret="not-the-secret")}


@pytest.mark.parametrize("stack", [CLIENT_SECRET], indirect=True, ids=["client_secret"])
def test_a_long_push_with_a_client_secret_refreshes_its_token_and_pulls_back_without_redirect(stack):
    r, identity, proxy = stack
    digest, data = slow_push(r, "aad/app", [random_bytes(700 * 1024) for _ in range(3)])
    # Redirects are enabled, but a token holder has no SAS to give: the bytes come from the registry.
    st, _, body = r.request("GET", f"/v2/aad/app/blobs/{digest}", timeout=120)
    assert st == 200 and body == data, st
    push_image(r, "aad/app", build_image(layers=1), tag="v1")
    assert identity.rejected == [], identity.rejected
    assert len(identity.tokens.issued) >= 3, identity.tokens.issued     # refreshed during the push
    assert proxy.refused == 0 and proxy.forwarded > 0
    assert SECRET not in r.read_log()


@pytest.mark.parametrize("stack", [FROM_VARIABLES, MANAGED_IDENTITY], indirect=True, ids=["azure_variables", "managed_identity"])
def test_default_credentials_push_and_pull(stack):
    r, identity, proxy = stack
    img = build_image(layers=2)
    push_image(r, "dc/app", img, tag="v1")
    for blob in img.blobs:
        st, _, body = r.request("GET", f"/v2/dc/app/blobs/{blob.digest}")
        assert st == 200 and body == blob.data, st
    assert identity.rejected == [] and identity.tokens.issued
    assert proxy.refused == 0 and proxy.forwarded > 0


@pytest.mark.parametrize("stack", [WRONG_SECRET], indirect=True, ids=["wrong_secret"])
def test_a_refused_client_secret_is_503_naming_the_client_never_the_secret(stack):
    r, identity, proxy = stack
    st, _, body = r.request("GET", "/v2/aad/app/manifests/v1")
    assert st == 503, (st, body)
    assert identity.rejected and proxy.forwarded == 0
    assert CLIENT_ID.encode() in body and b"Invalid client secret" in body
    log = r.read_log()
    assert "not-the-secret" not in log and b"not-the-secret" not in body
    assert r.proc.poll() is None


def test_check_config_masks_the_client_secret(tmp_path):
    import subprocess
    from harness import wharf_bin
    config = tmp_path / "c.yml"
    config.write_text("version: 0.1\nstorage:\n  azure:\n    accountname: a\n    container: c\n"
                      f"    credentials:\n      type: client_secret\n      clientid: {CLIENT_ID}\n"
                      f"      tenantid: {TENANT}\n      secret: {SECRET}\n")
    out = subprocess.run([wharf_bin(), "check-config", str(config)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert SECRET not in out.stdout + out.stderr and CLIENT_ID in out.stdout
