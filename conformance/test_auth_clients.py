"""Real clients against Wharf with auth.openshift over TLS (certificates from our own
CA): podman login/push/pull with an API token as the password, skopeo with --creds and
--src-creds/--dest-creds, oras-py with Basic and with token auth. Each client is allowed
exactly what the user's role allows."""
import os
import shutil
import tempfile

import pytest

from authhelpers import AuthRegistry
from clienthelpers import ClientSandbox, OCILayout, sample_image, sha256, skopeo

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def auth():
    a = AuthRegistry().start()
    a.certs = os.path.join(a.dir, "client-certs")
    os.makedirs(a.certs)
    shutil.copy(a.ca, os.path.join(a.certs, "ca.crt"))
    yield a
    a.cleanup()


@pytest.fixture(scope="module")
def sandbox():
    sb = ClientSandbox()
    sb.layout = OCILayout(os.path.join(sb.tmp, "layout"))
    sb.image = sample_image("amd64", "auth")
    sb.layout.add_image(sb.image, "v1")
    yield sb
    sb.cleanup()


def test_podman_login_push_pull(auth, sandbox):
    host = auth.reg.host
    tls = f"--cert-dir={auth.certs}"
    bad = sandbox.podman("login", tls, "-u", "any", "-p", "not-a-token", host, check=False)
    assert bad.returncode != 0
    sandbox.podman("login", tls, "-u", "whoever", "-p", auth.tokens["editor"], host)
    name = f"{host}/proj/podman:v1"
    image_id = sandbox.podman("pull", "-q", f"oci:{sandbox.layout.path}:v1").stdout.decode().strip()
    sandbox.podman("tag", image_id, name)
    digestfile = os.path.join(sandbox.tmp, "digest")
    sandbox.podman("push", tls, "--digestfile", digestfile, name)
    with open(digestfile) as f:
        pushed = f.read().strip()
    # Outside the editor's project: refused.
    sandbox.podman("tag", image_id, f"{host}/other/podman:v1")
    p = sandbox.podman("push", tls, f"{host}/other/podman:v1", check=False)
    assert p.returncode != 0
    assert auth.request("GET", "/v2/other/podman/tags/list", headers=auth.basic("x", auth.tokens["admin"]))[0] == 404
    sandbox.podman("logout", host)

    # A viewer pulls it back but cannot push.
    sandbox.podman("rmi", "-f", name, f"{host}/other/podman:v1")
    sandbox.podman("login", tls, "-u", "any", "-p", auth.tokens["viewer"], host)
    pulled = sandbox.podman("pull", "-q", tls, name).stdout.decode().strip()
    assert pulled == image_id
    sandbox.podman("tag", image_id, f"{host}/proj/podman:v2")
    p = sandbox.podman("push", tls, f"{host}/proj/podman:v2", check=False)
    assert p.returncode != 0
    sandbox.podman("logout", host)
    st, _, body = auth.request("GET", "/v2/proj/podman/manifests/v1",
                               headers={**auth.basic("x", auth.tokens["admin"]),
                                        "Accept": "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"})
    assert st == 200 and sha256(body) == pushed


def test_skopeo_creds(auth, sandbox):
    host = auth.reg.host
    certs = auth.certs
    editor = f"any:{auth.tokens['editor']}"
    viewer = f"any:{auth.tokens['viewer']}"
    skopeo("copy", "--quiet", "--preserve-digests", f"--dest-cert-dir={certs}", f"--dest-creds={editor}",
           f"oci:{sandbox.layout.path}:v1", f"docker://{host}/proj/skopeo:v1")
    out = skopeo("inspect", "--raw", f"--cert-dir={certs}", f"--creds={viewer}", f"docker://{host}/proj/skopeo:v1").stdout
    assert sha256(out) == sandbox.image.digest
    # Without credentials: refused.
    p = skopeo("inspect", "--raw", f"--cert-dir={certs}", f"docker://{host}/proj/skopeo:v1", check=False)
    assert p.returncode != 0
    # Read with the viewer, write with the editor.
    skopeo("copy", "--quiet", f"--src-cert-dir={certs}", f"--dest-cert-dir={certs}",
           f"--src-creds={viewer}", f"--dest-creds={editor}",
           f"docker://{host}/proj/skopeo:v1", f"docker://{host}/proj/skopeo-copy:v1")
    # The editor cannot write to another project; the viewer cannot write at all.
    for dest, creds in ((f"docker://{host}/other/skopeo:v1", editor), (f"docker://{host}/proj/skopeo:v2", viewer)):
        p = skopeo("copy", "--quiet", f"--src-cert-dir={certs}", f"--dest-cert-dir={certs}",
                   f"--src-creds={viewer}", f"--dest-creds={creds}",
                   f"docker://{host}/proj/skopeo:v1", dest, check=False)
        assert p.returncode != 0, dest
    st, _, _ = auth.request("GET", "/v2/proj/skopeo/manifests/v2", headers=auth.basic("x", auth.tokens["admin"]))
    assert st == 404


oras_provider = pytest.importorskip("oras.provider")


@pytest.mark.parametrize("backend", ["basic", "token"])
def test_oras_with_credentials(auth, backend):
    host = auth.reg.host
    old = os.getcwd()
    work = tempfile.mkdtemp(prefix="wharf-oras-auth-")
    os.chdir(work)
    try:
        with open("artifact.txt", "wb") as f:
            f.write(b"hello " * 1000)

        def client(user):
            c = oras_provider.Registry(hostname=host, tls_verify=auth.ca, auth_backend=backend)
            c.login(username="any", password=auth.tokens[user], hostname=host, tls_verify=auth.ca)
            return c

        target = f"{host}/proj/oras-{backend}:v1"
        resp = client("editor").push(target=target, files=["artifact.txt"], quiet=True)
        assert resp.status_code == 201
        pulled = client("viewer").pull(target=target, outdir=os.path.join(work, "out"))
        with open(pulled[0], "rb") as f:
            assert f.read() == b"hello " * 1000
        # (A viewer's oras push is refused too, but oras-py retries refusals with a long
        # backoff; the matrix in test_auth_flow.py covers it over raw HTTP.)
    finally:
        os.chdir(old)
        shutil.rmtree(work, ignore_errors=True)
