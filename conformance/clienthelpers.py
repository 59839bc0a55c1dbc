"""Helpers for the real-client suites: offline OCI layouts, client processes, raw pushes,
and checks of a registry's storage directory.

Everything here works without network access: images are built from bytes we make
(tar layers via `tarfile`, gzip with a fixed mtime so digests are reproducible).
"""
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

MANIFEST_ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])

CLIENT_TIMEOUT = 180  # seconds any one client command may take


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


# --------------------------------------------------------------------------- layers


def tar_layer(files: dict) -> tuple:
    """A gzip-compressed tar of `files` ({path: bytes}): returns (gzip bytes, diff_id).

    Entries have fixed owners and mtimes so the same files always give the same digests.
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = set()
        for path in sorted(files):
            parts = path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    info.mtime = 0
                    tar.addfile(info)
            data = files[path]
            info = tarfile.TarInfo(path.strip("/"))
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar_bytes)
    return gz.getvalue(), sha256(tar_bytes)


def image_config(diff_ids, arch="amd64", os_name="linux", label="") -> bytes:
    cfg = {
        "architecture": arch,
        "os": os_name,
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": {"conformance": label or arch}},
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": [{"created_by": "conformance test layer"} for _ in diff_ids],
    }
    return canonical_json(cfg)


class ImageParts:
    """An image's blobs in memory: config, layers, and the manifest bytes that bind them."""

    def __init__(self, layer_files, arch="amd64", label="", docker=False):
        self.layers = []  # (gzip bytes, diff_id)
        for files in layer_files:
            self.layers.append(tar_layer(files))
        self.arch = arch
        self.config = image_config([d for _, d in self.layers], arch=arch, label=label)
        layer_type = DOCKER_LAYER_GZIP if docker else OCI_LAYER_GZIP
        manifest = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
            "config": {
                "mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                "digest": sha256(self.config),
                "size": len(self.config),
            },
            "layers": [
                {"mediaType": layer_type, "digest": sha256(g), "size": len(g)} for g, _ in self.layers
            ],
        }
        self.media_type = manifest["mediaType"]
        self.manifest = json.dumps(manifest, indent=2).encode()
        self.digest = sha256(self.manifest)

    def blobs(self):
        """Every blob the manifest references: [(digest, bytes)]."""
        out = [(sha256(self.config), self.config)]
        out += [(sha256(g), g) for g, _ in self.layers]
        return out

    def descriptor(self, platform=True):
        d = {"mediaType": self.media_type, "digest": self.digest, "size": len(self.manifest)}
        if platform:
            d["platform"] = {"architecture": self.arch, "os": "linux"}
        return d


def index_bytes(images, docker=False) -> bytes:
    idx = {
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST if docker else OCI_INDEX,
        "manifests": [img.descriptor() for img in images],
    }
    return json.dumps(idx, indent=2).encode()


# --------------------------------------------------------------------------- OCI layouts


class OCILayout:
    """Writes an OCI image layout directory (oci-layout, index.json, blobs/sha256/...)."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.entries = []
        self._write_index()

    def add_blob(self, data: bytes) -> str:
        digest = sha256(data)
        p = os.path.join(self.path, "blobs", "sha256", digest.split(":", 1)[1])
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(data)
        return digest

    def add_image(self, img: ImageParts, tag=None):
        """Stores the image's blobs and manifest; with a tag, names it in index.json."""
        for _, data in img.blobs():
            self.add_blob(data)
        self.add_blob(img.manifest)
        if tag:
            d = img.descriptor(platform=False)
            d["annotations"] = {"org.opencontainers.image.ref.name": tag}
            self.entries.append(d)
            self._write_index()
        return img.digest

    def add_index(self, images, tag) -> tuple:
        """Stores every image and an image index over them, tagged `tag`: (digest, bytes)."""
        for img in images:
            self.add_image(img)
        data = index_bytes(images)
        digest = self.add_blob(data)
        self.entries.append({
            "mediaType": OCI_INDEX, "digest": digest, "size": len(data),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        })
        self._write_index()
        return digest, data

    def _write_index(self):
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": self.entries}, f)

    def manifest_digest(self, tag):
        for e in self.entries:
            if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                return e["digest"]
        raise KeyError(tag)


def read_layout_manifest(path, tag) -> tuple:
    """Reads the manifest tagged `tag` from any OCI layout: (digest, bytes)."""
    with open(os.path.join(path, "index.json")) as f:
        index = json.load(f)
    for e in index["manifests"]:
        if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return e["digest"], read_layout_blob(path, e["digest"])
    raise KeyError(f"{tag} not in {path}/index.json: {index}")


def read_layout_blob(path, digest) -> bytes:
    algo, hexpart = digest.split(":", 1)
    with open(os.path.join(path, "blobs", algo, hexpart), "rb") as f:
        return f.read()


