"""Two Wharf replicas on one storage root with one http.secret, behind a round-robin
proxy of our own: chunked uploads hop between replicas and finish, and each replica
serves what was pushed through the other."""
import http.client
import os
import select
import socket
import threading

import pytest

from harness import RegistryProcess, sha256
from ocihelpers import build_image, push_image, random_bytes, with_query, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only


class RoundRobinProxy:
    """A TCP proxy sending each new client connection to the next backend in turn."""

    def __init__(self, backends):
        self.backends = backends
        self.counts = [0] * len(backends)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.next = 0
        self.closed = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            index = self.next % len(self.backends)
            self.next += 1
            self.counts[index] += 1
            upstream = socket.create_connection(self.backends[index])
            threading.Thread(target=self.relay, args=(client, upstream), daemon=True).start()

    @staticmethod
    def relay(a, b):
        sockets = [a, b]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 30)
                if not readable:
                    return
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            pass
        finally:
            a.close()
            b.close()

    def close(self):
        self.closed = True
        self.listener.close()


class ProxyClient:
    """Fresh connection per request through the proxy, so requests alternate replicas."""

    def __init__(self, proxy):
        self.port = proxy.port
        self.host = f"127.0.0.1:{proxy.port}"

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    storage = str(tmp_path_factory.mktemp("shared") / "data")
    config = {"http": {"secret": "shared-replica-secret"}}
    a = RegistryProcess(storage_dir=storage, config=config).start()
    b = RegistryProcess(storage_dir=storage, config=config).start()
    proxy = RoundRobinProxy([("127.0.0.1", a.port), ("127.0.0.1", b.port)])
    yield a, b, proxy
    proxy.close()
    a.cleanup()
    b.cleanup()


def relative(location, host):
    return location.split(host, 1)[-1] if "://" in location else location


def test_chunked_upload_alternating_replicas_finishes(replicas):
    a, b, proxy = replicas
    client = ProxyClient(proxy)
    before = list(proxy.counts)
    data = random_bytes(3 * 70_000 + 123)
    status, hdrs, body = client.request("POST", "/v2/ops/replicas/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
    assert status == 202, body
    loc = relative(hdrs["location"], client.host)
    chunks = [data[i:i + 70_000] for i in range(0, len(data), 70_000)]
    offset = 0
    for chunk in chunks:
        status, hdrs, body = client.request("PATCH", loc, body=chunk, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
            "Content-Range": f"{offset}-{offset + len(chunk) - 1}"})
        assert status == 202, body
        offset += len(chunk)
        assert hdrs["range"] == f"0-{offset - 1}"
        loc = relative(hdrs["location"], client.host)
    status, hdrs, body = client.request("GET", loc)
    assert status == 204 and hdrs["range"] == f"0-{len(data) - 1}"
    status, hdrs, body = client.request("PUT", with_query(loc, digest=sha256(data)), body=b"",
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
