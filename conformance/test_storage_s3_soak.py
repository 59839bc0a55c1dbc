"""A short soak on S3: 3 replicas on one bucket behind a round-robin proxy, 8 clients
pushing and pulling distinct and shared images (monolithic and chunked blobs), then
every image verified byte for byte through every replica; then a replica killed
mid-push and the push retried through the others: nothing lost or corrupt.
Duration: WHARF_SOAK_SECONDS (default 60)."""
import os
import random
import threading
import time

import pytest

from clienthelpers import ImageParts, push_blob, push_manifest, verify_image
from s3helpers import MotoServer, RoundRobinProxy, S3RegistryProcess

pytestmark = pytest.mark.wharf_only

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def cluster():
    moto = MotoServer().start()
    bucket = moto.create_bucket()
    rs = [S3RegistryProcess(moto.endpoint, bucket, redirect=False).start() for _ in range(3)]
    proxy = RoundRobinProxy([r.port for r in rs]).start()
    yield moto, rs, proxy
    proxy.stop()
    for r in rs:
        r.cleanup()
    moto.stop()


def make_image(client, n, shared_layer):
    own = {f"opt/c{client}/img{n}.bin": os.urandom(random.choice([2048, 64 * 1024, 6 * MiB]))}
    return ImageParts([shared_layer, own], label=f"c{client}-{n}")


def test_soak_three_replicas_eight_clients(cluster):
    moto, rs, proxy = cluster
    seconds = float(os.environ.get("WHARF_SOAK_SECONDS", "60"))
    shared_layer = {"etc/shared": b"shared by every image\n" * 100}
    pushed = []          # (repo, tag, digest)
    errors = []
    lock = threading.Lock()
    deadline = time.time() + seconds

    def client(i):
        n = 0
        try:
            while time.time() < deadline:
                img = make_image(i, n, shared_layer)
                repo = "soak/shared" if n % 3 == 0 else f"soak/c{i}"
                tag = f"c{i}-{n}"
                for _, data in img.blobs():
                    push_blob(proxy, repo, data, chunk_size=5 * MiB + 17 if len(data) > 5 * MiB else None)
                digest = push_manifest(proxy, repo, tag, img.manifest, img.media_type)
                assert digest == img.digest
                verify_image(proxy, repo, tag, img.digest)
                with lock:
                    pushed.append((repo, tag, img.digest))
                    earlier = random.choice(pushed)
                verify_image(proxy, *earlier)
                n += 1
        except Exception as e:  # reported below with the client number
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 300)
    assert not errors, errors
    assert len(pushed) >= 8
    for repo, tag, digest in pushed:
        for r in rs:
            verify_image(r, repo, tag, digest)


def test_replica_killed_mid_push_then_retried(cluster):
    moto, rs, proxy = cluster
    victim = rs[0]
    img = ImageParts([{"opt/big.bin": os.urandom(11 * MiB)}], label="killed")
    big = max((d for _, d in img.blobs()), key=len)
    # start a chunked upload on the victim, send one chunk, then kill it mid-upload
    st, h, _ = victim.request("POST", "/v2/soak/killed/blobs/uploads/", headers={"Content-Length": "0"})
    assert st == 202
    loc = h["location"]
    loc = loc if loc.startswith("/") else loc[loc.index("/", loc.index("://") + 3):]
    st, h, _ = victim.request("PATCH", loc, body=big[:5 * MiB], headers={
        "Content-Type": "application/octet-stream", "Content-Range": f"0-{5 * MiB - 1}", "Content-Length": str(5 * MiB)})
    assert st == 202
    loc = h["location"] if h["location"].startswith("/") else h["location"][h["location"].index("/", h["location"].index("://") + 3):]
    victim.kill()
    try:
        # the same upload continues on a surviving replica
        st, h, _ = rs[1].request("PATCH", loc, body=big[5 * MiB:], headers={
            "Content-Type": "application/octet-stream", "Content-Range": f"{5 * MiB}-{len(big) - 1}",
            "Content-Length": str(len(big) - 5 * MiB)}, timeout=120)
        assert st == 202, st
        loc = h["location"] if h["location"].startswith("/") else h["location"][h["location"].index("/", h["location"].index("://") + 3):]
        from harness import sha256
        st, _, body = rs[2].request("PUT", f"{loc}&digest={sha256(big)}", headers={"Content-Length": "0"}, timeout=120)
        assert st == 201, (st, body)
        # and the whole push retried through the survivors works and verifies
        survivors = rs[1:]
        for _, data in img.blobs():
            push_blob(survivors[0], "soak/killed", data)
        push_manifest(survivors[1], "soak/killed", "v1", img.manifest, img.media_type)
        for r in survivors:
            verify_image(r, "soak/killed", "v1", img.digest)
    finally:
        victim.start()
    verify_image(victim, "soak/killed", "v1", img.digest)
