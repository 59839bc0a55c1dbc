"""OCI distribution-spec after v1.1.1 (main): multi-tag push (end-7b), Docker-Content-Digest
and Content-Length on every manifest and blob GET/HEAD, references that cannot name a
manifest, tags/list of a repository without tags, and blob upload cancel (end-14).

Runs on every storage (CONFORMANCE_STORAGE) and against distribution 2.8.2
(CONFORMANCE_TARGET=distribution), which predates the multi-tag push: those tests are
`wharf_only`.
"""
import hashlib
import json

import pytest

from ocihelpers import (ALL_MANIFEST_TYPES, Blob, Manifest, build_image, build_index, error_codes, fetch,
                        location_path, push_blob, push_image, random_bytes, start_upload, with_query)

NAME = "next/app"


def sha512(data):
    return "sha512:" + hashlib.sha512(data).hexdigest()


def put_manifest(registry, name, reference, manifest, tags=(), path_suffix=""):
    """PUT /v2/<name>/manifests/<reference>?tag=..&tag=..; returns (status, headers, body, OCI-Tag values)."""
    path = f"/v2/{name}/manifests/{reference}"
    if tags:
        path += "?" + "&".join(f"tag={t}" for t in tags)
    conn = registry.connection()
    try:
        conn.request("PUT", path + path_suffix, body=manifest.data, headers={"Content-Type": manifest.media_type})
        resp = conn.getresponse()
        body = resp.read()
        oci_tags = [t.strip() for k, v in resp.getheaders() if k.lower() == "oci-tag" for t in v.split(",")]
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, oci_tags
    finally:
        conn.close()


def push_content(registry, name, manifest):
    """Pushes the blobs and child manifests `manifest` needs, not the manifest itself."""
    for child in manifest.children:
        push_image(registry, name, child)
    for blob in manifest.blobs:
        push_blob(registry, name, blob)


def manifest_at(registry, name, reference):
    status, hdrs, body = registry.request("GET", f"/v2/{name}/manifests/{reference}",
                                          headers={"Accept": ALL_MANIFEST_TYPES})
    return status, hdrs, body


def tags_of(registry, name):
    status, _, body = registry.request("GET", f"/v2/{name}/tags/list")
    assert status == 200, body
    return json.loads(body)["tags"] or []


# --- multi-tag push (end-7b) --------------------------------------------------------------


@pytest.mark.wharf_only
@pytest.mark.parametrize("kind", ["image", "index"])
@pytest.mark.parametrize("algorithm", ["sha256", "sha512"])
def test_push_by_digest_with_tags_sets_every_tag(registry, kind, algorithm):
    m = build_image() if kind == "image" else build_index([build_image(), build_image(arch="arm64")])
    push_content(registry, NAME, m)
    digest = m.digest if algorithm == "sha256" else sha512(m.data)
    tags = [f"{kind}-{algorithm}-{i}" for i in range(12)]
    status, hdrs, body, oci_tags = put_manifest(registry, NAME, digest, m, tags)
    assert status == 201, body
    assert hdrs["docker-content-digest"] == digest
    assert sorted(oci_tags) == sorted(tags)
    for t in tags:
        status, hdrs, body = manifest_at(registry, NAME, t)
        assert status == 200, (t, body)
        assert body == m.data
        assert hdrs["docker-content-digest"] in (m.digest, digest)
    assert set(tags) <= set(tags_of(registry, NAME))


@pytest.mark.wharf_only
def test_each_oci_tag_is_its_own_header(registry):
    m = push_image(registry, NAME, build_image())
    status, _, body, _ = put_manifest(registry, NAME, m.digest, m, ["one", "two", "three"])
    assert status == 201, body
    conn = registry.connection()
    try:
        conn.request("PUT", f"/v2/{NAME}/manifests/{m.digest}?tag=four&tag=five", body=m.data,
                     headers={"Content-Type": m.media_type})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 201
        assert [v for k, v in resp.getheaders() if k.lower() == "oci-tag"] == ["four", "five"]
    finally:
        conn.close()


@pytest.mark.wharf_only
def test_repeated_tag_is_set_once(registry):
    m = push_image(registry, NAME, build_image())
    status, _, body, oci_tags = put_manifest(registry, NAME, m.digest, m, ["dup", "dup", "other"])
    assert status == 201, body
    assert oci_tags == ["dup", "other"]


