"""OCI distribution-spec v1.1, "Pull": the API base, manifests and blobs by GET/HEAD."""
import json

import pytest

from ocihelpers import (ALL_MANIFEST_TYPES, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, build_image,
                        build_index, error_codes, fetch, push_image)

NAME = "pull/app"
UNKNOWN_DIGEST = "sha256:" + "0" * 64


@pytest.fixture(scope="module")
def content(registry):
    """An OCI image tagged v1, a Docker schema 2 image tagged docker, an index tagged multi."""
    oci = push_image(registry, NAME, build_image(layers=2, layer_size=4096), tag="v1")
    docker = push_image(registry, NAME, build_image(layers=1, flavor="docker"), tag="docker")
    index = push_image(registry, NAME, build_index([build_image(), build_image(arch="arm64")]), tag="multi")
    return {"oci": oci, "docker": docker, "index": index}


def test_api_base_answers_200_with_version_header(registry):
    status, hdrs, _ = registry.request("GET", "/v2/")
    assert status == 200
    assert hdrs.get("docker-distribution-api-version") == "registry/2.0"


def test_api_base_without_trailing_slash(registry):
    # Distribution redirects /v2 → /v2/ (301); clients always use /v2/. Both are fine.
    status, hdrs, _ = registry.request("GET", "/v2")
    assert status in (200, 301, 307, 308)


