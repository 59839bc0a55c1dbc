"""Wharf on OpenStack Swift behind real Keystone v3 (keystonehelpers.py: Debian's keystone on
sqlite after `keystone-manage bootstrap`, and a Swift proxy with `authtoken` + `keystoneauth`):
the registry logs in with v3 password credentials of a user and project in a domain of their
own, skopeo pushes an image and pulls it back with the same digests, and the objects are in
that project's Swift account. The same registry data is read with the ids instead of the
names, a wrong domain is refused by Keystone (503 from the registry, no crash), and a blob
GET's temp URL is accepted by that proxy without a token (tampered: refused)."""
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import pytest

from clienthelpers import ImageParts, OCILayout, read_layout_blob, read_layout_manifest, skopeo_copy, skopeo_raw
from harness import sha256
from keystonehelpers import KeystoneSwift, missing_programs
from ocihelpers import build_image, error_codes, push_image
from storagehelpers import StorageRegistryProcess

pytestmark = pytest.mark.wharf_only

CONTAINER = "wharf-keystone"


@pytest.fixture(scope="module")
def keystone():
    missing = missing_programs()
    if missing:
        pytest.skip(f"Debian packages missing ({', '.join(missing)}): apt-get install keystone "
                    "python3-keystonemiddleware swift-proxy swift-account swift-container swift-object memcached")
    ks = KeystoneSwift().start()
    yield ks
    ks.stop()


@pytest.fixture(scope="module")
def layout():
    tmp = tempfile.mkdtemp(prefix="wharf-keystone-oci-")
    lay = OCILayout(os.path.join(tmp, "src"))
    # one layer over the 1 MiB chunk size (a Static Large Object of two segments) and one small
    lay.image = ImageParts([{"etc/os-release": b"NAME=keystone\n"},
                            {"opt/app.bin": os.urandom(1536 * 1024)}], label="keystone")
    lay.add_image(lay.image, "v1")
    lay.tmp = tmp
    yield lay
    shutil.rmtree(tmp, ignore_errors=True)


def keystone_registry(ks, redirect=False, **identity):
    swift = {"authurl": ks.auth_url, "authversion": 3, "username": ks.user, "password": ks.password,
             "container": CONTAINER, "prefix": "/registry", "chunksize": 1024 * 1024, **identity}
    return StorageRegistryProcess({"swift": swift}, redirect=redirect).start()


def ref(r, tag_or_digest):
    sep = "@" if tag_or_digest.startswith("sha256:") else ":"
    return f"docker://{r.host}/ks/app{sep}{tag_or_digest}"


def test_v3_domain_and_project_names_push_and_pull_with_skopeo(keystone, layout):
    ks, img = keystone, layout.image
    r = keystone_registry(ks, domain=ks.domain, tenant=ks.project, region="RegionOne", endpointtype="public")
    out = os.path.join(layout.tmp, "back")
    try:
        skopeo_copy(f"oci:{layout.path}:v1", ref(r, "v1"))
        assert skopeo_raw(ref(r, "v1")) == img.manifest
        skopeo_copy(ref(r, "v1"), f"oci:{out}:v1", "--preserve-digests")
        digest, data = read_layout_manifest(out, "v1")
        assert digest == img.digest and sha256(data) == img.digest
        for d, blob in img.blobs():
            assert sha256(read_layout_blob(out, d)) == d and read_layout_blob(out, d) == blob
    finally:
        log = r.read_log()
        r.cleanup()
    assert ks.password not in log
    # the bytes are in the project's own account, written with a Keystone token
    token, _ = ks.token(ks.user, ks.password, ks.project, ks.domain)
    st, body = ks.request("GET", f"/{CONTAINER}?format=json&prefix=registry/files/docker/registry/v2/blobs/", token)
    assert st == 200, (st, body)
    names = [o["name"] for o in json.loads(body)]
    for d, _ in img.blobs():
        assert f"registry/files/docker/registry/v2/blobs/sha256/{d[7:9]}/{d[7:]}/data" in names
    # and Swift refuses the same listing without a token Keystone issued
    assert ks.request("GET", f"/{CONTAINER}", "not-a-keystone-token")[0] == 401


def test_v3_domain_and_project_ids_read_the_same_image(keystone, layout):
    ks, img = keystone, layout.image
    r = keystone_registry(ks, domainid=ks.domain_id, tenantid=ks.project_id)
    try:
        skopeo_copy(f"oci:{layout.path}:v1", ref(r, "v1"))  # blobs already there are skipped
        assert skopeo_raw(ref(r, img.digest)) == img.manifest
        big = max(img.blobs(), key=lambda b: len(b[1]))
        st, _, body = r.request("GET", f"/v2/ks/app/blobs/{big[0]}", timeout=60)
        assert st == 200 and body == big[1]
    finally:
        r.cleanup()


def test_a_domain_keystone_does_not_know_is_503_and_no_crash(keystone):
    ks = keystone
    r = keystone_registry(ks, domain="no-such-domain", tenant=ks.project)
    try:
        data = b"x" * 1024
        st, _, body = r.request("POST", f"/v2/bad/app/blobs/uploads/?digest={sha256(data)}", body=data,
                                headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))},
                                timeout=60)
        assert st == 503 and error_codes(body), (st, body)
        assert "auth/tokens failed: HTTP 401" in r.read_log()  # Keystone refused the password request
        assert r.proc.poll() is None
    finally:
        r.cleanup()


def test_blob_get_redirects_to_a_temp_url_the_keystone_proxy_accepts(keystone):
    """With `secretkey` the driver sets the account's temp-URL key with its Keystone token;
    a blob GET's 307 goes to the project's account, where tempurl (before authtoken in the
    pipeline) lets the signed URL through without a token and refuses a tampered one."""
    ks = keystone
    r = keystone_registry(ks, redirect=True, domain=ks.domain, tenant=ks.project, secretkey="keystone-temp-url-key")
    try:
        img = build_image(layers=1, layer_size=1536 * 1024)
        push_image(r, "ks/redirect", img, tag="v1")
        for blob in img.blobs:
            st, h, _ = r.request("GET", f"/v2/ks/redirect/blobs/{blob.digest}", timeout=60)
            assert st == 307, st
            location = h["location"]
            assert location.startswith(f"http://127.0.0.1:{ks.proxy_port}/v1/AUTH_{ks.project_id}/{CONTAINER}/")
            with urllib.request.urlopen(location, timeout=60) as got:
                assert got.read() == blob.data
            sig = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["temp_url_sig"][0]
            tampered = location.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(tampered, timeout=30)
            assert e.value.code == 401
    finally:
        r.cleanup()
