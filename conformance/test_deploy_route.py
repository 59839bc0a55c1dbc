"""The route of config/kubernetes played on loopback: Debian's nginx stands in for the
OpenShift router (components/openshift/route.yaml: re-encrypt). It terminates TLS for
clients with the route's certificate (an "ingress" CA) and re-encrypts to TWO Wharf
replicas, round-robin, each serving a certificate for image-registry.wharf.svc from a
private "service" CA that nginx verifies (the route's destinationCACertificate). The
replicas share one storage directory, one http.secret and one auth.openshift policy, as
the Deployment's pods do. Through the route: the 401 challenge names the route's host,
podman logs in with an API token, skopeo pushes a multi-arch image, podman pulls it,
and a chunked upload whose requests alternate between the replicas (read from each
replica's access log) completes."""
import base64
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from authhelpers import PASSWORD, hash_password, policy_yaml, ROLES
from clienthelpers import ClientSandbox, OCILayout, sample_image, sha256, skopeo
from harness import RegistryProcess, free_port

pytestmark = [
    pytest.mark.wharf_only,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed (apt-get install nginx)"),
]

SERVICE_DNS = "image-registry.wharf.svc"  # the Service's name, as the serving cert carries it
SHARED_SECRET = "route-test-shared-http-secret-0123456789"


def openssl(*args):
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def make_ca(d, name):
    key, crt = os.path.join(d, f"{name}-ca.key"), os.path.join(d, f"{name}-ca.crt")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
            "-subj", f"/CN=Wharf test {name} CA")
    return key, crt


