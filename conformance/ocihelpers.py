"""In-memory OCI test content and the few protocol steps every suite needs.

Builds blobs, image configs, manifests of every media type a registry must accept, and
pushes them over plain HTTP (stdlib only: http.client and sockets), so each conformance
test states its intent in a few lines:

    img = build_image(layers=2)                 # OCI image manifest, random layers
    push_image(registry, "demo/app", img, tag="v1")
    status, hdrs, body = registry.request("GET", f"/v2/demo/app/manifests/{img.digest}")

`RawHTTP` is a socket client for the server-level tests that must control every byte
(pipelining, malformed framing, slow senders).
"""
import hashlib
import http.client
import json
import os
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field

from harness import sha256

# Media types (OCI image-spec v1.1 and Docker schema 2).
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"

#: The OCI empty descriptor's content `{}` and its well-known digest.
EMPTY_JSON = b"{}"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

#: Everything a client sends in Accept when it pulls a manifest.
ALL_MANIFEST_TYPES = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])


@dataclass
class Blob:
    """Content with its media type; `descriptor()` is how manifests reference it."""

    data: bytes
    media_type: str = "application/octet-stream"

    @property
    def digest(self):
        return sha256(self.data)

    @property
    def size(self):
        return len(self.data)

    def descriptor(self, **extra):
        d = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        d.update(extra)
        return d


@dataclass
class Manifest:
    """A manifest as exact bytes (registries must never re-serialize them)."""

    data: bytes
    media_type: str
    blobs: list = field(default_factory=list)  # Blob objects it references (config first)
    children: list = field(default_factory=list)  # Manifest objects an index references
    artifact_type: str = None

    @property
    def digest(self):
        return sha256(self.data)

    @property
    def size(self):
        return len(self.data)

    @property
    def json(self):
        return json.loads(self.data)

    def descriptor(self, **extra):
        d = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.artifact_type:
            d["artifactType"] = self.artifact_type
        d.update(extra)
        return d


def random_bytes(size):
    """Incompressible content, so every layer is distinct."""
    return os.urandom(size)


def random_layer(size=1024, media_type=OCI_LAYER):
    return Blob(random_bytes(size), media_type)


def image_config(media_type=OCI_CONFIG, arch="amd64", os_name="linux", diff_ids=()):
    """A minimal but valid image config JSON blob; a random label keeps each one unique."""
    cfg = {
        "architecture": arch,
        "os": os_name,
        "config": {"Labels": {"conformance.nonce": os.urandom(8).hex()}},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
    }
    return Blob(json.dumps(cfg, sort_keys=True).encode(), media_type)