def sample_image(arch="amd64", label="", docker=False, shared=True, size=4096):
    """A small two-layer image; the first layer is shared by all images when `shared`."""
    base = {"etc/os-release": b"NAME=conformance\n"} if shared else {"etc/base-" + label: label.encode()}
    own = {f"opt/{arch}/{label or 'app'}.bin": (f"{arch}:{label}:".encode() * (size // 8 + 1))[:size]}
    return ImageParts([base, own], arch=arch, label=label, docker=docker)


# --------------------------------------------------------------------------- processes


def run(cmd, timeout=CLIENT_TIMEOUT, env=None, check=True, input=None):
    """Runs a client command; on failure raises with its stdout and stderr."""
    p = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, input=input)
    if check and p.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout.decode(errors='replace')}\n"
            f"stderr: {p.stderr.decode(errors='replace')}"
        )
    return p


def skopeo(*args, check=True, timeout=CLIENT_TIMEOUT):
    return run(["skopeo", "--insecure-policy", *args], check=check, timeout=timeout)


def skopeo_raw(ref) -> bytes:
    return skopeo("inspect", "--tls-verify=false", "--raw", ref).stdout


def skopeo_copy(src, dst, *extra):
    return skopeo("copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", *extra, src, dst)


def reference_safe_mkdtemp(prefix: str) -> str:
    """Makes a temp dir whose path is also a valid image reference path.

    podman turns `oci:PATH:tag` into the name `localhost/PATH`, and a reference component
    may not end in `_` or hold upper-case letters, which `tempfile.mkdtemp` names can
    ("wharf-clients-e2e6q3j_"). Lower-case hex never does.
    """
    while True:
        path = os.path.join(tempfile.gettempdir(), prefix + secrets.token_hex(6))
        try:
            os.makedirs(path, mode=0o700)
            return path
        except FileExistsError:
            continue


class ClientSandbox:
    """Temp storage and config for podman/buildah so tests never touch the host's.

    Gives `podman(*args)` and `buildah(*args)` running as root with vfs storage under a
    temp dir, cgroupfs, file events, an empty registries.conf and a permissive policy.
    """

    def __init__(self):
        self.tmp = reference_safe_mkdtemp("wharf-clients-")
        self.root = os.path.join(self.tmp, "root")
        self.runroot = os.path.join(self.tmp, "runroot")
        os.makedirs(self.root)
        os.makedirs(self.runroot)
        self.registries_conf = os.path.join(self.tmp, "registries.conf")
        with open(self.registries_conf, "w") as f:
            f.write("unqualified-search-registries = []\n")
        # containers/image reads $HOME/.config/containers/policy.json before the one in
        # /etc, so a fresh machine without /etc/containers/policy.json works too.
        self.home = os.path.join(self.tmp, "home")
        os.makedirs(os.path.join(self.home, ".config", "containers"))
        self.policy = os.path.join(self.home, ".config", "containers", "policy.json")
        with open(self.policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        self.storage_conf = os.path.join(self.tmp, "storage.conf")
        with open(self.storage_conf, "w") as f:
            f.write(f'[storage]\ndriver = "vfs"\nrunroot = "{self.runroot}"\ngraphroot = "{self.root}"\n')
        self.containers_conf = os.path.join(self.tmp, "containers.conf")
        with open(self.containers_conf, "w") as f:
            f.write('[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
        with open(os.path.join(self.tmp, "auth.json"), "w") as f:
            json.dump({"auths": {}}, f)
        self.env = dict(os.environ)
        self.env.update({
            "CONTAINERS_REGISTRIES_CONF": self.registries_conf,
            "CONTAINERS_STORAGE_CONF": self.storage_conf,
            "CONTAINERS_CONF": self.containers_conf,
            "TMPDIR": self.tmp,
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_RUNTIME_DIR": self.runroot,
            "REGISTRY_AUTH_FILE": os.path.join(self.tmp, "auth.json"),
            "BUILDAH_ISOLATION": "chroot",
        })

    def storage_args(self):
        return ["--root", self.root, "--runroot", self.runroot, "--storage-driver", "vfs"]

    def podman(self, *args, check=True, timeout=CLIENT_TIMEOUT):
        cmd = ["podman", *self.storage_args(), "--cgroup-manager=cgroupfs", "--events-backend=file", *args]
        return run(cmd, env=self.env, check=check, timeout=timeout)

    def buildah(self, *args, check=True, timeout=CLIENT_TIMEOUT):
        cmd = ["buildah", *self.storage_args(), *args]
        return run(cmd, env=self.env, check=check, timeout=timeout)

    def cleanup(self):
        # vfs layers may be read-only copies; make them writable before removing.
        for dirpath, dirnames, _ in os.walk(self.tmp):
            for d in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, d), 0o755)
                except OSError:
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------- raw HTTP


