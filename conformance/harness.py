"""Starts a registry under test on loopback and talks to it as clients do.

The registry is the real `wharf` binary (WHARF_BIN, default .build/debug/wharf) or, with
CONFORMANCE_TARGET=distribution, Debian's `docker-registry` 2.8.2 (the reference: tests
that the reference fails are either wrong or mark Wharf-only behaviour with
`@pytest.mark.wharf_only`).
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import hashlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CONFORMANCE_TARGET", "wharf")


def wharf_bin():
    return os.environ.get("WHARF_BIN", os.path.join(ROOT, ".build", "debug", "wharf"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_tls(directory):
    """A private CA and a server certificate for 127.0.0.1 and localhost signed by it, made
    with the openssl CLI in `directory`; returns (ca.crt, server.crt, server.key) paths."""
    def run(*args):
        subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)

    d = str(directory)
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt, ext = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.crt", "ext.cnf"))
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "2",
        "-subj", "/CN=Wharf Conformance CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
        "-days", "2", "-extfile", ext)
    return ca_crt, crt, key


def vm_hwm_kib(pid):
    """The peak resident set size of process `pid`, in KiB (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(str(v))


def to_yaml(obj, indent=0):
    """Writes the block-mapping YAML subset both registries read."""
    pad = "  " * indent
    lines = []
    for k, v in obj.items():
        if isinstance(v, dict):
            lines.append(f"{pad}{k}:")
            lines.append(to_yaml(v, indent + 1))
        elif isinstance(v, list):
            lines.append(f"{pad}{k}:")
            for item in v:
                lines.append(f"{pad}  - {yaml_scalar(item)}")
        else:
            lines.append(f"{pad}{k}: {yaml_scalar(v)}")
    return "\n".join(l for l in lines if l)


def deep_merge(base, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = v
    return base


class RegistryProcess:
    """One registry process: `start()`, `stop()`, `kill()`, `url`, `request()`."""

    def __init__(self, target=TARGET, storage_dir=None, config=None, port=None, env=None, tls=None):
        self.target = target
        self.tmp = tempfile.mkdtemp(prefix="wharf-conf-")
        self.storage_dir = storage_dir or os.path.join(self.tmp, "data")
        self.port = port or free_port()
        self.tls = tls  # (cert, key) paths
        cfg = {
            "version": 0.1,
            "log": {"level": "info"},
            "http": {"addr": f"127.0.0.1:{self.port}", "secret": "conformance-secret"},
            "storage": {
                "filesystem": {"rootdirectory": self.storage_dir},
                "delete": {"enabled": True},
            },
        }
        if tls:
            cfg["http"]["tls"] = {"certificate": tls[0], "key": tls[1]}
        if config:
            deep_merge(cfg, config)
        self.config = cfg
        self.config_path = os.path.join(self.tmp, "config.yml")
        with open(self.config_path, "w") as f:
            f.write(to_yaml(cfg) + "\n")
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.log_path = os.path.join(self.tmp, "registry.log")

    @property
    def scheme(self):
        return "https" if self.tls else "http"

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"{self.scheme}://{self.host}"

    def command(self):
        if self.target == "distribution":
            return ["docker-registry", "serve", self.config_path]
        return [wharf_bin(), "serve", self.config_path]

    def start(self, timeout=20):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"registry exited with {self.proc.returncode}:\n{self.read_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"registry did not listen within {timeout}s:\n{self.read_log()}")

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def connection(self, timeout=30):
        if os.environ.get("WHARF_CONFORMANCE_H2") == "1" and self.target == "wharf":
            # The same flows over HTTP/2: h2 by ALPN on TLS, h2c prior knowledge otherwise.
            from h2client import H2HTTPConnection
            return H2HTTPConnection("127.0.0.1", self.port, timeout=timeout, tls=bool(self.tls))
        if self.tls:
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One request on a fresh connection: returns (status, headers-dict-lowercase, body bytes)."""
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, data
        finally:
            conn.close()
