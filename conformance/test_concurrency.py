"""Concurrent pushes and a crash mid-push.

- 50 small images sharing base layers pushed in parallel (raw HTTP, 8 threads), then a
  batch through parallel skopeo processes; everything pulled back and hashed.
- The registry is SIGKILLed in the middle of a 64 MiB chunked upload, restarted on the
  same storage directory, and the push retried: it succeeds, and the storage directory
  holds no blob whose bytes don't hash to its path nor a manifest naming a missing blob.
"""
import http.client
import json
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import RegistryProcess
from clienthelpers import (
    ImageParts, OCI_MANIFEST, OCILayout, _location_path, blob_path, corrupt_blobs,
    dangling_manifest_refs, push_blob, push_image, push_manifest, sample_image, sha256, skopeo_copy,
    skopeo_raw, storage_v2, verify_image,
)

POOL = 8
IMAGES = 50


@pytest.fixture
def storage():
    d = tempfile.mkdtemp(prefix="wharf-conc-storage-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def server(storage):
    r = RegistryProcess(storage_dir=storage).start()
    yield r
    r.cleanup()


def concurrent_image(i):
    """Image i: one of three shared base layers, one layer shared by pairs, one of its own."""
    base = {"etc/base": f"base-{i % 3}\n".encode() * 200}
    pair = {"usr/lib/pair": f"pair-{i // 2}\n".encode() * 300}
    own = {f"app/{i}.txt": os.urandom(2048 + i)}
    return ImageParts([base, pair, own], arch="amd64", label=f"img{i}")


def test_parallel_raw_pushes_then_verified(server, storage):
    images = [concurrent_image(i) for i in range(IMAGES)]
    where = [(f"conc/repo{i % 10}", f"t{i}") for i in range(IMAGES)]

    def push(i):
        name, tag = where[i]
        return push_image(server, name, tag, images[i])

    with ThreadPoolExecutor(POOL) as pool:
        digests = list(pool.map(push, range(IMAGES)))
    assert digests == [img.digest for img in images]

    def verify(i):
        name, tag = where[i]
        verify_image(server, name, tag, images[i].digest)
        verify_image(server, name, images[i].digest, images[i].digest)

    with ThreadPoolExecutor(POOL) as pool:
        list(pool.map(verify, range(IMAGES)))

    for r in range(10):
        st, _, body = server.request("GET", f"/v2/conc/repo{r}/tags/list")
        assert st == 200
        assert sorted(json.loads(body)["tags"]) == sorted(f"t{i}" for i in range(IMAGES) if i % 10 == r)

    # every distinct blob stored exactly once, each hashing to its name
    assert corrupt_blobs(storage) == []
    assert dangling_manifest_refs(storage) == []
    distinct = {d for img in images for d, _ in img.blobs()} | {img.digest for img in images}
    stored = set()
    for dirpath, _, files in os.walk(os.path.join(storage_v2(storage), "blobs")):
        if "data" in files:
            stored.add("sha256:" + os.path.basename(dirpath))
    assert distinct <= stored


def test_parallel_skopeo_pushes(server, storage):
    tmp = tempfile.mkdtemp(prefix="wharf-conc-layout-")
    try:
        lay = OCILayout(os.path.join(tmp, "lay"))
        images = []
        for i in range(16):
            img = sample_image("amd64" if i % 2 == 0 else "arm64", f"sk{i}")
            lay.add_image(img, f"t{i}")
            images.append(img)

        def copy(i):
            skopeo_copy(f"oci:{lay.path}:t{i}", f"docker://{server.host}/conc/skopeo:t{i}")

        with ThreadPoolExecutor(POOL) as pool:
            list(pool.map(copy, range(len(images))))
        for i, img in enumerate(images):
            assert sha256(skopeo_raw(f"docker://{server.host}/conc/skopeo:t{i}")) == img.digest
            verify_image(server, "conc/skopeo", f"t{i}", img.digest)
        assert corrupt_blobs(storage) == []
        assert dangling_manifest_refs(storage) == []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class StreamingPatch(threading.Thread):
    """PATCHes `data` (starting at `offset` of the blob) in one slowly streamed request,
    counting the bytes handed to the socket."""

    def __init__(self, reg, location, data, offset, piece=256 * 1024, pace=0.002):
        super().__init__(daemon=True)
        self.reg, self.location, self.data, self.offset = reg, location, data, offset
        self.piece, self.pace = piece, pace
        self.sent = 0
        self.error = None
        self.status = None

    def body(self):
        for off in range(0, len(self.data), self.piece):
            yield self.data[off:off + self.piece]
            self.sent = off + self.piece
            time.sleep(self.pace)

    def run(self):
        conn = self.reg.connection(timeout=60)
        try:
            conn.request("PATCH", self.location, body=self.body(), headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{self.offset}-{self.offset + len(self.data) - 1}",
                "Content-Length": str(len(self.data)),
            })
            self.status = conn.getresponse().status
        except (OSError, http.client.HTTPException) as e:
            self.error = e
        finally:
            conn.close()


