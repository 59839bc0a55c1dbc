"""OCI distribution-spec v1.1, "Push": blob uploads (monolithic, chunked, streamed), mounts,
and manifest PUTs of every media type, with their error cases."""
import http.client
import json

import pytest

from harness import sha256
from ocihelpers import (ALL_MANIFEST_TYPES, DOCKER_LIST, DOCKER_SCHEMA1_SIGNED, EMPTY_DIGEST, EMPTY_JSON,
                        OCI_EMPTY, OCI_MANIFEST, Blob, build_artifact, build_image, build_index, encode,
                        error_codes, location_path, push_blob, push_image, push_manifest, random_bytes,
                        start_upload, with_query)

NAME = "push/app"


def blob_status(registry, name, digest):
    status, _, _ = registry.request("HEAD", f"/v2/{name}/blobs/{digest}")
    return status


def get_blob(registry, name, digest):
    status, _, body = registry.request("GET", f"/v2/{name}/blobs/{digest}")
    assert status == 200
    return body


def patch(registry, loc, data, start=None):
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
    if start is not None:
        headers["Content-Range"] = f"{start}-{start + len(data) - 1}"
    return registry.request("PATCH", loc, body=data, headers=headers)


# --- blob uploads --------------------------------------------------------------------


def test_post_then_put_monolithic(registry):
    data = random_bytes(10000)
    loc = start_upload(registry, NAME)
    status, hdrs, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=data,
                                          headers={"Content-Type": "application/octet-stream"})
    assert status == 201, body
    assert hdrs["docker-content-digest"] == sha256(data)
    assert location_path(registry, hdrs["location"]) == f"/v2/{NAME}/blobs/{sha256(data)}"
    assert get_blob(registry, NAME, sha256(data)) == data


def test_post_answers_202_with_location_and_upload_uuid(registry):
    status, hdrs, _ = registry.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"")
    assert status == 202
    path = location_path(registry, hdrs["location"])
    assert path.startswith(f"/v2/{NAME}/blobs/uploads/")
    assert hdrs.get("docker-upload-uuid")
    assert hdrs.get("range") in (None, "0-0", "bytes=0-0")


def test_single_request_post_with_digest_or_fallback(registry):
    # The spec lets a registry decline the single-request form with a 202 (a session the
    # client then completes); distribution 2.8.2 does so, ignoring the body.
    data = random_bytes(5000)
    status, hdrs, body = registry.request("POST", f"/v2/{NAME}/blobs/uploads/?digest={sha256(data)}",
                                          body=data, headers={"Content-Type": "application/octet-stream"})
    assert status in (201, 202), body
    if status == 202:
        loc = location_path(registry, hdrs["location"])
        status, hdrs, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=data)
        assert status == 201, body
    assert location_path(registry, hdrs["location"]) == f"/v2/{NAME}/blobs/{sha256(data)}"
    assert get_blob(registry, NAME, sha256(data)) == data


@pytest.mark.wharf_only
def test_single_request_post_with_digest(registry):
    data = random_bytes(5000)
    status, hdrs, body = registry.request("POST", f"/v2/{NAME}/blobs/uploads/?digest={sha256(data)}",
                                          body=data, headers={"Content-Type": "application/octet-stream"})
    assert status == 201, body
    assert location_path(registry, hdrs["location"]) == f"/v2/{NAME}/blobs/{sha256(data)}"
    assert hdrs["docker-content-digest"] == sha256(data)
    assert get_blob(registry, NAME, sha256(data)) == data


@pytest.mark.wharf_only
def test_single_request_post_with_wrong_digest_is_400(registry):
    data = random_bytes(500)
    status, _, body = registry.request("POST", f"/v2/{NAME}/blobs/uploads/?digest={sha256(b'x')}",
                                       body=data, headers={"Content-Type": "application/octet-stream"})
    assert status == 400
    assert "DIGEST_INVALID" in error_codes(body)


def test_chunked_upload_with_content_range(registry):
    data = random_bytes(3 * 7000 + 123)
    loc = start_upload(registry, NAME)
    offset = 0
    for size in (7000, 7000, 7000, 123):
        chunk = data[offset:offset + size]
        status, hdrs, body = patch(registry, loc, chunk, start=offset)
        assert status == 202, body
        offset += size
        assert hdrs["range"] == f"0-{offset - 1}"
        loc = location_path(registry, hdrs["location"])
    status, hdrs, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=b"",
                                          headers={"Content-Length": "0"})
    assert status == 201, body
    assert get_blob(registry, NAME, sha256(data)) == data


