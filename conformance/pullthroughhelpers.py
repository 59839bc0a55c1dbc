"""Upstreams for the pull-through suites: Debian's docker-registry 2.8.2 with htpasswd over
TLS from a private CA, a Wharf mirroring it, a small fault-injecting HTTP forwarder, and
counts read from the upstream's access log."""
import base64
import contextlib
import http.client
import os
import re
import shutil
import socketserver
import tempfile
import threading
from http.server import BaseHTTPRequestHandler

import pytest

from authhelpers import hash_password
from harness import RegistryProcess, make_tls

USER, PASSWORD = "puller", "upstream-secret"


@contextlib.contextmanager
def scratch(prefix):
    """A scratch directory and an ExitStack for what a test starts in it: register each peer
    with `stack.callback(peer.cleanup)` as it starts; they stop in reverse order, then the
    directory goes, however the test ends."""
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix=prefix)
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        yield tmp, stack


def require_distribution():
    if not shutil.which("docker-registry"):
        pytest.skip("docker-registry (Debian package docker-registry) is not installed")


class Authed:
    """A registry seen with Basic credentials (for pushing to the upstream)."""

    def __init__(self, reg, user=USER, password=PASSWORD):
        self.reg, self.host = reg, reg.host
        self.headers = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    def connection(self, timeout=30):
        return self.reg.connection(timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        return self.reg.request(method, path, body=body, headers={**self.headers, **(headers or {})}, timeout=timeout)


def start_upstream(tmp, tls=True, htpasswd=True):
    """docker-registry 2.8.2 (htpasswd, TLS from a private CA); returns (process, ca path or None)."""
    require_distribution()
    os.makedirs(tmp, exist_ok=True)
    config, ca, cert = {}, None, None
    if htpasswd:
        path = os.path.join(tmp, "htpasswd")
        with open(path, "w") as f:
            f.write(f"{USER}:{hash_password(PASSWORD)}\n")
        config["auth"] = {"htpasswd": {"realm": "upstream", "path": path}}
    if tls:
        ca, crt, key = make_tls(tmp)
        cert = (crt, key)
    return RegistryProcess(target="distribution", config=config, tls=cert).start(), ca


def trusted_ca_dir(tmp, ca, port):
    """A `proxy.trustedca` directory holding `ca` as `127.0.0.1..<port>` only."""
    d = os.path.join(tmp, "trusted-ca")
    os.makedirs(d, exist_ok=True)
    if ca:
        shutil.copy(ca, os.path.join(d, f"127.0.0.1..{port}"))
    return d


def start_mirror(upstream_url, trusted=None, ttl="1h", credentials=True, env=None, extra=None, expiry=None):
    proxy = {"remoteurl": upstream_url, "ttl": ttl}
    if expiry is not None:
        proxy["expiryinterval"] = expiry
    if credentials:
        proxy.update(username=USER, password=PASSWORD)
    if trusted:
        proxy["trustedca"] = trusted
    config = {"proxy": proxy}
    if extra:
        config.update(extra)
    return RegistryProcess(target="wharf", config=config, env=env).start()


def upstream_gets(upstream, repo, digest, method="GET"):
    """How many `method` requests for the blob the upstream's access log shows."""
    pattern = re.compile(rf'"{method} /v2/{re.escape(repo)}/blobs/{re.escape(digest)} HTTP')
    return len(pattern.findall(upstream.read_log()))


class FaultInjector:
    """An HTTP forwarder to a plain-HTTP upstream that, while `status` is set, answers every
    request itself with that status (and `Retry-After`), as a throttling upstream does."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.status, self.retry_after = None, "7"
        self.forwarded = 0
        injector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if injector.status:
                    msg = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
                    self.send_response(injector.status)
                    self.send_header("Retry-After", injector.retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(msg)
                    return
                injector.forwarded += 1
                conn = http.client.HTTPConnection("127.0.0.1", injector.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                self.send_response(resp.status)
                hop = ("connection", "transfer-encoding", "keep-alive")
                for k, v in resp.getheaders():
                    if k.lower() not in hop:
                        self.send_header(k, v)
                chunked = resp.getheader("Content-Length") is None and self.command != "HEAD"
                if chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                while self.command != "HEAD":
                    chunk = resp.read(1 << 16)
                    if not chunk:
                        break
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
                conn.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Squid:
    """Debian's squid as a forward proxy on loopback (CONNECT to any port allowed, no
    cache); `access_log()` is its access log."""

    def __init__(self, tmp):
        import subprocess
        import tempfile
        from harness import free_port
        # squid started as root writes its logs as the proxy user: a directory it can reach
        self.dir = tempfile.mkdtemp(prefix="wharf-squid-")
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        self.log = os.path.join(self.dir, "access.log")
        conf = os.path.join(self.dir, "squid.conf")
        with open(conf, "w") as f:
            f.write(f"""http_port 127.0.0.1:{self.port}
pid_filename {self.dir}/squid.pid
access_log stdio:{self.log}
cache_log {self.dir}/cache.log
cache_store_log none
cache deny all
coredump_dir {self.dir}
http_access allow all
shutdown_lifetime 0 seconds
""")
        self.out = os.path.join(self.dir, "squid.out")
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(["squid", "-N", "-f", conf], stdout=out, stderr=subprocess.STDOUT)
        import socket
        import time
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("squid exited: " + open(self.out).read()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("squid did not listen")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def access_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except Exception:  # noqa: BLE001
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_mirror_of(upstreams, trusted=None, env=None):
    """A Wharf with `proxy.upstreams` (a list of dicts), written as block YAML."""
    proc = RegistryProcess(target="wharf", env=env)
    lines = ["proxy:"]
    if trusted:
        lines.append(f'  trustedca: "{trusted}"')
    lines.append("  upstreams:")
    for u in upstreams:
        first = True
        for k, v in u.items():
            lines.append(f'    {"- " if first else "  "}{k}: "{v}"')
            first = False
    with open(proc.config_path, "a") as f:
        f.write("\n".join(lines) + "\n")
    return proc.start()


METRICS_SECRET = "pullthrough-metrics"
METRICS_CONFIG = {"openshift": {"metrics": {"enabled": True, "secret": METRICS_SECRET}}}


def metric(reg, name, **labels):
    """The value of the series `name{labels}` (labels may be a subset), summed; 0 when absent."""
    st, _, body = reg.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {METRICS_SECRET}"})
    assert st == 200, (st, body)
    total = 0.0
    for line in body.decode().splitlines():
        m = re.match(r"^([a-zA-Z_:]+)(\{(.*)\})? ([0-9.eE+-]+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
    return total
