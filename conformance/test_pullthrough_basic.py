"""Pull-through from one upstream, distribution's `proxy.remoteurl` form: Debian's
docker-registry 2.8.2 with htpasswd, over TLS from a private CA that Wharf trusts only
through a `proxy.trustedca` file named `127.0.0.1..<port>`.

skopeo pulls single-arch and multi-arch images through Wharf with the upstream's digests;
pushes and deletes are 405 UNSUPPORTED; the catalog and tag lists show what is cached;
20 concurrent pulls of an uncached 50 MiB layer make one upstream GET; a client that
disconnects does not abort the fill."""
import hashlib
import json
import os
import threading
import time

import pytest

from clienthelpers import (MANIFEST_ACCEPT, OCILayout, read_layout_blob, read_layout_manifest, sample_image, sha256, skopeo)
from ocihelpers import error_codes, push_blob
from pullthroughhelpers import (METRICS_CONFIG, PASSWORD, USER, Authed, metric, scratch, start_mirror, start_upstream, trusted_ca_dir,
                               upstream_gets)

pytestmark = pytest.mark.wharf_only

BIG = 50 << 20


@pytest.fixture(scope="module")
def env():
    with scratch("wharf-pullthrough-") as (tmp, stack):
        upstream, ca = start_upstream(os.path.join(tmp, "upstream"))
        stack.callback(upstream.cleanup)
        lay = OCILayout(os.path.join(tmp, "src"))
        lay.single = sample_image("amd64", "pt-single")
        lay.add_image(lay.single, "single")
        lay.children = [sample_image("amd64", "pt-multi"), sample_image("arm64", "pt-multi")]
        lay.index_digest, lay.index_data = lay.add_index(lay.children, "multi")
        creds = f"--dest-creds={USER}:{PASSWORD}"
        skopeo("copy", "--quiet", "--dest-tls-verify=false", creds, f"oci:{lay.path}:single",
               f"docker://{upstream.host}/library/app:v1")
        skopeo("copy", "--quiet", "--dest-tls-verify=false", creds, "--all", "--preserve-digests",
               f"oci:{lay.path}:multi", f"docker://{upstream.host}/library/multi:v1")
        mirror = start_mirror(upstream.url, trusted=trusted_ca_dir(tmp, ca, upstream.port), extra=METRICS_CONFIG)
        stack.callback(mirror.cleanup)
        yield {"tmp": tmp, "upstream": upstream, "mirror": mirror, "lay": lay}


def upstream_digest(env, ref):
    raw = skopeo("inspect", "--raw", "--tls-verify=false", f"--creds={USER}:{PASSWORD}",
                 f"docker://{env['upstream'].host}/{ref}").stdout
    return sha256(raw)


def test_skopeo_pulls_single_and_multi_arch_with_upstream_digests(env):
    mirror, lay = env["mirror"], env["lay"]
    out = os.path.join(env["tmp"], "pulled-single")
    skopeo("copy", "--quiet", "--src-tls-verify=false", "--preserve-digests",
           f"docker://{mirror.host}/library/app:v1", f"oci:{out}:v1")
    digest, data = read_layout_manifest(out, "v1")
    assert digest == upstream_digest(env, "library/app:v1") == lay.single.digest
    assert data == lay.single.manifest
    for d, blob in lay.single.blobs():
        assert read_layout_blob(out, d) == blob

    out = os.path.join(env["tmp"], "pulled-multi")
    skopeo("copy", "--quiet", "--src-tls-verify=false", "--all", "--preserve-digests",
           f"docker://{mirror.host}/library/multi:v1", f"oci:{out}:v1")
    digest, data = read_layout_manifest(out, "v1")
    assert digest == upstream_digest(env, "library/multi:v1") == lay.index_digest
    assert data == lay.index_data
    for child in lay.children:
        assert read_layout_blob(out, child.digest) == child.manifest
        for d, blob in child.blobs():
            assert read_layout_blob(out, d) == blob