def test_final_put_may_carry_the_last_chunk(registry):
    data = random_bytes(9000)
    loc = start_upload(registry, NAME)
    status, hdrs, _ = patch(registry, loc, data[:6000], start=0)
    assert status == 202
    loc = location_path(registry, hdrs["location"])
    status, hdrs, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=data[6000:],
                                          headers={"Content-Type": "application/octet-stream",
                                                   "Content-Range": "6000-8999"})
    assert status == 201, body
    assert get_blob(registry, NAME, sha256(data)) == data


def test_streamed_patch_with_chunked_transfer_encoding(registry):
    parts = [random_bytes(4096) for _ in range(8)]
    data = b"".join(parts)
    loc = start_upload(registry, NAME)
    conn = registry.connection()
    try:
        conn.request("PATCH", loc, body=iter(parts), headers={"Content-Type": "application/octet-stream"},
                     encode_chunked=True)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 202
        assert resp.getheader("Range") == f"0-{len(data) - 1}"
        loc = location_path(registry, resp.getheader("Location"))
    finally:
        conn.close()
    status, _, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=b"")
    assert status == 201, body
    assert get_blob(registry, NAME, sha256(data)) == data


def test_upload_status_reports_range_and_location(registry):
    loc = start_upload(registry, NAME)
    status, hdrs, body = registry.request("GET", loc)
    assert status == 204
    assert hdrs.get("range") in ("0-0", "0--1", None) or hdrs["range"].startswith("0-")
    assert location_path(registry, hdrs["location"]).startswith(f"/v2/{NAME}/blobs/uploads/")
    status, hdrs, _ = patch(registry, loc, random_bytes(1000), start=0)
    loc = location_path(registry, hdrs["location"])
    status, hdrs, body = registry.request("GET", loc)
    assert status == 204
    assert body == b""
    assert hdrs["range"] == "0-999"
    assert hdrs.get("docker-upload-uuid")
    assert location_path(registry, hdrs["location"]).startswith(f"/v2/{NAME}/blobs/uploads/")


@pytest.mark.wharf_only
def test_out_of_order_chunk_is_416(registry):
    # Distribution 2.8.2 ignores Content-Range on PATCH and appends (checked from 3.0 on).
    loc = start_upload(registry, NAME)
    status, hdrs, _ = patch(registry, loc, random_bytes(1000), start=0)
    assert status == 202
    loc = location_path(registry, hdrs["location"])
    status, hdrs, body = patch(registry, loc, random_bytes(1000), start=2000)
    assert status == 416


@pytest.mark.wharf_only
def test_resume_after_a_failed_chunk(registry):
    data = random_bytes(3000)
    loc = start_upload(registry, NAME)
    status, hdrs, _ = patch(registry, loc, data[:1000], start=0)
    assert status == 202
    loc = location_path(registry, hdrs["location"])
    # A chunk sent at the wrong offset is refused and changes nothing ...
    status, _, _ = patch(registry, loc, data[1500:2500], start=1500)
    assert status == 416
    # ... the client asks where the upload stands and carries on from there.
    status, hdrs, _ = registry.request("GET", loc)
    assert status == 204
    assert hdrs["range"] == "0-999"
    loc = location_path(registry, hdrs["location"])
    status, hdrs, _ = patch(registry, loc, data[1000:], start=1000)
    assert status == 202, hdrs
    loc = location_path(registry, hdrs["location"])
    status, _, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=b"")
    assert status == 201, body
    assert get_blob(registry, NAME, sha256(data)) == data


