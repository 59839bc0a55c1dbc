"""Two-way storage interop with Docker Distribution 2.8.2 on one storage directory.

One registry writes (skopeo pushes a single-arch image, an OCI index with its children
and a Docker schema-2 image), is stopped, and the other serves the same directory: every
manifest keeps its digest, tag lists and the catalog are equal, the reader can add a tag
that the writer then sees after a restart. The processes never run at the same time.

Directions: distribution -> wharf and wharf -> distribution (Wharf-only, they need both
binaries), and the harness target against itself across a restart (validated on
distribution now, runs on Wharf too).
"""
import json
import os
import shutil
import tempfile

import pytest

from harness import TARGET, RegistryProcess
from clienthelpers import (
    MANIFEST_ACCEPT, OCILayout, corrupt_blobs, dangling_manifest_refs, read_layout_blob,
    read_layout_manifest, sample_image, sha256, skopeo_copy, skopeo_raw,
)

REPOS = ["interop/app", "interop/docker", "interop/multi"]


@pytest.fixture
def layout():
    tmp = tempfile.mkdtemp(prefix="wharf-interop-")
    lay = OCILayout(os.path.join(tmp, "src"))
    lay.single = sample_image("amd64", "interop")
    lay.add_image(lay.single, "single")
    lay.children = [sample_image("amd64", "interop-multi"), sample_image("arm64", "interop-multi")]
    lay.index_digest, lay.index_data = lay.add_index(lay.children, "multi")
    lay.tmp = tmp
    lay.storage = os.path.join(tmp, "storage")
    os.makedirs(lay.storage)
    yield lay
    shutil.rmtree(tmp, ignore_errors=True)


def write_images(reg, lay):
    """Pushes the fixture images with skopeo; returns {repo:tag: manifest digest}."""
    skopeo_copy(f"oci:{lay.path}:single", f"docker://{reg.host}/interop/app:v1")
    skopeo_copy(f"oci:{lay.path}:single", f"docker://{reg.host}/interop/app:latest")
    skopeo_copy(f"oci:{lay.path}:multi", f"docker://{reg.host}/interop/multi:v1", "--all", "--preserve-digests")
    skopeo_copy(f"oci:{lay.path}:single", f"docker://{reg.host}/interop/docker:v1", "--format", "v2s2")
    docker_digest = sha256(skopeo_raw(f"docker://{reg.host}/interop/docker:v1"))
    return {
        "interop/app:v1": lay.single.digest,
        "interop/app:latest": lay.single.digest,
        "interop/multi:v1": lay.index_digest,
        "interop/docker:v1": docker_digest,
    }


def listing(reg):
    """(catalog repositories, {repo: sorted tags}) as the registry reports them."""
    st, _, body = reg.request("GET", "/v2/_catalog")
    assert st == 200, body
    repos = sorted(r for r in json.loads(body)["repositories"] if r.startswith("interop/"))
    tags = {}
    for repo in repos:
        st, _, body = reg.request("GET", f"/v2/{repo}/tags/list")
        assert st == 200, body
        tags[repo] = sorted(json.loads(body)["tags"] or [])  # distribution says null once all are gone
    return repos, tags


def check_served(reg, lay, expected, workdir):
    os.makedirs(workdir, exist_ok=True)
    for ref, digest in expected.items():
        repo, tag = ref.split(":")
        raw = skopeo_raw(f"docker://{reg.host}/{ref}")
        assert sha256(raw) == digest, ref
        st, h, body = reg.request("GET", f"/v2/{repo}/manifests/{digest}", headers={"Accept": MANIFEST_ACCEPT})
        assert st == 200 and body == raw and h["docker-content-digest"] == digest
    # full pulls, blobs included
    out = os.path.join(workdir, "single")
    skopeo_copy(f"docker://{reg.host}/interop/app:v1", f"oci:{out}:v1", "--preserve-digests")
    d, data = read_layout_manifest(out, "v1")
    assert d == lay.single.digest and data == lay.single.manifest
    for digest, blob in lay.single.blobs():
        assert read_layout_blob(out, digest) == blob
    out = os.path.join(workdir, "multi")
    skopeo_copy(f"docker://{reg.host}/interop/multi:v1", f"oci:{out}:v1", "--all", "--preserve-digests")
    d, data = read_layout_manifest(out, "v1")
    assert d == lay.index_digest and data == lay.index_data
    for child in lay.children:
        assert read_layout_blob(out, child.digest) == child.manifest
        for digest, blob in child.blobs():
            assert read_layout_blob(out, digest) == blob


def interop(writer_target, reader_target, lay):
    if "distribution" in (writer_target, reader_target) and not shutil.which("docker-registry"):
        pytest.skip("docker-registry (Debian package docker-registry) is not installed")
    workdir = os.path.join(lay.tmp, "work")
    writer = RegistryProcess(target=writer_target, storage_dir=lay.storage).start()
    reader = None
    try:
        expected = write_images(writer, lay)
        before = listing(writer)
        assert before[0] == REPOS
        writer.stop()

        reader = RegistryProcess(target=reader_target, storage_dir=lay.storage).start()
        check_served(reader, lay, expected, os.path.join(workdir, "reader"))
        assert listing(reader) == before
        # the reader writes too: a new tag on an existing manifest, a tag deleted by its manifest
        st, _, body = reader.request("PUT", "/v2/interop/app/manifests/from-reader", body=lay.single.manifest,
                                     headers={"Content-Type": lay.single.media_type})
        assert st == 201, body
        st, _, body = reader.request("DELETE", f"/v2/interop/docker/manifests/{expected['interop/docker:v1']}")
        assert st == 202, body
        reader.stop()

        writer2 = RegistryProcess(target=writer_target, storage_dir=lay.storage).start()
        try:
            repos, tags = listing(writer2)
            assert tags["interop/app"] == ["from-reader", "latest", "v1"]
            assert tags.get("interop/docker", []) == []
            st, _, _ = writer2.request("GET", f"/v2/interop/docker/manifests/{expected['interop/docker:v1']}",
                                       headers={"Accept": MANIFEST_ACCEPT})
            assert st == 404
            del expected["interop/docker:v1"]
            expected["interop/app:from-reader"] = lay.single.digest
            check_served(writer2, lay, expected, os.path.join(workdir, "writer2"))
        finally:
            writer2.cleanup()

        assert corrupt_blobs(lay.storage) == []
        assert dangling_manifest_refs(lay.storage) == []
    finally:
        writer.cleanup()
        if reader:
            reader.cleanup()


def test_restart_on_same_storage(layout):
    """The target under test reads back its own storage after a restart."""
    interop(TARGET, TARGET, layout)


@pytest.mark.wharf_only
def test_distribution_writes_wharf_reads(layout):
    interop("distribution", "wharf", layout)


@pytest.mark.wharf_only
def test_wharf_writes_distribution_reads(layout):
    interop("wharf", "distribution", layout)
