"""The blob descriptor cache in Redis (issue 18 part 6), shared by two replicas on one
filesystem: entries appear in distribution's key layout, are used (hits), survive a
replica's restart, go when the blob is deleted or garbage-collected, and Redis stopping in
the middle of a run changes nothing for clients (failures are logged and counted)."""
import os
import subprocess
import time

import pytest

from metricshelpers import metric as read_metric
from harness import RegistryProcess, make_tls, wharf_bin
from ocihelpers import build_image, push_blob, push_manifest
from notifyhelpers import SilentListener
from redishelpers import RedisServer, make_client_cert

pytestmark = pytest.mark.wharf_only

SECRET = "redis-metrics-secret"
PASSWORD = "redis-pass-0123"
DB = 3


def replica(redis, storage_dir, legacy=False):
    """A replica on `storage_dir` using `redis`: distribution 3's keys, or 2.8's (`addr`, `pool`)."""
    if legacy:
        redis_cfg = {"addr": redis.addr, "password": PASSWORD, "db": DB, "dialtimeout": "1s", "readtimeout": "1s",
                     "writetimeout": "1s", "pool": {"maxidle": 2, "maxactive": 8, "idletimeout": "60s"}}
    else:
        redis_cfg = {"addrs": [redis.addr], "password": PASSWORD, "db": DB, "dialtimeout": "1s", "readtimeout": "1s",
                     "writetimeout": "1s", "poolsize": 8, "maxidleconns": 2, "connmaxidletime": "60s"}
    return RegistryProcess(storage_dir=storage_dir, config={
        "storage": {"cache": {"blobdescriptor": "redis"}},
        "redis": redis_cfg,
        "openshift": {"metrics": {"enabled": True, "secret": SECRET}},
    })


def metric(reg, name, **labels):
    return read_metric(reg, SECRET, name, **labels)


def hits(reg):
    return metric(reg, "imageregistry_digest_cache_scoped_requests_total", type="Hit")


@pytest.fixture
def setup(tmp_path):
    redis = RedisServer(password=PASSWORD).start()
    storage = str(tmp_path / "data")
    a = replica(redis, storage).start()
    b = replica(redis, storage, legacy=True).start()
    yield redis, a, b
    a.cleanup()
    b.cleanup()
    redis.cleanup()


def test_shared_entries_used_restart_delete(setup):
    redis, a, b = setup
    image = build_image(layers=2)
    config, l1, l2 = image.blobs
    for blob in image.blobs:
        push_blob(a, "cache/app", blob)
    push_manifest(a, "cache/app", "v1", image)
    assert a.request("HEAD", f"/v2/cache/app/blobs/{l1.digest}")[0] == 200
    keys = redis.keys(db=DB)
    assert f"blobs::{l1.digest}" in keys
    assert "repository::cache/app::blobs" in keys
    assert f"repository::cache/app::blobs::{l1.digest}" in keys
    assert redis.cli("HGET", f"blobs::{l1.digest}", "size", db=DB) == str(l1.size)
    assert redis.cli("SISMEMBER", "repository::cache/app::blobs", l1.digest, db=DB) == "1"
    assert redis.keys(db=0) == []  # redis.db is honoured

    # The other replica (configured with 2.8's keys) answers from the shared entries.
    before = hits(b)
    status, hdrs, body = b.request("GET", f"/v2/cache/app/blobs/{l1.digest}")
    assert status == 200 and body == l1.data
    assert hits(b) == before + 1

    # A restarted replica still finds them.
    a.stop()
    a.start()
    assert a.request("HEAD", f"/v2/cache/app/blobs/{l1.digest}")[0] == 200
    assert hits(a) == 1

    # A delete on one replica drops the repository's entry: the other does not serve it.
    assert b.request("DELETE", f"/v2/cache/app/blobs/{l1.digest}")[0] == 202
    assert redis.cli("SISMEMBER", "repository::cache/app::blobs", l1.digest, db=DB) == "0"
    assert f"repository::cache/app::blobs::{l1.digest}" not in redis.keys(db=DB)
    assert a.request("HEAD", f"/v2/cache/app/blobs/{l1.digest}")[0] == 404
    assert a.request("GET", f"/v2/cache/app/blobs/{l2.digest}")[0] == 200