@pytest.mark.wharf_only
def test_resume_after_a_connection_cut_mid_chunk(registry):
    # Distribution 2.8.2 loses the session (404) when a PATCH body is cut short.
    # The client dies in the middle of a PATCH body; the upload must stay consistent: its
    # status reports a prefix of what was sent, and continuing from there completes it.
    data = random_bytes(200_000)
    loc = start_upload(registry, NAME)
    status, hdrs, _ = patch(registry, loc, data[:50_000], start=0)
    loc = location_path(registry, hdrs["location"])
    conn = registry.connection()
    conn.putrequest("PATCH", loc)
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", "100000")
    conn.putheader("Content-Range", "50000-149999")
    conn.endheaders()
    conn.send(data[50_000:80_000])
    conn.close()
    import time
    deadline = time.time() + 10
    while True:
        status, hdrs, _ = registry.request("GET", loc)
        if status == 204 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert status == 204, status
    end = int(hdrs["range"].split("-")[1]) + 1
    assert 50_000 <= end <= 80_000
    loc = location_path(registry, hdrs["location"])
    status, hdrs, body = patch(registry, loc, data[end:], start=end)
    assert status == 202, body
    loc = location_path(registry, hdrs["location"])
    status, _, body = registry.request("PUT", with_query(loc, digest=sha256(data)), body=b"")
    assert status == 201, body
    assert get_blob(registry, NAME, sha256(data)) == data


def test_delete_upload_then_it_is_unknown(registry):
    loc = start_upload(registry, NAME)
    status, hdrs, _ = patch(registry, loc, random_bytes(100), start=0)
    # The latest Location carries the session state (distribution's signed _state).
    loc = location_path(registry, hdrs["location"])
    status, _, _ = registry.request("DELETE", loc)
    assert status == 204
    status, _, body = registry.request("GET", loc)
    assert status == 404
    assert "BLOB_UPLOAD_UNKNOWN" in error_codes(body)
    status, _, body = patch(registry, loc, random_bytes(10))
    assert status == 404
    assert "BLOB_UPLOAD_UNKNOWN" in error_codes(body)


def test_unknown_upload_is_404(registry):
    status, _, body = registry.request("GET", f"/v2/{NAME}/blobs/uploads/00000000-0000-0000-0000-000000000000")
    assert status == 404
    # Spec: BLOB_UPLOAD_UNKNOWN; distribution 2.8.2 says BLOB_UPLOAD_INVALID for an id without _state.
    codes = error_codes(body)
    assert "BLOB_UPLOAD_UNKNOWN" in codes or "BLOB_UPLOAD_INVALID" in codes


def test_digest_mismatch_is_400_digest_invalid(registry):
    data = random_bytes(2000)
    wrong = sha256(b"something else")
    loc = start_upload(registry, NAME)
    status, _, body = registry.request("PUT", with_query(loc, digest=wrong), body=data,
                                       headers={"Content-Type": "application/octet-stream"})
    assert status == 400
    assert "DIGEST_INVALID" in error_codes(body)
    assert blob_status(registry, NAME, wrong) == 404
    assert blob_status(registry, NAME, sha256(data)) == 404


def test_put_without_digest_is_rejected(registry):
    loc = start_upload(registry, NAME)
    status, _, body = registry.request("PUT", loc, body=b"abc",
                                       headers={"Content-Type": "application/octet-stream"})
    assert status in (400, 404)  # distribution: 400 DIGEST_INVALID
    assert error_codes(body)


def test_cross_repository_mount(registry):
    blob = push_blob(registry, "push/source", Blob(random_bytes(3000)))
    status, hdrs, body = registry.request(
        "POST", f"/v2/push/target/blobs/uploads/?mount={blob.digest}&from=push/source", body=b"")
    assert status == 201, body
    assert location_path(registry, hdrs["location"]) == f"/v2/push/target/blobs/{blob.digest}"
    assert hdrs["docker-content-digest"] == blob.digest
    assert get_blob(registry, "push/target", blob.digest) == blob.data


def test_mount_falls_back_to_upload_when_blob_not_in_from(registry):
    blob = push_blob(registry, "push/source2", Blob(random_bytes(3000)))
    status, hdrs, _ = registry.request(
        "POST", f"/v2/push/target2/blobs/uploads/?mount={blob.digest}&from=push/elsewhere", body=b"")
    assert status == 202
    loc = location_path(registry, hdrs["location"])
    assert loc.startswith("/v2/push/target2/blobs/uploads/")
    # The fallback session is a real upload.
    status, _, body = registry.request("PUT", with_query(loc, digest=blob.digest), body=blob.data)
    assert status == 201, body


def test_mount_of_unknown_digest_falls_back_to_upload(registry):
    status, hdrs, _ = registry.request(
        "POST", f"/v2/push/target3/blobs/uploads/?mount=sha256:{'1' * 64}&from=push/source", body=b"")
    assert status == 202
    assert location_path(registry, hdrs["location"]).startswith("/v2/push/target3/blobs/uploads/")