def encode(obj):
    """Compact, stable JSON bytes (the digest is of exactly these bytes)."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=False).encode()


def build_image(layers=1, layer_size=1024, flavor="oci", arch="amd64", annotations=None, subject=None):
    """An image manifest with a random config and `layers` random layers.

    flavor "oci" gives an OCI image manifest, "docker" a Docker schema 2 manifest.
    """
    if flavor == "docker":
        mt, cfg_mt, layer_mt = DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER
    else:
        mt, cfg_mt, layer_mt = OCI_MANIFEST, OCI_CONFIG, OCI_LAYER
    layer_blobs = [random_layer(layer_size, layer_mt) for _ in range(layers)]
    config = image_config(cfg_mt, arch=arch, diff_ids=[b.digest for b in layer_blobs])
    body = {"schemaVersion": 2, "mediaType": mt, "config": config.descriptor(),
            "layers": [b.descriptor() for b in layer_blobs]}
    if annotations:
        body["annotations"] = annotations
    if subject is not None:
        body["subject"] = subject.descriptor() if hasattr(subject, "descriptor") else subject
    return Manifest(encode(body), mt, blobs=[config] + layer_blobs)


def build_index(children, flavor="oci", annotations=None):
    """An OCI image index (or Docker manifest list) over already-built child manifests."""
    mt = DOCKER_LIST if flavor == "docker" else OCI_INDEX
    entries = []
    for i, child in enumerate(children):
        d = child.descriptor()
        d["platform"] = {"architecture": ["amd64", "arm64", "s390x", "ppc64le"][i % 4], "os": "linux"}
        entries.append(d)
    body = {"schemaVersion": 2, "mediaType": mt, "manifests": entries}
    if annotations:
        body["annotations"] = annotations
    return Manifest(encode(body), mt, children=list(children))


def build_artifact(artifact_type, subject=None, payload=None, payload_type="application/octet-stream",
                   annotations=None):
    """An OCI 1.1 artifact: `artifactType` set, the empty config `{}`, one payload layer.

    With `subject` (a Manifest) it is a referrer of that manifest.
    """
    empty = Blob(EMPTY_JSON, OCI_EMPTY)
    layer = Blob(payload if payload is not None else random_bytes(256), payload_type)
    body = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
            "config": empty.descriptor(), "layers": [layer.descriptor()]}
    if subject is not None:
        body["subject"] = subject.descriptor() if hasattr(subject, "descriptor") else subject
    if annotations:
        body["annotations"] = annotations
    return Manifest(encode(body), OCI_MANIFEST, blobs=[empty, layer], artifact_type=artifact_type)


# --- protocol steps -------------------------------------------------------------------


def fetch(registry, method, path, body=None, headers=None, timeout=30):
    """Like `registry.request` but tolerant of a body shorter than its Content-Length
    (distribution 2.8.2 answers 416 with the blob's Content-Length and a short text body);
    returns (status, headers-dict-lowercase, body bytes)."""
    conn = registry.connection(timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        try:
            data = resp.read()
        except http.client.IncompleteRead as e:
            data = e.partial
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def error_codes(body):
    """The `code`s of an OCI error body; asserts the body has the spec's shape."""
    doc = json.loads(body)
    assert isinstance(doc.get("errors"), list) and doc["errors"], f"not an OCI error body: {body!r}"
    for e in doc["errors"]:
        assert "code" in e, f"error without code: {body!r}"
    return [e["code"] for e in doc["errors"]]


def location_path(registry, location):
    """The path+query a `Location` header points at; it may be absolute or relative, and
    when absolute it must point at the registry itself."""
    assert location, "missing Location header"
    parts = urllib.parse.urlsplit(location)
    if parts.scheme:
        assert parts.netloc == registry.host, f"Location {location} points elsewhere than {registry.host}"
    path = parts.path
    if parts.query:
        path += "?" + parts.query
    return path


def with_query(path, **params):
    """Appends query parameters to a path that may already have some."""
    sep = "&" if "?" in path else "?"
    return path + sep + urllib.parse.urlencode(params)


def start_upload(registry, name):
    """POST /v2/<name>/blobs/uploads/ → the upload's Location path (asserts 202)."""
    status, hdrs, body = registry.request("POST", f"/v2/{name}/blobs/uploads/", body=b"",
                                          headers={"Content-Length": "0"})
    assert status == 202, (status, body)
    return location_path(registry, hdrs.get("location"))


def push_blob(registry, name, blob):
    """Monolithic push: POST then PUT ?digest= with the whole body; returns the blob."""
    data = blob.data if isinstance(blob, Blob) else blob
    loc = start_upload(registry, name)
    status, hdrs, body = registry.request(
        "PUT", with_query(loc, digest=sha256(data)), body=data,
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
    assert status == 201, (status, body)
    return blob


def push_manifest(registry, name, reference, manifest, expect=201):
    """PUT /v2/<name>/manifests/<reference>; returns (status, headers, body)."""
    data = manifest.data if isinstance(manifest, Manifest) else manifest
    mt = manifest.media_type if isinstance(manifest, Manifest) else OCI_MANIFEST
    status, hdrs, body = registry.request("PUT", f"/v2/{name}/manifests/{reference}", body=data,
                                          headers={"Content-Type": mt})
    if expect is not None:
        assert status == expect, (status, body)
    return status, hdrs, body


def push_image(registry, name, manifest, tag=None):
    """Pushes every blob, child manifest and the manifest itself (by tag or by digest)."""
    for child in manifest.children:
        push_image(registry, name, child)
    for blob in manifest.blobs:
        push_blob(registry, name, blob)
    push_manifest(registry, name, tag or manifest.digest, manifest)
    return manifest


# --- raw sockets -------------------------------------------------------------------------


class RawResponse:
    """One parsed HTTP response off a raw socket."""

    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # list of (name-lower, value)
        self.body = body

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def __repr__(self):
        return f"<RawResponse {self.status} {self.reason} {self.headers} {self.body[:200]!r}>"


class RawHTTP:
    """A socket to the registry for byte-exact requests; every read has a timeout.

    `send(bytes)` writes; `read_response(head=False)` parses one response (Content-Length
    or chunked body; `head=True` for answers to HEAD); `closed_by_peer()` tells whether
    the server closed the connection.
    """

    def __init__(self, registry, timeout=10, tls_context=None):
        self.sock = socket.create_connection(("127.0.0.1", registry.port), timeout=timeout)
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock, server_hostname="127.0.0.1")
        self.sock.settimeout(timeout)
        self.buf = b""
        self.host = registry.host

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def get(self, path="/v2/", extra=b""):
        """Sends a simple GET with Host; `extra` are more raw header lines."""
        self.send(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " + self.host.encode() + b"\r\n" + extra + b"\r\n")

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("peer closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_head(self):
        """Status line and headers only (for 100 Continue and interim answers)."""
        line = self._line()
        version, status, *reason = line.decode("latin-1").split(" ", 2)
        headers = []
        while True:
            h = self._line()
            if not h:
                break
            k, _, v = h.decode("latin-1").partition(":")
            headers.append((k.strip().lower(), v.strip()))
        return version, int(status), (reason[0] if reason else ""), headers

    def read_response(self, head=False):
        version, status, reason, headers = self.read_head()
        resp = RawResponse(version, status, reason, headers, b"")
        if head or status in (204, 304) or 100 <= status < 200:
            return resp
        te = (resp.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                self._exact(2)
            resp.body = body
        elif resp.header("content-length") is not None:
            resp.body = self._exact(int(resp.header("content-length")))
        else:
            # Close-delimited body.
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            resp.body, self.buf = self.buf, b""
        return resp

    def closed_by_peer(self, wait=5.0):
        """True once the server has closed (EOF or reset) within `wait` seconds; pending
        response bytes are drained and discarded."""
        deadline = time.time() + wait
        self.sock.settimeout(0.2)
        try:
            while time.time() < deadline:
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                    return True
                if not chunk:
                    return True
            return False
        finally:
            self.sock.settimeout(10)

    def answer_or_close(self, head=False):
        """One response, or None if the server closed without answering."""
        try:
            return self.read_response(head=head)
        except (ConnectionError, ConnectionResetError, BrokenPipeError):
            return None