@pytest.mark.parametrize("kind", ["oci", "docker", "index"])
@pytest.mark.parametrize("by", ["tag", "digest"])
def test_get_manifest_returns_exact_bytes_and_headers(registry, content, kind, by):
    m = content[kind]
    ref = {"oci": "v1", "docker": "docker", "index": "multi"}[kind] if by == "tag" else m.digest
    status, hdrs, body = registry.request("GET", f"/v2/{NAME}/manifests/{ref}",
                                          headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200, body
    assert body == m.data
    assert hdrs["content-type"] == m.media_type
    assert hdrs["docker-content-digest"] == m.digest
    assert int(hdrs["content-length"]) == len(m.data)


@pytest.mark.parametrize("by", ["tag", "digest"])
def test_head_manifest_has_headers_and_no_body(registry, content, by):
    m = content["oci"]
    ref = "v1" if by == "tag" else m.digest
    status, hdrs, body = registry.request("HEAD", f"/v2/{NAME}/manifests/{ref}",
                                          headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200
    assert body == b""
    assert hdrs["content-type"] == OCI_MANIFEST
    assert hdrs["docker-content-digest"] == m.digest
    assert int(hdrs["content-length"]) == len(m.data)


def test_index_child_manifests_are_pullable_by_digest(registry, content):
    index = content["index"]
    assert index.media_type == OCI_INDEX
    for child in index.children:
        status, hdrs, body = registry.request("GET", f"/v2/{NAME}/manifests/{child.digest}",
                                              headers={"Accept": ALL_MANIFEST_TYPES})
        assert status == 200
        assert body == child.data


def test_docker_manifest_served_with_its_own_media_type(registry, content):
    status, hdrs, _ = registry.request("HEAD", f"/v2/{NAME}/manifests/docker",
                                       headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200
    assert hdrs["content-type"] == DOCKER_MANIFEST


def test_get_blob_returns_exact_bytes(registry, content):
    for blob in content["oci"].blobs:
        status, hdrs, body = registry.request("GET", f"/v2/{NAME}/blobs/{blob.digest}")
        assert status == 200
        assert body == blob.data
        assert hdrs["docker-content-digest"] == blob.digest
        assert int(hdrs["content-length"]) == blob.size


def test_head_blob_has_length_digest_and_no_body(registry, content):
    blob = content["oci"].blobs[1]
    status, hdrs, body = registry.request("HEAD", f"/v2/{NAME}/blobs/{blob.digest}")
    assert status == 200
    assert body == b""
    assert int(hdrs["content-length"]) == blob.size
    assert hdrs["docker-content-digest"] == blob.digest


@pytest.mark.parametrize("rng,start,end", [("bytes=0-9", 0, 9), ("bytes=100-4095", 100, 4095),
                                           ("bytes=4000-", 4000, 4095), ("bytes=-16", 4080, 4095)])
def test_range_get_returns_206_and_content_range(registry, content, rng, start, end):
    blob = content["oci"].blobs[1]
    assert blob.size == 4096
    status, hdrs, body = registry.request("GET", f"/v2/{NAME}/blobs/{blob.digest}", headers={"Range": rng})
    assert status == 206
    assert body == blob.data[start:end + 1]
    assert hdrs["content-range"] == f"bytes {start}-{end}/{blob.size}"
    assert int(hdrs["content-length"]) == end - start + 1


def test_unsatisfiable_range_is_416(registry, content):
    blob = content["oci"].blobs[1]
    # fetch(): distribution 2.8.2 sends 416 with the blob's Content-Length and a short body.
    status, hdrs, _ = fetch(registry, "GET", f"/v2/{NAME}/blobs/{blob.digest}",
                            headers={"Range": f"bytes={blob.size + 10}-{blob.size + 20}"})
    assert status == 416
    assert hdrs.get("content-range") == f"bytes */{blob.size}"


def test_unknown_tag_is_404_manifest_unknown(registry, content):
    status, hdrs, body = registry.request("GET", f"/v2/{NAME}/manifests/nope")
    assert status == 404
    assert "MANIFEST_UNKNOWN" in error_codes(body)
    assert hdrs["content-type"].startswith("application/json")


def test_unknown_manifest_digest_is_404_manifest_unknown(registry, content):
    status, _, body = registry.request("GET", f"/v2/{NAME}/manifests/{UNKNOWN_DIGEST}")
    assert status == 404
    assert "MANIFEST_UNKNOWN" in error_codes(body)


def test_head_unknown_manifest_is_404_without_body(registry, content):
    status, _, body = registry.request("HEAD", f"/v2/{NAME}/manifests/nope")
    assert status == 404
    assert body == b""


def test_unknown_blob_is_404_blob_unknown(registry, content):
    status, _, body = registry.request("GET", f"/v2/{NAME}/blobs/{UNKNOWN_DIGEST}")
    assert status == 404
    assert "BLOB_UNKNOWN" in error_codes(body)
    status, _, body = registry.request("HEAD", f"/v2/{NAME}/blobs/{UNKNOWN_DIGEST}")
    assert status == 404
    assert body == b""


def test_blob_of_another_repository_is_not_served(registry, content):
    # Blobs are linked per repository: a digest pushed to NAME is unknown in another repo.
    blob = content["oci"].blobs[1]
    status, _, body = registry.request("GET", f"/v2/pull/other/blobs/{blob.digest}")
    assert status == 404
    codes = error_codes(body)
    assert "BLOB_UNKNOWN" in codes or "NAME_UNKNOWN" in codes


def test_manifest_in_unknown_repository_is_404(registry, content):
    status, _, body = registry.request("GET", "/v2/pull/missing/manifests/latest")
    assert status == 404
    codes = error_codes(body)
    assert "MANIFEST_UNKNOWN" in codes or "NAME_UNKNOWN" in codes


def test_error_bodies_have_message_fields(registry, content):
    status, _, body = registry.request("GET", f"/v2/{NAME}/manifests/nope")
    doc = json.loads(body)
    assert all(isinstance(e.get("message"), str) for e in doc["errors"])


@pytest.mark.wharf_only
def test_invalid_digest_reference_is_400(registry, content):
    # Spec: a malformed digest is DIGEST_INVALID (distribution answers 404 or 400 depending on form).
    status, _, body = registry.request("GET", f"/v2/{NAME}/blobs/sha256:xyz")
    assert status in (400, 404)
    if status == 400:
        assert "DIGEST_INVALID" in error_codes(body)


@pytest.mark.wharf_only
def test_sha512_manifest_digest_is_served(registry, content):
    # OCI spec allows sha512 references; distribution 2.8.2 only indexes by sha256.
    import hashlib
    m = content["oci"]
    d512 = "sha512:" + hashlib.sha512(m.data).hexdigest()
    status, hdrs, body = registry.request("PUT", f"/v2/{NAME}/manifests/{d512}", body=m.data,
                                          headers={"Content-Type": m.media_type})
    assert status == 201, body
    status, hdrs, body = registry.request("GET", f"/v2/{NAME}/manifests/{d512}",
                                          headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200
    assert body == m.data


DOCKER_ONLY = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"


@pytest.mark.parametrize("tag", ["v1", "multi"])
def test_oci_content_is_not_handed_to_a_client_that_does_not_accept_it(registry, content, tag):
    """Content negotiation: an OCI manifest or index asked for with a Docker-only Accept is
    404 MANIFEST_UNKNOWN (never converted, never handed to a client that cannot parse it)."""
    status, _, body = registry.request("GET", f"/v2/{NAME}/manifests/{tag}", headers={"Accept": DOCKER_ONLY})
    assert status == 404
    assert "MANIFEST_UNKNOWN" in error_codes(body)


def test_manifest_list_falls_back_to_linux_amd64_child_for_single_platform_clients(registry):
    """A Docker manifest list asked for with only the schema2 type accepted: the linux/amd64
    child is served (what old single-platform Docker clients rely on), with its own digest."""
    amd64, arm64 = build_image(flavor="docker"), build_image(flavor="docker", arch="arm64")
    push_image(registry, NAME, build_index([amd64, arm64], flavor="docker"), tag="list")
    status, hdrs, body = registry.request("GET", f"/v2/{NAME}/manifests/list",
                                          headers={"Accept": DOCKER_MANIFEST})
    assert status == 200
    assert hdrs["content-type"] == DOCKER_MANIFEST
    assert hdrs["docker-content-digest"] == amd64.digest
    assert body == amd64.data
    status, hdrs, body = registry.request("GET", f"/v2/{NAME}/manifests/list", headers={"Accept": ALL_MANIFEST_TYPES})
    assert hdrs["content-type"] == "application/vnd.docker.distribution.manifest.list.v2+json"