# --- manifests -----------------------------------------------------------------------


def pull(registry, name, ref):
    return registry.request("GET", f"/v2/{name}/manifests/{ref}", headers={"Accept": ALL_MANIFEST_TYPES})


@pytest.mark.parametrize("flavor", ["oci", "docker"])
def test_put_image_manifest(registry, flavor):
    img = build_image(layers=2, flavor=flavor)
    for b in img.blobs:
        push_blob(registry, NAME, b)
    status, hdrs, body = push_manifest(registry, NAME, f"img-{flavor}", img)
    assert hdrs["docker-content-digest"] == img.digest
    assert location_path(registry, hdrs["location"]) == f"/v2/{NAME}/manifests/{img.digest}"
    status, hdrs, body = pull(registry, NAME, f"img-{flavor}")
    assert status == 200
    assert body == img.data
    assert hdrs["content-type"] == img.media_type


@pytest.mark.parametrize("flavor", ["oci", "docker"])
def test_put_index_with_child_manifests(registry, flavor):
    children = [build_image(flavor=flavor), build_image(flavor=flavor, arch="arm64")]
    index = build_index(children, flavor=flavor)
    push_image(registry, NAME, index, tag=f"multi-{flavor}")
    status, hdrs, body = pull(registry, NAME, f"multi-{flavor}")
    assert status == 200
    assert body == index.data
    assert hdrs["content-type"] == (DOCKER_LIST if flavor == "docker" else index.media_type)
    assert hdrs["docker-content-digest"] == index.digest


def test_put_manifest_by_digest(registry):
    img = push_image(registry, NAME, build_image())
    status, _, body = pull(registry, NAME, img.digest)
    assert status == 200
    assert body == img.data


def test_put_manifest_with_wrong_digest_reference_is_400(registry):
    img = build_image()
    for b in img.blobs:
        push_blob(registry, NAME, b)
    status, _, body = push_manifest(registry, NAME, sha256(b"not it"), img, expect=None)
    assert status == 400
    assert "DIGEST_INVALID" in error_codes(body)


def test_put_oci_artifact_with_empty_config(registry):
    assert sha256(EMPTY_JSON) == EMPTY_DIGEST
    art = build_artifact("application/vnd.example.sbom.v1+json", payload=b'{"sbom":true}',
                         payload_type="application/json")
    assert art.blobs[0].digest == EMPTY_DIGEST and art.blobs[0].media_type == OCI_EMPTY
    push_image(registry, NAME, art, tag="artifact")
    status, hdrs, body = pull(registry, NAME, "artifact")
    assert status == 200
    assert body == art.data
    assert json.loads(body)["artifactType"] == "application/vnd.example.sbom.v1+json"
    assert get_blob(registry, NAME, EMPTY_DIGEST) == b"{}"


def test_manifest_referencing_missing_blob_is_400_manifest_blob_unknown(registry):
    img = build_image(layers=2)
    push_blob(registry, NAME, img.blobs[0])  # config and first layer only
    push_blob(registry, NAME, img.blobs[1])
    status, _, body = push_manifest(registry, NAME, "broken", img, expect=None)
    assert status == 400
    assert "MANIFEST_BLOB_UNKNOWN" in error_codes(body)
    status, _, _ = pull(registry, NAME, "broken")
    assert status == 404


def test_index_referencing_missing_manifest_is_400(registry):
    index = build_index([build_image()])
    status, _, body = push_manifest(registry, NAME, "broken-index", index, expect=None)
    assert status == 400
    codes = error_codes(body)
    assert "MANIFEST_BLOB_UNKNOWN" in codes or "MANIFEST_UNKNOWN" in codes


@pytest.mark.parametrize("payload", [b"{nope", b"", b"[]", b"\xff\xfe", b'{"schemaVersion":2'])
def test_invalid_manifest_is_400_manifest_invalid(registry, payload):
    status, _, body = registry.request("PUT", f"/v2/{NAME}/manifests/bad", body=payload,
                                       headers={"Content-Type": OCI_MANIFEST})
    assert status == 400
    assert "MANIFEST_INVALID" in error_codes(body)