def _location_path(location):
    """Upload Location may be absolute or relative; returns path?query."""
    u = urllib.parse.urlsplit(location)
    return u.path + (("?" + u.query) if u.query else "")


def _with_query(path, **params):
    sep = "&" if "?" in path else "?"
    return path + sep + urllib.parse.urlencode(params)


def push_blob(reg, name, data: bytes, chunk_size=None):
    """Uploads `data` to repository `name`: monolithic (POST + PUT) or chunked PATCHes."""
    digest = sha256(data)
    st, h, body = reg.request("HEAD", f"/v2/{name}/blobs/{digest}")
    if st == 200:
        return digest
    st, h, body = reg.request("POST", f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    assert st == 202, (st, body)
    loc = _location_path(h["location"])
    if chunk_size:
        offset = 0
        while offset < len(data):
            chunk = data[offset:offset + chunk_size]
            st, h, body = reg.request("PATCH", loc, body=chunk, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{offset + len(chunk) - 1}",
                "Content-Length": str(len(chunk)),
            }, timeout=120)
            assert st == 202, (st, body)
            loc = _location_path(h["location"])
            offset += len(chunk)
        st, h, body = reg.request("PUT", _with_query(loc, digest=digest), headers={"Content-Length": "0"})
    else:
        st, h, body = reg.request("PUT", _with_query(loc, digest=digest), body=data, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(data)),
        }, timeout=120)
    assert st == 201, (st, body)
    return digest


def push_manifest(reg, name, ref, data: bytes, media_type):
    st, h, body = reg.request("PUT", f"/v2/{name}/manifests/{ref}", body=data, headers={
        "Content-Type": media_type, "Content-Length": str(len(data)),
    })
    assert st == 201, (st, body)
    return h.get("docker-content-digest")


def push_image(reg, name, tag, img: ImageParts):
    for _, data in img.blobs():
        push_blob(reg, name, data)
    return push_manifest(reg, name, tag, img.manifest, img.media_type)


def get_manifest(reg, name, ref):
    st, h, body = reg.request("GET", f"/v2/{name}/manifests/{ref}", headers={"Accept": MANIFEST_ACCEPT})
    return st, h, body


def verify_image(reg, name, ref, expected_digest):
    """Pulls a manifest and every blob it names; asserts each hashes to its digest."""
    st, h, body = get_manifest(reg, name, ref)
    assert st == 200, (name, ref, st, body)
    assert sha256(body) == expected_digest
    m = json.loads(body)
    for d in [m["config"]] + m["layers"]:
        st, _, blob = reg.request("GET", f"/v2/{name}/blobs/{d['digest']}", timeout=120)
        assert st == 200, (name, d, st)
        assert len(blob) == d["size"] and sha256(blob) == d["digest"], (name, d)
    return m


# --------------------------------------------------------------------------- storage checks


def storage_v2(storage_dir):
    return os.path.join(storage_dir, "docker", "registry", "v2")


def corrupt_blobs(storage_dir):
    """Every blob `data` file under blobs/ whose content doesn't hash to its path."""
    bad = []
    root = os.path.join(storage_v2(storage_dir), "blobs")
    for dirpath, _, files in os.walk(root):
        if "data" not in files:
            continue
        hexpart = os.path.basename(dirpath)
        algo = os.path.basename(os.path.dirname(os.path.dirname(dirpath)))
        h = hashlib.new(algo)
        with open(os.path.join(dirpath, "data"), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != hexpart:
            bad.append(os.path.join(dirpath, "data"))
    return bad


def blob_path(storage_dir, digest):
    algo, hexpart = digest.split(":", 1)
    return os.path.join(storage_v2(storage_dir), "blobs", algo, hexpart[:2], hexpart, "data")


def dangling_manifest_refs(storage_dir):
    """(repository, manifest digest, missing digest) for every manifest revision naming a
    config, layer or child manifest whose blob is not stored."""
    missing = []
    repos_root = os.path.join(storage_v2(storage_dir), "repositories")
    for dirpath, dirnames, files in os.walk(repos_root):
        if os.path.basename(dirpath) != "revisions" or os.path.basename(os.path.dirname(dirpath)) != "_manifests":
            continue
        repo = os.path.relpath(os.path.dirname(os.path.dirname(dirpath)), repos_root)
        for algo in os.listdir(dirpath):
            for hexpart in os.listdir(os.path.join(dirpath, algo)):
                digest = f"{algo}:{hexpart}"
                p = blob_path(storage_dir, digest)
                if not os.path.exists(p):
                    missing.append((repo, digest, digest))
                    continue
                with open(p, "rb") as f:
                    m = json.loads(f.read())
                refs = [m["config"]] if "config" in m else []
                refs += m.get("layers", []) + m.get("manifests", [])
                for d in refs:
                    if not os.path.exists(blob_path(storage_dir, d["digest"])):
                        missing.append((repo, digest, d["digest"]))
        dirnames[:] = []
    return missing
