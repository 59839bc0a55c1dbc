"""`wharf prune`: old tag revisions go as OpenShift's pruner would, through the real binary.

A tag is pushed four times through a running Wharf; the history links get ages 4h..1h.
`wharf prune --keep-tag-revisions=2` without --confirm prints the table and deletes
nothing; with --confirm the two oldest revisions are gone from the API (and their
referrer with them), the newest two and the tag still pull, and the next
`wharf garbage-collect` frees the pruned images' own blobs.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import RegistryProcess, to_yaml, wharf_bin
from ocihelpers import ALL_MANIFEST_TYPES, build_artifact, build_image, push_image

pytestmark = pytest.mark.wharf_only


def wharf(*args):
    proc = subprocess.run([wharf_bin(), *args], capture_output=True, timeout=120)
    assert proc.returncode == 0, (args, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))
    return proc.stdout.decode()


@pytest.fixture
def pushed():
    tmp = tempfile.mkdtemp(prefix="wharf-prune-")
    storage = os.path.join(tmp, "storage")
    reg = RegistryProcess(target="wharf", storage_dir=storage).start()
    try:
        images = [push_image(reg, "prune/app", build_image(), "v1") for _ in range(4)]
        signature = push_image(reg, "prune/app", build_artifact("application/vnd.example.signature", subject=images[0]))
    finally:
        reg.stop()
        reg.cleanup()
    index = os.path.join(storage, "docker/registry/v2/repositories/prune/app/_manifests/tags/v1/index/sha256")
    now = time.time()
    for hours, image in zip([4, 3, 2, 1], images):
        link = os.path.join(index, image.digest.split(":")[1], "link")
        os.utime(link, (now - hours * 3600, now - hours * 3600))
    config = os.path.join(tmp, "config.yml")
    with open(config, "w") as f:
        f.write(to_yaml({"version": 0.1, "storage": {"filesystem": {"rootdirectory": storage}}}) + "\n")
    yield storage, config, images, signature
    shutil.rmtree(tmp, ignore_errors=True)


def status(reg, name, ref):
    st, _, _ = reg.request("HEAD", f"/v2/{name}/manifests/{ref}", headers={"Accept": ALL_MANIFEST_TYPES})
    return st


def test_keep_tag_revisions_dry_run_then_confirm(pushed):
    storage, config, images, signature = pushed
    args = ["prune", "--keep-tag-revisions=2", "--keep-younger-than=30m", config]

    table = wharf(*args)
    lines = table.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "REVISION", "AGE", "SIZE"]
    rows = [l.split() for l in lines[1:-1]]
    assert [r[2] for r in rows] == [images[1].digest, images[0].digest, signature.digest]
    assert [r[1] for r in rows[:2]] == ["v1", "v1"] and [r[3] for r in rows[:2]] == ["3h", "4h"]
    assert rows[2][1] == "referrer-of:" + images[0].digest[:19]
    assert lines[-1].startswith("Would delete 3 revisions, ") and "nothing deleted" in lines[-1]

    reg = RegistryProcess(target="wharf", storage_dir=storage).start()
    try:
        assert all(status(reg, "prune/app", m.digest) == 200 for m in images + [signature])
        reg.stop()
        report = json.loads(wharf(*args[:-1], "--confirm", "--output", "json", config))
        assert report["confirm"] is True and report["revisions"] == 3
        reg.start()
        assert [status(reg, "prune/app", m.digest) for m in images] == [404, 404, 200, 200]
        assert status(reg, "prune/app", signature.digest) == 404
        assert status(reg, "prune/app", "v1") == 200
        st, _, body = reg.request("GET", f"/v2/prune/app/referrers/{images[0].digest}")
        assert st in (200, 404) and (st == 404 or json.loads(body)["manifests"] == [])
        reg.stop()
        # The pruned images' own blobs go with the next collection; the kept ones stay.
        gc = json.loads(wharf("garbage-collect", "--output", "json", config))
        swept = set(gc["sweptDigests"])
        for m in images[:2] + [signature]:
            assert m.digest in swept
        for m in images[2:]:
            assert m.digest not in swept and not ({b.digest for b in m.blobs} & swept)
        reg.start()
        for m in images[2:]:
            for b in m.blobs:
                st, _, _ = reg.request("HEAD", f"/v2/prune/app/blobs/{b.digest}")
                assert st == 200
    finally:
        reg.cleanup()


def test_scheduled_pruning_in_serve():
    """storage.maintenance.pruning with schedule `* * * * *`: within a minute the old revisions go."""
    tmp = tempfile.mkdtemp(prefix="wharf-prune-serve-")
    storage = os.path.join(tmp, "storage")
    reg = RegistryProcess(target="wharf", storage_dir=storage, config={"storage": {"maintenance": {"pruning": {
        "enabled": True, "schedule": "* * * * *", "keeptagrevisions": 2, "keepyoungerthan": "30m"}}}})
    try:
        reg.start()
        images = [push_image(reg, "prune/served", build_image(), "v1") for _ in range(3)]
        index = os.path.join(storage, "docker/registry/v2/repositories/prune/served/_manifests/tags/v1/index/sha256")
        now = time.time()
        for hours, image in zip([3, 2, 1], images):
            link = os.path.join(index, image.digest.split(":")[1], "link")
            os.utime(link, (now - hours * 3600, now - hours * 3600))
        deadline = time.time() + 75
        while time.time() < deadline and status(reg, "prune/served", images[0].digest) == 200:
            time.sleep(1)
        assert [status(reg, "prune/served", m.digest) for m in images] == [404, 200, 200], reg.read_log()[-2000:]
        log = reg.read_log()
        assert "image prune: deleted" in log and "image prune: done" in log, log[-2000:]
        assert 'msg="image prune: history" successful="' in log and " 1 revisions" in log, log[-2000:]
        # The run is in the pruner's history, newest first (GET /extensions/v2/pruner).
        st, hdrs, body = reg.request("GET", "/extensions/v2/pruner")
        assert st == 200 and hdrs["content-type"].startswith("application/json")
        doc = json.loads(body)
        assert doc["enabled"] is True and doc["schedule"] == "* * * * *" and doc["keepTagRevisions"] == 2
        assert doc["successfulJobsHistoryLimit"] == 3 and doc["failedJobsHistoryLimit"] == 3
        assert doc["failed"] == [] and 1 <= len(doc["successful"]) <= 3
        assert doc["successful"][0]["succeeded"] is True and doc["successful"][-1]["revisions"] == 1
    finally:
        reg.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def test_pruner_endpoint_without_pruning():
    reg = RegistryProcess(target="wharf").start()
    try:
        st, _, body = reg.request("GET", "/extensions/v2/pruner")
        doc = json.loads(body)
        assert st == 200 and doc["enabled"] is False and doc["successful"] == [] and doc["failed"] == []
    finally:
        reg.cleanup()
