"""`wharf scrub`: every blob hashed, every manifest's references checked, every gzip layer
decompressed (zlib) and compared with its config's diff_id, through the real binary.

Images pushed through a running Wharf (docker and OCI, gzip layers, an index) scrub
clean; then a byte flipped in one layer, an image whose config names a wrong diff_id and
a deleted config are each reported with their storage path, and the exit code says so.
"""
import json
import os
import subprocess
import tempfile
import shutil

import pytest

from clienthelpers import ImageParts, blob_path, image_config, index_bytes, push_image, push_manifest, sample_image, sha256
from harness import RegistryProcess, to_yaml, wharf_bin
from ocihelpers import OCI_INDEX

pytestmark = pytest.mark.wharf_only


def scrub(config, *extra):
    proc = subprocess.run([wharf_bin(), "scrub", *extra, config], capture_output=True, timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


class WrongDiffID(ImageParts):
    """An image whose config lists a diff_id that is not its layer's."""

    def __init__(self):
        super().__init__([{"etc/wrong": os.urandom(512)}], label="wrong")
        self.config = image_config([sha256(b"not the layer")], label="wrong")
        m = json.loads(self.manifest)
        m["config"]["digest"], m["config"]["size"] = sha256(self.config), len(self.config)
        self.manifest = json.dumps(m, indent=2).encode()
        self.digest = sha256(self.manifest)


@pytest.fixture
def storage():
    tmp = tempfile.mkdtemp(prefix="wharf-scrub-")
    root = os.path.join(tmp, "storage")
    config = os.path.join(tmp, "config.yml")
    with open(config, "w") as f:
        f.write(to_yaml({"version": 0.1, "storage": {"filesystem": {"rootdirectory": root}}}) + "\n")
    yield root, config
    shutil.rmtree(tmp, ignore_errors=True)


def test_clean_then_flipped_byte_wrong_diff_id_and_missing_blob(storage):
    root, config = storage
    reg = RegistryProcess(target="wharf", storage_dir=root).start()
    try:
        amd, arm = sample_image("amd64", "a"), sample_image("arm64", "b", docker=True)
        push_image(reg, "scrub/app", "amd", amd)
        push_image(reg, "scrub/app", "arm", arm)
        push_manifest(reg, "scrub/app", "multi", index_bytes([amd, arm]), OCI_INDEX)
        lone = sample_image("amd64", "lone", shared=False)
        push_image(reg, "scrub/lone", "v1", lone)
    finally:
        reg.stop()

    status, out, err = scrub(config, "--output", "json")
    report = json.loads(out)
    assert status == 0 and report["ok"] is True and report["findings"] == [], (out, err)
    assert report["repositories"] == 2 and report["manifests"] == 4
    assert report["layersDecompressed"] == 5  # five distinct layers: the shared base one is read once

    # A flipped byte in arm's own layer.
    flipped = arm.blobs()[2][0]
    with open(blob_path(root, flipped), "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0x01]))
    # An image whose config lies about its layer.
    reg.start()
    try:
        wrong = WrongDiffID()
        push_image(reg, "scrub/wrong", "v1", wrong)
    finally:
        reg.stop()
    # A config gone from under a manifest.
    os.remove(blob_path(root, lone.blobs()[0][0]))

    status, out, err = scrub(config, "--output", "json")
    assert status == 1, (out, err)
    found = {(f["kind"], f["path"]) for f in json.loads(out)["findings"]}
    v2 = "/docker/registry/v2/blobs/sha256/"
    path = lambda d: f"{v2}{d.split(':')[1][:2]}/{d.split(':')[1]}/data"  # noqa: E731
    assert ("corrupt-blob", path(flipped)) in found
    assert ("wrong-diff-id", path(wrong.blobs()[1][0])) in found
    assert ("missing-blob", path(lone.blobs()[0][0])) in found
    assert len(found) == 3, found

    status, out, _ = scrub(config)
    lines = out.strip().splitlines()
    assert status == 1 and any(l.startswith("corrupt-blob " + path(flipped)) for l in lines)
    assert any(l.startswith("wrong-diff-id " + path(wrong.blobs()[1][0])) and "scrub/wrong" in l for l in lines)
    assert lines[-1].endswith("3 problems")
