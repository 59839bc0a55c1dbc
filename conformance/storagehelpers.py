"""What the storage-backed conformance runs share, whatever the object store: a registry
process with a `storage` section of the test's choosing, a round-robin TCP proxy in front of
several replicas, and following a blob GET's redirect."""
import http.client
import os
import socket
import socketserver
import subprocess
import threading
import time

from harness import RegistryProcess, free_port, to_yaml


class PeerProcess:
    """An object-store peer (moto_server, the azure-blob-fake) as a process on a loopback
    port: `start()` runs `command()` and waits until `ready()` (a TCP connect by default),
    `stop()` ends it."""

    name = "peer"

    def __init__(self, port=None, env=None):
        self.port = port or free_port()
        self.proc = None
        self.env = None if env is None else {**os.environ, **env}

    def request(self, method, path, body=None, headers=None):
        """One plain request to the peer, unsigned (the emulators here accept that):
        `(status, body)`."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def command(self):
        raise NotImplementedError

    def ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def start(self, timeout=30):
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            if self.ready():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class StorageRegistryProcess(RegistryProcess):
    """A registry whose `storage` section is `storage` (the harness writes filesystem storage
    by default); `redirect=False` serves blobs through the registry."""

    def __init__(self, storage, redirect=True, **kwargs):
        super().__init__(**kwargs)
        st = dict(storage)
        st.setdefault("delete", {"enabled": True})
        if not redirect:
            st.setdefault("redirect", {"disable": True})
        self.config["storage"] = st
        with open(self.config_path, "w") as f:
            f.write(to_yaml(self.config) + "\n")


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


def follow_blob(registry, name, digest, headers=None):
    """GET a blob; on 307 fetch the Location (a presigned object-store URL) and return its bytes."""
    import urllib.request
    status, hdrs, body = registry.request("GET", f"/v2/{name}/blobs/{digest}", headers=headers or {}, timeout=120)
    if status == 307:
        req = urllib.request.Request(hdrs["location"], headers=headers or {})
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()
    return status, body


class ReplicaSet:
    """Registries on one shared storage behind a RoundRobinProxy, usable wherever a
    RegistryProcess is (`request`, `connection`, `host`, `url`, `start`, `cleanup`): each
    new connection goes to the next replica. `replicas` are RegistryProcesses not started yet."""

    target = "wharf"
    tls = None
    scheme = "http"

    def __init__(self, replicas):
        self.replicas = list(replicas)
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


def peak_rss_kib(pid):
    """The process's peak resident set (VmHWM) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def push_streamed(registry, name, total_mib, patch_mib=64):
    """Pushes a `total_mib` MiB blob as chunked PATCHes of `patch_mib` MiB (each streamed
    with Transfer-Encoding: chunked, 1 MiB at a time, from a pattern: the test holds no
    copy) and commits it; returns (digest, the registry's peak RSS in KiB)."""
    import hashlib
    from ocihelpers import location_path, with_query
    base = os.urandom(1 << 20)
    hasher = hashlib.sha256()
    st, h, body = registry.request("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    assert st == 202, (st, body)
    loc = location_path(registry, h["location"])
    sent = 0
    for start in range(0, total_mib, patch_mib):
        blocks = range(start, min(total_mib, start + patch_mib))

        def body_iter():
            for i in blocks:
                block = i.to_bytes(8, "big") + base[8:]
                hasher.update(block)
                yield block

        conn = registry.connection(timeout=300)
        conn.putrequest("PATCH", loc)
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        for block in body_iter():
            conn.send(b"%x\r\n" % len(block) + block + b"\r\n")
        conn.send(b"0\r\n\r\n")
        answer = conn.getresponse()
        answer.read()
        sent += len(blocks) << 20
        assert answer.status == 202, answer.status
        assert answer.getheader("Range") == f"0-{sent - 1}"
        loc = location_path(registry, answer.getheader("Location"))
        conn.close()
    digest = "sha256:" + hasher.hexdigest()
    st, _, body = registry.request("PUT", with_query(loc, digest=digest), headers={"Content-Length": "0"}, timeout=600)
    assert st == 201, (st, body)
    return digest, peak_rss_kib(registry.proc.pid)


def pull_digest(registry, name, digest):
    """Streams the blob back (1 MiB reads) and returns (its sha256 digest, its length)."""
    import hashlib
    conn = registry.connection(timeout=300)
    conn.request("GET", f"/v2/{name}/blobs/{digest}")
    answer = conn.getresponse()
    assert answer.status == 200, answer.status
    hasher, n = hashlib.sha256(), 0
    while True:
        chunk = answer.read(1 << 20)
        if not chunk:
            break
        hasher.update(chunk)
        n += len(chunk)
    conn.close()
    return "sha256:" + hasher.hexdigest(), n


def check_1gib_push_in_bounded_memory(registry, name, bound_kib):
    """Pushes 1 GiB in 64 MiB chunked PATCHes, checks the server's peak RSS stayed below
    `bound_kib` and that the blob pulls back whole; returns the peak (KiB)."""
    digest, peak = push_streamed(registry, name, 1024)
    print(f"peak RSS {peak} KiB after a 1 GiB push")
    assert peak < bound_kib, f"server RSS peaked at {peak} KiB during a 1 GiB push"
    assert pull_digest(registry, name, digest) == (digest, 1 << 30)
    assert registry.proc.poll() is None
    return peak
def push_through_an_outage(r, stop, restart, first, second, name="fault/push"):
    """The object store stopped between two PATCHes of one upload: the second PATCH is 503
    with the OCI error JSON and the registry keeps running; once `restart()` brought the
    store back, the upload is where the first PATCH left it, the second PATCH and the
    commit succeed and the blob reads back whole."""
    from harness import sha256
    from ocihelpers import error_codes, location_path, start_upload, with_query

    def patch(loc, data, start):
        return r.request("PATCH", loc, body=data, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(data)),
            "Content-Range": f"{start}-{start + len(data) - 1}"}, timeout=120)

    loc = start_upload(r, name)
    st, h, body = patch(loc, first, 0)
    assert st == 202, (st, body)
    loc = location_path(r, h["location"])
    stop()
    st, _, body = patch(loc, second, len(first))
    assert st == 503, (st, body)
    assert error_codes(body) == ["UNKNOWN"] and b"storage unavailable" in body, body
    assert r.proc.poll() is None, "the registry must not crash"
    restart()
    # The upload is where the last successful request left it, on any replica.
    st, h, body = r.request("GET", loc)
    assert st == 204 and h["range"] == f"0-{len(first) - 1}", (st, h, body)
    st, h, body = patch(loc, second, len(first))
    assert st == 202, (st, body)
    digest = sha256(first + second)
    st, _, body = r.request("PUT", with_query(location_path(r, h["location"]), digest=digest), headers={"Content-Length": "0"})
    assert st == 201, (st, body)
    st, _, body = r.request("GET", f"/v2/{name}/blobs/{digest}", timeout=120)
    assert st == 200 and body == first + second