def test_head_of_uncached_content_asks_the_upstream(env):
    mirror, upstream, lay = env["mirror"], env["upstream"], env["lay"]
    skopeo("copy", "--quiet", "--dest-tls-verify=false", f"--dest-creds={USER}:{PASSWORD}", f"oci:{lay.path}:single",
           f"docker://{upstream.host}/library/headonly:v1")
    layer_digest, layer = list(lay.single.blobs())[-1]
    st, h, _ = mirror.request("HEAD", f"/v2/library/headonly/blobs/{layer_digest}")
    assert st == 200 and int(h["content-length"]) == len(layer) and h["docker-content-digest"] == layer_digest
    assert upstream_gets(upstream, "library/headonly", layer_digest, method="HEAD") == 1
    st, h, _ = mirror.request("HEAD", "/v2/library/headonly/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200 and h["docker-content-digest"] == lay.single.digest and int(h["content-length"]) == len(lay.single.manifest)
    st, _, body = mirror.request("GET", "/v2/library/nothing/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 404 and error_codes(body) == ["MANIFEST_UNKNOWN"]


def test_catalog_and_tags_show_the_cache(env):
    mirror = env["mirror"]
    skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{mirror.host}/library/app:v1")
    st, _, body = mirror.request("GET", "/v2/_catalog")
    assert st == 200 and "library/app" in json.loads(body)["repositories"]
    st, _, body = mirror.request("GET", "/v2/library/app/tags/list")
    assert st == 200 and json.loads(body)["tags"] == ["v1"]


def test_pushes_and_deletes_are_refused(env):
    mirror, lay = env["mirror"], env["lay"]
    st, _, body = mirror.request("POST", "/v2/library/app/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
    assert st == 405 and error_codes(body) == ["UNSUPPORTED"]
    st, _, body = mirror.request("PUT", "/v2/library/app/manifests/v2", body=lay.single.manifest,
                                 headers={"Content-Type": lay.single.media_type})
    assert st == 405 and error_codes(body) == ["UNSUPPORTED"]
    st, _, body = mirror.request("DELETE", f"/v2/library/app/manifests/{lay.single.digest}")
    assert st == 405 and error_codes(body) == ["UNSUPPORTED"]
    st, _, body = mirror.request("DELETE", f"/v2/library/app/blobs/{lay.single.digest}")
    assert st == 405 and error_codes(body) == ["UNSUPPORTED"]


def test_upstream_ca_is_trusted_only_through_the_trustedca_file(env):
    """The same mirror without the CA file cannot reach the upstream: 502/503 OCI JSON."""
    other = start_mirror(env["upstream"].url, trusted=os.path.join(env["tmp"], "empty-ca"))
    try:
        st, _, body = other.request("GET", "/v2/library/app/manifests/v1")
        assert st in (502, 503), (st, body)
        assert error_codes(body)
    finally:
        other.cleanup()


def get_blob(mirror, repo, digest, results, index, stop_after=None):
    try:
        conn = mirror.connection(120)
        conn.request("GET", f"/v2/{repo}/blobs/{digest}")
        resp = conn.getresponse()
        h = hashlib.sha256()
        n = 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
            if stop_after is not None and n >= stop_after:
                conn.sock.close()
                results[index] = (resp.status, n, None)
                return
        conn.close()
        results[index] = (resp.status, n, "sha256:" + h.hexdigest())
    except Exception as e:  # noqa: BLE001 - reported by the assertion
        results[index] = ("error", 0, repr(e))


def wait_stored(mirror, digest, timeout=120):
    stored = os.path.join(mirror.storage_dir, "docker", "registry", "v2", "blobs", "sha256", digest[7:9], digest[7:], "data")
    deadline = time.time() + timeout
    while not os.path.exists(stored) and time.time() < deadline:
        time.sleep(0.1)
    return os.path.exists(stored)


def test_twenty_concurrent_misses_fetch_the_blob_once(env):
    upstream, mirror = env["upstream"], env["mirror"]
    data = os.urandom(BIG)
    digest = sha256(data)
    push_blob(Authed(upstream), "library/big", data)
    misses = metric(mirror, "imageregistry_pullthrough_blobstore_cache_requests_total", type="Miss")
    gets = metric(mirror, "imageregistry_pullthrough_repository_duration_seconds_count", registry="default", operation="BlobStore.Get")
    results = [None] * 20
    threads = [threading.Thread(target=get_blob, args=(mirror, "library/big", digest, results, i)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert results == [(200, BIG, digest)] * 20
    assert upstream_gets(upstream, "library/big", digest) == 1
    # cached now (the clients may have their last byte a moment before the commit): served
    # from storage, still one upstream GET
    wait_stored(mirror, digest)
    hits = metric(mirror, "imageregistry_pullthrough_blobstore_cache_requests_total", type="Hit")
    st, _, body = mirror.request("GET", f"/v2/library/big/blobs/{digest}", timeout=120)
    assert st == 200 and sha256(body) == digest
    assert upstream_gets(upstream, "library/big", digest) == 1
    # OpenShift's metrics: every request a miss, one upstream call, then a hit
    assert metric(mirror, "imageregistry_pullthrough_blobstore_cache_requests_total", type="Miss") == misses + 20
    assert metric(mirror, "imageregistry_pullthrough_repository_duration_seconds_count",
                  registry="default", operation="BlobStore.Get") == gets + 1
    assert metric(mirror, "imageregistry_pullthrough_blobstore_cache_requests_total", type="Hit") == hits + 1


def test_client_disconnect_does_not_abort_the_fill(env):
    upstream, mirror = env["upstream"], env["mirror"]
    data = os.urandom(BIG)
    digest = sha256(data)
    push_blob(Authed(upstream), "library/gone", data)
    results = [None]
    get_blob(mirror, "library/gone", digest, results, 0, stop_after=1 << 20)
    assert results[0][0] == 200
    assert wait_stored(mirror, digest), "the fill stopped with its only client"
    st, _, body = mirror.request("GET", f"/v2/library/gone/blobs/{digest}", timeout=120)
    assert st == 200 and sha256(body) == digest
    assert upstream_gets(upstream, "library/gone", digest) == 1
