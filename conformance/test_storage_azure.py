"""Wharf on Azure Blob storage (the azure-blob-fake on loopback, which verifies every
SharedKey signature and SAS with the azure-storage-blob SDK's code): the 307 redirect to a
read-only SAS URL that a plain client fetches and that is refused once tampered with, wrong
credentials that give 503 without printing the key, and the service stopped in the middle
of a push and of a pull (503, no crash) with recovery once it is back."""
import urllib.error
import urllib.request

import pytest

from azurehelpers import ACCOUNT, AzureBlobFake, AzureRegistryProcess
from harness import sha256
from ocihelpers import build_image, error_codes, push_image, random_bytes, start_upload, with_query
from storagehelpers import follow_blob

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def fake():
    f = AzureBlobFake().start()
    yield f
    f.stop()


def test_blob_get_redirects_to_a_sas_url_a_plain_client_fetches(fake):
    container = fake.create_container()
    r = AzureRegistryProcess(fake.endpoint, container).start()
    try:
        img = build_image(layers=2, layer_size=64 * 1024)
        push_image(r, "az/app", img, tag="v1")
        for blob in img.blobs:
            st, h, _ = r.request("GET", f"/v2/az/app/blobs/{blob.digest}")
            assert st == 307
            location = h["location"]
            assert location.startswith(f"{fake.endpoint}/{container}/registry/docker/registry/v2/blobs/sha256/")
            assert "sig=" in location and "sp=r" in location
            st, data = follow_blob(r, "az/app", blob.digest)
            assert st == 200 and data == blob.data
            # the same URL with one byte of the signature changed is refused by the fake
            head, sig = location.split("sig=", 1)
            tampered = head + "sig=" + ("A" if sig[0] != "A" else "B") + sig[1:]
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(tampered, timeout=30)
            assert refused.value.code == 403
            # and it does not open another blob
            other = location.replace(blob.digest.split(":")[1], img.blobs[0].digest.split(":")[1] if blob is not img.blobs[0]
                                     else img.blobs[1].digest.split(":")[1])
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(other, timeout=30)
            assert refused.value.code == 403
    finally:
        r.cleanup()


def test_wrong_key_gives_503_and_never_prints_it(fake):
    container = fake.create_container()
    wrong = "d3JvbmctYnV0LXdlbGwtZm9ybWVkLWtleS0xMjM0NTY3OA=="
    r = AzureRegistryProcess(fake.endpoint, container, azure={"accountkey": wrong}, redirect=False).start()
    try:
        data = random_bytes(4096)
        st, h, body = r.request("POST", f"/v2/bad/app/blobs/uploads/?digest={sha256(data)}", body=data,
                                headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        assert st == 503, (st, body)
        assert error_codes(body) and b"storage unavailable" in body
        log = r.read_log()
        assert "AuthenticationFailed" in log
        assert wrong not in log and wrong not in body.decode()
        assert r.proc.poll() is None
    finally:
        r.cleanup()


def test_service_stopped_mid_push_and_mid_pull_gives_503_then_recovers():
    fake = AzureBlobFake().start()
    container = fake.create_container()
    r = AzureRegistryProcess(fake.endpoint, container, redirect=False).start()
    try:
        img = build_image(layers=1, layer_size=256 * 1024)
        push_image(r, "fault/app", img, tag="v1")
        data = random_bytes(3 * 1024 * 1024)
        loc = start_upload(r, "fault/big")
        part = data[:1024 * 1024]
        st, h, body = r.request("PATCH", loc, body=part, headers={"Content-Type": "application/octet-stream",
                                                                  "Content-Length": str(len(part))}, timeout=120)
        assert st == 202, (st, body)
        fake.stop()
        # the push goes on while the service is down: 503 with the OCI error JSON
        st, _, body = r.request("PUT", with_query(loc, digest=sha256(data)), body=data[len(part):],
                                headers={"Content-Type": "application/octet-stream",
                                         "Content-Length": str(len(data) - len(part))}, timeout=120)
        assert st == 503, (st, body)
        assert error_codes(body) and b"storage unavailable" in body
        # a pull while it is down: 503 too
        st, _, body = r.request("GET", f"/v2/fault/app/blobs/{img.blobs[0].digest}", timeout=120)
        assert st == 503, (st, body)
        st, _, body = r.request("GET", "/v2/fault/app/manifests/v1", headers={"Accept": img.media_type}, timeout=120)
        assert st == 503, (st, body)
        assert r.proc.poll() is None, "the registry crashed"
        # the service is back (an empty fake on the same port): pushes and pulls work again
        fake = AzureBlobFake(port=fake.port).start()
        fake.create_container(container)
        img2 = build_image(layers=1, layer_size=128 * 1024)
        push_image(r, "fault/again", img2, tag="v1")
        st, _, got = r.request("GET", f"/v2/fault/again/blobs/{img2.blobs[0].digest}", timeout=120)
        assert st == 200 and got == img2.blobs[0].data
    finally:
        r.cleanup()
        fake.stop()


def test_pull_resumes_after_a_connection_cut_mid_stream(fake):
    """The fake behind a proxy that cuts the next two long Get Blob answers after 3 MiB: the
    reader continues from where the cut left it (pinned to the blob's ETag) and the client
    gets every byte in one 200."""
    from s3helpers import CountingS3Proxy
    proxy = CountingS3Proxy(fake.port).start()
    container = fake.create_container()
    r = AzureRegistryProcess(f"{proxy.endpoint}/{ACCOUNT}", container, redirect=False).start()
    try:
        data = random_bytes(10 * 1024 * 1024 + 5)
        digest = sha256(data)
        st, _, body = r.request("POST", f"/v2/az/cut/blobs/uploads/?digest={digest}", body=data,
                                headers={"Content-Length": str(len(data))}, timeout=120)
        assert st == 201, (st, body)
        proxy.cut_after, proxy.cut_gets = 3 * 1024 * 1024, 2
        st, _, body = r.request("GET", f"/v2/az/cut/blobs/{digest}", timeout=120)
        assert st == 200 and len(body) == len(data) and sha256(body) == digest
        assert proxy.cuts == 2
        assert r.proc.poll() is None
    finally:
        r.cleanup()
        proxy.stop()


#: A 1 GiB push stays far below the blob's size (measured 80 MiB after 128 MiB, 82 after 256, 120 after 1 GiB, 8 MiB blocks).
RSS_BOUND_KIB = 160 * 1024


@pytest.mark.slow
def test_a_1gib_chunked_push_keeps_the_server_rss_bounded(fake):
    """1 GiB in 64 MiB PATCHes (streamed, chunked) through Azure with 8 MiB blocks: the
    server holds about one block per upload, never the blob; the blob pulls back whole."""
    from storagehelpers import check_1gib_push_in_bounded_memory
    r = AzureRegistryProcess(fake.endpoint, fake.create_container(), redirect=False,
                             azure={"chunksize": 8 * 1024 * 1024}).start()
    try:
        check_1gib_push_in_bounded_memory(r, "az/huge", RSS_BOUND_KIB)
    finally:
        r.cleanup()
