"""Online garbage collection inside `serve` (storage.maintenance.gc), through the real binary.

Ages are set with os.utime on the filesystem root, so what is "older than the grace
period" is decided by the test, not by the clock: blobs aged past the grace period and
referenced by nothing go; young ones, referenced ones and uploads in progress stay.
A manifest PUT held between its blob check and its link writes (a test-only delay)
races a sweep and fails MANIFEST_BLOB_UNKNOWN with nothing stored; one that lands while
a plan waits for its sweepAfter succeeds and its blobs are kept. Two replicas share one
root: the lease holder is killed with SIGKILL and the other collects after the expiry.
"""
import json
import os
import re
import time

import pytest

from harness import RegistryProcess
from ocihelpers import (ALL_MANIFEST_TYPES, Blob, build_image, error_codes, location_path, push_blob, push_image,
                        push_manifest, random_bytes, start_upload, with_query, sha256)

pytestmark = pytest.mark.wharf_only

SECRET = "gc-metrics-secret"
OLD = 3 * 3600


def gc_config(**gc):
    settings = {"enabled": True, "interval": "200ms", "graceperiod": "30m", "sweepdelay": "1s", "leaseduration": "3s"}
    settings.update(gc)
    return {"storage": {"maintenance": {"gc": settings}},
            "openshift": {"metrics": {"enabled": True, "secret": SECRET}}}


def metric(reg, name, labels=""):
    status, _, body = reg.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {SECRET}"})
    assert status == 200
    pattern = re.compile(r"^" + re.escape(name + labels) + r" (\S+)$", re.M)
    found = pattern.search(body.decode())
    return float(found.group(1)) if found else 0.0


