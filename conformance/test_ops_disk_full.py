"""A full disk answers 507 with an OCI error saying the storage is full, and a failed upload
start leaves no `_uploads/<uuid>/` directory behind (issue 22). Needs root for tmpfs."""
import json
import os
import subprocess
import tempfile

import pytest

from harness import RegistryProcess, sha256

pytestmark = pytest.mark.wharf_only

NAME = "full/disk"
SECRET = "disk-full-metrics"


@pytest.fixture
def tmpfs():
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    d = tempfile.mkdtemp(prefix="wharf-full-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield d
    subprocess.run(["umount", "-l", d])
    os.rmdir(d)


def fill(directory):
    fd = os.open(os.path.join(directory, "filler"), os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)


def uploads_left(root):
    found = []
    for dirpath, dirnames, _ in os.walk(root):
        if os.path.basename(dirpath) == "_uploads":
            found += dirnames
    return found


def test_full_disk_answers_507_and_leaves_no_upload_directory(tmpfs):
    root = os.path.join(tmpfs, "data")
    r = RegistryProcess(storage_dir=root, config={"openshift": {"metrics": {"enabled": True, "secret": SECRET}}}).start()
    try:
        # A first upload creates the repository's directories; then the disk fills up.
        st, h, _ = r.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert st == 202
        before = set(uploads_left(root))
        fill(tmpfs)
        st, h, body = r.request("POST", f"/v2/{NAME}/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert st == 507, (st, body)
        err = json.loads(body)["errors"][0]
        assert "storage is full" in err["message"], err
        assert set(uploads_left(root)) == before
        # A monolithic upload that cannot be stored frees its space at once.
        os.remove(os.path.join(tmpfs, "filler"))
        blob = os.urandom(2 << 20)
        st, h, _ = r.request("POST", f"/v2/{NAME}/blobs/uploads/?digest={sha256(blob)}", body=blob,
                             headers={"Content-Length": str(len(blob))})
        assert st == 507
        assert set(uploads_left(root)) == before
        # The storage error code reaches the metrics.
        st, _, body = r.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {SECRET}"})
        assert st == 200
        full = [line for line in body.decode().splitlines()
                if line.startswith("imageregistry_storage_errors_total{") and 'code="DEVICE_OUT_OF_SPACE"' in line]
        assert full and sum(float(line.rsplit(" ", 1)[1]) for line in full) >= 2, full
    finally:
        r.cleanup()
