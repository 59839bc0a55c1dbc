"""OCI distribution-spec v1.1, "Content discovery": tags list, catalog, referrers."""
import json
import re

import pytest

from ocihelpers import (OCI_INDEX, build_artifact, build_image, error_codes, push_blob, push_image,
                        push_manifest)

TAGS = [f"t{i:02d}" for i in range(30)]


def next_link(registry, hdrs):
    """The path of a `Link: <...>; rel="next"` header, or None."""
    link = hdrs.get("link")
    if not link:
        return None
    m = re.match(r'\s*<([^>]+)>\s*;\s*rel="?next"?', link)
    assert m, f"malformed Link header: {link!r}"
    url = m.group(1)
    if url.startswith("http"):
        url = "/" + url.split("/", 3)[3]
    return url


def walk(registry, first, key):
    """Follows Link headers from `first`; returns the list of pages."""
    pages, path = [], first
    while path:
        assert len(pages) < 50, "paging does not end"
        status, hdrs, body = registry.request("GET", path)
        assert status == 200, body
        assert hdrs["content-type"].startswith("application/json")
        pages.append(json.loads(body)[key] or [])
        path = next_link(registry, hdrs)
    return pages


@pytest.fixture(scope="module")
def tagged(registry):
    """Repository disc/tags with 30 tags (pushed in reverse order) on one manifest."""
    img = push_image(registry, "disc/tags", build_image())
    for t in reversed(TAGS):
        push_manifest(registry, "disc/tags", t, img)
    return img


def test_tags_list_is_complete(registry, tagged):
    status, hdrs, body = registry.request("GET", "/v2/disc/tags/tags/list")
    assert status == 200
    assert hdrs["content-type"].startswith("application/json")
    doc = json.loads(body)
    assert doc["name"] == "disc/tags"
    assert sorted(doc["tags"]) == TAGS


# Distribution 2.8.2 neither sorts tags nor honours n/last on tags/list (added in 3.0);
# the spec requires lexical order and paging, so these are Wharf-only.


@pytest.mark.wharf_only
def test_tags_list_is_sorted(registry, tagged):
    status, hdrs, body = registry.request("GET", "/v2/disc/tags/tags/list")
    assert json.loads(body)["tags"] == TAGS


@pytest.mark.wharf_only
def test_tags_list_with_n(registry, tagged):
    status, hdrs, body = registry.request("GET", "/v2/disc/tags/tags/list?n=5")
    assert status == 200
    assert json.loads(body)["tags"] == TAGS[:5]
    assert next_link(registry, hdrs) is not None


@pytest.mark.wharf_only
def test_tags_list_with_last(registry, tagged):
    status, _, body = registry.request("GET", "/v2/disc/tags/tags/list?n=3&last=t10")
    assert status == 200
    assert json.loads(body)["tags"] == ["t11", "t12", "t13"]


@pytest.mark.wharf_only
def test_tags_list_last_without_n(registry, tagged):
    status, _, body = registry.request("GET", "/v2/disc/tags/tags/list?last=t26")
    assert status == 200
    assert json.loads(body)["tags"] == ["t27", "t28", "t29"]


@pytest.mark.wharf_only
def test_tags_list_paging_follows_link_headers(registry, tagged):
    pages = walk(registry, "/v2/disc/tags/tags/list?n=7", "tags")
    assert [len(p) for p in pages[:5]] == [7, 7, 7, 7, 2]
    assert all(p == [] for p in pages[5:])  # a trailing empty page is tolerated
    assert [t for p in pages for t in p] == TAGS


@pytest.mark.wharf_only
def test_tags_list_order_is_lexical(registry):
    img = push_image(registry, "disc/lex", build_image())
    tags = ["b", "a", "B", "10", "9", "a-1", "a.1", "a_1", "latest"]
    for t in tags:
        push_manifest(registry, "disc/lex", t, img)
    status, _, body = registry.request("GET", "/v2/disc/lex/tags/list")
    assert json.loads(body)["tags"] == sorted(tags)


def test_tags_of_unknown_repository_is_404_name_unknown(registry):
    status, _, body = registry.request("GET", "/v2/disc/nothing/tags/list")
    assert status == 404
    assert "NAME_UNKNOWN" in error_codes(body)


@pytest.fixture
def catalog_registry(fresh_registry):
    names = sorted([f"cat/r{i:02d}" for i in range(12)] + ["cat/nested/deep/one", "cat/nested/two",
                                                           "solo", "zz/last", "a.b/c-d/e_f"])
    img = build_image()
    for b in img.blobs:
        push_blob(fresh_registry, names[0], b)
    for n in names:
        push_image(fresh_registry, n, img, tag="v1")
    return fresh_registry, names


def test_catalog_lists_every_repository_sorted(catalog_registry):
    registry, names = catalog_registry
    status, hdrs, body = registry.request("GET", "/v2/_catalog")
    assert status == 200
    assert json.loads(body)["repositories"] == names


