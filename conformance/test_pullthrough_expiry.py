"""Pull-through `ttl` expiry: a cached tag that was not revalidated within the upstream's
ttl is removed by the mirror's sweep, as distribution's proxy scheduler expires what it
cached. It leaves the tag list (and the catalog, once its repository holds no tag); its
revision and blobs stay for garbage collection. The next pull asks the upstream again:
re-cached, or 404 when the upstream no longer has the tag, or 503 when the upstream is down.

The last-check time is a small object per tag in storage
(`repositories/<name>/_proxy/tags/<tag>/checkedat`), so a restart between caching and
expiry keeps the schedule. The upstream is a plain docker-registry 2.8.2; ttl is 2s."""
import json
import os
import re
import time

import pytest

from clienthelpers import MANIFEST_ACCEPT, OCILayout, sample_image, skopeo
from ocihelpers import error_codes
from harness import RegistryProcess
from pullthroughhelpers import scratch, start_mirror, start_upstream

pytestmark = pytest.mark.wharf_only

TTL = 2


@pytest.fixture(scope="module")
def env():
    with scratch("wharf-pullthrough-ttl-") as (tmp, stack):
        upstream, _ = start_upstream(os.path.join(tmp, "upstream"), tls=False, htpasswd=False)
        stack.callback(upstream.cleanup)
        lay = OCILayout(os.path.join(tmp, "src"))
        lay.images = {}
        for name in ("recache", "restart", "replicas", "deleted", "down"):
            lay.images[name] = sample_image("amd64", f"ttl-{name}", shared=False)
            lay.add_image(lay.images[name], name)
            skopeo("copy", "--quiet", "--dest-tls-verify=false", f"oci:{lay.path}:{name}", f"docker://{upstream.host}/ttl/{name}:v1")
        mirror = start_mirror(upstream.url, ttl=f"{TTL}s", credentials=False)
        stack.callback(mirror.cleanup)
        yield {"tmp": tmp, "upstream": upstream, "mirror": mirror, "lay": lay}


def repo_dir(mirror, repo):
    return os.path.join(mirror.storage_dir, "docker", "registry", "v2", "repositories", repo)


def record_path(mirror, repo, tag):
    return os.path.join(repo_dir(mirror, repo), "_proxy", "tags", tag, "checkedat")


def get_manifest(mirror, repo, tag="v1"):
    return mirror.request("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT})


def tags(mirror, repo):
    st, _, body = mirror.request("GET", f"/v2/{repo}/tags/list")
    assert st == 200, (st, body)
    return json.loads(body)["tags"]


def catalog(mirror):
    st, _, body = mirror.request("GET", "/v2/_catalog")
    assert st == 200, body
    return json.loads(body)["repositories"]


def wait_untagged(mirror, repo, timeout=60):
    """Polls until the sweep removed the repository's tags (several ttl and sweep intervals allowed)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if tags(mirror, repo) == []:
            return True
        time.sleep(0.2)
    return False


def upstream_manifest_gets(upstream, repo):
    return len(re.findall(rf'"GET /v2/{re.escape(repo)}/manifests/v1 HTTP', upstream.read_log()))


def test_expired_tag_leaves_the_lists_keeps_its_content_and_is_recached(env):
    mirror, upstream, img = env["mirror"], env["upstream"], env["lay"].images["recache"]
    repo = "ttl/recache"
    st, h, _ = get_manifest(mirror, repo)
    assert st == 200 and h["docker-content-digest"] == img.digest
    assert tags(mirror, repo) == ["v1"] and repo in catalog(mirror)
    assert os.path.exists(record_path(mirror, repo, "v1"))
    assert upstream_manifest_gets(upstream, repo) == 1

    assert wait_untagged(mirror, repo), "the expired tag was never removed"
    assert repo not in catalog(mirror)
    assert not os.path.exists(record_path(mirror, repo, "v1"))
    # only the tag went: the revision link and the manifest's bytes stay for GC
    revision = os.path.join(repo_dir(mirror, repo), "_manifests", "revisions", "sha256", img.digest[7:], "link")
    assert open(revision).read() == img.digest
    st, _, body = mirror.request("GET", f"/v2/{repo}/manifests/{img.digest}", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200 and body == img.manifest

    # the next pull by tag asks the upstream again and caches the tag anew
    st, h, body = get_manifest(mirror, repo)
    assert st == 200 and h["docker-content-digest"] == img.digest and body == img.manifest
    assert upstream_manifest_gets(upstream, repo) == 2
    assert tags(mirror, repo) == ["v1"] and repo in catalog(mirror)
    assert os.path.exists(record_path(mirror, repo, "v1"))


def test_restart_between_caching_and_expiry_keeps_the_schedule(env):
    mirror = env["mirror"]
    repo = "ttl/restart"
    st, _, _ = get_manifest(mirror, repo)
    assert st == 200 and tags(mirror, repo) == ["v1"]
    recorded = open(record_path(mirror, repo, "v1")).read()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", recorded), recorded
    assert mirror.stop() == 0
    mirror.start()
    # Nothing pulls the tag after the restart: only the stored record can expire it.
    assert wait_untagged(mirror, repo), "the restarted mirror lost the schedule"


def test_a_replica_expires_what_another_cached(env):
    """Two replicas on one storage: the one that caches never sweeps (expiryinterval 0), the
    other removes the tag from the record the first wrote; the first's lists follow."""
    upstream = env["upstream"]
    repo = "ttl/replicas"
    caching = start_mirror(upstream.url, ttl=f"{TTL}s", credentials=False, expiry="0s")
    sweeping = None
    try:
        assert get_manifest(caching, repo)[0] == 200
        assert tags(caching, repo) == ["v1"]
        sweeping = RegistryProcess(target="wharf", storage_dir=caching.storage_dir, config={
            "proxy": {"remoteurl": upstream.url, "ttl": f"{TTL}s"}}).start()
        assert wait_untagged(caching, repo), "the other replica's sweep did not remove the tag"
        assert repo not in catalog(caching) and repo not in catalog(sweeping)
    finally:
        if sweeping:
            sweeping.cleanup()
        caching.cleanup()


def test_expired_tag_the_upstream_deleted_is_404(env):
    mirror, upstream, img = env["mirror"], env["upstream"], env["lay"].images["deleted"]
    repo = "ttl/deleted"
    assert get_manifest(mirror, repo)[0] == 200
    st, _, body = upstream.request("DELETE", f"/v2/{repo}/manifests/{img.digest}")
    assert st == 202, (st, body)
    assert wait_untagged(mirror, repo)
    st, _, body = get_manifest(mirror, repo)
    assert st == 404 and error_codes(body) == ["MANIFEST_UNKNOWN"], (st, body)
    assert tags(mirror, repo) == []


def test_expired_tag_with_the_upstream_down_is_503(env):
    mirror, upstream = env["mirror"], env["upstream"]
    repo = "ttl/down"
    assert get_manifest(mirror, repo)[0] == 200
    upstream.stop()
    assert wait_untagged(mirror, repo)
    st, _, body = get_manifest(mirror, repo)
    assert st == 503 and error_codes(body), (st, body)
