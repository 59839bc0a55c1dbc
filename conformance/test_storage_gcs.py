"""Wharf on GCS storage (gcp-storage-emulator on loopback): the emulator stopped during a
push and during a pull gives 503 with the OCI error JSON and no crash, and Wharf recovers
once it is back (the emulator keeps its objects on disk across the restart)."""
import pytest

from gcshelpers import GCSEmulator, GCSRegistryProcess
from ocihelpers import build_image, error_codes, push_image, random_bytes
from storagehelpers import push_through_an_outage

pytestmark = pytest.mark.wharf_only


@pytest.fixture
def gcs_down_and_back(tmp_path):
    """An emulator with its objects on disk, a registry on it, and a way to restart the
    emulator on the same port."""
    gcs = GCSEmulator(data_dir=str(tmp_path / "gcs")).start()
    bucket = gcs.create_bucket()
    r = GCSRegistryProcess(gcs.endpoint, bucket, redirect=False).start()
    state = {"gcs": gcs}

    def restart():
        state["gcs"] = GCSEmulator(port=gcs.port, data_dir=gcs.data_dir).start()

    yield r, gcs, restart
    r.cleanup()
    state["gcs"].stop()


def test_emulator_down_during_a_push_is_503_then_the_push_resumes(gcs_down_and_back):
    r, gcs, restart = gcs_down_and_back
    push_through_an_outage(r, gcs.stop, restart, random_bytes(300 * 1024), random_bytes(200 * 1024))


def test_emulator_down_during_a_pull_is_503_then_the_pull_works(gcs_down_and_back):
    r, gcs, restart = gcs_down_and_back
    img = build_image(layers=1, layer_size=600 * 1024)
    push_image(r, "fault/pull", img, tag="v1")
    layer = img.blobs[-1]
    gcs.stop()
    st, _, body = r.request("GET", f"/v2/fault/pull/blobs/{layer.digest}")
    assert st == 503, (st, body)
    assert error_codes(body) == ["UNKNOWN"] and b"storage unavailable" in body, body
    st, _, body = r.request("GET", "/v2/fault/pull/manifests/v1", headers={"Accept": img.media_type})
    assert st == 503, (st, body)
    assert error_codes(body) == ["UNKNOWN"] and b"storage unavailable" in body, body
    assert r.proc.poll() is None, "the registry must not crash"
    restart()
    st, _, body = r.request("GET", "/v2/fault/pull/manifests/v1", headers={"Accept": img.media_type})
    assert st == 200 and body == img.data
    st, _, body = r.request("GET", f"/v2/fault/pull/blobs/{layer.digest}", timeout=120)
    assert st == 200 and body == layer.data


@pytest.mark.slow
def test_a_1gib_chunked_push_keeps_the_server_rss_bounded():
    """1 GiB in 64 MiB PATCHes (streamed, chunked) through GCS: the server holds about one
    resumable chunk per upload, never the blob; the blob pulls back whole."""
    from storagehelpers import check_1gib_push_in_bounded_memory
    gcs = GCSEmulator().start()
    r = GCSRegistryProcess(gcs.endpoint, gcs.create_bucket(), redirect=False).start()
    try:
        check_1gib_push_in_bounded_memory(r, "gcs/huge", RSS_BOUND_KIB)
    finally:
        r.cleanup()
        gcs.stop()


#: A 1 GiB push stays far below the blob's size (measured 75 MiB with 5 MiB chunks; the filesystem bound is 64 MiB).
RSS_BOUND_KIB = 160 * 1024
