"""What the object-store conformance helpers share (s3helpers, gcshelpers): a registry
configured with one `storage.<driver>` section, a small round-robin TCP proxy, and a set of
replicas on one bucket behind it."""
import http.client
import socket
import socketserver
import subprocess
import threading
from http.server import BaseHTTPRequestHandler

from harness import RegistryProcess, free_port, to_yaml


class StorageRegistryProcess(RegistryProcess):
    """A registry whose storage is `storage.<driver>` with `params` (the harness writes
    filesystem storage by default); deletes enabled, blob redirects unless `redirect` is false."""

    def __init__(self, driver, params, redirect=True, storage=None, **kwargs):
        super().__init__(**kwargs)
        st = {driver: params, "delete": {"enabled": True}}
        if not redirect:
            st["redirect"] = {"disable": True}
        st.update(storage or {})
        self.config["storage"] = st
        with open(self.config_path, "w") as f:
            f.write(to_yaml(self.config) + "\n")


class PeerProcess:
    """A storage peer (moto_server, gcp-storage-emulator) run as a child process on
    `self.port`: `stop()` ends it, `request()` talks to it directly."""
    proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()


class _ProxyHandler(BaseHTTPRequestHandler):
    """The request side shared by the test proxies in front of storage peers: HTTP/1.1
    keep-alive, no logging, the request body read whole, and `forward()` to the peer."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def forward(self, upstream_port, body, drop=("connection",)):
        """Sends this request (minus the `drop` headers) to the loopback peer and relays its answer."""
        conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
            conn.request(self.command, self.path, body=body if (body or self.command in ("PUT", "POST")) else None,
                         headers=headers)
            r = conn.getresponse()
            data = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)) if self.command != "HEAD" else r.getheader("Content-Length", "0"))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()


class _LoopbackServer:
    """What the test proxies share: a threaded server on a free loopback port (`self.port`),
    started and stopped by the test."""

    def _serve(self, handler):
        from http.server import ThreadingHTTPServer
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _serve_tcp(self, handler):
        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    scheme = "http"

    @property
    def endpoint(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class RoundRobinProxy(_LoopbackServer):
    """A TCP proxy that sends each new client connection to the next backend in turn, so
    consecutive requests (one connection each, as the harness makes them) land on
    different replicas."""

    def __init__(self, backends):
        self.backends = backends
        self.port = free_port()
        self.next = 0
        self.counts = [0] * len(backends)   # connections sent to each backend
        self.lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                with proxy.lock:
                    index = proxy.next % len(proxy.backends)
                    proxy.next += 1
                    proxy.counts[index] += 1
                _splice(self.request, proxy.backends[index])

        self._serve_tcp(Handler)

    # The harness's request() interface, so helpers work through the proxy.
    tls = None
    url = property(lambda self: f"http://127.0.0.1:{self.port}")
    host = property(lambda self: f"127.0.0.1:{self.port}")

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()


def _splice(client, upstream_port):
    """Connects to the loopback `upstream_port` and copies bytes both ways until both sides close."""
    try:
        upstream = socket.create_connection(("127.0.0.1", upstream_port), timeout=60)
    except OSError:
        return
    pump = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
    pump.start()
    _pipe(client, upstream)
    pump.join(60)
    upstream.close()


def _pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class ReplicaSet:
    """Registries on one bucket behind a RoundRobinProxy, usable wherever a
    RegistryProcess is (`request`, `connection`, `host`, `url`, `start`, `cleanup`): each
    new connection goes to the next replica."""

    target = "wharf"
    tls = None
    scheme = "http"

    def __init__(self, replicas):
        self.replicas = replicas
        self.proxy = None

    def start(self):
        for r in self.replicas:
            r.start()
        self.proxy = RoundRobinProxy([r.port for r in self.replicas]).start()
        return self

    @property
    def port(self):
        return self.proxy.port

    @property
    def host(self):
        return self.proxy.host

    @property
    def url(self):
        return self.proxy.url

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        return self.proxy.request(method, path, body=body, headers=headers, timeout=timeout)

    def read_log(self):
        return "\n".join(r.read_log() for r in self.replicas)

    def cleanup(self):
        if self.proxy:
            self.proxy.stop()
        for r in self.replicas:
            r.cleanup()
