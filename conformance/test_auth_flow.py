"""Token auth as the OpenShift registry does it (auth.openshift), against the real
binary over TLS: challenges, the token endpoint, per-role access on /v2 (a matrix of
roles × operations × projects with exact statuses), forged and stolen tokens, scope
escalation, cross-repository mounts from unreadable projects, and logs free of secrets."""
import base64
import hashlib
import hmac
import json
import os
import signal
import time
import urllib.parse

import pytest

from authhelpers import PASSWORD, PASSWORD_USER, ROLES, AuthRegistry
from ocihelpers import OCI_MANIFEST, build_image, error_codes, push_image, sha256

pytestmark = pytest.mark.wharf_only

METRICS_SECRET = "metrics-secret-for-tests"


class As:
    """The registry as seen by one caller: every request carries `headers`."""

    def __init__(self, auth, headers):
        self.auth, self.headers = auth, headers
        self.host = auth.reg.host

    def connection(self, timeout=30):
        return self.auth.reg.connection(timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        h = dict(self.headers)
        h.update(headers or {})
        return self.auth.reg.request(method, path, body=body, headers=h)


@pytest.fixture(scope="module")
def auth():
    a = AuthRegistry(env={"REGISTRY_LOG_LEVEL": "debug", "REGISTRY_OPENSHIFT_METRICS_ENABLED": "true",
                          "REGISTRY_OPENSHIFT_METRICS_SECRET": METRICS_SECRET}).start()
    admin = As(a, a.basic("any", a.tokens["admin"]))
    a.images = {}
    for repo in ("proj/app", "other/app", "public/app"):
        img = build_image()
        push_image(admin, repo, img, tag="v1")
        a.images[repo] = img
    yield a
    a.cleanup()


def b64url(obj):
    raw = json.dumps(obj, separators=(",", ":")).encode() if not isinstance(obj, bytes) else obj
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_challenge(value):
    scheme, _, params = value.partition(" ")
    out = {}
    for part in params.split('",'):
        k, _, v = part.partition("=")
        out[k.strip()] = v.strip().strip('"')
    return scheme, out


# --- challenges and the token endpoint ------------------------------------------------


def test_no_credentials_gets_bearer_challenge(auth):
    st, h, body = auth.request("GET", "/v2/proj/app/manifests/v1")
    assert st == 401
    assert error_codes(body) == ["UNAUTHORIZED"]
    scheme, params = parse_challenge(h["www-authenticate"])
    assert scheme == "Bearer"
    assert params["realm"] == f"https://{auth.reg.host}/openshift/token"
    assert params["service"] == auth.reg.host
    assert params["scope"] == "repository:proj/app:pull"
    st, h, _ = auth.request("POST", "/v2/proj/app/blobs/uploads/", headers={"Content-Length": "0"})
    assert st == 401 and parse_challenge(h["www-authenticate"])[1]["scope"] == "repository:proj/app:pull,push"
    st, h, _ = auth.request("GET", "/v2/")
    assert st == 401 and h["www-authenticate"].startswith("Bearer realm=")


def test_challenge_follows_forwarded_headers(auth):
    st, h, _ = auth.request("GET", "/v2/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example:8443"})
    assert st == 401
    params = parse_challenge(h["www-authenticate"])[1]
    assert params["realm"] == "https://registry.example:8443/openshift/token"
    assert params["service"] == "registry.example:8443"


def test_token_endpoint_with_api_token_ignores_user_name(auth):
    q = "/openshift/token?account=whoever&service=x&scope=repository:proj/app:pull,push"
    st, h, body = auth.request("GET", q, headers=auth.basic("not-the-user", auth.tokens["editor"]))
    assert st == 200, body
    doc = json.loads(body)
    assert set(doc) >= {"token", "access_token", "expires_in", "issued_at"}
    assert doc["token"] == doc["access_token"] and 0 < doc["expires_in"] <= 3600
    claims = json.loads(base64.urlsafe_b64decode(doc["token"].split(".")[1] + "=="))
    assert claims["sub"] == "editor"
    assert claims["access"] == [{"type": "repository", "name": "proj/app", "actions": ["pull", "push"]}]
    st, _, _ = auth.request("GET", "/v2/proj/app/manifests/v1", headers={"Authorization": "Bearer " + doc["token"]})
    assert st == 200


