"""S3 storage for conformance tests: a moto_server on loopback, registries configured
with `storage.s3` on it, and a small round-robin proxy in front of several replicas."""
import http.client
import socket
import socketserver
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler

from harness import free_port, make_tls
from storagehelpers import (PeerProcess, RoundRobinProxy, ReplicaSet, StorageRegistryProcess, _LoopbackServer, _splice,  # noqa: F401
                            follow_blob)


class MotoServer(PeerProcess):
    """`moto_server` (PyPI moto[server]) on a free loopback port; `start()`, `stop()`."""

    name = "moto_server"

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        return ["moto_server", "-H", "127.0.0.1", "-p", str(self.port)]

    def create_bucket(self, name=None):
        name = name or "wharf-" + uuid.uuid4().hex[:16]
        status, body = self.request("PUT", f"/{name}")
        assert status == 200, (status, body)
        return name

    def keys(self, bucket, prefix=""):
        """Every key in the bucket below `prefix` (one page is enough for tests)."""
        import re
        status, body = self.request("GET", f"/{bucket}?list-type=2&prefix={prefix}")
        assert status == 200, (status, body)
        return re.findall(r"<Key>([^<]*)</Key>", body.decode())

    def multipart_uploads(self, bucket):
        import re
        status, body = self.request("GET", f"/{bucket}?uploads")
        assert status == 200, (status, body)
        return re.findall(r"<UploadId>([^<]*)</UploadId>", body.decode())


def s3_config(endpoint, bucket, **params):
    """The `storage` section for S3 on `endpoint` (replacing the harness's filesystem)."""
    s3 = {"bucket": bucket, "region": "us-east-1", "regionendpoint": endpoint, "accesskey": "test",
          "secretkey": "test", "rootdirectory": "/registry", "chunksize": 5 * 1024 * 1024}
    s3.update(params)
    return s3


class S3RegistryProcess(StorageRegistryProcess):
    """A registry whose storage is S3 (the harness writes filesystem storage by default)."""

    def __init__(self, endpoint, bucket, redirect=True, s3=None, storage=None, **kwargs):
        st = {"s3": s3_config(endpoint, bucket, **(s3 or {})), "delete": {"enabled": True}}
        st.update(storage or {})
        super().__init__(st, redirect=redirect, **kwargs)


class _ProxyHandler(BaseHTTPRequestHandler):
    """The request side shared by the S3 test proxies: HTTP/1.1 keep-alive, no logging,
    and the request body read whole."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def forward(self, port, body, drop=("connection",), rewrite=None):
        """Sends this request (its headers less `drop`, passed through `rewrite(method, path,
        headers)` when given) to 127.0.0.1:`port` and relays the answer whole; a HEAD
        answer keeps the object's Content-Length."""
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
            if rewrite:
                headers = rewrite(self.command, self.path, headers)
            conn.request(self.command, self.path, body=body if (body or self.command in ("PUT", "POST")) else None,
                         headers=headers)
            r = conn.getresponse()
            data = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", r.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()


class FaultyS3Proxy(_LoopbackServer):
    """An HTTP proxy in front of moto that can answer the next `fail_next` requests with
    503 SlowDown, or delay each request by `delay` seconds (a slow endpoint)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.fail_next = 0
        self.delay = 0.0
        self.failed = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(_ProxyHandler):
            def _any(self):
                body = self.read_body()
                with proxy.lock:
                    fail = proxy.fail_next > 0
                    if fail:
                        proxy.fail_next -= 1
                        proxy.failed += 1
                if fail:
                    payload = b"<Error><Code>SlowDown</Code><Message>injected by the test</Message></Error>"
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                    return
                if proxy.delay:
                    time.sleep(proxy.delay)
                self.forward(proxy.upstream_port, body)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self._serve(Handler)


class CountingS3Proxy(_LoopbackServer):
    """An HTTP proxy in front of moto that streams answers through and counts what the
    registry makes S3 store: `uploaded` request-body bytes of PUT/POST, and `copied` bytes
    of server-side copies (x-amz-copy-source, by range or by the source's size).
    `cut_gets` > 0 cuts the next that many GET answers longer than `cut_after` bytes after
    `cut_after` body bytes (the socket just closes); `gets` records each GET's Range;
    `requests` counts requests by kind: `HEAD`, `PUT`, `DELETE`, `GetObject`, `List` (any
    GET with a query), `DeleteObjects` (POST ?delete), `POST` (the other POSTs)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.uploaded = 0
        self.copied = 0
        self.cut_gets = 0
        self.cut_after = 0
        self.cuts = 0
        self.gets = []
        self.requests = {}
        self.lock = threading.Lock()
        proxy = self

        class Handler(_ProxyHandler):
            def _any(self):
                body = self.read_body()
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                copy_source = self.headers.get("x-amz-copy-source")
                kind = self.command
                if kind == "GET":
                    kind = "List" if "?" in self.path else "GetObject"
                elif kind == "POST":
                    query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True)
                    kind = "DeleteObjects" if "delete" in query else "POST"
                with proxy.lock:
                    proxy.requests[kind] = proxy.requests.get(kind, 0) + 1
                    if self.command in ("PUT", "POST"):
                        proxy.uploaded += len(body)
                    if self.command == "GET" and "?" not in self.path:
                        proxy.gets.append(self.headers.get("Range"))
                if copy_source:
                    rng = self.headers.get("x-amz-copy-source-range")
                    if rng:
                        first, last = rng.split("=", 1)[1].split("-")
                        size = int(last) - int(first) + 1
                    else:
                        c = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                        c.request("HEAD", copy_source, headers={"Host": self.headers.get("Host", "")})
                        size = int(c.getresponse().getheader("Content-Length", "0"))
                        c.close()
                    with proxy.lock:
                        proxy.copied += size
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body if (body or self.command in ("PUT", "POST")) else None,
                                 headers=headers)
                    r = conn.getresponse()
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "server", "date"):
                            self.send_header(k, v)
                    self.end_headers()
                    if self.command == "HEAD":
                        return
                    total = int(r.getheader("Content-Length", "0"))
                    with proxy.lock:
                        cut = self.command == "GET" and proxy.cut_gets > 0 and total > proxy.cut_after
                        if cut:
                            proxy.cut_gets -= 1
                            proxy.cuts += 1
                    sent = 0
                    while True:
                        want = 65536 if not cut else min(65536, proxy.cut_after - sent)
                        data = r.read(want) if want > 0 else b""
                        if not data:
                            break
                        self.wfile.write(data)
                        sent += len(data)
                    if cut:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                finally:
                    conn.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        self._serve(Handler)


def make_private_ca(directory):
    """A private CA and a server certificate for localhost and 127.0.0.1 signed by it;
    returns (ca, server certificate, server key) paths."""
    return make_tls(directory)


class TLSProxy(_LoopbackServer):
    """Terminates TLS with (cert, key) and forwards the bytes to a plain upstream port."""

    scheme = "https"

    def __init__(self, upstream_port, cert, key):
        import ssl
        self.port = free_port()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    tls = ctx.wrap_socket(self.request, server_side=True)
                except (OSError, ssl.SSLError):
                    return
                _splice(tls, upstream_port)

        self._serve_tcp(Handler)


class S3ReplicaSet(ReplicaSet):
    """`count` registries on one bucket behind a RoundRobinProxy (see ReplicaSet)."""

    def __init__(self, endpoint, bucket, count=3, redirect=False):
        super().__init__(S3RegistryProcess(endpoint, bucket, redirect=redirect) for _ in range(count))
