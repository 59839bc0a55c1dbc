"""`wharf garbage-collect` deletes exactly the blobs distribution 2.8.2's `registry garbage-collect` does.

One storage root is written through a running Wharf (raw HTTP and skopeo): several
repositories, retagged images (old revisions), a manifest deleted by digest, an untagged
push, layers shared across repositories, orphan uploads, an index, a Docker schema-2
image. The root is copied twice; Debian's `docker-registry garbage-collect` runs on one
copy, `wharf garbage-collect` on the other, and the `blobs/**/data` files left must be the
same set. Every tagged image of Wharf's copy still pulls, byte for byte.

Where 2.8.2 is known to be wrong (with --delete-untagged it removes the children of a tagged
index, so the index no longer pulls: distribution/distribution#3178), Wharf keeps them; the
test asserts that the only difference is exactly those blobs.
"""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from harness import RegistryProcess, to_yaml, wharf_bin
from clienthelpers import OCILayout, blob_path, corrupt_blobs, sample_image, skopeo_copy
from ocihelpers import (
    ALL_MANIFEST_TYPES, DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, Blob,
    Manifest, build_artifact, build_index, encode, image_config, push_blob, push_image, push_manifest, random_layer,
)
from harness import sha256

pytestmark = pytest.mark.wharf_only

if not shutil.which("docker-registry"):
    pytestmark = [pytest.mark.wharf_only,
                  pytest.mark.skip(reason="docker-registry (Debian package docker-registry) is not installed")]


def image(layers, flavor="oci"):
    """An image manifest over the given layer Blobs and a fresh config."""
    mt, cfg_mt = (DOCKER_MANIFEST, DOCKER_CONFIG) if flavor == "docker" else (OCI_MANIFEST, OCI_CONFIG)
    config = image_config(cfg_mt, diff_ids=[b.digest for b in layers])
    body = {"schemaVersion": 2, "mediaType": mt, "config": config.descriptor(), "layers": [b.descriptor() for b in layers]}
    return Manifest(encode(body), mt, blobs=[config] + list(layers))


def blob_set(storage):
    """Every stored blob, as `sha256:<hex>` (from its blobs/<alg>/<xx>/<hex>/data path)."""
    root = os.path.join(storage, "docker", "registry", "v2", "blobs")
    found = set()
    for dirpath, _, files in os.walk(root):
        if "data" in files:
            found.add(f"{os.path.basename(os.path.dirname(os.path.dirname(dirpath)))}:{os.path.basename(dirpath)}")
    return found


def tree(storage):
    """Every file below the storage root with its content (for 'nothing changed')."""
    out = {}
    for dirpath, _, files in os.walk(storage):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, storage)] = fh.read() if os.path.getsize(p) < 4096 else os.path.getsize(p)
    return out


def write_config(path, storage):
    with open(path, "w") as f:
        f.write(to_yaml({"version": 0.1, "log": {"level": "error"},
                         "storage": {"filesystem": {"rootdirectory": storage}, "delete": {"enabled": True}}}) + "\n")


def run_gc(tool, config, *flags):
    cmd = (["docker-registry", "garbage-collect"] if tool == "distribution" else [wharf_bin(), "garbage-collect"])
    proc = subprocess.run(cmd + list(flags) + [config], capture_output=True, timeout=300)
    assert proc.returncode == 0, (tool, proc.stdout.decode(errors="replace")[-3000:], proc.stderr.decode(errors="replace")[-3000:])
    return proc