def test_token_endpoint_with_password(auth):
    token = auth.bearer_for(PASSWORD_USER, "repository:proj/app:pull", password=PASSWORD)
    st, _, _ = auth.request("GET", "/v2/proj/app/manifests/v1", headers={"Authorization": "Bearer " + token})
    assert st == 200


@pytest.mark.parametrize("headers", [
    {"Authorization": "Basic " + base64.b64encode(b"editor:wrong-token").decode()},
    {"Authorization": "Basic " + base64.b64encode(f"{PASSWORD_USER}:wrong password".encode()).decode()},
    {"Authorization": "Basic not-base64!!"},
    {"Authorization": "Bearer wrong-token"},
])
def test_token_endpoint_bad_credentials_401(auth, headers):
    st, _, body = auth.request("GET", "/openshift/token?scope=repository:proj/app:pull", headers=headers)
    assert st == 401
    assert error_codes(body) == ["UNAUTHORIZED"]


def test_anonymous_token_grants_only_public(auth):
    token = auth.bearer_for(None, "repository:public/app:pull,push", "repository:proj/app:pull")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["access"] == [{"type": "repository", "name": "public/app", "actions": ["pull"]}]
    bearer = {"Authorization": "Bearer " + token}
    assert auth.request("GET", "/v2/public/app/manifests/v1", headers=bearer)[0] == 200
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=bearer)[0] == 401
    assert auth.request("GET", "/v2/", headers=bearer)[0] == 200
    # Without any token, the public project is readable as well; nothing else is.
    assert auth.request("GET", "/v2/public/app/manifests/v1")[0] == 200
    assert auth.request("POST", "/v2/public/app/blobs/uploads/", headers={"Content-Length": "0"})[0] == 401


def test_scope_escalation_through_token_endpoint(auth):
    token = auth.bearer_for("viewer", "repository:proj/app:pull,push,delete,*", "repository:other/app:pull",
                            "registry:catalog:*")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["access"] == [{"type": "repository", "name": "proj/app", "actions": ["pull"]}]
    bearer = {"Authorization": "Bearer " + token}
    assert auth.request("POST", "/v2/proj/app/blobs/uploads/", headers={**bearer, "Content-Length": "0"})[0] == 403
    assert auth.request("GET", "/v2/_catalog", headers=bearer)[0] == 403


def test_token_for_project_a_refused_on_project_b(auth):
    token = auth.bearer_for("admin", "repository:proj/app:pull,push")
    bearer = {"Authorization": "Bearer " + token}
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=bearer)[0] == 200
    st, _, body = auth.request("GET", "/v2/other/app/manifests/v1", headers=bearer)
    assert st == 403 and error_codes(body) == ["DENIED"]
    # Not even whether it exists: a missing repository in the same project looks the same.
    st2, _, body2 = auth.request("GET", "/v2/other/missing/manifests/v1", headers=bearer)
    assert (st2, body2) == (st, body)


