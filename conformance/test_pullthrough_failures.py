"""Pull-through when the upstream fails: stale-if-error and tag ttl.

The upstream is a plain docker-registry 2.8.2 behind a small forwarder that can answer
429 itself (as a rate-limiting registry does). Cached content is served while the
upstream throttles or is stopped; uncached content gets 503 with the OCI error JSON and
the upstream's `Retry-After`. A tag moved upstream is seen once the ttl has passed, not
before."""
import json
import os
import time

import pytest

from clienthelpers import MANIFEST_ACCEPT, OCILayout, read_layout_manifest, sample_image, sha256, skopeo
from ocihelpers import error_codes
from pullthroughhelpers import METRICS_CONFIG, FaultInjector, metric, scratch, start_mirror, start_upstream

pytestmark = pytest.mark.wharf_only

TTL = 2.0


@pytest.fixture(scope="module")
def env():
    with scratch("wharf-pullthrough-fail-") as (tmp, stack):
        upstream, _ = start_upstream(os.path.join(tmp, "upstream"), tls=False, htpasswd=False)
        stack.callback(upstream.cleanup)
        injector = FaultInjector(upstream.port)
        stack.callback(injector.stop)
        lay = OCILayout(os.path.join(tmp, "src"))
        lay.a = sample_image("amd64", "pt-a")
        lay.b = sample_image("amd64", "pt-b")
        lay.add_image(lay.a, "a")
        lay.add_image(lay.b, "b")
        for tag in ("cached", "moving", "uncached"):
            push(upstream, lay, "a", f"team/app:{tag}")
        # Tags never expire here (expiryinterval 0): these tests show stale-if-error after the
        # ttl, which the expiry sweep would otherwise end within a second (test_pullthrough_expiry).
        mirror = start_mirror(injector.url, ttl=f"{int(TTL)}s", credentials=False, extra=METRICS_CONFIG, expiry="0s")
        stack.callback(mirror.cleanup)
        yield {"tmp": tmp, "upstream": upstream, "mirror": mirror, "lay": lay, "injector": injector}


def push(upstream, lay, src_tag, ref):
    skopeo("copy", "--quiet", "--dest-tls-verify=false", f"oci:{lay.path}:{src_tag}", f"docker://{upstream.host}/{ref}")


def pull(env, ref, name):
    out = os.path.join(env["tmp"], name)
    skopeo("copy", "--quiet", "--src-tls-verify=false", "--preserve-digests", f"docker://{env['mirror'].host}/{ref}", f"oci:{out}:x")
    return read_layout_manifest(out, "x")[0]


def manifest_digest(env, ref):
    repo, tag = ref.split(":")
    st, h, body = env["mirror"].request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200, (st, body)
    return h["docker-content-digest"]


def test_tag_moved_upstream_is_seen_after_the_ttl_not_before(env):
    lay = env["lay"]
    assert manifest_digest(env, "team/app:moving") == lay.a.digest
    push(env["upstream"], lay, "b", "team/app:moving")
    assert manifest_digest(env, "team/app:moving") == lay.a.digest
    time.sleep(TTL + 0.5)
    assert manifest_digest(env, "team/app:moving") == lay.b.digest
    assert pull(env, "team/app:moving", "moved") == lay.b.digest


def test_throttled_upstream_cached_content_is_served(env):
    lay, injector = env["lay"], env["injector"]
    assert pull(env, "team/app:cached", "before-429") == lay.a.digest
    time.sleep(TTL + 0.5)  # the tag is due for revalidation: the upstream is asked, and says 429
    injector.status = 429
    try:
        asked = injector.forwarded
        assert pull(env, "team/app:cached", "during-429") == lay.a.digest
        assert injector.forwarded == asked  # every upstream call was answered 429
        assert metric(env["mirror"], "imageregistry_pullthrough_repository_errors_total",
                      registry="default", operation="ManifestService.Stat", code="429") >= 1
        st, h, body = env["mirror"].request("GET", "/v2/team/app/manifests/uncached", headers={"Accept": MANIFEST_ACCEPT})
        assert st == 503 and error_codes(body) == ["TOOMANYREQUESTS"] and h.get("retry-after") == "7", (st, h, body)
        st, h, body = env["mirror"].request("GET", f"/v2/team/other/blobs/{sha256(b'never pushed')}")
        assert st == 503 and error_codes(body) and h.get("retry-after") == "7", (st, h, body)
    finally:
        injector.status = None


def test_stopped_upstream_cached_images_still_pull(env):
    lay = env["lay"]
    assert pull(env, "team/app:cached", "before-stop") == lay.a.digest
    env["upstream"].stop()
    time.sleep(TTL + 0.5)
    assert pull(env, "team/app:cached", "after-stop") == lay.a.digest
    st, _, body = env["mirror"].request("GET", "/v2/team/app/manifests/uncached", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 503 and error_codes(body), (st, body)
    assert json.loads(body)["errors"][0]["message"]
