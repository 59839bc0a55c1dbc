"""skopeo against the registry: OCI layouts built offline are copied in and out, and the
manifests keep their digests (single-arch, multi-arch index, Docker schema 2)."""
import json
import os
import shutil
import tempfile

import pytest

from clienthelpers import (
    DOCKER_LAYER_GZIP, DOCKER_MANIFEST, MANIFEST_ACCEPT, OCI_INDEX, ImageParts, OCILayout,
    read_layout_blob, read_layout_manifest, sample_image, sha256, skopeo, skopeo_copy, skopeo_raw,
)


@pytest.fixture(scope="module")
def layout():
    """An OCI layout with `single` (amd64) and `multi` (index over amd64 + arm64)."""
    tmp = tempfile.mkdtemp(prefix="wharf-skopeo-")
    lay = OCILayout(os.path.join(tmp, "src"))
    lay.single = sample_image("amd64", "single")
    lay.add_image(lay.single, "single")
    lay.children = [sample_image("amd64", "multi"), sample_image("arm64", "multi")]
    lay.index_digest, lay.index_data = lay.add_index(lay.children, "multi")
    lay.tmp = tmp
    yield lay
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="wharf-skopeo-out-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def ref(registry, repo, tag_or_digest):
    sep = "@" if tag_or_digest.startswith("sha256:") else ":"
    return f"docker://{registry.host}/{repo}{sep}{tag_or_digest}"


def test_single_arch_round_trip_keeps_digest(registry, layout, workdir):
    img = layout.single
    skopeo_copy(f"oci:{layout.path}:single", ref(registry, "ns/single", "v1"))
    raw = skopeo_raw(ref(registry, "ns/single", "v1"))
    assert raw == img.manifest
    assert sha256(raw) == img.digest
    # by digest too
    assert skopeo_raw(ref(registry, "ns/single", img.digest)) == img.manifest

    # back into another OCI layout: same manifest, same blobs
    out = os.path.join(workdir, "back")
    skopeo_copy(ref(registry, "ns/single", "v1"), f"oci:{out}:v1", "--preserve-digests")
    digest, data = read_layout_manifest(out, "v1")
    assert digest == img.digest and data == img.manifest
    for d, blob in img.blobs():
        assert read_layout_blob(out, d) == blob

    # and into a dir: layout
    dird = os.path.join(workdir, "dir")
    skopeo_copy(ref(registry, "ns/single", "v1"), f"dir:{dird}")
    with open(os.path.join(dird, "manifest.json"), "rb") as f:
        assert f.read() == img.manifest
    for d, blob in img.blobs():
        with open(os.path.join(dird, d.split(":", 1)[1]), "rb") as f:
            assert f.read() == blob