def forge(claims, key=b"guess", alg="HS256", header=None):
    head = b64url(header or {"alg": alg, "typ": "JWT"})
    body = b64url(claims)
    if alg == "none":
        return f"{head}.{body}."
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def test_tampered_forged_and_none_tokens_refused(auth):
    good = auth.bearer_for("viewer", "repository:proj/app:pull")
    head, body, sig = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["access"] = [{"type": "repository", "name": "proj/app", "actions": ["pull", "push", "delete"]}]
    tampered = f"{head}.{b64url(claims)}.{sig}"
    now = int(time.time())
    full = {"iss": claims["iss"], "sub": "admin", "aud": claims["aud"], "iat": now, "nbf": now, "exp": now + 300,
            "access": [{"type": "repository", "name": "proj/app", "actions": ["pull"]}]}
    for bad in (tampered, forge(full), forge(full, alg="none"), forge(full, header={"alg": "None"}),
                forge(full, alg="HS512"), good[:-2], good + "x", "a.b.c"):
        st, _, body = auth.request("GET", "/v2/proj/app/manifests/v1", headers={"Authorization": "Bearer " + bad})
        assert st == 401, bad
        assert error_codes(body) == ["UNAUTHORIZED"]


def test_expired_and_wrong_issuer_tokens_refused(auth):
    # The key is derived from http.secret (the harness sets it), so we can mint tokens the
    # registry would accept, and change one claim at a time.
    key = hmac.new(b"conformance-secret", b"wharf auth token signing key v1", hashlib.sha256).digest()
    sample = json.loads(base64.urlsafe_b64decode(auth.bearer_for("viewer").split(".")[1] + "=="))
    now = int(time.time())
    base = {"iss": sample["iss"], "sub": "viewer", "aud": sample["aud"], "iat": now, "nbf": now, "exp": now + 300,
            "jti": "x", "access": [{"type": "repository", "name": "proj/app", "actions": ["pull"]}]}
    path = "/v2/proj/app/manifests/v1"
    assert auth.request("GET", path, headers={"Authorization": "Bearer " + forge(base, key)})[0] == 200
    for change in ({"exp": now - 10}, {"iss": "someone-else"}, {"aud": "other-registry"},
                   {"nbf": now + 3600}, {"iat": now + 3600}):
        st, _, _ = auth.request("GET", path, headers={"Authorization": "Bearer " + forge({**base, **change}, key)})
        assert st == 401, change
    # Same key, other algorithm: refused.
    assert auth.request("GET", path, headers={"Authorization": "Bearer " + forge(base, key, alg="HS384")})[0] == 401


def test_basic_and_raw_bearer_api_tokens_on_v2(auth):
    t = auth.tokens["viewer"]
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=auth.basic("anything", t))[0] == 200
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers={"Authorization": "Bearer " + t})[0] == 200
    st, _, body = auth.request("GET", "/v2/proj/app/manifests/v1", headers=auth.basic("a:b", t))
    assert st == 401
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=auth.basic("x", "nope"))[0] == 401
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=auth.basic(PASSWORD_USER, PASSWORD))[0] == 200


def test_names_must_be_project_slash_name(auth):
    t = auth.basic("any", auth.tokens["admin"])
    for name in ("app", "proj/team/app"):
        st, _, body = auth.request("GET", f"/v2/{name}/manifests/v1", headers=t)
        assert st == 401
        error = json.loads(body)["errors"][0]
        # The message says it (podman shows only the message), not only the detail.
        assert f"repository name '{name}' must be <project>/<name>" in error["message"], error
        assert "<project>/<name>" in error["detail"]
        # HEAD has no body: the challenge's error_description says it.
        st, h, _ = auth.request("HEAD", f"/v2/{name}/manifests/v1", headers=t)
        assert st == 401
        assert 'error="invalid_request"' in h["www-authenticate"], h
        assert f'error_description="repository name \'{name}\' must be <project>/<name>' in h["www-authenticate"], h


def test_mount_from_unreadable_project_falls_back_to_upload(auth):
    layer = auth.images["other/app"].blobs[1]
    editor = auth.basic("any", auth.tokens["editor"])
    q = urllib.parse.urlencode({"mount": layer.digest, "from": "other/app"})
    st, h, _ = auth.request("POST", f"/v2/proj/app/blobs/uploads/?{q}", headers={**editor, "Content-Length": "0"})
    assert st == 202, "a mount from a project the caller cannot read must become a plain upload"
    # The blob did not leak into proj/app.
    assert auth.request("HEAD", f"/v2/proj/app/blobs/{layer.digest}", headers=editor)[0] == 404
    # From a readable project the mount works.
    proj_layer = auth.images["proj/app"].blobs[1]
    q = urllib.parse.urlencode({"mount": proj_layer.digest, "from": "proj/app"})
    st, _, _ = auth.request("POST", f"/v2/proj/other/blobs/uploads/?{q}", headers={**editor, "Content-Length": "0"})
    assert st == 201


