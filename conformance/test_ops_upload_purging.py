"""storage.maintenance.uploadpurging: abandoned uploads are deleted after `age`, as
distribution does; dry runs and `enabled: false` keep them; finished images are untouched."""
import os
import time

import pytest

from harness import RegistryProcess
from ocihelpers import build_image, push_image, start_upload, error_codes, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only


def purging(enabled=True, dryrun=False):
    return {"storage": {"maintenance": {"uploadpurging": {
        "enabled": enabled, "age": "2s", "interval": "1s", "dryrun": dryrun}}}}


def upload_status(registry, location):
    status, _, body = registry.request("GET", location)
    return status, body


def test_abandoned_uploads_are_purged_and_kept_as_configured(tmp_path):
    servers = {
        "on": RegistryProcess(storage_dir=str(tmp_path / "on"), config=purging()),
        "dry": RegistryProcess(storage_dir=str(tmp_path / "dry"), config=purging(dryrun=True)),
        "off": RegistryProcess(storage_dir=str(tmp_path / "off"), config=purging(enabled=False)),
    }
    try:
        for s in servers.values():
            s.start()
        image = build_image(layers=1)
        push_image(servers["on"], "purge/app", image, tag="v1")
        uploads = {}
        for name, s in servers.items():
            loc = start_upload(s, "purge/app")
            status, _, _ = s.request("PATCH", loc, body=b"x" * 1000,
                                     headers={"Content-Type": "application/octet-stream"})
            assert status == 202
            uploads[name] = loc

        # age 2s, interval 1s, first pass within 1s of start: gone within a few seconds.
        deadline = time.time() + 15
        while time.time() < deadline and upload_status(servers["on"], uploads["on"])[0] != 404:
            time.sleep(0.5)
        status, body = upload_status(servers["on"], uploads["on"])
        assert status == 404 and error_codes(body) == ["BLOB_UPLOAD_UNKNOWN"]
        assert "upload purge: deleted" in servers["on"].read_log()
        updir = tmp_path / "on" / "docker" / "registry" / "v2" / "repositories" / "purge" / "app" / "_uploads"
        assert not os.path.exists(updir) or os.listdir(updir) == []

        # The pushed image is untouched.
        status, _, body = servers["on"].request("GET", "/v2/purge/app/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert status == 200 and body == image.data
        status, _, body = servers["on"].request("GET", f"/v2/purge/app/blobs/{image.blobs[-1].digest}")
        assert status == 200 and body == image.blobs[-1].data

        # The dry run only logs it (once its own pass has seen the upload age); disabled
        # purging does nothing.
        while time.time() < deadline and "would delete" not in servers["dry"].read_log():
            time.sleep(0.5)
        assert "upload purge (dry run): would delete" in servers["dry"].read_log()
        for name in ("dry", "off"):
            status, _ = upload_status(servers[name], uploads[name])
            assert status == 204, name
        assert "upload purge" not in servers["off"].read_log()
    finally:
        for s in servers.values():
            s.cleanup()
