"""The in-memory link cache (tag and revision links, revalidated by one stat per use)
never changes an answer across replicas: two Wharf processes on one filesystem root,
replica A moves, deletes and re-creates tags and revisions, replica B answers the new
state on its very next request, including for links it had cached (older than the
cache's one-second settle margin)."""
import time

import pytest

from harness import RegistryProcess
from ocihelpers import build_image, push_image, push_manifest, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only

REPO = "ops/linkcache"
SETTLE = 1.2  # past FileStamp.settleNanoseconds, so B caches what it reads next


@pytest.fixture()
def pair(tmp_path):
    storage = str(tmp_path / "data")
    config = {"http": {"secret": "link-cache-secret"}, "storage": {"delete": {"enabled": True}}}
    a = RegistryProcess(storage_dir=storage, config=config).start()
    b = RegistryProcess(storage_dir=storage, config=config).start()
    yield a, b
    a.cleanup()
    b.cleanup()


def get(replica, reference, method="GET"):
    status, hdrs, body = replica.request(method, f"/v2/{REPO}/manifests/{reference}", headers={"Accept": OCI_MANIFEST})
    return status, hdrs.get("docker-content-digest"), body


def warm(replica, reference, digest):
    """Reads `reference` a few times so the replica holds its links in memory."""
    for method in ("GET", "HEAD", "GET"):
        status, got, _ = get(replica, reference, method)
        assert status == 200 and got == digest, (method, status, got)


def test_a_tag_moved_by_another_replica_is_seen_at_once(pair):
    a, b = pair
    first, second = build_image(), build_image()
    push_image(a, REPO, first, tag="hot")
    push_image(a, REPO, second)
    time.sleep(SETTLE)
    warm(b, "hot", first.digest)
    push_manifest(a, REPO, "hot", second)
    status, got, body = get(b, "hot")
    assert status == 200 and got == second.digest and body == second.data
    # Moved back and forth within the settle margin: still the latest each time.
    push_manifest(a, REPO, "hot", first)
    assert get(b, "hot")[1] == first.digest
    push_manifest(a, REPO, "hot", second)
    assert get(b, "hot")[1] == second.digest
    time.sleep(SETTLE)
    warm(b, "hot", second.digest)


def test_deletes_on_another_replica_404_at_once(pair):
    a, b = pair
    image, other = build_image(), build_image()
    push_image(a, REPO, image, tag="gone")
    push_image(a, REPO, other, tag="untagged")
    time.sleep(SETTLE)
    warm(b, "gone", image.digest)
    warm(b, image.digest, image.digest)
    warm(b, "untagged", other.digest)

    # A deletes the revision: its tag goes with it; B answers 404 for both at once.
    status, _, body = a.request("DELETE", f"/v2/{REPO}/manifests/{image.digest}")
    assert status == 202, body
    for reference in ("gone", image.digest):
        for method in ("GET", "HEAD"):
            assert get(b, reference, method)[0] == 404, (reference, method)

    # A deletes a tag only: B 404s the tag, still serves the revision by digest.
    status, _, body = a.request("DELETE", f"/v2/{REPO}/manifests/untagged")
    assert status == 202, body
    assert get(b, "untagged")[0] == 404
    assert get(b, other.digest)[1] == other.digest

    # Pushed again through A: B serves it again.
    push_manifest(a, REPO, "gone", image)
    status, got, body = get(b, "gone")
    assert status == 200 and got == image.digest and body == image.data


def test_a_replica_s_own_delete_is_seen_at_once(pair):
    a, _ = pair
    image = build_image()
    push_image(a, REPO, image, tag="mine")
    time.sleep(SETTLE)
    warm(a, "mine", image.digest)
    status, _, body = a.request("DELETE", f"/v2/{REPO}/manifests/{image.digest}")
    assert status == 202, body
    assert get(a, "mine")[0] == 404
    assert get(a, image.digest, "HEAD")[0] == 404