def test_kill_during_large_chunked_push_then_retry(storage):
    size = 64 * 1024 * 1024
    chunk = 4 * 1024 * 1024
    data = os.urandom(size)
    digest = sha256(data)
    name = "conc/big"

    first = RegistryProcess(storage_dir=storage).start()
    second = None
    try:
        # a small image pushed before the crash must survive it
        small = sample_image("amd64", "survivor")
        push_image(first, "conc/survivor", "v1", small)

        st, h, _ = first.request("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
        assert st == 202
        loc = _location_path(h["location"])
        # the first quarter in ordinary chunks, so the upload has state on disk
        offset = 0
        while offset < size // 4:
            piece = data[offset:offset + chunk]
            st, h, body = first.request("PATCH", loc, body=piece, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + len(piece) - 1}",
                "Content-Length": str(len(piece)),
            }, timeout=60)
            assert st == 202, (st, body)
            loc = _location_path(h["location"])
            offset += len(piece)
        # the rest streamed in one request; kill -9 when about half of it is on the wire
        streamer = StreamingPatch(first, loc, data[offset:], offset)
        streamer.start()
        deadline = time.time() + 60
        while streamer.sent < (size - offset) // 2 and streamer.is_alive() and time.time() < deadline:
            time.sleep(0.01)
        assert streamer.is_alive(), f"upload finished before the kill: {streamer.status} {streamer.error}"
        first.kill()
        streamer.join(30)
        assert not streamer.is_alive()
        assert streamer.status is None  # the request never completed

        # nothing half-written may sit under blobs/
        assert corrupt_blobs(storage) == []
        assert not os.path.exists(os.path.join(storage_v2(storage), "blobs", "sha256", digest[7:9], digest[7:]))

        second = RegistryProcess(storage_dir=storage).start()
        st, _, _ = second.request("HEAD", f"/v2/{name}/blobs/{digest}")
        assert st == 404
        # the retry: a new upload, chunked, then the manifest
        assert push_blob(second, name, data, chunk_size=chunk) == digest
        st, h, _ = second.request("HEAD", f"/v2/{name}/blobs/{digest}")
        assert st == 200 and int(h["content-length"]) == size
        cfg = json.dumps({"architecture": "amd64", "os": "linux",
                          "rootfs": {"type": "layers", "diff_ids": [digest]}}).encode()
        push_blob(second, name, cfg)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(cfg), "size": len(cfg)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size}],
        }).encode()
        push_manifest(second, name, "v1", manifest, OCI_MANIFEST)
        verify_image(second, name, "v1", sha256(manifest))
        verify_image(second, "conc/survivor", "v1", small.digest)

        assert corrupt_blobs(storage) == []
        assert dangling_manifest_refs(storage) == []
    finally:
        first.cleanup()
        if second:
            second.cleanup()


def test_storage_checks_detect_damage(storage):
    """The storage walkers above catch what they claim to: a blob whose bytes don't match
    its path, and a manifest revision naming a blob that isn't there."""
    good = b"good blob"
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(good), "size": 9},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(b"missing"), "size": 7}],
    }).encode()
    for data in (good, manifest):
        p = blob_path(storage, sha256(data))
        os.makedirs(os.path.dirname(p))
        with open(p, "wb") as f:
            f.write(data)
    rev = os.path.join(storage_v2(storage), "repositories", "ns", "x", "_manifests", "revisions", "sha256",
                       sha256(manifest)[7:])
    os.makedirs(rev)
    with open(os.path.join(rev, "link"), "w") as f:
        f.write(sha256(manifest))
    assert corrupt_blobs(storage) == []
    assert dangling_manifest_refs(storage) == [("ns/x", sha256(manifest), sha256(b"missing"))]

    bad = blob_path(storage, sha256(b"expected"))
    os.makedirs(os.path.dirname(bad))
    with open(bad, "wb") as f:
        f.write(b"something else")
    assert corrupt_blobs(storage) == [bad]
