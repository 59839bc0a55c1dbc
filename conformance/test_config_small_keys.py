"""The small keys of distribution's reference (issue 18 part 5): http.headers, log.fields,
log.formatter logstash, log.accesslog.disabled, storage.tag.concurrencylimit,
http.tls.clientcas (mutual TLS), http.tls.minimumtls and http.tls.ciphersuites; and the
debug server (part 4). `http.http2.disabled` is tested in test_http2_clients.py."""
import json
import os

import pytest

from confighelpers import curl, make_ca, make_client_cert
from harness import RegistryProcess, free_port, make_tls
from ocihelpers import build_image, push_image

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    ca, crt, key = make_tls(d)
    client = make_client_cert(d, ca)
    other_ca, other_key = make_ca(d, "other-ca")
    # A certificate from a CA the registry does not trust.
    stranger = os.path.join(str(d), "stranger")
    os.makedirs(stranger)
    import shutil
    shutil.copy(other_ca, os.path.join(stranger, "ca.crt"))
    shutil.copy(other_key, os.path.join(stranger, "ca.key"))
    foreign = make_client_cert(stranger, os.path.join(stranger, "ca.crt"), name="stranger")
    return {"ca": ca, "crt": crt, "key": key, "client": client, "foreign": foreign}


def test_http_headers_on_every_response():
    r = RegistryProcess(config={"http": {"headers": {
        "X-Content-Type-Options": ["nosniff"],
        "Strict-Transport-Security": ["max-age=31536000"],
        "Docker-Distribution-Api-Version": ["not-this"],
    }}}).start()
    try:
        for path in ["/v2/", "/v2/nope/manifests/latest", "/healthz", "/v2/_catalog", "/nowhere"]:
            st, h, _ = r.request("GET", path)
            assert h.get("x-content-type-options") == "nosniff", (path, st, h)
            assert h.get("strict-transport-security") == "max-age=31536000", (path, st)
        # A header the registry sets itself is kept.
        assert r.request("GET", "/v2/")[1]["docker-distribution-api-version"] == "registry/2.0"
    finally:
        r.cleanup()


def log_lines(r):
    return [l for l in r.read_log().splitlines() if l.strip()]


def test_log_fields_on_every_line_in_logstash_format():
    r = RegistryProcess(config={"log": {"formatter": "logstash", "fields": {"service": "registry", "environment": "staging"}}}).start()
    try:
        r.request("GET", "/v2/")
        r.request("GET", "/v2/nope/tags/list")
    finally:
        r.stop()
    lines = log_lines(r)
    r.cleanup()
    assert len(lines) >= 4, lines
    for line in lines:
        obj = json.loads(line)
        assert obj["service"] == "registry" and obj["environment"] == "staging", line
        assert obj["@version"] == "1" and "@timestamp" in obj and "message" in obj and "level" in obj, line
    assert sum(1 for l in lines if json.loads(l)["message"] == "response completed") == 2


@pytest.mark.parametrize("disabled", [False, True])
def test_access_log_disabled(disabled):
    r = RegistryProcess(config={"log": {"accesslog": {"disabled": disabled}}}).start()
    try:
        for _ in range(3):
            assert r.request("GET", "/v2/")[0] == 200
    finally:
        r.stop()
    access = [l for l in log_lines(r) if "response completed" in l]
    r.cleanup()
    assert len(access) == (0 if disabled else 3)