def issue(d, name, ca, san):
    """A server certificate for `san` signed by `ca` ((key, crt)): returns (crt, key)."""
    key, csr, crt, ext = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt", "ext"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    with open(ext, "w") as f:
        f.write(f"subjectAltName={san}\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial", "-out", crt,
            "-days", "2", "-extfile", ext)
    return crt, key


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;

    # The Service's endpoints: the two replicas, round-robin like the router's default.
    upstream image_registry {{
        server 127.0.0.1:{p1};
        server 127.0.0.1:{p2};
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {route_crt};
        ssl_certificate_key {route_key};
        client_max_body_size 0;
        location / {{
            proxy_pass https://image_registry;
            proxy_http_version 1.1;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 300s;
            proxy_send_timeout 300s;
            proxy_next_upstream off;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # re-encrypt: verify the replica against the destination CA, by the Service's name.
            proxy_ssl_verify on;
            proxy_ssl_verify_depth 2;
            proxy_ssl_trusted_certificate {service_ca};
            proxy_ssl_name {service_dns};
            proxy_ssl_server_name on;
        }}
    }}
}}
"""


class Route:
    """Two replicas behind nginx; `host` is the route's host:port as clients name it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="wharf-route-")
        self.ingress_ca = make_ca(self.dir, "ingress")
        self.service_ca = make_ca(self.dir, "service")
        self.route_cert = issue(self.dir, "route", self.ingress_ca, "DNS:localhost,IP:127.0.0.1")
        serving = issue(self.dir, "serving", self.service_ca, f"DNS:{SERVICE_DNS},DNS:{SERVICE_DNS}.cluster.local")
        self.tokens = {user: "wharf_" + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=") for user in ROLES}
        policy = os.path.join(self.dir, "policy.yml")
        with open(policy, "w") as f:
            f.write(policy_yaml(self.tokens, hash_password(PASSWORD)))
        storage = os.path.join(self.dir, "storage")
        config = {"http": {"secret": SHARED_SECRET}, "auth": {"openshift": {"policy": policy}}}
        self.replicas = [RegistryProcess(storage_dir=storage, config=config, tls=serving) for _ in range(2)]
        self.port = free_port()
        self.host = f"localhost:{self.port}"
        self.certs = os.path.join(self.dir, "certs.d")  # what a client trusts for the route
        os.makedirs(self.certs)
        shutil.copy(self.ingress_ca[1], os.path.join(self.certs, "ca.crt"))
        self.nginx = None

    def start(self):
        for r in self.replicas:
            r.start()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(
                d=self.dir, p1=self.replicas[0].port, p2=self.replicas[1].port, port=self.port,
                route_crt=self.route_cert[0], route_key=self.route_cert[1], service_ca=self.service_ca[1],
                service_dns=SERVICE_DNS, user="user root root;" if os.geteuid() == 0 else ""))
        self.nginx = subprocess.Popen(["nginx", "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited {self.nginx.returncode}: {self.nginx.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def cleanup(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        for r in self.replicas:
            r.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None, timeout=60):
        """One request through the route, verifying the route's certificate for localhost."""
        ctx = ssl.create_default_context(cafile=self.ingress_ca[1])
        conn = http.client.HTTPSConnection("localhost", self.port, timeout=timeout, context=ctx)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def basic(self, user):
        return {"Authorization": "Basic " + base64.b64encode(f"any:{self.tokens[user]}".encode()).decode()}

    def access_lines(self, replica, needle):
        return [l for l in replica.read_log().splitlines() if "response completed" in l and needle in l]


@pytest.fixture(scope="module")
def route():
    r = Route().start()
    yield r
    r.cleanup()


def challenge_params(value):
    scheme, _, rest = value.partition(" ")
    return scheme, dict(re.findall(r'(\w+)="([^"]*)"', rest))


def test_challenge_names_the_route_host(route):
    st, h, _ = route.request("GET", "/v2/proj/app/manifests/latest")
    assert st == 401
    scheme, params = challenge_params(h["www-authenticate"])
    assert scheme == "Bearer"
    assert params["realm"] == f"https://{route.host}/openshift/token"
    assert params["service"] == route.host
    assert params["scope"] == "repository:proj/app:pull"
    # A replica asked directly names itself: the route's name came from the proxy's headers.
    direct = route.replicas[0].request("GET", "/v2/")[1]["www-authenticate"]
    assert challenge_params(direct)[1]["realm"] == f"https://{route.replicas[0].host}/openshift/token"


def test_podman_login_skopeo_push_multiarch_podman_pull(route):
    sb = ClientSandbox()
    try:
        layout = OCILayout(os.path.join(sb.tmp, "layout"))
        images = [sample_image("amd64", "route"), sample_image("arm64", "route")]
        index_digest, _ = layout.add_index(images, "multi")
        tls = f"--cert-dir={route.certs}"
        bad = sb.podman("login", tls, "-u", "any", "-p", "not-a-token", route.host, check=False)
        assert bad.returncode != 0
        sb.podman("login", tls, "-u", "any", "-p", route.tokens["editor"], route.host)
        ref = f"{route.host}/proj/multi:v1"
        skopeo("copy", "--quiet", "--all", "--preserve-digests", f"--dest-cert-dir={route.certs}",
               f"--dest-authfile={sb.env['REGISTRY_AUTH_FILE']}", f"oci:{layout.path}:multi", f"docker://{ref}")
        st, h, body = route.request("GET", "/v2/proj/multi/manifests/v1", headers={
            **route.basic("viewer"), "Accept": "application/vnd.oci.image.index.v1+json"})
        assert st == 200 and sha256(body) == index_digest
        image_id = sb.podman("pull", "-q", tls, ref).stdout.decode().strip()
        amd64 = images[0]
        assert image_id == sha256(amd64.config).split(":", 1)[1]
        arch = sb.podman("image", "inspect", "--format", "{{.Architecture}}", ref).stdout.decode().strip()
        assert arch == "amd64"
        # The push and the pull went through both replicas.
        for r in route.replicas:
            assert route.access_lines(r, "/v2/proj/multi/"), r.read_log()[-2000:]
    finally:
        sb.cleanup()


def test_chunked_upload_alternates_replicas(route):
    data = os.urandom(5 * 256 * 1024 + 1234)
    digest = sha256(data)
    auth = route.basic("editor")
    sequence = []  # which replica logged each request

    def send(method, path, body=None, headers=None):
        before = [len(route.access_lines(r, f"http.request.method={method}")) for r in route.replicas]
        st, h, resp = route.request(method, path, body=body, headers={**auth, **(headers or {})})
        deadline = time.time() + 5
        while time.time() < deadline:
            after = [len(route.access_lines(r, f"http.request.method={method}")) for r in route.replicas]
            grown = [i for i in range(2) if after[i] > before[i]]
            if grown:
                assert len(grown) == 1, grown
                sequence.append((method, grown[0]))
                return st, h, resp
            time.sleep(0.02)
        raise AssertionError(f"no replica logged {method} {path}")

    st, h, body = send("POST", "/v2/proj/chunked/blobs/uploads/", headers={"Content-Length": "0"})
    assert st == 202, body
    location = h["location"]
    assert location.startswith(f"https://{route.host}/"), location  # Location names the route too
    chunk, offset = 256 * 1024, 0
    while offset < len(data):
        part = data[offset:offset + chunk]
        path = location.split(route.host, 1)[1]
        st, h, body = send("PATCH", path, body=part, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(part)),
            "Content-Range": f"{offset}-{offset + len(part) - 1}"})
        assert st == 202, body
        location = h["location"]
        offset += len(part)
    path = location.split(route.host, 1)[1]
    sep = "&" if "?" in path else "?"
    st, h, body = send("PUT", f"{path}{sep}digest={digest}", headers={"Content-Length": "0"})
    assert st == 201, body
    replicas = [i for _, i in sequence]
    assert len(replicas) == 8
    assert all(a != b for a, b in zip(replicas, replicas[1:])), sequence
    patches = {i for m, i in sequence if m == "PATCH"}
    assert patches == {0, 1}, sequence
    st, _, blob = route.request("GET", f"/v2/proj/chunked/blobs/{digest}", headers=auth)
    assert st == 200 and blob == data
