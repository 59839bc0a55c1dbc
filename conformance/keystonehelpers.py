"""Real Keystone v3 in front of a real Swift, for conformance tests: Debian's `keystone`
(sqlite, fernet tokens, `keystone-manage bootstrap`) served by its own `keystone-wsgi-public`
(wsgiref: one process, one thread, so sqlite is never written by two at once), and a
single-node Swift of its own whose proxy authenticates with keystonemiddleware's `authtoken`
and Swift's `keystoneauth`. Every port is free-picked, so this never meets the shared SAIO of
`swifthelpers.py` (fixed ports 9310-9314) another run may be using. Keystone and Swift are
Python 3 programs of the system interpreter: they run as their Debian scripts, never under
the interpreter running pytest."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import free_port

SYSTEM_PYTHON = "/usr/bin/python3"
DEBIAN_PROGRAMS = ("keystone-manage", "keystone-wsgi-public", "swift-proxy-server", "swift-object-server", "memcached")
ADMIN_PASSWORD = "keystone-admin-pw"
SERVICE_PASSWORD = "swift-service-pw"


def missing_programs():
    """The Debian programs this needs that are not installed (`.ci/run` installs them)."""
    missing = [p for p in DEBIAN_PROGRAMS if shutil.which(p) is None]
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import keystonemiddleware.auth_token"], capture_output=True)
    if probe.returncode != 0:
        missing.append("python3-keystonemiddleware")
    return missing


class _Processes:
    """Long-running peers started in their own sessions, logging under `log_dir`."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.procs = []

    def start(self, name, argv, env=None):
        log = open(os.path.join(self.log_dir, name + ".log"), "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env=None if env is None else {**os.environ, **env})
        self.procs.append((name, proc))
        return proc

    def check_alive(self):
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name, lines=30):
        try:
            with open(os.path.join(self.log_dir, name + ".log"), "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop_all(self):
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []


def _http(method, url, body=None, headers=None, timeout=30):
    """`(status, headers, parsed JSON or None)`; HTTP errors are answers, not exceptions."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, r.headers, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def _wait(what, ready, procs, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        procs.check_alive()
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {timeout}s")


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except (OSError, urllib.error.HTTPError):
        return False


class KeystoneSwift:
    """Keystone + a Swift whose proxy trusts it. `start()` sets up both and makes, through the
    identity API: the object-store service with its catalog endpoints, a service user for
    `authtoken`, and one domain holding a project and a user with the `member` role there
    (`self.domain`, `self.project`, `self.user`, `self.password`, and their ids)."""

    domain, project, user, password = "wharf-domain", "images", "registry", "registry-s3cret"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wharf-keystone-")
        for d in ("etc", "fernet", "credential", "srv/node/d1", "cache", "log"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        self.keystone_port, self.proxy_port, self.memcached_port = free_port(), free_port(), free_port()
        self.storage_ports = {"account": free_port(), "container": free_port(), "object": free_port()}
        self.procs = _Processes(os.path.join(self.dir, "log"))

    @property
    def auth_url(self):
        return f"http://127.0.0.1:{self.keystone_port}/v3"

    def start(self):
        try:
            self._swift()  # starts while Keystone's schema is made
            self._keystone()
            for name, port in {**self.storage_ports, "proxy": self.proxy_port}.items():
                _wait(f"swift {name}", lambda: _answers(f"http://127.0.0.1:{port}/healthcheck"), self.procs)
            self._seed()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        self.procs.stop_all()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- Keystone --------------------------------------------------------------------------

    def _keystone(self):
        conf = os.path.join(self.dir, "etc", "keystone.conf")
        with open(conf, "w") as f:
            f.write(f"[DEFAULT]\nuse_stderr = true\n"
                    f"[database]\nconnection = sqlite:///{self.dir}/keystone.db\n"
                    f"[token]\nprovider = fernet\n"
                    f"[fernet_tokens]\nkey_repository = {self.dir}/fernet\n"
                    f"[fernet_receipts]\nkey_repository = {self.dir}/fernet\n"
                    f"[credential]\nkey_repository = {self.dir}/credential\n")
        manage = ["keystone-manage", "--config-file", conf]
        owner = ["--keystone-user", "root", "--keystone-group", "root"] if os.geteuid() == 0 else []
        # the key repositories and the schema are independent: made side by side
        steps = [subprocess.Popen(manage + [cmd] + owner, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for cmd in ("fernet_setup", "credential_setup")]
        self._manage(manage + ["db_sync"])
        url = self.auth_url
        self._manage(manage + ["bootstrap", "--bootstrap-password", ADMIN_PASSWORD, "--bootstrap-region-id", "RegionOne",
                               "--bootstrap-admin-url", url, "--bootstrap-public-url", url,
                               "--bootstrap-internal-url", url])
        # a reader's open transaction must not lock writers out: write-ahead logging
        import sqlite3
        with sqlite3.connect(os.path.join(self.dir, "keystone.db")) as db:
            assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        for p in steps:
            out, _ = p.communicate(timeout=120)
            if p.returncode != 0:
                raise RuntimeError(f"{p.args[3]} failed:\n{out.decode('utf-8', 'replace')[-3000:]}")
        self.procs.start("keystone", ["keystone-wsgi-public", "--host", "127.0.0.1", "--port", str(self.keystone_port)],
                         env={"OS_KEYSTONE_CONFIG_DIR": os.path.join(self.dir, "etc")})
        _wait("keystone", lambda: _answers(self.auth_url), self.procs)

    @staticmethod
    def _manage(argv):
        p = subprocess.run(argv, capture_output=True, timeout=180)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[3:5])} failed:\n{p.stderr.decode('utf-8', 'replace')[-3000:]}")

    def token(self, user, password, project, domain="Default"):
        """A project-scoped token for `user` (both in `domain`) from the password method."""
        body = {"auth": {"identity": {"methods": ["password"], "password": {
            "user": {"name": user, "domain": {"name": domain}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": domain}}}}}
        st, h, answer = _http("POST", self.auth_url + "/auth/tokens", body)
        if st != 201:
            raise RuntimeError(f"keystone refused {user}: {st} {answer}")
        return h["X-Subject-Token"], answer["token"]

    def _admin(self, method, path, body=None):
        st, _, answer = _http(method, self.auth_url + path, body, {"X-Auth-Token": self._admin_token})
        if st not in (200, 201, 204):
            raise RuntimeError(f"keystone {method} {path}: {st} {answer}")
        return answer

    def _seed(self):
        self._admin_token, _ = self.token("admin", ADMIN_PASSWORD, "admin")
        roles = {r["name"]: r["id"] for r in self._admin("GET", "/roles")["roles"]}
        service = self._admin("POST", "/services", {"service": {"type": "object-store", "name": "swift"}})["service"]
        storage = f"http://127.0.0.1:{self.proxy_port}/v1/AUTH_$(project_id)s"
        for interface in ("public", "internal", "admin"):
            self._admin("POST", "/endpoints", {"endpoint": {"service_id": service["id"], "interface": interface,
                                                           "region_id": "RegionOne", "url": storage}})
        # the proxy's own user: authtoken validates clients' tokens with it
        svc_project = self._admin("POST", "/projects", {"project": {"name": "service", "domain_id": "default"}})["project"]
        svc_user = self._admin("POST", "/users", {"user": {"name": "swift", "domain_id": "default",
                                                            "password": SERVICE_PASSWORD}})["user"]
        self._admin("PUT", f"/projects/{svc_project['id']}/users/{svc_user['id']}/roles/{roles['admin']}")
        # the registry's identity: a user and a project in a domain of their own
        domain = self._admin("POST", "/domains", {"domain": {"name": self.domain}})["domain"]
        project = self._admin("POST", "/projects", {"project": {"name": self.project, "domain_id": domain["id"]}})["project"]
        user = self._admin("POST", "/users", {"user": {"name": self.user, "domain_id": domain["id"],
                                                        "password": self.password}})["user"]
        self._admin("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/{roles['member']}")
        self.domain_id, self.project_id, self.user_id = domain["id"], project["id"], user["id"]

    # --- Swift -----------------------------------------------------------------------------

    def _swift(self):
        etc = os.path.join(self.dir, "etc")
        with open(os.path.join(etc, "swift.conf"), "w") as f:
            f.write("[swift-hash]\nswift_hash_path_suffix = ks-suffix\nswift_hash_path_prefix = ks-prefix\n"
                    "[storage-policy:0]\nname = Policy-0\ndefault = yes\n")
        common = (f"[DEFAULT]\nswift_dir = {etc}\ndevices = {self.dir}/srv/node\nmount_check = false\n"
                  f"disable_fallocate = true\nbind_ip = 127.0.0.1\nworkers = 1\nuser = {_user()}\n"
                  f"recon_cache_path = {self.dir}/cache\n")
        for name, port in self.storage_ports.items():
            with open(os.path.join(etc, f"{name}-server.conf"), "w") as f:
                f.write(common + f"bind_port = {port}\n[pipeline:main]\npipeline = healthcheck {name}-server\n"
                        f"[app:{name}-server]\nuse = egg:swift#{name}\n"
                        f"[filter:healthcheck]\nuse = egg:swift#healthcheck\n")
        rings = ("import sys, json\nfrom swift.common.ring import RingBuilder\n"
                 "for name, port in json.loads(sys.argv[2]).items():\n"
                 "    rb = RingBuilder(8, 1, 1)\n"
                 "    rb.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port, 'device': 'd1', 'weight': 1})\n"
                 "    rb.rebalance()\n"
                 "    rb.get_ring().save(f'{sys.argv[1]}/{name}.ring.gz')\n")
        subprocess.run([SYSTEM_PYTHON, "-c", rings, etc, json.dumps(self.storage_ports)], check=True, capture_output=True)
        with open(os.path.join(etc, "proxy-server.conf"), "w") as f:
            f.write(self._proxy_conf(etc))
        self.procs.start("memcached", ["memcached", "-l", "127.0.0.1", "-p", str(self.memcached_port), "-U", "0",
                                       "-m", "16"] + (["-u", "root"] if os.geteuid() == 0 else []))
        for name in ("account", "container", "object", "proxy"):
            self.procs.start(name, [f"swift-{name}-server", os.path.join(etc, f"{name}-server.conf"), "-v"])

    def _proxy_conf(self, etc):
        filters = {
            "catch_errors": "use = egg:swift#catch_errors",
            "gatekeeper": "use = egg:swift#gatekeeper",
            "healthcheck": "use = egg:swift#healthcheck",
            "proxy-logging": "use = egg:swift#proxy_logging",
            "cache": f"use = egg:swift#memcache\nmemcache_servers = 127.0.0.1:{self.memcached_port}\n"
                     "memcache_max_connections = 16",
            "listing_formats": "use = egg:swift#listing_formats",
            "bulk": "use = egg:swift#bulk",
            "tempurl": "use = egg:swift#tempurl",
            "slo": "use = egg:swift#slo",
            "dlo": "use = egg:swift#dlo",
            # authtoken checks each client's token with Keystone (cached in memcached); with
            # delay_auth_decision, keystoneauth decides, and lets tempurl requests through
            "authtoken": "\n".join([
                "paste.filter_factory = keystonemiddleware.auth_token:filter_factory",
                f"www_authenticate_uri = {self.auth_url}", f"auth_url = {self.auth_url}",
                "auth_type = password", "project_domain_id = default", "user_domain_id = default",
                "project_name = service", "username = swift", f"password = {SERVICE_PASSWORD}",
                "delay_auth_decision = true", "cache = swift.cache", "include_service_catalog = false"]),
            "keystoneauth": "use = egg:swift#keystoneauth\noperator_roles = admin, member",
            "copy": "use = egg:swift#copy",
        }
        pipeline = ("catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl "
                    "authtoken keystoneauth copy slo dlo proxy-logging proxy-server")
        text = (f"[DEFAULT]\nswift_dir = {etc}\nbind_ip = 127.0.0.1\nbind_port = {self.proxy_port}\nworkers = 1\n"
                f"user = {_user()}\n[pipeline:main]\npipeline = {pipeline}\n")
        for name, body in filters.items():
            text += f"[filter:{name}]\n{body}\n"
        return text + "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"

    def request(self, method, resource, token, headers=None):
        """One request on the project's Swift account with `token`: `(status, body)`."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.proxy_port}/v1/AUTH_{self.project_id}{resource}",
                                     method=method, headers={"X-Auth-Token": token, **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def _user():
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name