# --- the matrix -----------------------------------------------------------------------

OPERATIONS = ["pull", "push", "delete", "catalog", "metrics", "admin"]


def expected(user, op, project):
    """The status a caller should get: 'ok', 401 or 403."""
    if user is None:
        if op == "pull" and project == "public":
            return "ok"
        return 401
    spec = ROLES.get(user)
    if spec is None:
        return 403
    role, projects = spec
    on = projects is not None and ("*" in projects or project in projects)
    all_projects = projects is not None and "*" in projects
    verbs = {"registry-viewer": {"pull"}, "registry-editor": {"pull", "push"}, "system:image-builder": {"pull", "push"},
             "registry-admin": {"pull", "push", "delete"}, "prometheus-scraper": set()}[role]
    if op in ("catalog", "admin"):
        return "ok" if role == "registry-admin" and all_projects else 403
    if op == "metrics":
        return "ok" if role == "prometheus-scraper" or (role == "registry-admin" and all_projects) else 403
    return "ok" if on and op in verbs else 403


def perform(auth, headers, op, project):
    repo = f"{project}/app"
    if op == "pull":
        return auth.request("GET", f"/v2/{repo}/manifests/v1", headers={**headers, "Accept": OCI_MANIFEST})[0]
    if op == "push":
        return auth.request("POST", f"/v2/{repo}/blobs/uploads/", headers={**headers, "Content-Length": "0"})[0]
    if op == "delete":
        # An unknown digest: allowed callers get 404, the others 401/403; nothing is lost.
        return auth.request("DELETE", f"/v2/{repo}/manifests/{sha256(os.urandom(8))}", headers=headers)[0]
    if op == "catalog":
        return auth.request("GET", "/v2/_catalog", headers=headers)[0]
    if op == "admin":
        return auth.request("GET", "/extensions/v2/pruner", headers=headers)[0]
    return auth.request("GET", "/extensions/v2/metrics", headers=headers)[0]


OK = {"pull": {200}, "push": {202}, "delete": {404}, "catalog": {200}, "metrics": {200}, "admin": {200}}


@pytest.mark.parametrize("mode", ["basic", "jwt"])
@pytest.mark.parametrize("user", list(ROLES) + [None])
def test_role_matrix(auth, user, mode):
    failures = []
    for project in ("proj", "other", "public"):
        for op in OPERATIONS:
            if user is None:
                headers = {}
            elif mode == "basic":
                headers = auth.basic("any", auth.tokens[user])
            else:
                repo = f"{project}/app"
                scope = {"pull": f"repository:{repo}:pull", "push": f"repository:{repo}:pull,push",
                         "delete": f"repository:{repo}:delete", "catalog": "registry:catalog:*",
                         "metrics": "registry:metrics:*", "admin": "registry:admin:*"}[op]
                headers = {"Authorization": "Bearer " + auth.bearer_for(user, scope)}
            want = expected(user, op, project)
            got = perform(auth, headers, op, project)
            ok = got in OK[op] if want == "ok" else got == want
            if not ok:
                failures.append((project, op, want, got))
    assert not failures, failures


