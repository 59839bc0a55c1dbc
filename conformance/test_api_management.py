"""OCI distribution-spec v1.1, "Content management": deleting manifests, tags and blobs."""
import json

import pytest

from harness import RegistryProcess
from ocihelpers import (ALL_MANIFEST_TYPES, Blob, build_image, error_codes, location_path, push_blob, push_image,
                        push_manifest, random_bytes)

NAME = "mgmt/app"


def manifest_status(registry, name, ref):
    status, _, _ = registry.request("HEAD", f"/v2/{name}/manifests/{ref}", headers={"Accept": ALL_MANIFEST_TYPES})
    return status


def test_delete_manifest_by_digest(registry):
    img = push_image(registry, NAME, build_image(), tag="doomed")
    status, _, body = registry.request("DELETE", f"/v2/{NAME}/manifests/{img.digest}")
    assert status == 202, body
    assert manifest_status(registry, NAME, img.digest) == 404
    status, _, body = registry.request("GET", f"/v2/{NAME}/manifests/{img.digest}")
    assert status == 404
    assert "MANIFEST_UNKNOWN" in error_codes(body)
    # The tag pointing at it is gone too.
    assert manifest_status(registry, NAME, "doomed") == 404


def test_delete_manifest_twice_is_404(registry):
    img = push_image(registry, NAME, build_image())
    assert registry.request("DELETE", f"/v2/{NAME}/manifests/{img.digest}")[0] == 202
    status, _, body = registry.request("DELETE", f"/v2/{NAME}/manifests/{img.digest}")
    assert status == 404
    assert "MANIFEST_UNKNOWN" in error_codes(body)


def test_delete_manifest_keeps_other_manifests(registry):
    a = push_image(registry, NAME, build_image(), tag="keep-a")
    b = push_image(registry, NAME, build_image(), tag="keep-b")
    assert registry.request("DELETE", f"/v2/{NAME}/manifests/{a.digest}")[0] == 202
    assert manifest_status(registry, NAME, "keep-b") == 200
    assert manifest_status(registry, NAME, b.digest) == 200


def test_deleted_manifest_can_be_pushed_again(registry):
    img = push_image(registry, NAME, build_image(), tag="again")
    assert registry.request("DELETE", f"/v2/{NAME}/manifests/{img.digest}")[0] == 202
    push_manifest(registry, NAME, "again", img)
    status, _, body = registry.request("GET", f"/v2/{NAME}/manifests/again", headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200
    assert body == img.data


def test_delete_manifest_by_tag_is_refused_by_distribution(registry):
    # Distribution 2.8.2 only deletes by digest: a tag reference is 400 (DIGEST_INVALID) or 405.
    # Wharf implements the spec's tag deletion instead (test_delete_tag below).
    img = push_image(registry, NAME, build_image(), tag="by-tag")
    status, _, _ = registry.request("DELETE", f"/v2/{NAME}/manifests/by-tag")
    if registry.target == "distribution":
        assert status in (400, 405)
        assert manifest_status(registry, NAME, "by-tag") == 200
    else:
        assert status == 202


@pytest.mark.wharf_only
def test_delete_tag(registry):
    img = push_image(registry, NAME, build_image(), tag="tag-a")
    push_manifest(registry, NAME, "tag-b", img)
    status, _, body = registry.request("DELETE", f"/v2/{NAME}/manifests/tag-a")
    assert status == 202, body
    assert manifest_status(registry, NAME, "tag-a") == 404
    # Only the tag goes: the manifest and its other tags stay.
    assert manifest_status(registry, NAME, img.digest) == 200
    assert manifest_status(registry, NAME, "tag-b") == 200
    status, _, body = registry.request("GET", f"/v2/{NAME}/tags/list")
    assert "tag-a" not in json.loads(body)["tags"]


@pytest.mark.wharf_only
def test_delete_unknown_tag_is_404(registry):
    push_image(registry, NAME, build_image(), tag="exists")
    status, _, body = registry.request("DELETE", f"/v2/{NAME}/manifests/never-was")
    assert status == 404
    assert "MANIFEST_UNKNOWN" in error_codes(body)


def test_delete_blob(registry):
    blob = push_blob(registry, NAME, Blob(random_bytes(2048)))
    status, _, body = registry.request("DELETE", f"/v2/{NAME}/blobs/{blob.digest}")
    assert status == 202, body
    status, _, _ = registry.request("HEAD", f"/v2/{NAME}/blobs/{blob.digest}")
    assert status == 404
    status, _, body = registry.request("GET", f"/v2/{NAME}/blobs/{blob.digest}")
    assert status == 404
    assert "BLOB_UNKNOWN" in error_codes(body)


def test_delete_unknown_blob_is_404(registry):
    status, _, body = registry.request("DELETE", f"/v2/{NAME}/blobs/sha256:{'3' * 64}")
    assert status == 404
    assert "BLOB_UNKNOWN" in error_codes(body)


def test_delete_blob_only_unlinks_it_from_that_repository(registry):
    blob = Blob(random_bytes(2048))
    push_blob(registry, "mgmt/one", blob)
    push_blob(registry, "mgmt/two", blob)
    assert registry.request("DELETE", f"/v2/mgmt/one/blobs/{blob.digest}")[0] == 202
    status, _, body = registry.request("GET", f"/v2/mgmt/two/blobs/{blob.digest}")
    assert status == 200
    assert body == blob.data


@pytest.fixture(scope="module")
def no_delete_registry():
    r = RegistryProcess(config={"storage": {"delete": {"enabled": False}}}).start()
    yield r
    r.cleanup()


def test_deletes_disabled_is_405_unsupported(no_delete_registry):
    r = no_delete_registry
    img = push_image(r, NAME, build_image(), tag="v1")
    status, _, body = r.request("DELETE", f"/v2/{NAME}/manifests/{img.digest}")
    assert status == 405
    assert "UNSUPPORTED" in error_codes(body)
    status, _, body = r.request("DELETE", f"/v2/{NAME}/blobs/{img.blobs[1].digest}")
    assert status == 405
    assert "UNSUPPORTED" in error_codes(body)
    # Nothing was deleted.
    assert manifest_status(r, NAME, img.digest) == 200
    assert r.request("HEAD", f"/v2/{NAME}/blobs/{img.blobs[1].digest}")[0] == 200


def test_deletes_disabled_still_allows_upload_cancel(no_delete_registry):
    # Cancelling an upload session is not content deletion.
    r = no_delete_registry
    status, hdrs, _ = r.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"")
    assert status == 202
    status, _, _ = r.request("DELETE", location_path(r, hdrs["location"]))
    assert status == 204
