"""Debian's redis-server, started by the tests on a free port, with no persistence (a
restart is a flushed cache), and redis-cli to look inside."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from harness import free_port


class RedisServer:
    def __init__(self, password=None, port=None, tls=None, client_certs=False):
        if not shutil.which("redis-server"):
            pytest.skip("redis-server (Debian package redis-server) is not installed")
        self.port = port or free_port()
        self.password = password
        self.tls = tls  # (ca.crt, server.crt, server.key) from harness.make_tls
        self.client_certs = client_certs  # with tls: clients must present a certificate from the CA
        self.cli_cert = None  # (cert, key) redis-cli presents when client_certs
        self.dir = tempfile.mkdtemp(prefix="wharf-redis-")
        self.proc = None

    @property
    def addr(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=15):
        cmd = ["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir,
               "--daemonize", "no"]
        if self.tls:
            ca, crt, key = self.tls
            cmd += ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", crt, "--tls-key-file", key,
                    "--tls-ca-cert-file", ca, "--tls-auth-clients", "yes" if self.client_certs else "no"]
        else:
            cmd += ["--port", str(self.port)]
        if self.password:
            cmd += ["--requirepass", self.password]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, db=0):
        cmd = ["redis-cli", "-p", str(self.port), "-n", str(db)]
        if self.tls:
            cmd += ["--tls", "--cacert", self.tls[0]]
            if self.cli_cert:
                cmd += ["--cert", self.cli_cert[0], "--key", self.cli_cert[1]]
        env = dict(os.environ)
        if self.password:
            env["REDISCLI_AUTH"] = self.password
        out = subprocess.run(cmd + list(args), capture_output=True, text=True, env=env, timeout=10)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def keys(self, db=0):
        return sorted(k for k in self.cli("KEYS", "*", db=db).splitlines() if k)


def make_client_cert(directory):
    """A client certificate (clientAuth) signed by the CA that harness.make_tls left in
    `directory`; returns (client.crt, client.key)."""
    d = str(directory)
    ca_crt, ca_key = os.path.join(d, "ca.crt"), os.path.join(d, "ca.key")
    key, csr, crt, ext = (os.path.join(d, n) for n in ("client.key", "client.csr", "client.crt", "client-ext.cnf"))
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=wharf-replica")
    run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext)
    return crt, key