def test_garbage_collection_drops_swept_blobs(setup):
    redis, a, b = setup
    blob = build_image(layers=1).blobs[1]
    push_blob(a, "cache/gc", blob)
    assert a.request("HEAD", f"/v2/cache/gc/blobs/{blob.digest}")[0] == 200
    assert f"blobs::{blob.digest}" in redis.keys(db=DB)
    # The blob is unreferenced by any manifest: garbage collection sweeps it.
    a.stop()
    b.stop()
    out = subprocess.run([wharf_bin(), "garbage-collect", a.config_path], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "deleted 1 blobs" in out.stdout, out.stdout
    assert f"blobs::{blob.digest}" not in redis.keys(db=DB)
    a.start()
    assert a.request("HEAD", f"/v2/cache/gc/blobs/{blob.digest}")[0] == 404


def test_redis_stopped_mid_run_changes_nothing_for_clients(setup):
    redis, a, b = setup
    first = build_image(layers=1)
    for blob in first.blobs:
        push_blob(a, "cache/outage", blob)
    push_manifest(a, "cache/outage", "v1", first)
    assert b.request("HEAD", f"/v2/cache/outage/blobs/{first.blobs[1].digest}")[0] == 200

    redis.stop()
    second = build_image(layers=1)
    for blob in second.blobs:
        push_blob(b, "cache/outage", blob)
    push_manifest(b, "cache/outage", "v2", second)
    for reg in (a, b):
        for image in (first, second):
            for blob in image.blobs:
                status, _, body = reg.request("GET", f"/v2/cache/outage/blobs/{blob.digest}")
                assert status == 200 and body == blob.data
    assert b.request("DELETE", f"/v2/cache/outage/blobs/{first.blobs[0].digest}")[0] == 202
    assert a.request("HEAD", f"/v2/cache/outage/blobs/{first.blobs[0].digest}")[0] == 404
    assert metric(a, "imageregistry_redis_cache_errors_total", operation="lookup") > 0
    assert "Redis failed, serving from storage" in a.read_log()

    # Back, flushed (no persistence): served from storage, entries come back.
    redis.start()
    # Lookups skip Redis for a second after a failure; then the entries come back.
    deadline = time.time() + 15
    while f"blobs::{second.blobs[1].digest}" not in redis.keys(db=DB):
        assert time.time() < deadline, "entries did not come back after Redis restarted"
        assert a.request("HEAD", f"/v2/cache/outage/blobs/{second.blobs[1].digest}")[0] == 200
        time.sleep(0.2)
    assert b.request("HEAD", f"/v2/cache/outage/blobs/{first.blobs[0].digest}")[0] == 404


def test_check_config_names_redis_problems(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 0.1\nstorage:\n  inmemory: {}\n  cache:\n    blobdescriptor: redis\n")
    out = subprocess.run([wharf_bin(), "check-config", str(bad)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "redis needs redis.addrs" in out.stderr + out.stdout
    ok = tmp_path / "ok.yml"
    ok.write_text("version: 0.1\nstorage:\n  inmemory: {}\n  cache:\n    blobdescriptor: redis\n"
                  "redis:\n  addrs: [localhost:6379]\n  poolfifo: true\n  tls:\n    enabled: false\n")
    out = subprocess.run([wharf_bin(), "check-config", str(ok)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "redis.poolfifo: accepted, no effect" in out.stderr + out.stdout


def test_hung_redis_is_a_miss(tmp_path):
    """A Redis that accepts connections and never answers: every request is still served
    (from storage, after `readtimeout`), and the failures are counted."""
    hung = SilentListener()
    reg = RegistryProcess(storage_dir=str(tmp_path / "data"), config={
        "storage": {"cache": {"blobdescriptor": "redis"}},
        "redis": {"addrs": [f"127.0.0.1:{hung.port}"], "readtimeout": "300ms", "writetimeout": "300ms", "dialtimeout": "300ms"},
        "openshift": {"metrics": {"enabled": True, "secret": SECRET}},
    }).start()
    try:
        image = build_image(layers=2)
        for blob in image.blobs:
            push_blob(reg, "cache/hung", blob)
        push_manifest(reg, "cache/hung", "v1", image)
        for blob in image.blobs:
            status, _, body = reg.request("GET", f"/v2/cache/hung/blobs/{blob.digest}")
            assert status == 200 and body == blob.data
        assert reg.request("DELETE", f"/v2/cache/hung/blobs/{image.blobs[1].digest}")[0] == 202
        assert reg.request("HEAD", f"/v2/cache/hung/blobs/{image.blobs[1].digest}")[0] == 404
        assert metric(reg, "imageregistry_redis_cache_errors_total", operation="lookup") >= 1
        assert metric(reg, "imageregistry_redis_cache_errors_total", operation="delete") == 1
        assert "could not drop entries from Redis" in reg.read_log()
    finally:
        reg.cleanup()
        hung.close()


def test_tls_to_redis_verified_by_rootcas(tmp_path):
    (tmp_path / "server").mkdir()
    (tmp_path / "other").mkdir()
    ca, crt, key = make_tls(tmp_path / "server")
    other_ca, _, _ = make_tls(tmp_path / "other")
    redis = RedisServer(tls=(ca, crt, key)).start()
    trusted = RegistryProcess(storage_dir=str(tmp_path / "data"), config={
        "storage": {"cache": {"blobdescriptor": "redis"}},
        "redis": {"addrs": [redis.addr], "tls": {"rootcas": [ca]}},
        "openshift": {"metrics": {"enabled": True, "secret": SECRET}},
    }).start()
    untrusted = RegistryProcess(storage_dir=str(tmp_path / "data"), config={
        "storage": {"cache": {"blobdescriptor": "redis"}},
        "redis": {"addrs": [redis.addr], "tls": {"rootcas": [other_ca]}},
        "openshift": {"metrics": {"enabled": True, "secret": SECRET}},
    }).start()
    try:
        blob = build_image(layers=1).blobs[1]
        push_blob(trusted, "cache/tls", blob)
        assert trusted.request("HEAD", f"/v2/cache/tls/blobs/{blob.digest}")[0] == 200
        assert f"blobs::{blob.digest}" in redis.keys()
        # A replica that does not trust the server's certificate never uses it, and still serves.
        status, _, body = untrusted.request("GET", f"/v2/cache/tls/blobs/{blob.digest}")
        assert status == 200 and body == blob.data
        assert metric(untrusted, "imageregistry_redis_cache_errors_total", operation="lookup") >= 1
        assert metric(untrusted, "imageregistry_digest_cache_scoped_requests_total", type="Hit") == 0
        assert "certificate" in untrusted.read_log() or "TLS" in untrusted.read_log()
    finally:
        trusted.cleanup()
        untrusted.cleanup()
        redis.cleanup()


def test_mutual_tls_with_a_client_certificate(tmp_path):
    ca, crt, key = make_tls(tmp_path)
    client_crt, client_key = make_client_cert(tmp_path)
    redis = RedisServer(tls=(ca, crt, key), client_certs=True)
    redis.cli_cert = (client_crt, client_key)
    redis.start()

    def replica_with(tls):
        return RegistryProcess(storage_dir=str(tmp_path / "data"), config={
            "storage": {"cache": {"blobdescriptor": "redis"}},
            "redis": {"addrs": [redis.addr], "tls": tls},
            "openshift": {"metrics": {"enabled": True, "secret": SECRET}},
        }).start()
    with_cert = replica_with({"rootcas": [ca], "certificate": client_crt, "key": client_key})
    without = replica_with({"rootcas": [ca]})
    try:
        blob = build_image(layers=1).blobs[1]
        push_blob(with_cert, "cache/mtls", blob)
        assert with_cert.request("HEAD", f"/v2/cache/mtls/blobs/{blob.digest}")[0] == 200
        assert f"blobs::{blob.digest}" in redis.keys()
        assert metric(with_cert, "imageregistry_redis_cache_errors_total", operation="lookup") == 0
        # Without a client certificate Redis refuses the connection: served from storage.
        status, _, body = without.request("GET", f"/v2/cache/mtls/blobs/{blob.digest}")
        assert status == 200 and body == blob.data
        assert metric(without, "imageregistry_redis_cache_errors_total", operation="lookup") >= 1
    finally:
        with_cert.cleanup()
        without.cleanup()
        redis.cleanup()