@pytest.mark.wharf_only
def test_tags_move_to_the_newly_pushed_manifest(registry):
    old = push_image(registry, NAME, build_image())
    put_manifest(registry, NAME, old.digest, old, ["moving-a", "moving-b"])
    new = build_image()
    push_content(registry, NAME, new)
    status, _, body, _ = put_manifest(registry, NAME, new.digest, new, ["moving-a", "moving-b"])
    assert status == 201, body
    for t in ("moving-a", "moving-b"):
        assert manifest_at(registry, NAME, t)[1]["docker-content-digest"] == new.digest
    assert manifest_at(registry, NAME, old.digest)[0] == 200


@pytest.mark.wharf_only
@pytest.mark.parametrize("bad", [".dot", "-dash", "t" * 129, "a%2Fb", ""])
def test_one_invalid_tag_fails_the_push_and_sets_nothing(registry, bad):
    repo = "next/invalid"
    m = build_image()
    push_content(registry, repo, m)
    good = f"good-{len(bad)}-{abs(hash(bad)) % 1000}"
    status, _, body, oci_tags = put_manifest(registry, repo, m.digest, m, [good, bad])
    assert status == 400, body
    assert "TAG_INVALID" in error_codes(body)
    assert oci_tags == []
    assert manifest_at(registry, repo, good)[0] == 404
    # Nothing was stored: the manifest is not there by digest either.
    assert manifest_at(registry, repo, m.digest)[0] == 404


@pytest.mark.wharf_only
def test_tags_on_push_by_tag_are_set_too(registry):
    m = build_image()
    push_content(registry, NAME, m)
    status, _, body, oci_tags = put_manifest(registry, NAME, "by-tag", m, ["by-param"])
    assert status == 201, body
    assert oci_tags == ["by-tag", "by-param"]
    assert manifest_at(registry, NAME, "by-param")[2] == m.data


@pytest.mark.wharf_only
def test_over_long_request_line_is_414(registry):
    m = push_image(registry, NAME, build_image())
    tags = [f"t{i:04d}-" + "x" * 100 for i in range(200)]  # ~22 KB of query, past the 8 KiB default
    status, _, _, oci_tags = put_manifest(registry, NAME, m.digest, m, tags)
    assert status == 414
    assert oci_tags == []
    assert manifest_at(registry, NAME, tags[0])[0] == 404
    # The registry keeps serving.
    assert registry.request("GET", "/v2/")[0] == 200


# --- Docker-Content-Digest and Content-Length on every GET and HEAD -----------------------


@pytest.fixture(scope="module")
def served(registry):
    img = push_image(registry, "next/served", build_image(layers=1, layer_size=4096), tag="img")
    index = push_image(registry, "next/served", build_index([build_image()]), tag="idx")
    return {"img": img, "idx": index}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("kind", ["img", "idx"])