def test_metrics_secret_works_beside_the_roles(auth):
    """openshift.metrics.secret grants metrics with auth on, as Bearer or as a Basic password;
    it grants nothing else, and a wrong secret is 401."""
    for headers in ({"Authorization": "Bearer " + METRICS_SECRET}, auth.basic("any", METRICS_SECRET)):
        status, _, body = auth.request("GET", "/extensions/v2/metrics", headers=headers)
        assert status == 200
        assert b"imageregistry_http_requests_total" in body
        assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=headers)[0] == 401
    assert auth.request("GET", "/extensions/v2/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401


def test_catalog_for_admin_lists_repositories(auth):
    st, _, body = auth.request("GET", "/v2/_catalog", headers=auth.basic("any", auth.tokens["admin"]))
    assert st == 200
    assert {"proj/app", "other/app", "public/app"} <= set(json.loads(body)["repositories"])


# --- policy reload and logs -----------------------------------------------------------


def test_policy_reload_on_change_and_sighup(auth):
    nobody = auth.basic("any", auth.tokens["nobody"])
    assert auth.request("GET", "/v2/proj/app/manifests/v1", headers=nobody)[0] == 403
    with open(auth.policy_path) as f:
        original = f.read()
    try:
        with open(auth.policy_path, "a") as f:
            f.write('  - role: registry-viewer\n    subjects: ["user:nobody"]\n    projects: ["proj"]\n')
        deadline = time.time() + 5
        while time.time() < deadline:
            if auth.request("GET", "/v2/proj/app/manifests/v1", headers=nobody)[0] == 200:
                break
            time.sleep(0.3)
        else:
            pytest.fail("policy change not picked up")
    finally:
        with open(auth.policy_path, "w") as f:
            f.write(original)
        # Same size as before is possible; SIGHUP forces the reload regardless.
        auth.reg.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 5
    while time.time() < deadline:
        if auth.request("GET", "/v2/proj/app/manifests/v1", headers=nobody)[0] == 403:
            break
        time.sleep(0.2)
    else:
        pytest.fail("policy not restored after SIGHUP")
    assert auth.reg.proc.poll() is None, "SIGHUP must not stop the registry"


def test_logs_never_contain_tokens_or_passwords(auth):
    token = auth.bearer_for("editor", "repository:proj/app:pull")
    auth.request("GET", "/v2/proj/app/manifests/v1", headers={"Authorization": "Bearer " + token})
    auth.bearer_for(PASSWORD_USER, "repository:proj/app:pull", password=PASSWORD)
    log = auth.reg.read_log()
    assert "auth decision" in log, "debug logging is on: decisions are logged"
    for secret in list(auth.tokens.values()) + [PASSWORD, token, token.split(".")[2]]:
        assert secret not in log


def test_token_new_prints_token_and_its_policy_line():
    import re
    import subprocess
    from harness import wharf_bin
    out = subprocess.run([wharf_bin(), "token", "new", "carol"], capture_output=True, text=True, check=True, timeout=30).stdout
    lines = out.strip().splitlines()
    token = lines[0]
    m = re.search(r'tokens: \["sha256:([0-9a-f]{64})"\]', out)
    assert m and m.group(1) == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40
    again = subprocess.run([wharf_bin(), "token", "new", "carol"], capture_output=True, text=True, check=True, timeout=30).stdout
    assert again.splitlines()[0] != token
    bad = subprocess.run([wharf_bin(), "token", "new", "a:b"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2


def test_strictnames_off_allows_deeper_names_in_the_project():
    a = AuthRegistry(extra_config={"strictnames": False}).start()
    try:
        editor = a.basic("any", a.tokens["editor"])
        st, _, _ = a.request("POST", "/v2/proj/team/app/blobs/uploads/", headers={**editor, "Content-Length": "0"})
        assert st == 202
        st, _, _ = a.request("POST", "/v2/other/team/app/blobs/uploads/", headers={**editor, "Content-Length": "0"})
        assert st == 403
        # A single-component name is its own project.
        assert a.request("POST", "/v2/proj/blobs/uploads/", headers={**editor, "Content-Length": "0"})[0] == 202
        assert a.request("POST", "/v2/app/blobs/uploads/", headers={**editor, "Content-Length": "0"})[0] == 403
    finally:
        a.cleanup()