@pytest.mark.wharf_only
@pytest.mark.parametrize("payload", [
    {"schemaVersion": 2, "mediaType": OCI_MANIFEST},
    {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {}, "layers": []},
    {"schemaVersion": 3, "mediaType": OCI_MANIFEST, "config": {}, "layers": []},
    {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"digest": "nope", "size": -1}, "layers": "x"},
])
def test_structurally_invalid_manifest_is_400_manifest_invalid(registry, payload):
    # Distribution 2.8.2 answers these with DIGEST_INVALID+MANIFEST_BLOB_UNKNOWN, or 500 for
    # schemaVersion 3; the spec wants MANIFEST_INVALID.
    status, _, body = registry.request("PUT", f"/v2/{NAME}/manifests/bad", body=encode(payload),
                                       headers={"Content-Type": OCI_MANIFEST})
    assert status == 400
    assert "MANIFEST_INVALID" in error_codes(body)


def test_schema1_manifest_is_refused(registry):
    # Distribution 2.8.2 refuses schema 1 too (disabled by default) with 400 MANIFEST_INVALID.
    layer = push_blob(registry, NAME, Blob(random_bytes(100)))
    s1 = json.dumps({"schemaVersion": 1, "name": NAME, "tag": "s1", "architecture": "amd64",
                     "fsLayers": [{"blobSum": layer.digest}],
                     "history": [{"v1Compatibility": "{}"}]}).encode()
    for mt in ("application/vnd.docker.distribution.manifest.v1+json", DOCKER_SCHEMA1_SIGNED):
        status, _, body = registry.request("PUT", f"/v2/{NAME}/manifests/s1", body=s1, headers={"Content-Type": mt})
        assert status == 400
        codes = error_codes(body)
        assert "MANIFEST_INVALID" in codes or "UNSUPPORTED" in codes


def oversized_manifest(registry):
    img = build_image()
    for b in img.blobs:
        push_blob(registry, NAME, b)
    body = img.json
    body["annotations"] = {"padding": "x" * (4 << 20)}
    return encode(body)


def test_manifest_over_4mib_is_refused(registry):
    # Distribution answers 400 MANIFEST_INVALID ("request body too large"); the spec says 413.
    data = oversized_manifest(registry)
    status, _, body = registry.request("PUT", f"/v2/{NAME}/manifests/huge", body=data,
                                       headers={"Content-Type": OCI_MANIFEST})
    assert status in (400, 413)
    status, _, _ = pull(registry, NAME, "huge")
    assert status == 404


@pytest.mark.wharf_only
def test_manifest_over_4mib_is_413(registry):
    data = oversized_manifest(registry)
    status, _, body = registry.request("PUT", f"/v2/{NAME}/manifests/huge", body=data,
                                       headers={"Content-Type": OCI_MANIFEST})
    assert status == 413


def test_manifest_just_under_4mib_is_accepted(registry):
    img = build_image()
    for b in img.blobs:
        push_blob(registry, NAME, b)
    body = img.json
    body["annotations"] = {"padding": ""}
    base = len(encode(body))
    body["annotations"]["padding"] = "x" * ((4 << 20) - base - 16)
    data = encode(body)
    assert len(data) < 4 << 20
    status, _, resp = registry.request("PUT", f"/v2/{NAME}/manifests/big", body=data,
                                       headers={"Content-Type": OCI_MANIFEST})
    assert status == 201, resp


# --- names, tags, locations ----------------------------------------------------------


def test_name_starting_with_separator_is_rejected(registry):
    # Distribution's router does not match such names (404 text); Wharf may say 400 NAME_INVALID.
    status, _, body = registry.request("POST", "/v2/-a/blobs/uploads/", body=b"")
    assert status in (400, 404)


@pytest.mark.wharf_only
@pytest.mark.parametrize("name", ["UPPER/case", "a//b", "-a", "a" * 256, "a/" + "b" * 254, "a__b_", "a/.."])
def test_invalid_names_are_400_name_invalid(registry, name):
    # Distribution 2.8.2: UPPER/case → 202 (accepted!), a//b → 301, -a → 404, 256 chars → 500.
    status, _, body = registry.request("POST", f"/v2/{name}/blobs/uploads/", body=b"")
    assert status in (400, 404), (status, body)
    if status == 400:
        assert "NAME_INVALID" in error_codes(body)


def test_name_of_255_chars_is_accepted(registry):
    name = "a/" + "b" * 253
    assert len(name) == 255
    status, _, _ = registry.request("POST", f"/v2/{name}/blobs/uploads/", body=b"")
    assert status == 202