def test_multi_arch_index_round_trip(registry, layout, workdir):
    skopeo_copy(f"oci:{layout.path}:multi", ref(registry, "ns/multi", "v1"), "--all", "--preserve-digests")
    raw = skopeo_raw(ref(registry, "ns/multi", "v1"))
    assert raw == layout.index_data
    assert sha256(raw) == layout.index_digest
    idx = json.loads(raw)
    assert idx["mediaType"] == OCI_INDEX
    assert [m["digest"] for m in idx["manifests"]] == [c.digest for c in layout.children]
    for child in layout.children:
        assert skopeo_raw(ref(registry, "ns/multi", child.digest)) == child.manifest

    # the registry's Content-Type says it is an index
    st, h, body = registry.request("GET", "/v2/ns/multi/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200 and h["content-type"] == OCI_INDEX
    assert h["docker-content-digest"] == layout.index_digest

    out = os.path.join(workdir, "back")
    skopeo_copy(ref(registry, "ns/multi", "v1"), f"oci:{out}:v1", "--all", "--preserve-digests")
    digest, data = read_layout_manifest(out, "v1")
    assert digest == layout.index_digest and data == layout.index_data
    for child in layout.children:
        assert read_layout_blob(out, child.digest) == child.manifest
        for d, blob in child.blobs():
            assert read_layout_blob(out, d) == blob


def test_inspect_resolves_platforms(registry, layout):
    skopeo_copy(f"oci:{layout.path}:multi", ref(registry, "ns/inspect", "multi"), "--all", "--preserve-digests")
    for child in layout.children:
        out = skopeo("inspect", "--tls-verify=false", "--override-arch", child.arch, "--override-os", "linux",
                     ref(registry, "ns/inspect", "multi")).stdout
        info = json.loads(out)
        assert info["Architecture"] == child.arch
        assert info["Layers"] == [sha256(g) for g, _ in child.layers]
        assert info["Labels"] == {"conformance": "multi"}
        assert "multi" in info["RepoTags"]
    # the config blob is served as-is
    cfg = json.loads(skopeo("inspect", "--tls-verify=false", "--config", "--override-arch", "arm64",
                            ref(registry, "ns/inspect", "multi")).stdout)
    assert cfg["architecture"] == "arm64"
    assert cfg["rootfs"]["diff_ids"] == [d for _, d in layout.children[1].layers]


def test_list_tags(registry, layout):
    for tag in ["a", "b", "v1.0", "latest"]:
        skopeo_copy(f"oci:{layout.path}:single", ref(registry, "ns/tags", tag))
    out = json.loads(skopeo("list-tags", "--tls-verify=false", f"docker://{registry.host}/ns/tags").stdout)
    assert out["Repository"] == f"{registry.host}/ns/tags"
    assert sorted(out["Tags"]) == ["a", "b", "latest", "v1.0"]


def test_list_tags_unknown_repository_fails(registry):
    p = skopeo("list-tags", "--tls-verify=false", f"docker://{registry.host}/ns/never-pushed", check=False)
    assert p.returncode != 0


def test_delete_then_not_found(registry, layout):
    img = layout.single
    skopeo_copy(f"oci:{layout.path}:single", ref(registry, "ns/delete", "gone"))
    assert sha256(skopeo_raw(ref(registry, "ns/delete", "gone"))) == img.digest
    skopeo("delete", "--tls-verify=false", ref(registry, "ns/delete", "gone"))
    st, _, _ = registry.request("GET", f"/v2/ns/delete/manifests/{img.digest}", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 404
    st, _, _ = registry.request("GET", "/v2/ns/delete/manifests/gone", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 404
    p = skopeo("inspect", "--tls-verify=false", "--raw", ref(registry, "ns/delete", "gone"), check=False)
    assert p.returncode != 0
    # a second delete of the same manifest is an error too
    p = skopeo("delete", "--tls-verify=false", ref(registry, "ns/delete", img.digest), check=False)
    assert p.returncode != 0


def test_docker_schema2_format(registry, layout, workdir):
    img = layout.single
    skopeo_copy(f"oci:{layout.path}:single", ref(registry, "ns/docker", "v2s2"), "--format", "v2s2")
    raw = skopeo_raw(ref(registry, "ns/docker", "v2s2"))
    m = json.loads(raw)
    assert m["mediaType"] == DOCKER_MANIFEST
    assert all(l["mediaType"] == DOCKER_LAYER_GZIP for l in m["layers"])
    # same layer blobs; conversion doesn't recompress
    assert [l["digest"] for l in m["layers"]] == [sha256(g) for g, _ in img.layers]
    st, h, body = registry.request("GET", "/v2/ns/docker/manifests/v2s2", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200 and body == raw
    assert h["content-type"] == DOCKER_MANIFEST
    assert h["docker-content-digest"] == sha256(raw)

    # a Docker schema-2 image copies on unchanged, registry to registry
    skopeo_copy(ref(registry, "ns/docker", "v2s2"), ref(registry, "ns/docker-copy", "v1"), "--preserve-digests")
    assert skopeo_raw(ref(registry, "ns/docker-copy", "v1")) == raw

    dird = os.path.join(workdir, "dir")
    skopeo_copy(ref(registry, "ns/docker", "v2s2"), f"dir:{dird}")
    with open(os.path.join(dird, "manifest.json"), "rb") as f:
        assert f.read() == raw


def test_docker_manifest_list(registry, layout, workdir):
    """An OCI index converted to a Docker manifest list on the way in."""
    skopeo_copy(f"oci:{layout.path}:multi", ref(registry, "ns/dockerlist", "v1"), "--all", "--format", "v2s2")
    raw = skopeo_raw(ref(registry, "ns/dockerlist", "v1"))
    lst = json.loads(raw)
    assert lst["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert sorted(m["platform"]["architecture"] for m in lst["manifests"]) == ["amd64", "arm64"]
    for m in lst["manifests"]:
        child = skopeo_raw(ref(registry, "ns/dockerlist", m["digest"]))
        assert sha256(child) == m["digest"] and len(child) == m["size"]
        assert json.loads(child)["mediaType"] == DOCKER_MANIFEST
    out = os.path.join(workdir, "dir")
    skopeo_copy(ref(registry, "ns/dockerlist", "v1"), f"dir:{out}", "--all", "--preserve-digests")
    with open(os.path.join(out, "manifest.json"), "rb") as f:
        assert f.read() == raw


def test_large_layer_round_trip(registry, workdir):
    """A 16 MiB incompressible layer: skopeo streams it in one PATCH and reads it back."""
    img = ImageParts([{"big.bin": os.urandom(16 * 1024 * 1024)}], arch="amd64", label="large")
    lay = OCILayout(os.path.join(workdir, "src"))
    lay.add_image(img, "large")
    skopeo_copy(f"oci:{lay.path}:large", ref(registry, "ns/large", "v1"))
    assert skopeo_raw(ref(registry, "ns/large", "v1")) == img.manifest
    layer_digest = sha256(img.layers[0][0])
    st, h, body = registry.request("GET", f"/v2/ns/large/blobs/{layer_digest}", timeout=120)
    assert st == 200 and sha256(body) == layer_digest
    assert int(h["content-length"]) == len(img.layers[0][0])
    out = os.path.join(workdir, "back")
    skopeo_copy(ref(registry, "ns/large", "v1"), f"oci:{out}:v1", "--preserve-digests")
    assert read_layout_blob(out, layer_digest) == img.layers[0][0]