@pytest.mark.parametrize("by", ["tag", "digest"])
def test_manifest_answers_carry_digest_and_length(registry, served, method, kind, by):
    m = served[kind]
    ref = kind if by == "tag" else m.digest
    status, hdrs, body = registry.request(method, f"/v2/next/served/manifests/{ref}",
                                          headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200
    assert hdrs["docker-content-digest"] == m.digest
    assert int(hdrs["content-length"]) == m.size
    assert body == (m.data if method == "GET" else b"")


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("rng,start,end", [(None, 0, 4095), ("bytes=0-99", 0, 99), ("bytes=1000-", 1000, 4095),
                                           ("bytes=-10", 4086, 4095)])
def test_blob_answers_carry_digest_and_length(registry, served, method, rng, start, end):
    blob = served["img"].blobs[1]
    status, hdrs, body = registry.request(method, f"/v2/next/served/blobs/{blob.digest}",
                                          headers={"Range": rng} if rng else {})
    if rng is None:
        assert status == 200
    elif method == "HEAD" and status == 200:
        pass  # distribution 2.8.2 ignores Range on HEAD: the whole blob's headers are fine too
    else:
        assert status == 206
        assert hdrs["content-range"] == f"bytes {start}-{end}/{blob.size}"
    length = blob.size if status == 200 else end - start + 1
    assert hdrs["docker-content-digest"] == blob.digest
    assert int(hdrs["content-length"]) == length
    assert body == (blob.data[start:end + 1] if method == "GET" else b"")


@pytest.mark.wharf_only
def test_head_with_range_is_206_with_the_part_length(registry, served):
    blob = served["img"].blobs[1]
    status, hdrs, body = registry.request("HEAD", f"/v2/next/served/blobs/{blob.digest}",
                                          headers={"Range": "bytes=10-19"})
    assert status == 206
    assert int(hdrs["content-length"]) == 10
    assert hdrs["docker-content-digest"] == blob.digest
    assert body == b""


# --- references that cannot name a manifest ------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("ref", [".INVALID_MANIFEST_NAME", "-dash"])  # distribution: 500 for a bad digest
def test_impossible_reference_is_404(registry, served, method, ref):
    status, _, body = fetch(registry, method, f"/v2/next/served/manifests/{ref}",
                            headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 404
    if method == "HEAD":
        assert body == b""


@pytest.mark.wharf_only
@pytest.mark.parametrize("ref", [".INVALID_MANIFEST_NAME", "t" * 129, "sha256:baddigeststring"])
def test_impossible_reference_is_manifest_unknown(registry, served, ref):
    status, _, body = registry.request("GET", f"/v2/next/served/manifests/{ref}")
    assert status == 404
    assert error_codes(body) == ["MANIFEST_UNKNOWN"]


@pytest.mark.wharf_only
def test_put_to_an_impossible_reference_is_still_tag_invalid(registry, served):
    m = served["img"]
    status, _, body, _ = put_manifest(registry, "next/served", ".INVALID_MANIFEST_NAME", m)
    assert status == 400
    assert "TAG_INVALID" in error_codes(body)


# --- tags/list of a repository without tags ---------------------------------------------------


# Distribution 2.8.2 deletes manifests by digest only.
@pytest.mark.parametrize("by", ["digest", pytest.param("tag", marks=pytest.mark.wharf_only)])
def test_tags_list_is_empty_after_the_last_tag_is_deleted(fresh_registry, by):
    """Object stores have no empty directories: the tags prefix vanishes with the last tag
    (and the revisions prefix with the last revision), yet the repository is still there."""
    r, repo = fresh_registry, "next/untagged"
    m = push_image(r, repo, build_image(), tag="only")
    status, _, body = r.request("DELETE", f"/v2/{repo}/manifests/{m.digest if by == 'digest' else 'only'}")
    assert status == 202, body
    status, _, body = r.request("GET", f"/v2/{repo}/tags/list")
    assert status == 200, body
    doc = json.loads(body)
    # Distribution 2.8.2 lists no tags as null; Wharf as the spec's empty list.
    assert doc["tags"] == [] or (doc["tags"] is None and r.target == "distribution")
    assert manifest_at(r, repo, m.digest)[0] == (404 if by == "digest" else 200)


@pytest.mark.wharf_only
def test_tags_list_of_a_repository_with_only_layers_is_empty(fresh_registry):
    r, repo = fresh_registry, "next/layers-only"
    push_blob(r, repo, Blob(random_bytes(512)))
    status, _, body = r.request("GET", f"/v2/{repo}/tags/list")
    assert status == 200, body
    assert json.loads(body) == {"name": repo, "tags": []}


def test_tags_list_of_a_missing_repository_is_name_unknown(fresh_registry):
    status, _, body = fresh_registry.request("GET", "/v2/next/never/tags/list")
    assert status == 404
    assert error_codes(body) == ["NAME_UNKNOWN"]


# --- blob upload cancel (end-14) -----------------------------------------------------------


def test_cancel_upload_after_post_is_204(registry):
    loc = start_upload(registry, NAME)
    status, _, body = registry.request("DELETE", loc, headers={"Content-Length": "0"})
    assert status == 204, body
    status, _, body = registry.request("GET", loc)
    assert status == 404
    assert "BLOB_UPLOAD_UNKNOWN" in error_codes(body)


def test_cancel_upload_after_patch_then_put_is_404(registry):
    data = random_bytes(2048)
    loc = start_upload(registry, NAME)
    status, hdrs, body = registry.request("PATCH", loc, body=data,
                                          headers={"Content-Type": "application/octet-stream",
                                                   "Content-Range": f"0-{len(data) - 1}"})
    assert status == 202, body
    loc = location_path(registry, hdrs["location"])
    status, _, body = registry.request("DELETE", loc)
    assert status == 204, body
    status, _, body = registry.request("PUT", with_query(loc, digest="sha256:" + hashlib.sha256(data).hexdigest()),
                                       body=b"")
    assert status == 404
    assert "BLOB_UPLOAD_UNKNOWN" in error_codes(body)
    # Nothing was committed.
    assert registry.request("HEAD", f"/v2/{NAME}/blobs/sha256:{hashlib.sha256(data).hexdigest()}")[0] == 404


def test_cancel_twice_is_404(registry):
    loc = start_upload(registry, NAME)
    assert registry.request("DELETE", loc)[0] == 204
    status, _, body = registry.request("DELETE", loc)
    assert status == 404
    assert "BLOB_UPLOAD_UNKNOWN" in error_codes(body)