class Fixture:
    """The storage root written through Wharf and what is in it."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.storage = os.path.join(tmp, "storage")
        os.makedirs(self.storage)
        self.tagged = {}     # "repo:tag" -> Manifest (what must pull afterwards)
        self.untagged = {}   # role -> (repository, Manifest): revisions no tag reaches
        self.orphans = []    # digests of blobs no manifest references
        self.index = None


def populate(reg, fx):
    shared = random_layer(2048)
    # gc/app: v1 retagged (old revision), latest, an untagged push by digest
    app_v1_old = push_image(reg, "gc/app", image([shared, random_layer()]), "v1")
    app_v1 = push_image(reg, "gc/app", image([shared, random_layer()]), "v1")
    push_manifest(reg, "gc/app", "latest", app_v1)
    untagged = push_image(reg, "gc/app", image([random_layer(), shared]))
    fx.tagged["gc/app:v1"] = fx.tagged["gc/app:latest"] = app_v1
    fx.untagged.update(app_old=("gc/app", app_v1_old), app_untagged=("gc/app", untagged))
    # gc/other: shares the layer; v2 is deleted by digest; a blob uploaded but never referenced
    other_v1 = push_image(reg, "gc/other", image([shared, random_layer(3000)]))
    push_manifest(reg, "gc/other", "v1", other_v1)
    other_v2 = push_image(reg, "gc/other", image([random_layer(), random_layer()]), "v2")
    st, _, body = reg.request("DELETE", f"/v2/gc/other/manifests/{other_v2.digest}")
    assert st == 202, body
    fx.tagged["gc/other:v1"] = other_v1
    fx.deleted = other_v2
    orphan = push_blob(reg, "gc/other", random_layer(512))
    fx.orphans.append(orphan.digest)
    # gc/docker: a Docker schema-2 image, retagged twice; the middle revision shares a layer with it
    base = Blob(os.urandom(1500), DOCKER_LAYER)
    first = push_image(reg, "gc/docker", image([base, Blob(os.urandom(700), DOCKER_LAYER)], "docker"), "stable")
    mid = push_image(reg, "gc/docker", image([base, Blob(os.urandom(700), DOCKER_LAYER)], "docker"), "stable")
    fx.untagged.update(docker_first=("gc/docker", first), docker_mid=("gc/docker", mid))
    fx.tagged["gc/docker:stable"] = push_image(reg, "gc/docker", image([base], "docker"), "stable")
    # gc/nested/deep/repo: nested names; one image, and a blob linked into the repo only
    fx.tagged["gc/nested/deep/repo:1.0"] = push_image(reg, "gc/nested/deep/repo", image([shared]), "1.0")
    fx.orphans.append(push_blob(reg, "gc/nested/deep/repo", random_layer(100)).digest)


def populate_index(reg, fx):
    """gc/multi: a tagged index over two images pushed by digest."""
    children = [image([random_layer()]), image([random_layer()])]
    fx.index = push_image(reg, "gc/multi", build_index(children), "v1")
    fx.tagged["gc/multi:v1"] = fx.index


def populate_skopeo(reg, fx):
    """gc/skopeo: a real image pushed by skopeo twice under one tag (the first becomes an old revision)."""
    lay = OCILayout(os.path.join(fx.tmp, "layout"))
    first, second = sample_image("amd64", "gc-first"), sample_image("amd64", "gc-second")
    lay.add_image(first, "first")
    lay.add_image(second, "second")
    skopeo_copy(f"oci:{lay.path}:first", f"docker://{reg.host}/gc/skopeo:v1", "--preserve-digests")
    skopeo_copy(f"oci:{lay.path}:second", f"docker://{reg.host}/gc/skopeo:v1", "--preserve-digests")
    fx.skopeo_digest = second.digest


def pull(reg, name, manifest):
    """GET the manifest by digest and every blob and child it references; each must hash right."""
    st, h, body = reg.request("GET", f"/v2/{name}/manifests/{manifest.digest}", headers={"Accept": ALL_MANIFEST_TYPES})
    assert st == 200 and sha256(body) == manifest.digest, (name, manifest.digest, st)
    for child in manifest.children:
        pull(reg, name, child)
    for blob in manifest.blobs:
        st, _, data = reg.request("GET", f"/v2/{name}/blobs/{blob.digest}")
        assert st == 200 and sha256(data) == blob.digest, (name, blob.digest, st)


@pytest.fixture
def fx():
    tmp = tempfile.mkdtemp(prefix="wharf-gc-")
    fixture = Fixture(tmp)
    reg = RegistryProcess(target="wharf", storage_dir=fixture.storage).start()
    try:
        populate(reg, fixture)
        populate_index(reg, fixture)
        populate_skopeo(reg, fixture)
    finally:
        reg.stop()
        reg.cleanup()
    yield fixture
    shutil.rmtree(tmp, ignore_errors=True)


def collect_both(fx, *flags):
    """Copies the root twice, runs both tools: (distribution's blob set, Wharf's blob set, Wharf's copy, report)."""
    copies = {}
    for tool in ("distribution", "wharf"):
        root = os.path.join(fx.tmp, tool)
        shutil.copytree(fx.storage, root, symlinks=True)
        config = os.path.join(fx.tmp, f"{tool}.yml")
        write_config(config, root)
        copies[tool] = (root, config)
    # A dry run first: reports the same sweep, changes nothing.
    before = tree(copies["wharf"][0])
    dry = json.loads(run_gc("wharf", copies["wharf"][1], "--dry-run", "--output", "json", *flags).stdout)
    assert dry["dryRun"] is True
    assert tree(copies["wharf"][0]) == before
    run_gc("distribution", copies["distribution"][1], *flags)
    report = json.loads(run_gc("wharf", copies["wharf"][1], "--output", "json", *flags).stdout)
    assert dry["sweptDigests"] == report["sweptDigests"]
    return blob_set(copies["distribution"][0]), blob_set(copies["wharf"][0]), copies["wharf"], report


def check_pulls(fx, root):
    reg = RegistryProcess(target="wharf", storage_dir=root).start()
    try:
        for ref, manifest in fx.tagged.items():
            name, tag = ref.rsplit(":", 1)
            st, h, _ = reg.request("HEAD", f"/v2/{name}/manifests/{tag}", headers={"Accept": ALL_MANIFEST_TYPES})
            assert st == 200 and h["docker-content-digest"] == manifest.digest, ref
            pull(reg, name, manifest)
        out = os.path.join(fx.tmp, "pulled-" + os.path.basename(root))
        skopeo_copy(f"docker://{reg.host}/gc/skopeo:v1", f"oci:{out}:v1", "--preserve-digests")
    finally:
        reg.cleanup()
    assert corrupt_blobs(root) == []
    assert missing_references(root) == []


def missing_references(storage):
    """(repository, revision, missing digest) for every revision link (an API DELETE leaves the
    empty directory behind, which is no revision) whose manifest, config, layer or child is not stored."""
    missing = []
    repos = os.path.join(storage, "docker", "registry", "v2", "repositories")
    for dirpath, _, files in os.walk(repos):
        parts = dirpath.split(os.sep)
        if "link" not in files or len(parts) < 4 or parts[-3:-1] != ["revisions", "sha256"]:
            continue
        repo = os.path.relpath(dirpath, repos).split("/_manifests/")[0]
        digest = "sha256:" + parts[-1]
        if not os.path.exists(blob_path(storage, digest)):
            missing.append((repo, digest, digest))
            continue
        with open(blob_path(storage, digest), "rb") as f:
            m = json.loads(f.read())
        refs = ([m["config"]] if "config" in m else []) + m.get("layers", []) + m.get("manifests", [])
        missing += [(repo, digest, d["digest"]) for d in refs if not os.path.exists(blob_path(storage, d["digest"]))]
    return missing


def unique_blobs(manifest):
    return {manifest.digest} | {b.digest for b in manifest.blobs}


def test_same_blobs_as_distribution(fx):
    before = blob_set(fx.storage)
    dist, wharf, (root, _), report = collect_both(fx)
    assert wharf == dist
    # Sanity, independent of distribution: the deleted image's own blobs and the orphans are gone,
    # every revision (tagged or not) keeps its blobs.
    swept = before - wharf
    assert swept == unique_blobs(fx.deleted) | set(fx.orphans)
    assert set(report["sweptDigests"]) == swept and report["blobsSwept"] == len(swept)
    for _, m in fx.untagged.values():
        assert unique_blobs(m) <= wharf
    check_pulls(fx, root)


def test_same_blobs_as_distribution_delete_untagged(fx):
    before = blob_set(fx.storage)
    dist, wharf, (root, _), report = collect_both(fx, "--delete-untagged")
    # 2.8.2 removes the untagged children of the tagged index, and with them their configs and
    # layers (the children's manifest blobs stay, marked as the index's references).
    children = fx.index.children
    child_blobs = {b.digest for c in children for b in c.blobs}
    assert wharf - dist == child_blobs
    assert dist - wharf == set()
    v2 = os.path.join(root, "docker", "registry", "v2", "repositories")
    for repo, m in fx.untagged.values():
        assert m.digest not in wharf
        assert not os.path.exists(os.path.join(v2, repo, "_manifests/revisions/sha256", m.digest.split(":")[1]))
    # the old revisions left their tags' history too
    assert not os.path.exists(os.path.join(v2, "gc/app/_manifests/tags/v1/index/sha256", fx.untagged["app_old"][1].digest.split(":")[1]))
    assert os.path.exists(os.path.join(v2, "gc/app/_manifests/tags/v1/index/sha256", fx.tagged["gc/app:v1"].digest.split(":")[1]))
    assert report["manifestsRemoved"] == len(fx.untagged) + 1  # and the first skopeo push
    assert before - wharf == set(report["sweptDigests"])
    check_pulls(fx, root)


def s3_blob_set(moto, bucket):
    """Every blob stored in the bucket (keys `registry/docker/registry/v2/blobs/<alg>/<xx>/<hex>/data`)."""
    found = set()
    for key in moto.keys(bucket, "registry/docker/registry/v2/blobs/"):
        parts = key.split("/")
        if parts[-1] == "data":
            found.add(f"{parts[-4]}:{parts[-2]}")
    return found


@pytest.mark.parametrize("flags", [[], ["--delete-untagged"]], ids=["all-revisions", "delete-untagged"])
def test_same_blobs_on_s3_as_on_the_filesystem(fx, flags):
    """The same layout uploaded into a bucket (moto) collects to the same blob set, and still pulls."""
    if not shutil.which("moto_server"):
        pytest.skip("moto_server is not installed")
    from s3helpers import CountingS3Proxy, MotoServer, S3RegistryProcess
    moto = MotoServer().start()
    proxy = CountingS3Proxy(moto.port).start()
    try:
        bucket = moto.create_bucket()
        for dirpath, _, files in os.walk(fx.storage):
            for f in files:
                path = os.path.join(dirpath, f)
                with open(path, "rb") as fh:
                    st, body = moto.request("PUT", f"/{bucket}/registry/{os.path.relpath(path, fx.storage)}", body=fh.read())
                assert st == 200, body
        reg = S3RegistryProcess(proxy.endpoint, bucket, redirect=False)
        try:
            s3_report = json.loads(run_gc("wharf", reg.config_path, "--output", "json", *flags).stdout)
            check_request_counts(dict(proxy.requests), fx.storage, s3_report)
            root = os.path.join(fx.tmp, "fs")
            shutil.copytree(fx.storage, root)
            config = os.path.join(fx.tmp, "fs.yml")
            write_config(config, root)
            fs_report = json.loads(run_gc("wharf", config, "--output", "json", *flags).stdout)
            assert s3_report["sweptDigests"] == fs_report["sweptDigests"] and s3_report["blobsSwept"] > 0
            assert s3_blob_set(moto, bucket) == blob_set(root)
            for key in ("manifestsRemoved", "linksRemoved", "blobsMarked", "repositories", "bytesFreed"):
                assert s3_report[key] == fs_report[key], key
            reg.start()
            for ref, manifest in fx.tagged.items():
                pull(reg, ref.rsplit(":", 1)[0], manifest)
        finally:
            reg.cleanup()
    finally:
        proxy.stop()
        moto.stop()


def check_request_counts(requests, storage, report):
    """What a collection on S3 may cost: a GET of each manifest and tag, a few flat listings
    a repository, one DeleteObjects a thousand deletions; no GET of a revision or layer link
    (their digests are their names), no HEAD before a delete. None of it grows with the
    number of blobs or `_layers` links (below 1000 of each)."""
    repos = os.path.join(storage, "docker", "registry", "v2", "repositories")
    revisions = tags = repositories = directories = 0
    for dirpath, dirnames, files in os.walk(repos):
        parts = os.path.relpath(dirpath, repos).split(os.sep)
        if any(p.startswith("_") for p in parts):
            revisions += "link" in files and parts[-3] == "revisions"
            tags += "link" in files and parts[-1] == "current"
            continue
        directories += 1
        repositories += "_layers" in dirnames or "_manifests" in dirnames
    assert report["blobsSwept"] > 0 and report["linksRemoved"] > 0, report
    assert set(requests) <= {"HEAD", "GetObject", "List", "DeleteObjects"}, requests
    assert requests.get("HEAD", 0) <= 1, requests  # the walk finding the repositories starts with a stat
    assert requests.get("DeleteObjects", 0) <= 3, requests  # revisions, blobs, links
    assert requests.get("GetObject", 0) <= revisions + tags, (requests, revisions, tags)
    # the repositories' discovery (one listing a directory, and the stat's), two flat
    # listings a repository (`_manifests`, `_layers`), one of `blobs/`
    assert requests.get("List", 0) <= directories + 1 + 2 * repositories + 1, (requests, directories, repositories)