@pytest.mark.parametrize("tag", ["-bad", "t" * 129, ".dot"])
def test_invalid_tag_is_refused(registry, tag):
    # Distribution's router 404s on tags outside [\w][\w.-]{0,127}; the spec calls them invalid.
    img = push_image(registry, NAME, build_image())
    status, _, _ = push_manifest(registry, NAME, tag, img, expect=None)
    assert status in (400, 404)


@pytest.mark.wharf_only
@pytest.mark.parametrize("tag", ["-bad", "t" * 129, ".dot"])
def test_invalid_tag_is_400(registry, tag):
    img = push_image(registry, NAME, build_image())
    status, _, body = push_manifest(registry, NAME, tag, img, expect=None)
    assert status == 400
    codes = error_codes(body)
    assert set(codes) & {"TAG_INVALID", "MANIFEST_INVALID", "NAME_INVALID"}


def test_tag_of_128_chars_is_accepted(registry):
    img = push_image(registry, NAME, build_image())
    push_manifest(registry, NAME, "T" * 128, img)


def test_upload_location_is_usable_and_stays_in_repo(registry):
    status, hdrs, _ = registry.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"")
    loc = hdrs["location"]
    path = location_path(registry, loc)
    assert path.startswith(f"/v2/{NAME}/blobs/uploads/")
    # Another repository's path with this upload's id must not continue it.
    other = path.replace(f"/v2/{NAME}/", "/v2/push/intruder/", 1)
    status, _, body = registry.request("GET", other)
    assert status == 404


@pytest.mark.wharf_only
def test_push_pull_sha512_blob(registry):
    import hashlib
    data = random_bytes(1000)
    d = "sha512:" + hashlib.sha512(data).hexdigest()
    loc = start_upload(registry, NAME)
    status, hdrs, body = registry.request("PUT", with_query(loc, digest=d), body=data)
    assert status == 201, body
    assert hdrs["docker-content-digest"] == d
    assert get_blob(registry, NAME, d) == data


def test_same_blob_uploaded_by_two_sessions_at_once(registry):
    # Parallel pushers (two podman pushes sharing a base layer) upload the same content.
    import threading
    data = random_bytes(500_000)
    locs = [start_upload(registry, NAME), start_upload(registry, NAME)]
    results = []

    def finish(loc):
        results.append(registry.request("PUT", with_query(loc, digest=sha256(data)), body=data)[0])

    threads = [threading.Thread(target=finish, args=(loc,)) for loc in locs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [201, 201]
    assert get_blob(registry, NAME, sha256(data)) == data


def test_manifest_put_is_idempotent(registry):
    img = push_image(registry, NAME, build_image(), tag="twice")
    status, hdrs, _ = push_manifest(registry, NAME, "twice", img)
    assert hdrs["docker-content-digest"] == img.digest


def test_tag_moves_to_the_new_manifest(registry):
    old = push_image(registry, NAME, build_image(), tag="moving")
    new = push_image(registry, NAME, build_image(), tag="moving")
    status, hdrs, body = pull(registry, NAME, "moving")
    assert body == new.data
    assert hdrs["docker-content-digest"] == new.digest
    # The old manifest is still there by digest.
    status, _, body = pull(registry, NAME, old.digest)
    assert status == 200 and body == old.data


@pytest.fixture(scope="module")
def relative_registry():
    from harness import RegistryProcess
    r = RegistryProcess(config={"http": {"relativeurls": True}}).start()
    yield r
    r.cleanup()


def test_relative_urls_config_gives_relative_locations(relative_registry):
    r = relative_registry
    status, hdrs, _ = r.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"")
    assert status == 202
    assert hdrs["location"].startswith(f"/v2/{NAME}/blobs/uploads/")
    data = random_bytes(100)
    status, hdrs, _ = r.request("PUT", with_query(hdrs["location"], digest=sha256(data)), body=data)
    assert status == 201
    assert hdrs["location"] == f"/v2/{NAME}/blobs/{sha256(data)}"


def test_absolute_locations_follow_the_host_header(registry):
    status, hdrs, _ = registry.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"",
                                       headers={"Host": "registry.example:8443"})
    assert status == 202
    assert hdrs["location"].startswith(f"http://registry.example:8443/v2/{NAME}/blobs/uploads/")
