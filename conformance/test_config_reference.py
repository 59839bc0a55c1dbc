"""distribution's and OpenShift's config files run unchanged (issue 18): the reference
files in config/examples use every key of their reference; `check-config` accepts each and
prints one warning per key that has no effect, and `serve` starts on each with only
addresses and paths replaced (by REGISTRY_* variables, so the files stay as they are)."""
import json
import os
import subprocess
import time

import pytest

from authhelpers import hash_password
from confighelpers import OTHER_FEATURES, check_config, curl, make_client_cert, reference_text, wait_for
from harness import free_port, make_tls, wharf_bin

pytestmark = pytest.mark.wharf_only

# The keys each file sets that have no effect here: one warning line each.
NO_EFFECT = {
    "distribution-2.8.yml": ["log.hooks", "middleware", "reporting", "http.tls.letsencrypt", "compatibility.schema1", "validation"],
    "distribution-3.yml": ["log.reportcaller", "log.hooks", "storage.cache.blobdescriptorsize", "middleware",
                           "http.tls.letsencrypt", "http.h2c.enabled", "validation"],
    "openshift-registry.yml": ["openshift.kubeconfig", "openshift.server.addr", "openshift.audit.enabled", "openshift.quota",
                               "openshift.cache", "openshift.pullthrough", "openshift.compatibility.acceptschema2"],
}


def write(tmp_path, name):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as f:
        f.write(reference_text(name))
    return path


@pytest.mark.parametrize("name", sorted(NO_EFFECT))
def test_check_config_accepts_each_reference_and_warns_once_per_key(tmp_path, name):
    # check-config loads the htpasswd file a config names, as serve does: the file's own
    # path (/etc/...) is replaced by one that exists, as the serve test does.
    env = None
    if "htpasswd:" in reference_text(name):
        htpasswd = os.path.join(str(tmp_path), "htpasswd")
        with open(htpasswd, "w") as f:
            f.write(f"alice:{hash_password('secret')}\n")
        env = {"REGISTRY_AUTH_HTPASSWD_PATH": htpasswd}
    code, out, err = check_config(write(tmp_path, name), env=env)
    assert code == 0, err
    warnings = [l[len("warning: "):] for l in err.splitlines() if l.startswith("warning: ")]
    for key in NO_EFFECT[name]:
        lines = [w for w in warnings if w.startswith(key + ": accepted, no effect")]
        assert len(lines) == 1, (key, err)
    # Nothing else is reported but these, the deprecated loglevel and the missing policy (and
    # whatever the other features' sections say of themselves, once merged).
    others = [w for w in warnings if not any(w.startswith(k + ":") for k in NO_EFFECT[name])
              and not w.startswith(tuple(s + "." for s in OTHER_FEATURES) + tuple(s + ":" for s in OTHER_FEATURES))]
    assert all(w.startswith(("loglevel is deprecated", "auth.openshift.policy: no policy file")) for w in others), others
    assert out.startswith("version: ")


def test_unknown_keys_stay_errors(tmp_path):
    path = os.path.join(str(tmp_path), "bad.yml")
    with open(path, "w") as f:
        f.write(reference_text("distribution-3.yml").replace("  reportcaller: false\n", "  reportcallr: false\n"))
    code, _, err = check_config(path)
    assert code == 2
    assert "log.reportcallr: unknown key (did you mean 'reportcaller'?)" in err


def start(config, env, log_path, timeout=30):
    e = dict(os.environ)
    e.update(env)
    log = open(log_path, "ab")
    proc = subprocess.Popen([wharf_bin(), "serve", config], stdout=log, stderr=subprocess.STDOUT, env=e)
    return proc


def wait_http(url, timeout=30, extra=()):
    deadline = time.time() + timeout
    while time.time() < deadline:
        code, out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", *extra, url, timeout=5)
        if code == 0 and out != "000":
            return out
        time.sleep(0.1)
    return None