def wait_for(predicate, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def blob_path(storage, digest):
    hexa = digest.split(":")[1]
    return os.path.join(storage, "docker/registry/v2/blobs/sha256", hexa[:2], hexa, "data")


def age(path, seconds=OLD):
    t = time.time() - seconds
    os.utime(path, (t, t))


def age_tree(root, seconds=OLD):
    for directory, _, files in os.walk(root):
        for f in files:
            age(os.path.join(directory, f), seconds)


def passes_done(reg):
    return metric(reg, "imageregistry_gc_runs_total", '{result="success"}')


def wait_for_full_pass(reg):
    """Waits until a pass that started after this call has finished."""
    start = passes_done(reg)
    wait_for(lambda: passes_done(reg) >= start + 2, "two more GC passes")


def manifest_status(reg, name, ref):
    return reg.request("HEAD", f"/v2/{name}/manifests/{ref}", headers={"Accept": ALL_MANIFEST_TYPES})[0]


@pytest.fixture
def registry(tmp_path):
    storage = str(tmp_path / "data")
    reg = RegistryProcess(storage_dir=storage, config=gc_config()).start()
    yield reg, storage
    reg.cleanup()


def test_grace_period_references_and_uploads(registry):
    reg, storage = registry
    kept = push_image(reg, "gc/app", build_image(layers=2), "v1")
    dropped = push_image(reg, "gc/other", build_image(layers=1), "v1")
    shared = kept.blobs[1]
    push_blob(reg, "gc/other", shared)
    old_orphan = push_blob(reg, "gc/app", Blob(random_bytes(3000)))
    young_orphan = push_blob(reg, "gc/app", Blob(random_bytes(2000)))
    # An upload in progress: some bytes sent, then left alone for "hours".
    upload = start_upload(reg, "gc/app")
    first, rest = random_bytes(700), random_bytes(300)
    status, hdrs, _ = reg.request("PATCH", upload, body=first, headers={"Content-Type": "application/octet-stream",
                                                                        "Content-Range": "0-699"})
    assert status == 202
    upload = location_path(reg, hdrs["location"])
    assert reg.request("DELETE", f"/v2/gc/other/manifests/{dropped.digest}")[0] == 202

    age_tree(os.path.join(storage, "docker/registry/v2"))
    os.utime(blob_path(storage, young_orphan.digest))  # written "now"
    wait_for_full_pass(reg)

    gone = [old_orphan.digest, dropped.digest] + [b.digest for b in dropped.blobs]
    assert [d for d in gone if os.path.exists(blob_path(storage, d))] == []
    assert os.path.exists(blob_path(storage, young_orphan.digest)), "younger than the grace period"
    for blob in kept.blobs:
        status, _, body = reg.request("GET", f"/v2/gc/app/blobs/{blob.digest}")
        assert status == 200 and body == blob.data
    assert manifest_status(reg, "gc/app", "v1") == 200
    assert reg.request("HEAD", f"/v2/gc/other/blobs/{shared.digest}")[0] == 200

    # The upload continues and completes as if nothing happened.
    status, hdrs, _ = reg.request("PUT", with_query(upload, digest=sha256(first + rest)), body=rest,
                                  headers={"Content-Type": "application/octet-stream", "Content-Range": "700-999"})
    assert status == 201
    assert reg.request("GET", f"/v2/gc/app/blobs/{sha256(first + rest)}")[2] == first + rest

    assert metric(reg, "imageregistry_gc_blobs_deleted_total") == len(gone)
    freed = len(old_orphan.data) + dropped.size + sum(b.size for b in dropped.blobs)
    assert metric(reg, "imageregistry_gc_bytes_freed_total") == freed
    assert metric(reg, "imageregistry_gc_duration_seconds_count") >= 2
    assert metric(reg, "imageregistry_gc_runs_total", '{result="failure"}') == 0
    log = reg.read_log()
    assert 'msg="online gc: start"' in log and 'msg="online gc: done"' in log and f"blobs_deleted={len(gone)}" in log

    lease = os.path.join(storage, "docker/registry/v2/_wharf/gc/lease")
    assert os.path.exists(lease)
    assert reg.stop() == 0
    assert not os.path.exists(lease), "a replica that stops gives its lease up"


@pytest.fixture
def slow_put_registry(tmp_path):
    storage = str(tmp_path / "data")
    reg = RegistryProcess(storage_dir=storage, config=gc_config(),
                          env={"WHARF_TEST_MANIFEST_PUT_DELAY": "5"}).start()
    yield reg, storage
    reg.cleanup()


def test_manifest_put_racing_a_sweep_fails_cleanly(slow_put_registry):
    reg, storage = slow_put_registry
    image = build_image(layers=2)
    for blob in image.blobs:
        push_blob(reg, "gc/race", blob)
    age_tree(os.path.join(storage, "docker/registry/v2"))
    # The PUT checks its blobs, then waits 5 s; meanwhile a pass plans, re-marks and sweeps them.
    status, _, body = push_manifest(reg, "gc/race", "v1", image, expect=None)
    assert status == 400 and error_codes(body) == ["MANIFEST_BLOB_UNKNOWN"], (status, body)
    assert manifest_status(reg, "gc/race", "v1") == 404
    assert manifest_status(reg, "gc/race", image.digest) == 404
    repo = os.path.join(storage, "docker/registry/v2/repositories/gc/race/_manifests")
    links = [os.path.join(d, f) for d, _, fs in os.walk(repo) for f in fs]
    assert links == [], "a refused PUT leaves no links"
    assert "raced garbage collection" in reg.read_log()

    # Pushed again, the blobs are young: the PUT succeeds and everything pulls.
    push_image(reg, "gc/race", image, "v1")
    wait_for_full_pass(reg)
    for blob in image.blobs:
        assert reg.request("GET", f"/v2/gc/race/blobs/{blob.digest}")[2] == blob.data


def test_manifest_put_after_mark_two_fails_while_the_plan_lists_its_blobs(tmp_path):
    storage = str(tmp_path / "data")
    reg = RegistryProcess(storage_dir=storage, config=gc_config(), env={"WHARF_TEST_GC_SWEEP_PAUSE": "6"}).start()
    try:
        image = build_image(layers=2)
        for blob in image.blobs:
            push_blob(reg, "gc/late", blob)
        age_tree(os.path.join(storage, "docker/registry/v2"))
        plans = os.path.join(storage, "docker/registry/v2/_wharf/gc/plans")
        wait_for(lambda: os.path.isdir(plans) and os.listdir(plans), "a published plan")
        time.sleep(2.5)  # past sweepAfter (1 s) and mark 2; the sweep is held for 6 s
        # The blobs are all still there: only the plan can tell this PUT it is too late.
        assert all(os.path.exists(blob_path(storage, b.digest)) for b in image.blobs)
        status, _, body = push_manifest(reg, "gc/late", "v1", image, expect=None)
        assert status == 400 and error_codes(body) == ["MANIFEST_BLOB_UNKNOWN"], (status, body)
        wait_for(lambda: not os.listdir(plans), "the sweep to finish", timeout=40)
        assert [b for b in image.blobs if os.path.exists(blob_path(storage, b.digest))] == []
        assert manifest_status(reg, "gc/late", "v1") == 404
    finally:
        reg.cleanup()


def test_manifest_put_before_sweep_after_keeps_its_blobs(tmp_path):
    storage = str(tmp_path / "data")
    reg = RegistryProcess(storage_dir=storage, config=gc_config(sweepdelay="8s")).start()
    try:
        image = build_image(layers=2)
        for blob in image.blobs:
            push_blob(reg, "gc/early", blob)
        age_tree(os.path.join(storage, "docker/registry/v2"))
        plans = os.path.join(storage, "docker/registry/v2/_wharf/gc/plans")
        wait_for(lambda: os.path.isdir(plans) and os.listdir(plans), "a published plan")
        (plan_file,) = os.listdir(plans)
        with open(os.path.join(plans, plan_file)) as f:
            plan = json.load(f)
        assert sorted(plan["blobs"]) == sorted(b.digest for b in image.blobs)
        push_manifest(reg, "gc/early", "v1", image)  # well before sweepAfter
        wait_for(lambda: not os.listdir(plans), "the plan's sweep to finish", timeout=40)
        for blob in image.blobs:
            assert os.path.exists(blob_path(storage, blob.digest)), "mark 2 saw the manifest"
        assert metric(reg, "imageregistry_gc_blobs_deleted_total") == 0
        assert manifest_status(reg, "gc/early", "v1") == 200
    finally:
        reg.cleanup()


def test_lease_holder_killed_other_takes_over(tmp_path):
    storage = str(tmp_path / "data")
    config = gc_config()
    config["http"] = {"secret": "gc-lease-secret"}
    replicas = [RegistryProcess(storage_dir=storage, config=config).start() for _ in range(2)]
    try:
        lease_path = os.path.join(storage, "docker/registry/v2/_wharf/gc/lease")

        def holder():
            try:
                with open(lease_path) as f:
                    return json.load(f)["holder"]
            except (OSError, ValueError):
                return None

        wait_for(lambda: holder() is not None, "a lease")
        first = holder()

        def instance(reg):
            found = re.search(r"instance\.id=(\S+)", reg.read_log())
            return found.group(1) if found else None

        ids = [instance(r) for r in replicas]
        assert first in ids
        holding, other = (replicas[0], replicas[1]) if ids[0] == first else (replicas[1], replicas[0])
        wait_for(lambda: metric(other, "imageregistry_gc_runs_total", '{result="skipped"}') >= 2, "the other replica skipping")
        assert passes_done(other) == 0, "only the lease holder collects"

        holding.kill()  # SIGKILL: the lease stays in storage until it expires
        orphan = push_blob(other, "gc/lease", Blob(random_bytes(1500)))
        age(blob_path(storage, orphan.digest))
        wait_for(lambda: holder() == instance(other), "the other replica to take the lease", timeout=30)
        wait_for(lambda: not os.path.exists(blob_path(storage, orphan.digest)), "the new holder to collect", timeout=30)
        assert metric(other, "imageregistry_gc_blobs_deleted_total") == 1
    finally:
        for r in replicas:
            r.cleanup()


def test_layer_links_of_swept_blobs_go_and_a_push_racing_that_fails_cleanly(tmp_path):
    """A sweep deletes the `_layers` links of the blobs it deleted. A push of the same
    blobs landing between the blob deletions and the link deletions (held open there by a
    test-only pause) has its fresh links deleted under it; its manifest PUT, which checked
    its blobs before that and writes after the plan is gone, must then fail: the check of
    each blob's link after reading the plans refuses it. Without that check the PUT
    succeeds and its layers answer 404 in their repository."""
    import threading
    storage = str(tmp_path / "data")
    reg = RegistryProcess(storage_dir=storage, config=gc_config(),
                          env={"WHARF_TEST_GC_LINK_PAUSE": "3", "WHARF_TEST_MANIFEST_PUT_DELAY": "8"}).start()
    try:
        image = build_image(layers=2)
        for blob in image.blobs:
            push_blob(reg, "gc/relink", blob)
        layers = os.path.join(storage, "docker/registry/v2/repositories/gc/relink/_layers/sha256")
        assert sorted(os.listdir(layers)) == sorted(b.digest.split(":")[1] for b in image.blobs)
        age_tree(os.path.join(storage, "docker/registry/v2"))
        wait_for(lambda: not any(os.path.exists(blob_path(storage, b.digest)) for b in image.blobs), "the blobs' sweep")
        # The collector now waits 3 s before deleting their links: push them again.
        for blob in image.blobs:
            push_blob(reg, "gc/relink", blob)
        result = {}
        put = threading.Thread(target=lambda: result.update(
            answer=push_manifest(reg, "gc/relink", "v1", image, expect=None)))
        put.start()  # checks its blobs now (linked and stored), then waits 8 s
        wait_for(lambda: not os.path.exists(layers) or not os.listdir(layers), "the links' sweep", timeout=20)
        put.join(timeout=30)
        status, _, body = result["answer"]
        if status == 201:
            for blob in image.blobs:
                got = reg.request("GET", f"/v2/gc/relink/blobs/{blob.digest}")
                assert got[0] == 200 and got[2] == blob.data, f"a stored manifest's layer {blob.digest} answers {got[0]}"
        assert status == 400 and error_codes(body) == ["MANIFEST_BLOB_UNKNOWN"], (status, body)
        assert "was garbage collected" in reg.read_log() and "the link of" in reg.read_log()
        assert manifest_status(reg, "gc/relink", "v1") == 404
        # Pushed once more, everything pulls.
        push_image(reg, "gc/relink", image, "v1")
        for blob in image.blobs:
            assert reg.request("GET", f"/v2/gc/relink/blobs/{blob.digest}")[2] == blob.data
        assert manifest_status(reg, "gc/relink", "v1") == 200
    finally:
        reg.cleanup()
