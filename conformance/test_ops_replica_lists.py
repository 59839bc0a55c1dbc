"""tags/list and _catalog stay exact across two replicas on one filesystem root.

Wharf keeps tag lists and the repository tree in memory and validates them against the
storage directories' versions on every request (see docs/storage.md, "Listing caches").
Each replica here has read (and cached) the lists before the other one changes them;
listings become cacheable once a directory has been unchanged for 2 s, so the tests wait
that long before the change that the cache must notice."""
import json
import os
import shutil
import time

import pytest

from harness import RegistryProcess
from ocihelpers import build_image, push_image

pytestmark = pytest.mark.wharf_only

SETTLE = 2.3  # > the 2 s after which a directory listing may be reused


@pytest.fixture
def replicas(tmp_path):
    root = str(tmp_path / "data")
    a = RegistryProcess(storage_dir=root).start()
    b = RegistryProcess(storage_dir=root).start()
    yield a, b, root
    a.cleanup()
    b.cleanup()


def tags(registry, name):
    status, _, body = registry.request("GET", f"/v2/{name}/tags/list")
    assert status == 200, (status, body)
    return json.loads(body)["tags"]


def catalog(registry, query=""):
    status, _, body = registry.request("GET", "/v2/_catalog" + query)
    assert status == 200, (status, body)
    return json.loads(body)["repositories"]


def test_tags_pushed_and_deleted_through_one_replica_list_through_the_other(replicas):
    a, b, _ = replicas
    img = build_image()
    push_image(a, "lists/app", img, tag="v1")
    assert tags(b, "lists/app") == ["v1"]
    assert tags(a, "lists/app") == ["v1"]
    time.sleep(SETTLE)
    for r in (a, b):  # now both hold a reusable listing
        assert tags(r, "lists/app") == ["v1"]
        assert tags(r, "lists/app") == ["v1"]

    push_image(a, "lists/app", img, tag="v2")
    assert tags(b, "lists/app") == ["v1", "v2"]
    time.sleep(SETTLE)
    assert tags(b, "lists/app") == ["v1", "v2"]
    assert tags(a, "lists/app") == ["v1", "v2"]

    status, _, body = b.request("DELETE", "/v2/lists/app/manifests/v1")
    assert status == 202, (status, body)
    assert tags(a, "lists/app") == ["v2"]
    assert tags(b, "lists/app") == ["v2"]
    time.sleep(SETTLE)
    # a tag removed behind both replicas' backs (as an operator or another tool would)
    shutil.rmtree(os.path.join(a.storage_dir, "docker/registry/v2/repositories/lists/app/_manifests/tags/v2"))
    assert tags(a, "lists/app") == []
    assert tags(b, "lists/app") == []


def test_catalog_sees_repositories_added_and_removed_through_the_other_replica(replicas):
    a, b, root = replicas
    img = build_image()
    push_image(a, "cat/one", img, tag="v1")
    push_image(a, "cat/two", img, tag="v1")
    assert catalog(b) == ["cat/one", "cat/two"]
    time.sleep(SETTLE)
    for r in (a, b):
        assert catalog(r) == ["cat/one", "cat/two"]
        assert catalog(r) == ["cat/one", "cat/two"]

    push_image(b, "cat/three", img, tag="v1")        # a new directory next to cached ones
    push_image(b, "cat/one/nested", img, tag="v1")   # under a cached repository
    push_image(b, "top", img, tag="v1")              # at the top level
    expected = ["cat/one", "cat/one/nested", "cat/three", "cat/two", "top"]
    assert catalog(a) == expected
    assert catalog(a, "?n=2&last=cat/one") == ["cat/one/nested", "cat/three"]
    time.sleep(SETTLE)
    assert catalog(a) == expected
    assert catalog(b) == expected

    # repositories removed from storage (as pruning by another replica or an operator would)
    repos = os.path.join(root, "docker/registry/v2/repositories")
    shutil.rmtree(os.path.join(repos, "cat/one/nested"))
    shutil.rmtree(os.path.join(repos, "top"))
    assert catalog(a) == ["cat/one", "cat/three", "cat/two"]
    assert catalog(b) == ["cat/one", "cat/three", "cat/two"]
    time.sleep(SETTLE)
    # a repository that loses its _manifests and _layers is no repository any more
    shutil.rmtree(os.path.join(repos, "cat/two/_manifests"))
    shutil.rmtree(os.path.join(repos, "cat/two/_layers"))
    assert catalog(a) == ["cat/one", "cat/three"]
    assert catalog(b) == ["cat/one", "cat/three"]
    shutil.rmtree(repos)
    assert catalog(a) == []
    assert catalog(b) == []
