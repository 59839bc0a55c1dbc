"""Two Wharf replicas on one storage root with one http.secret, behind the round-robin
proxy of s3helpers (one connection per request): chunked uploads hop between replicas and finish, and each replica
serves what was pushed through the other."""
import pytest

from harness import RegistryProcess, sha256
from s3helpers import RoundRobinProxy
from ocihelpers import build_image, push_image, random_bytes, with_query, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    storage = str(tmp_path_factory.mktemp("shared") / "data")
    config = {"http": {"secret": "shared-replica-secret"}}
    a = RegistryProcess(storage_dir=storage, config=config).start()
    b = RegistryProcess(storage_dir=storage, config=config).start()
    proxy = RoundRobinProxy([a.port, b.port]).start()
    yield a, b, proxy
    proxy.stop()
    a.cleanup()
    b.cleanup()


def relative(location, host):
    return location.split(host, 1)[-1] if "://" in location else location


def test_chunked_upload_alternating_replicas_finishes(replicas):
    a, b, proxy = replicas
    before = list(proxy.counts)
    data = random_bytes(3 * 70_000 + 123)
    status, hdrs, body = proxy.request("POST", "/v2/ops/replicas/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
    assert status == 202, body
    loc = relative(hdrs["location"], proxy.host)
    chunks = [data[i:i + 70_000] for i in range(0, len(data), 70_000)]
    offset = 0
    for chunk in chunks:
        status, hdrs, body = proxy.request("PATCH", loc, body=chunk, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
            "Content-Range": f"{offset}-{offset + len(chunk) - 1}"})
        assert status == 202, body
        offset += len(chunk)
        assert hdrs["range"] == f"0-{offset - 1}"
        loc = relative(hdrs["location"], proxy.host)
    status, hdrs, body = proxy.request("GET", loc)
    assert status == 204 and hdrs["range"] == f"0-{len(data) - 1}"
    status, hdrs, body = proxy.request("PUT", with_query(loc, digest=sha256(data)), body=b"",
                                        headers={"Content-Length": "0"})
    assert status == 201, body
    # 1 POST, 4 PATCHes, 1 GET, 1 PUT: both replicas took part, alternately.
    used = [after - was for after, was in zip(proxy.counts, before)]
    assert sorted(used) == [3, 4], used
    for replica in (a, b):
        status, _, body = replica.request("GET", f"/v2/ops/replicas/blobs/{sha256(data)}")
        assert status == 200 and body == data


def test_each_replica_serves_the_other_s_pushes(replicas):
    a, b, _ = replicas
    first = build_image(layers=2)
    push_image(a, "ops/replicas", first, tag="from-a")
    second = build_image(layers=1)
    push_image(b, "ops/replicas", second, tag="from-b")
    for replica, image, tag in [(b, first, "from-a"), (a, second, "from-b")]:
        status, hdrs, body = replica.request("GET", f"/v2/ops/replicas/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
        assert status == 200 and body == image.data
        assert hdrs["docker-content-digest"] == image.digest
        for blob in image.blobs:
            status, _, body = replica.request("GET", f"/v2/ops/replicas/blobs/{blob.digest}")
            assert status == 200 and body == blob.data
    status, _, body = a.request("GET", "/v2/ops/replicas/tags/list")
    assert status == 200 and sorted(__import__("json").loads(body)["tags"]) == ["from-a", "from-b"]


def test_replicas_with_different_secrets_refuse_each_other_s_uploads(tmp_path):
    storage = str(tmp_path / "data")
    a = RegistryProcess(storage_dir=storage, config={"http": {"secret": "one"}}).start()
    b = RegistryProcess(storage_dir=storage, config={"http": {"secret": "two"}}).start()
    try:
        status, hdrs, _ = a.request("POST", "/v2/ops/split/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 202
        loc = relative(hdrs["location"], a.host)
        status, _, body = b.request("PATCH", loc, body=b"abc", headers={"Content-Type": "application/octet-stream",
                                                                         "Content-Length": "3"})
        assert status in (400, 404), (status, body)
    finally:
        a.cleanup()
        b.cleanup()


def test_without_a_secret_one_is_generated_with_a_warning():
    r = RegistryProcess(config={"http": {"secret": ""}}).start()
    try:
        status, hdrs, _ = r.request("POST", "/v2/ops/nosecret/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 202 and "_state=" in hdrs["location"]
        r.stop()
        log = r.read_log()
        assert "level=warning" in log or "level=warn" in log
        assert "replicas" in log and "http.secret" in log
    finally:
        r.cleanup()