def test_access_lines_name_the_authenticated_user(tmp_path):
    from authhelpers import hash_password
    import base64
    htpasswd = os.path.join(str(tmp_path), "htpasswd")
    with open(htpasswd, "w") as f:
        f.write(f"alice:{hash_password('wonderland')}\n")
    r = RegistryProcess(config={"log": {"formatter": "json"}, "auth": {"htpasswd": {"realm": "r", "path": htpasswd}}}).start()
    try:
        basic = {"Authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode()}
        assert r.request("GET", "/v2/", headers=basic)[0] == 200
        assert r.request("GET", "/v2/")[0] == 401
    finally:
        r.stop()
    access = [json.loads(l) for l in log_lines(r) if "response completed" in l]
    r.cleanup()
    assert [a.get("auth.user.name") for a in access] == ["alice", ""]


def test_tag_concurrency_limit_bounds_lookups_and_delete_still_removes_every_tag():
    r = RegistryProcess(config={"storage": {"tag": {"concurrencylimit": 2}}}).start()
    try:
        image = push_image(r, "small/tags", build_image(), tag="v0")
        tags = [f"v{i}" for i in range(7)]
        for t in tags[1:]:
            st, _, _ = r.request("PUT", f"/v2/small/tags/manifests/{t}", body=image.data,
                                 headers={"Content-Type": image.media_type})
            assert st == 201
        other = push_image(r, "small/tags", build_image(), tag="other")
        assert r.request("DELETE", f"/v2/small/tags/manifests/{image.digest}")[0] == 202
        st, _, body = r.request("GET", "/v2/small/tags/tags/list")
        assert json.loads(body)["tags"] == ["other"]
        assert r.request("GET", f"/v2/small/tags/manifests/{other.digest}")[0] == 200
    finally:
        r.cleanup()


def tls_registry(tls, **tls_keys):
    cfg = {"certificate": tls["crt"], "key": tls["key"]}
    cfg.update(tls_keys)
    return RegistryProcess(tls=(tls["crt"], tls["key"]), config={"http": {"tls": cfg}}).start()


def status_of(url, *args):
    code, out, err = curl("-o", "/dev/null", "-w", "%{http_code}", *args, url)
    return out if code == 0 else f"curl exit {code}"


def test_client_certificates_from_clientcas(tls):
    r = tls_registry(tls, clientcas=[tls["ca"]])
    try:
        url = r.url + "/v2/"
        assert status_of(url, "--cacert", tls["ca"]).startswith("curl exit")
        assert status_of(url, "--cacert", tls["ca"], "--cert", tls["foreign"][0], "--key", tls["foreign"][1]).startswith("curl exit")
        assert status_of(url, "--cacert", tls["ca"], "--cert", tls["client"][0], "--key", tls["client"][1]) == "200"
        assert status_of(url, "--http2", "--cacert", tls["ca"], "--cert", tls["client"][0], "--key", tls["client"][1]) == "200"
    finally:
        r.cleanup()
    # verify-client-cert-if-given: no certificate is let in, a foreign one is not.
    r = tls_registry(tls, clientcas=[tls["ca"]], clientauth="verify-client-cert-if-given")
    try:
        url = r.url + "/v2/"
        assert status_of(url, "--cacert", tls["ca"]) == "200"
        assert status_of(url, "--cacert", tls["ca"], "--cert", tls["foreign"][0], "--key", tls["foreign"][1]).startswith("curl exit")
        assert status_of(url, "--cacert", tls["ca"], "--cert", tls["client"][0], "--key", tls["client"][1]) == "200"
    finally:
        r.cleanup()
    # Without clientcas, no certificate is asked for.
    r = tls_registry(tls)
    try:
        assert status_of(r.url + "/v2/", "--cacert", tls["ca"]) == "200"
    finally:
        r.cleanup()


def test_minimum_tls_version(tls):
    r = tls_registry(tls, minimumtls="tls1.3")
    try:
        url = r.url + "/v2/"
        assert status_of(url, "--cacert", tls["ca"]) == "200"
        assert status_of(url, "--cacert", tls["ca"], "--tls-max", "1.2").startswith("curl exit")
    finally:
        r.cleanup()


def test_cipher_suites(tls):
    r = tls_registry(tls, ciphersuites=["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"])
    try:
        url = r.url + "/v2/"
        ok = ["--cacert", tls["ca"], "--tls-max", "1.2"]
        assert status_of(url, *ok, "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384") == "200"
        assert status_of(url, *ok, "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256").startswith("curl exit")
    finally:
        r.cleanup()


def test_debug_server_serves_health_and_metrics_without_auth(tmp_path):
    debug_port = free_port()
    htpasswd = os.path.join(str(tmp_path), "htpasswd")
    open(htpasswd, "w").close()
    r = RegistryProcess(config={
        "http": {"debug": {"addr": f"127.0.0.1:{debug_port}", "prometheus": {"enabled": True, "path": "/prom"}}},
        "auth": {"htpasswd": {"realm": "r", "path": htpasswd}},
    }).start()
    try:
        assert r.request("GET", "/v2/")[0] == 401
        debug = f"http://127.0.0.1:{debug_port}"
        code, body, _ = curl(debug + "/debug/health")
        assert json.loads(body) == {"storagedriver_filesystem": {"status": "ok"}}
        code, body, _ = curl(debug + "/prom")
        assert "imageregistry_http_requests_total{" in body, body[:500]
        assert status_of(debug + "/metrics") == "404"
        assert status_of(debug + "/v2/") == "404"
        # The registry listener does not serve them (openshift.metrics is off).
        assert r.request("GET", "/extensions/v2/metrics")[0] in (401, 404)
    finally:
        r.cleanup()
