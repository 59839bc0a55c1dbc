"""How the S3 driver moves blob bytes (moto_server behind a counting, cutting proxy):
a pull streams one GET and resumes it with a Range after a cut connection; a chunked push
sends each byte to S3 once and S3 copies it once (the commit), whichever replica each
PATCH lands on."""
import pytest

from harness import sha256
from ocihelpers import random_bytes
from s3helpers import CountingS3Proxy, S3RegistryProcess
from test_storage_s3 import chunked_upload

pytestmark = pytest.mark.wharf_only

MiB = 1024 * 1024


@pytest.fixture
def proxy(moto):
    p = CountingS3Proxy(moto.port).start()
    yield p
    p.stop()


def monolithic_upload(registry, name, data):
    digest = sha256(data)
    st, h, body = registry.request("POST", f"/v2/{name}/blobs/uploads/?digest={digest}", body=data,
                                   headers={"Content-Length": str(len(data))}, timeout=120)
    assert st == 201, (st, body)
    return digest


def test_pull_resumes_after_a_connection_cut_mid_stream(moto, proxy):
    bucket = moto.create_bucket()
    r = S3RegistryProcess(proxy.endpoint, bucket, redirect=False).start()
    try:
        data = random_bytes(12 * MiB + 5)
        digest = monolithic_upload(r, "s3/cut", data)
        proxy.gets.clear()
        proxy.cut_after, proxy.cut_gets = 3 * MiB, 2
        st, h, body = r.request("GET", f"/v2/s3/cut/blobs/{digest}", timeout=120)
        assert st == 200 and len(body) == len(data) and sha256(body) == digest
        assert proxy.cuts == 2
        # one GET for the object, then one per cut, each from where the last one stopped
        assert proxy.gets[-3:] == [None, f"bytes={3 * MiB}-", f"bytes={6 * MiB}-"], proxy.gets
        # a range from the middle streams from its offset too
        proxy.cut_gets = 1
        st, h, body = r.request("GET", f"/v2/s3/cut/blobs/{digest}", headers={"Range": f"bytes={MiB}-{11 * MiB}"}, timeout=120)
        assert st == 206 and body == data[MiB:11 * MiB + 1]
    finally:
        r.cleanup()


def test_chunked_push_across_replicas_uploads_each_byte_once(moto, proxy):
    bucket = moto.create_bucket()
    # parts of 30 MiB: every PATCH (6 MiB) ends with less than one part buffered, as the
    # bench's 8 MiB PATCHes do with 10 MiB parts
    rs = [S3RegistryProcess(proxy.endpoint, bucket, redirect=False, s3={"chunksize": 30 * MiB}).start() for _ in range(3)]
    try:
        data = random_bytes(30 * MiB + 17)
        proxy.uploaded = proxy.copied = 0
        digest = chunked_upload(rs, "s3/chunks", data, 6 * MiB)
        # each byte once, plus request overhead (XML, small files); the earlier driver read
        # back and re-sent every PATCH's predecessors (~90 MiB more here)
        assert len(data) <= proxy.uploaded < len(data) + MiB, proxy.uploaded
        # and S3 copies it once, at the commit (not every PATCH's predecessors again)
        assert proxy.copied == len(data), proxy.copied
        for r in rs:
            st, _, body = r.request("GET", f"/v2/s3/chunks/blobs/{digest}", timeout=120)
            assert st == 200 and sha256(body) == digest
        assert moto.multipart_uploads(bucket) == []
    finally:
        for r in rs:
            r.cleanup()
