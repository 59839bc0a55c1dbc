"""The container image built offline by .ci/build-image.sh (release binary with
--static-swift-stdlib, buildah from scratch): pushed into a running Wharf with skopeo,
pulled back unchanged, with the Dockerfile's settings, and its binary runs inside its
own filesystem.

Runs by default: the release build takes about 2 minutes cold on two cores (40 s
incremental), the rest seconds. WHARF_IMAGE_TEST=0 skips it; WHARF_RELEASE_BIN=<path>
reuses a release binary already built. Needs root (buildah, mount, chroot), as CI has.
"""
import json
import os
import subprocess
import tarfile
import tempfile

import pytest

from harness import RegistryProcess, ROOT
from clienthelpers import skopeo, skopeo_copy, run

pytestmark = [
    pytest.mark.wharf_only,
    pytest.mark.skipif(os.environ.get("WHARF_IMAGE_TEST") == "0", reason="WHARF_IMAGE_TEST=0"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for buildah, mount and chroot"),
]


@pytest.fixture(scope="module")
def image_archive():
    tmp = tempfile.mkdtemp(prefix="wharf-image-test-")
    out = os.path.join(tmp, "wharf.oci.tar")
    run([os.path.join(ROOT, ".ci", "build-image.sh"), out, "wharf:test"], timeout=3600)
    yield out
    subprocess.run(["rm", "-rf", tmp])


def test_image_round_trips_through_wharf_and_runs(image_archive, tmp_path):
    r = RegistryProcess().start()
    try:
        ref = f"docker://{r.host}/wharf/wharf:test"
        skopeo_copy(f"oci-archive:{image_archive}:wharf:test", ref)
        raw = skopeo("inspect", "--tls-verify=false", "--raw", ref).stdout
        manifest = json.loads(raw)
        assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        config = json.loads(skopeo("inspect", "--tls-verify=false", "--config", ref).stdout)
        c = config["config"]
        assert c["User"] == "1001:1001"
        assert "5000/tcp" in c["ExposedPorts"]
        assert "/var/lib/registry" in c["Volumes"]
        assert c["Entrypoint"] == ["/usr/local/bin/wharf"]
        assert c["Cmd"] == ["serve", "/etc/wharf/config.yml"]

        pulled = tmp_path / "pulled"
        skopeo_copy(ref, f"oci:{pulled}:test")
        index = json.loads((pulled / "index.json").read_text())
        digest = index["manifests"][0]["digest"]
        assert (pulled / "blobs" / "sha256" / digest.split(":")[1]).read_bytes() == raw

        # Unpack the layers and run the binary in that filesystem alone.
        rootfs = tmp_path / "rootfs"
        rootfs.mkdir()
        for layer in manifest["layers"]:
            with tarfile.open(pulled / "blobs" / "sha256" / layer["digest"].split(":")[1]) as t:
                t.extractall(rootfs, filter="tar")
        assert (rootfs / "etc/wharf/config.yml").read_text() == open(os.path.join(ROOT, "config", "config.yml")).read()
        assert "wharf:x:1001:1001" in (rootfs / "etc/passwd").read_text()
        # Swift reads its arguments from /proc, which a container runtime mounts.
        (rootfs / "proc").mkdir(exist_ok=True)
        run(["mount", "-t", "proc", "proc", str(rootfs / "proc")])
        try:
            out = run(["chroot", "--userspec=1001:1001", str(rootfs), "/usr/local/bin/wharf", "version"]).stdout.decode()
            assert out.startswith("wharf ")
            out = run(["chroot", "--userspec=1001:1001", str(rootfs), "/usr/local/bin/wharf", "check-config", "/etc/wharf/config.yml"])
            assert b"rootdirectory" in out.stdout
        finally:
            run(["umount", str(rootfs / "proc")], check=False)
    finally:
        r.cleanup()
