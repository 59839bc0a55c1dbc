"""OpenStack Swift for conformance tests: the single-node Swift of
`../shared/emulators/swift-saio.sh` (Debian's swift packages, tempauth; proxy on 9310) and
registries configured with `storage.swift` on it. The script's proxy keeps the memcache
client's default pool (2 connections), which many parallel clients exhaust until memcache is
error-limited and every request is 503; `SwiftSAIO.start()` gives the proxy a
`memcache.conf` with a larger pool and restarts it. `python3 swifthelpers.py start|stop`
does the same from a shell (CI starts it once for `swift test` and the suites)."""
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

from harness import ROOT
from storagehelpers import ReplicaSet, StorageRegistryProcess

SCRIPT = os.environ.get("SWIFT_SAIO") or os.path.join(os.path.dirname(ROOT), "shared", "emulators", "swift-saio.sh")
STATE = os.environ.get("S") or os.path.join(os.environ.get("TMPDIR", "/tmp"), "swift-saio")
AUTH_URL = "http://127.0.0.1:9310/auth/v1.0"
USER, KEY = "test:tester", "testing"


def _auth():
    """(token, storage URL) from tempauth, or None when the proxy does not answer."""
    req = urllib.request.Request(AUTH_URL, headers={"X-Auth-User": USER, "X-Auth-Key": KEY})
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            return r.headers["X-Auth-Token"], r.headers["X-Storage-Url"]
    except OSError:
        return None


def stop_proxy():
    """Stops the SAIO's proxy (the fault tests; storage servers keep the objects)."""
    with open(os.path.join(STATE, "run", "proxy.pid")) as f:
        pid = int(f.read().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    while _auth() is not None or subprocess.run(["ss", "-ltn", "sport = :9310"], capture_output=True, text=True).stdout.count("LISTEN"):
        time.sleep(0.2)


def start_proxy():
    """Starts the SAIO's proxy again and waits until tempauth answers."""
    log = open(os.path.join(STATE, "log", "proxy.log"), "a")
    proc = subprocess.Popen(["swift-proxy-server", os.path.join(STATE, "etc", "proxy-server.conf"), "-v"],
                            stdout=log, stderr=log, start_new_session=True)
    with open(os.path.join(STATE, "run", "proxy.pid"), "w") as f:
        f.write(str(proc.pid))
    deadline = time.time() + 60
    while _auth() is None:
        if time.time() > deadline:
            raise RuntimeError("swift proxy did not start")
        time.sleep(0.2)


class SwiftSAIO:
    """The SAIO: `start()` (reuses one already answering), `stop()` (only one it started)."""

    def __init__(self):
        self.started = False
        self.auth_url = AUTH_URL

    def start(self):
        if _auth() is not None:
            return self
        env = {**os.environ, "S": STATE}
        subprocess.run(["bash", SCRIPT, "start"], check=True, env=env, stdout=subprocess.DEVNULL)
        with open(os.path.join(STATE, "etc", "memcache.conf"), "w") as f:
            f.write("[memcache]\nmemcache_max_connections = 64\nerror_suppression_limit = 1000\n")
        stop_proxy()
        start_proxy()
        self.started = True
        return self

    def stop(self):
        if self.started:
            subprocess.run(["bash", SCRIPT, "stop"], env={**os.environ, "S": STATE})
            self.started = False

    def request(self, method, resource, headers=None, body=None):
        """One authenticated request below the account: `(status, headers, body)`."""
        token, url = _auth()
        req = urllib.request.Request(url + resource, data=body, method=method, headers={"X-Auth-Token": token, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    @staticmethod
    def new_container():
        return "wharf-" + uuid.uuid4().hex[:16]


def swift_config(container, **params):
    """The `storage.swift` section for the SAIO."""
    swift = {"authurl": AUTH_URL, "username": USER, "password": KEY, "container": container,
             "prefix": "/registry", "chunksize": 1024 * 1024}
    swift.update(params)
    return swift


class SwiftRegistryProcess(StorageRegistryProcess):
    """A registry whose storage is the SAIO (the driver creates the container)."""

    def __init__(self, container, redirect=True, swift=None, **kwargs):
        super().__init__({"swift": swift_config(container, **(swift or {}))}, redirect=redirect, **kwargs)


class SwiftReplicaSet(ReplicaSet):
    """`count` registries on one container behind a RoundRobinProxy (see ReplicaSet)."""

    def __init__(self, container, count=3, redirect=False):
        super().__init__(SwiftRegistryProcess(container, redirect=redirect) for _ in range(count))


if __name__ == "__main__":
    saio = SwiftSAIO()
    if sys.argv[1:] == ["stop"]:
        saio.started = True
        saio.stop()
    else:
        saio.start()
        print(f"swift ready: {AUTH_URL}")
