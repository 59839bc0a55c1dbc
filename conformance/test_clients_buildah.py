"""buildah against the registry: an image built from scratch offline, pushed, and read
back with skopeo (manifest, config and the file inside the layer)."""
import gzip
import io
import json
import os
import tarfile

import pytest

from clienthelpers import ClientSandbox, OCI_MANIFEST, DOCKER_MANIFEST, sha256, skopeo_copy, skopeo_raw


@pytest.fixture(scope="module")
def sandbox():
    sb = ClientSandbox()
    yield sb
    sb.cleanup()


def build_scratch_image(sandbox, name, content: bytes, fmt="oci"):
    """`buildah from scratch`, add one file, commit as `name`: returns the image id."""
    src = os.path.join(sandbox.tmp, f"hello-{fmt}.txt")
    with open(src, "wb") as f:
        f.write(content)
    ctr = sandbox.buildah("from", "scratch").stdout.decode().strip()
    try:
        sandbox.buildah("add", ctr, src, "/hello.txt")
        sandbox.buildah("config", "--label", "made-by=wharf-conformance", "--arch", "amd64", "--os", "linux", ctr)
        image_id = sandbox.buildah("commit", "-q", "--format", fmt, ctr, name).stdout.decode().strip()
    finally:
        sandbox.buildah("rm", ctr, check=False)
    return image_id


def layer_files(blob: bytes) -> dict:
    data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for m in tar.getmembers():
            if m.isfile():
                out[m.name.lstrip("./")] = tar.extractfile(m).read()
    return out


@pytest.mark.parametrize("fmt,media_type", [("oci", OCI_MANIFEST), ("docker", DOCKER_MANIFEST)])
def test_build_push_pull_back(registry, sandbox, fmt, media_type):
    content = f"hello from buildah ({fmt})\n".encode() * 100
    local = f"localhost/conformance/buildah-{fmt}:v1"
    image_id = build_scratch_image(sandbox, local, content, fmt)

    dest = f"{registry.host}/ns/buildah-{fmt}:v1"
    digestfile = os.path.join(sandbox.tmp, f"digest-{fmt}")
    sandbox.buildah("push", "--tls-verify=false", "--digestfile", digestfile, local, f"docker://{dest}")
    with open(digestfile) as f:
        pushed = f.read().strip()

    raw = skopeo_raw(f"docker://{dest}")
    assert sha256(raw) == pushed
    m = json.loads(raw)
    assert m["mediaType"] == media_type
    assert m["config"]["digest"] == "sha256:" + image_id
    assert len(m["layers"]) == 1

    out = os.path.join(sandbox.tmp, f"pulled-{fmt}")
    skopeo_copy(f"docker://{dest}", f"dir:{out}")
    with open(os.path.join(out, "manifest.json"), "rb") as f:
        assert f.read() == raw
    with open(os.path.join(out, m["config"]["digest"].split(":", 1)[1]), "rb") as f:
        cfg_bytes = f.read()
    assert sha256(cfg_bytes) == m["config"]["digest"]
    cfg = json.loads(cfg_bytes)
    labels = cfg.get("config", {}).get("Labels") or {}
    assert labels.get("made-by") == "wharf-conformance"
    with open(os.path.join(out, m["layers"][0]["digest"].split(":", 1)[1]), "rb") as f:
        layer = f.read()
    assert sha256(layer) == m["layers"][0]["digest"]
    assert layer_files(layer).get("hello.txt") == content