def test_catalog_paging_follows_link_headers(catalog_registry):
    registry, names = catalog_registry
    pages = walk(registry, "/v2/_catalog?n=7", "repositories")
    assert all(len(p) <= 7 for p in pages)
    assert [len(p) for p in pages if p][:2] == [7, 7]
    assert [r for p in pages for r in p] == names


def test_catalog_with_last(catalog_registry):
    registry, names = catalog_registry
    status, _, body = registry.request("GET", "/v2/_catalog?n=3&last=cat/nested/two")
    assert status == 200
    i = names.index("cat/nested/two")
    assert json.loads(body)["repositories"] == names[i + 1:i + 4]


def test_catalog_of_empty_registry(fresh_registry):
    status, _, body = fresh_registry.request("GET", "/v2/_catalog")
    assert status == 200
    assert json.loads(body)["repositories"] == []


# --- referrers (OCI 1.1; distribution 2.8.2 has no referrers API) ---------------------


@pytest.fixture(scope="module")
def referrers(registry):
    name = "disc/refs"
    img = push_image(registry, name, build_image(), tag="v1")
    sig = build_artifact("application/vnd.example.signature.v1", subject=img,
                         annotations={"org.example.kind": "sig"})
    sbom = build_artifact("application/vnd.example.sbom.v1+json", subject=img)
    answers = []
    for art in (sig, sbom):
        for b in art.blobs:
            push_blob(registry, name, b)
        answers.append(push_manifest(registry, name, art.digest, art))
    return name, img, sig, sbom, answers


@pytest.mark.wharf_only
def test_push_with_subject_answers_oci_subject(referrers):
    name, img, sig, sbom, answers = referrers
    for status, hdrs, _ in answers:
        assert status == 201
        assert hdrs.get("oci-subject") == img.digest


@pytest.mark.wharf_only
def test_referrers_lists_both_artifacts(registry, referrers):
    name, img, sig, sbom, _ = referrers
    status, hdrs, body = registry.request("GET", f"/v2/{name}/referrers/{img.digest}")
    assert status == 200
    assert hdrs["content-type"].startswith(OCI_INDEX)
    doc = json.loads(body)
    assert doc["schemaVersion"] == 2
    assert doc["mediaType"] == OCI_INDEX
    got = {d["digest"]: d for d in doc["manifests"]}
    assert set(got) == {sig.digest, sbom.digest}
    for art in (sig, sbom):
        d = got[art.digest]
        assert d["mediaType"] == art.media_type
        assert d["size"] == art.size
        assert d["artifactType"] == art.artifact_type
    assert got[sig.digest].get("annotations") == {"org.example.kind": "sig"}


@pytest.mark.wharf_only
def test_referrers_filter_by_artifact_type(registry, referrers):
    name, img, sig, sbom, _ = referrers
    status, hdrs, body = registry.request(
        "GET", f"/v2/{name}/referrers/{img.digest}?artifactType=application/vnd.example.sbom.v1%2Bjson")
    assert status == 200
    assert hdrs.get("oci-filters-applied") == "artifactType"
    assert [d["digest"] for d in json.loads(body)["manifests"]] == [sbom.digest]


@pytest.mark.wharf_only
def test_referrers_of_unknown_subject_is_empty_index(registry, referrers):
    name = referrers[0]
    status, hdrs, body = registry.request("GET", f"/v2/{name}/referrers/sha256:{'2' * 64}")
    assert status == 200
    doc = json.loads(body)
    assert doc["mediaType"] == OCI_INDEX
    assert doc["manifests"] == []


@pytest.mark.wharf_only
def test_referrer_pushed_before_its_subject_is_listed(registry):
    # The spec lets artifacts arrive before their subject (the subject need not exist).
    name = "disc/early"
    img = build_image()
    art = build_artifact("application/vnd.example.early", subject=img)
    push_image(registry, name, art)
    status, _, body = registry.request("GET", f"/v2/{name}/referrers/{img.digest}")
    assert status == 200
    assert [d["digest"] for d in json.loads(body)["manifests"]] == [art.digest]


@pytest.mark.wharf_only
def test_deleted_referrer_is_no_longer_listed(registry):
    name = "disc/delref"
    img = push_image(registry, name, build_image(), tag="v1")
    art = push_image(registry, name, build_artifact("application/vnd.example.gone", subject=img))
    status, _, _ = registry.request("DELETE", f"/v2/{name}/manifests/{art.digest}")
    assert status == 202
    status, _, body = registry.request("GET", f"/v2/{name}/referrers/{img.digest}")
    assert status == 200
    assert json.loads(body)["manifests"] == []


@pytest.mark.wharf_only
def test_referrers_with_invalid_digest_is_400(registry, referrers):
    status, _, body = registry.request("GET", f"/v2/{referrers[0]}/referrers/notadigest")
    assert status == 400
    assert "DIGEST_INVALID" in error_codes(body)