def stop(proc):
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("name", ["distribution-2.8.yml", "distribution-3.yml"])
def test_serve_runs_distribution_reference_with_mtls_debug_server_and_health(tmp_path, name):
    ca, crt, key = make_tls(tmp_path)
    client_crt, client_key = make_client_cert(tmp_path, ca)
    htpasswd = os.path.join(str(tmp_path), "htpasswd")
    with open(htpasswd, "w") as f:
        f.write(f"alice:{hash_password('wonderland')}\n")
    port, debug_port = free_port(), free_port()
    env = {
        "REGISTRY_HTTP_ADDR": f"127.0.0.1:{port}",
        "REGISTRY_HTTP_DEBUG_ADDR": f"127.0.0.1:{debug_port}",
        "REGISTRY_HTTP_HOST": f"https://127.0.0.1:{port}",
        "REGISTRY_HTTP_TLS_CERTIFICATE": crt,
        "REGISTRY_HTTP_TLS_KEY": key,
        "REGISTRY_HTTP_TLS_CLIENTCAS_0": ca,  # distribution's form for one item of a list
        "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": os.path.join(str(tmp_path), "data"),
        "REGISTRY_AUTH_HTPASSWD_PATH": htpasswd,
        "REGISTRY_HEALTH_FILE": f"- file: {tmp_path}/maintenance\n  interval: 1s\n",
        "REGISTRY_HEALTH_HTTP": f"- uri: http://127.0.0.1:{debug_port}/metrics\n  statuscode: 200\n  interval: 1s\n",
        "REGISTRY_HEALTH_TCP": f"- addr: 127.0.0.1:{port}\n  interval: 1s\n",
    }
    proc = start(write(tmp_path, name), env, os.path.join(str(tmp_path), "wharf.log"))
    try:
        debug = f"http://127.0.0.1:{debug_port}"
        assert wait_http(debug + "/debug/health") is not None, open(os.path.join(str(tmp_path), "wharf.log")).read()
        checks = json.loads(curl(debug + "/debug/health")[1])
        assert set(checks) == {"storagedriver_filesystem", f"{tmp_path}/maintenance",
                               f"http://127.0.0.1:{debug_port}/metrics", f"127.0.0.1:{port}"}, checks
        assert wait_for(lambda: curl("-o", "/dev/null", "-w", "%{http_code}", debug + "/debug/health")[1], "200") == "200"
        # The debug listener serves the metrics without auth.
        _, metrics, _ = curl(debug + "/metrics")
        assert "imageregistry_" in metrics
        # mTLS: no client certificate, no connection; one from clientcas, an answer.
        url = f"https://127.0.0.1:{port}/v2/"
        code, _, _ = curl("--cacert", ca, url)
        assert code != 0
        code, out, _ = curl("--cacert", ca, "--cert", client_crt, "--key", client_key, "-u", "alice:wonderland",
                            "-D", "-", "-o", "/dev/null", url)
        assert code == 0 and out.startswith("HTTP/") and " 200" in out.splitlines()[0], out
        assert "x-content-type-options: nosniff" in out.lower()
        log = open(os.path.join(str(tmp_path), "wharf.log")).read()
        for key in NO_EFFECT[name]:
            assert key + ": accepted, no effect" in log
    finally:
        stop(proc)


def test_serve_runs_openshift_reference_with_policy_from_the_variable(tmp_path):
    path = write(tmp_path, "openshift-registry.yml")
    port = free_port()
    env = {"REGISTRY_HTTP_ADDR": f"127.0.0.1:{port}",
           "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": os.path.join(str(tmp_path), "data")}
    e = dict(os.environ)
    e.update(env)
    e.pop("REGISTRY_AUTH_OPENSHIFT_POLICY", None)
    p = subprocess.run([wharf_bin(), "serve", path], capture_output=True, text=True, timeout=60, env=e)
    assert p.returncode == 2
    assert "REGISTRY_AUTH_OPENSHIFT_POLICY" in p.stdout + p.stderr

    policy = os.path.join(str(tmp_path), "policy.yml")
    with open(policy, "w") as f:
        f.write("users: []\nbindings: []\n")
    env["REGISTRY_AUTH_OPENSHIFT_POLICY"] = policy
    proc = start(path, env, os.path.join(str(tmp_path), "wharf.log"))
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_http(base + "/healthz") == "200", open(os.path.join(str(tmp_path), "wharf.log")).read()
        # openshift.auth.realm/tokenrealm are auth.openshift's: the challenge names them.
        _, head, _ = curl("-D", "-", "-o", "/dev/null", base + "/v2/")
        assert 'realm="https://image-registry.example.com:5000/openshift/token"' in head, head
        _, metrics, _ = curl("-H", "Authorization: Bearer TopSecretLongToken", base + "/extensions/v2/metrics")
        assert "imageregistry_" in metrics
    finally:
        stop(proc)


def test_openshift_metrics_without_a_secret_follow_the_policys_metrics_role(tmp_path):
    from authhelpers import policy_yaml
    tokens = {"scraper": "wharf_scraper_token", "nobody": "wharf_nobody_token"}
    policy = os.path.join(str(tmp_path), "policy.yml")
    with open(policy, "w") as f:
        f.write(policy_yaml(tokens, hash_password("unused-password")))
    port = free_port()
    env = {"REGISTRY_HTTP_ADDR": f"127.0.0.1:{port}",
           "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": os.path.join(str(tmp_path), "data"),
           "REGISTRY_AUTH_OPENSHIFT_POLICY": policy,
           "REGISTRY_OPENSHIFT_METRICS_SECRET": ""}
    proc = start(write(tmp_path, "openshift-registry.yml"), env, os.path.join(str(tmp_path), "wharf.log"))
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_http(base + "/healthz") == "200", open(os.path.join(str(tmp_path), "wharf.log")).read()
        url = base + "/extensions/v2/metrics"
        assert status_of_curl(url, "-u", "scraper:" + tokens["scraper"]) == "200"
        assert status_of_curl(url, "-u", "nobody:" + tokens["nobody"]) in ("401", "403")
        assert status_of_curl(url, "-H", "Authorization: Bearer TopSecretLongToken") == "401"
    finally:
        stop(proc)


def status_of_curl(url, *args):
    _, out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", *args, url)
    return out
