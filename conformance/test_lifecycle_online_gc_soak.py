"""Online GC soak: two replicas on one storage (filesystem, then S3 on moto) behind a
round-robin proxy, collecting every second with a 2 s grace period, while four pushers
push images that share layers, one deleter deletes a third of them and two pullers pull.

A push whose manifest PUT raced a sweep gets MANIFEST_BLOB_UNKNOWN and pushes its blobs
again, as clients do. Afterwards: every image not deleted pulls and verifies byte for
byte, no stored manifest revision references a missing blob, and the deleted images'
own blobs (manifest, config, own layer) are gone. Duration: WHARF_GC_SOAK_SECONDS
(default 25) per storage."""
import json
import os
import random
import re
import threading
import time
import urllib.parse

import pytest

from clienthelpers import push_blob, verify_image
from harness import RegistryProcess
from ocihelpers import OCI_LAYER, OCI_MANIFEST, Blob, encode, image_config
from s3helpers import MotoServer, ReplicaSet, S3RegistryProcess

pytestmark = pytest.mark.wharf_only

SECRET = "gc-soak-metrics"
GC = {"enabled": True, "interval": "1s", "graceperiod": "2s", "sweepdelay": "1s", "leaseduration": "3s"}
METRICS = {"metrics": {"enabled": True, "secret": SECRET}}
SHARED = [Blob(os.urandom(size), OCI_LAYER) for size in (1024, 4096, 16384, 65536)]


def new_image():
    own = Blob(os.urandom(random.choice([2048, 8192, 32768])), OCI_LAYER)
    layers = [random.choice(SHARED), own]
    config = image_config(diff_ids=[b.digest for b in layers])
    body = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config.descriptor(),
            "layers": [b.descriptor() for b in layers]}
    data = encode(body)
    return {"data": data, "digest": "sha256:" + __import__("hashlib").sha256(data).hexdigest(),
            "blobs": [config] + layers, "own": [config.digest, own.digest]}


class FilesystemStore:
    def __init__(self, tmp):
        self.root = os.path.join(tmp, "data")

    def replica(self):
        return RegistryProcess(storage_dir=self.root, config={"storage": {"maintenance": {"gc": GC}}, "openshift": METRICS,
                                                              "http": {"secret": "gc-soak"}})

    def keys(self):
        v2 = os.path.join(self.root, "docker/registry/v2")
        return [os.path.relpath(os.path.join(d, f), v2) for d, _, fs in os.walk(v2) for f in fs]

    def stop(self):
        pass


class S3Store:
    def __init__(self, tmp):
        self.moto = MotoServer().start()
        self.bucket = self.moto.create_bucket()
        self.prefix = "registry/docker/registry/v2/"

    def replica(self):
        return S3RegistryProcess(self.moto.endpoint, self.bucket, redirect=False, storage={"maintenance": {"gc": GC}},
                                 config={"openshift": METRICS, "http": {"secret": "gc-soak"}})

    def keys(self):
        keys, token = [], None
        while True:
            query = {"list-type": "2", "prefix": self.prefix}
            if token:
                query["continuation-token"] = token
            status, body = self.moto.request("GET", f"/{self.bucket}?" + urllib.parse.urlencode(query))
            assert status == 200, body
            text = body.decode()
            keys += [k[len(self.prefix):] for k in re.findall(r"<Key>([^<]*)</Key>", text)]
            found = re.search(r"<NextContinuationToken>([^<]*)</NextContinuationToken>", text)
            if not found:
                return keys
            token = found.group(1)

    def stop(self):
        self.moto.stop()


def blob_key(digest):
    hexa = digest.split(":")[1]
    return f"blobs/sha256/{hexa[:2]}/{hexa}/data"


def metric(reg, name, labels=""):
    status, _, body = reg.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {SECRET}"})
    assert status == 200
    found = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", body.decode(), re.M)
    return float(found.group(1)) if found else 0.0


def push(cluster, repo, tag, image):
    """Pushes blobs then the manifest; a PUT that raced a sweep pushes the blobs again."""
    for attempt in range(20):
        for blob in image["blobs"]:
            push_blob(cluster, repo, blob.data)
        status, _, body = cluster.request("PUT", f"/v2/{repo}/manifests/{tag}", body=image["data"],
                                          headers={"Content-Type": OCI_MANIFEST})
        if status == 201:
            return attempt
        assert status == 400 and b"MANIFEST_BLOB_UNKNOWN" in body, (status, body)
        time.sleep(0.2)
    raise AssertionError(f"{repo}:{tag} did not push in 20 attempts")


@pytest.mark.parametrize("kind", ["filesystem", "s3"])
def test_online_gc_soak(kind, tmp_path):
    store = FilesystemStore(str(tmp_path)) if kind == "filesystem" else S3Store(str(tmp_path))
    replicas = [store.replica() for _ in range(2)]
    cluster = ReplicaSet(replicas).start()
    seconds = float(os.environ.get("WHARF_GC_SOAK_SECONDS", "25"))
    lock = threading.Lock()
    live, deleting, deleted, errors = {}, set(), {}, []
    retries = [0]
    deadline = time.time() + seconds
    try:
        def pusher(i):
            n = 0
            while time.time() < deadline and not errors:
                image = new_image()
                repo, tag = f"soak/p{i % 2}", f"p{i}-{n}"
                retries[0] += push(cluster, repo, tag, image)
                with lock:
                    live[(repo, tag)] = image
                n += 1

        def deleter():
            seen = 0
            while time.time() < deadline and not errors:
                with lock:
                    keys = sorted(live, key=lambda k: k[1])
                    victim = keys[seen] if seen < len(keys) and len(deleted) < len(keys) / 3 else None
                    if victim:
                        deleting.add(victim)
                seen += 1 if victim else 0
                if victim:
                    repo, _ = victim
                    status = cluster.request("DELETE", f"/v2/{repo}/manifests/{live[victim]['digest']}")[0]
                    assert status == 202, status
                    with lock:
                        deleted[victim] = live.pop(victim)
                time.sleep(0.1)

        def puller():
            while time.time() < deadline and not errors:
                with lock:
                    choices = [k for k in live if k not in deleting]
                if not choices:
                    time.sleep(0.1)
                    continue
                key = random.choice(choices)
                try:
                    verify_image(cluster, key[0], key[1], live[key]["digest"] if key in live else deleted[key]["digest"])
                except AssertionError:
                    with lock:
                        if key not in deleting:
                            raise

        def guarded(fn, *args):
            def run():
                try:
                    fn(*args)
                except BaseException as e:  # noqa: BLE001 - reported below
                    with lock:
                        errors.append(f"{fn.__name__}{args}: {e!r}")
            return threading.Thread(target=run)

        threads = [guarded(pusher, i) for i in range(4)] + [guarded(deleter)] + [guarded(puller) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 120)
        assert errors == [], errors
        print(f"{kind}: pushed {len(live) + len(deleted)} images in {seconds:.0f}s")
        assert len(deleted) >= 3 and len(live) >= 6, (len(deleted), len(live))

        # The deleted images' own blobs go within a few passes.
        gone = {d for image in deleted.values() for d in [image["digest"]] + image["own"]}
        wait_until = time.time() + 60
        keys = set(store.keys())
        while time.time() < wait_until and any(blob_key(d) in keys for d in gone):
            time.sleep(0.5)
            keys = set(store.keys())
        assert [d for d in gone if blob_key(d) in keys] == []

        for (repo, tag), image in live.items():
            verify_image(cluster, repo, tag, image["digest"])
        # No stored revision references a missing blob.
        missing = []
        for key in keys:
            m = re.match(r"repositories/(.+)/_manifests/revisions/sha256/([0-9a-f]{64})/link$", key)
            if not m:
                continue
            digest = "sha256:" + m.group(2)
            assert blob_key(digest) in keys, key
            status, _, body = cluster.request("GET", f"/v2/{m.group(1)}/manifests/{digest}", headers={"Accept": OCI_MANIFEST})
            assert status == 200, (key, status)
            manifest = json.loads(body)
            missing += [(key, d["digest"]) for d in [manifest["config"]] + manifest["layers"] if blob_key(d["digest"]) not in keys]
        assert missing == []
        deleted_total = sum(metric(r, "imageregistry_gc_blobs_deleted_total") for r in replicas)
        assert deleted_total >= len(gone)
        assert sum(metric(r, "imageregistry_gc_runs_total", '{result="failure"}') for r in replicas) == 0
        print(f"{kind}: {len(live)} images kept, {len(deleted)} deleted, {int(deleted_total)} blobs collected, "
              f"{retries[0]} manifest PUTs retried after racing a sweep")
    finally:
        cluster.cleanup()
        store.stop()
