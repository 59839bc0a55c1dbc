"""The operator's knobs: read-only mode, Location behind proxies (X-Forwarded-*, Forwarded,
http.host), and the storage-backed health checks."""
import json
import os
import shutil

import pytest

from harness import RegistryProcess
from ocihelpers import build_image, push_image, error_codes, start_upload, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only


def test_read_only_refuses_pushes_and_deletes_but_serves_pulls(tmp_path):
    storage = str(tmp_path / "data")
    writable = RegistryProcess(storage_dir=storage).start()
    image = build_image(layers=1)
    try:
        push_image(writable, "ops/ro", image, tag="v1")
    finally:
        writable.stop()
    ro = RegistryProcess(storage_dir=storage,
                         config={"storage": {"maintenance": {"readonly": {"enabled": True}}}}).start()
    try:
        status, _, body = ro.request("POST", "/v2/ops/ro/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        assert "read-only" in json.loads(body)["errors"][0]["message"]
        status, _, body = ro.request("PUT", "/v2/ops/ro/manifests/v2", body=image.data,
                                     headers={"Content-Type": OCI_MANIFEST})
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        status, _, body = ro.request("DELETE", f"/v2/ops/ro/manifests/{image.digest}")
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        status, _, body = ro.request("DELETE", f"/v2/ops/ro/blobs/{image.blobs[-1].digest}")
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
        status, _, body = ro.request("GET", "/v2/ops/ro/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert status == 200 and body == image.data
        status, _, body = ro.request("GET", f"/v2/ops/ro/blobs/{image.blobs[-1].digest}")
        assert status == 200 and body == image.blobs[-1].data
    finally:
        ro.cleanup()


def test_read_only_by_environment():
    r = RegistryProcess(env={"REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED": "true"}).start()
    try:
        status, _, body = r.request("POST", "/v2/ops/env/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        assert status == 405 and error_codes(body) == ["UNSUPPORTED"]
    finally:
        r.cleanup()


@pytest.fixture(scope="module")
def plain():
    r = RegistryProcess().start()
    yield r
    r.cleanup()


def upload_location(registry, headers):
    status, hdrs, body = registry.request("POST", "/v2/ops/fwd/blobs/uploads/", body=b"",
                                          headers={"Content-Length": "0", **headers})
    assert status == 202, body
    return hdrs["location"]


def test_location_follows_the_request_host(plain):
    loc = upload_location(plain, {})
    assert loc.startswith(f"http://{plain.host}/v2/ops/fwd/blobs/uploads/")


def test_location_follows_x_forwarded(plain):
    loc = upload_location(plain, {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example:8443, inner"})
    assert loc.startswith("https://registry.example:8443/v2/ops/fwd/blobs/uploads/")


def test_location_follows_forwarded_before_x_forwarded(plain):
    loc = upload_location(plain, {"Forwarded": 'for=10.0.0.1;proto=https;host="route.apps.example", for=10.0.0.2',
                                  "X-Forwarded-Host": "ignored.example", "X-Forwarded-Proto": "http"})
    assert loc.startswith("https://route.apps.example/v2/ops/fwd/blobs/uploads/")


def test_forwarded_values_that_would_break_a_url_are_ignored(plain):
    loc = upload_location(plain, {"Forwarded": 'proto=gopher;host="evil.example/path"'})
    assert loc.startswith(f"http://{plain.host}/v2/")


def test_http_host_overrides_forwarded_headers():
    r = RegistryProcess(config={"http": {"host": "https://registry.corp.example"}}).start()
    try:
        loc = upload_location(r, {"Forwarded": "proto=http;host=other.example"})
        assert loc.startswith("https://registry.corp.example/v2/ops/fwd/blobs/uploads/")
    finally:
        r.cleanup()


def test_health_ok(plain):
    for path in ["/healthz", "/"]:
        status, _, body = plain.request("GET", path)
        assert status == 200 and body == b"ok\n"
    status, hdrs, body = plain.request("GET", "/debug/health")
    assert status == 200
    assert json.loads(body) == {"storagedriver_filesystem": {"status": "ok"}}


def test_health_503_when_storage_fails(tmp_path):
    base = str(tmp_path / "base")
    r = RegistryProcess(storage_dir=os.path.join(base, "data")).start()
    try:
        assert r.request("GET", "/healthz")[0] == 200
        # A storage root below a directory that loops on itself: every stat fails with ELOOP.
        shutil.rmtree(base, ignore_errors=True)
        os.symlink(base, base)
        for path in ["/healthz", "/"]:
            assert r.request("GET", path)[0] == 503
        status, _, body = r.request("GET", "/debug/health")
        assert status == 503
        check = json.loads(body)["storagedriver_filesystem"]
        assert check["status"] == "error" and check["error"]
    finally:
        if os.path.islink(base):
            os.unlink(base)
        r.cleanup()


# storage.filesystem.* reaches the driver `serve` runs: the page cache shows directwrites,
# the storage I/O threads (named wharf-storage) show maxthreads.

def resident_fraction(path):
    """The fraction of `path`'s pages in the page cache (mmap + mincore through ctypes)."""
    import ctypes
    import mmap
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    size = os.path.getsize(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        assert addr not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        try:
            page = os.sysconf("SC_PAGE_SIZE")
            pages = (size + page - 1) // page
            vec = (ctypes.c_ubyte * pages)()
            assert libc.mincore(ctypes.c_void_p(addr), size, vec) == 0, os.strerror(ctypes.get_errno())
            return sum(v & 1 for v in vec) / pages
        finally:
            libc.munmap(ctypes.c_void_p(addr), size)
    finally:
        os.close(fd)


def pushed_blob_residency(directwrites):
    from ocihelpers import push_blob, random_bytes
    from harness import sha256
    r = RegistryProcess(config={"storage": {"filesystem": {"directwrites": directwrites}}}).start()
    try:
        data = random_bytes(8 << 20)
        push_blob(r, "ops/direct", data)
        hexdigest = sha256(data).split(":", 1)[1]
        path = os.path.join(r.storage_dir, "docker/registry/v2/blobs/sha256", hexdigest[:2], hexdigest, "data")
        assert os.path.getsize(path) == len(data)
        return resident_fraction(path)
    finally:
        r.cleanup()


def test_directwrites_false_keeps_an_upload_in_the_page_cache():
    assert pushed_blob_residency(False) > 0.9


def test_directwrites_true_writes_an_upload_past_the_page_cache():
    assert pushed_blob_residency(True) < 0.5


def storage_io_threads_under_load(maxthreads=None, env=None):
    """The most `wharf-storage` threads seen while 16 clients push blobs at once."""
    import threading
    from ocihelpers import push_blob, random_bytes
    config = {"storage": {"filesystem": {"maxthreads": maxthreads}}} if maxthreads else None
    r = RegistryProcess(config=config, env=env).start()
    seen, done = [0], threading.Event()

    def sample():
        task_dir = f"/proc/{r.proc.pid}/task"
        while not done.is_set():
            count = 0
            for tid in os.listdir(task_dir):
                try:
                    with open(f"{task_dir}/{tid}/comm") as f:
                        count += f.read().startswith("wharf-storage")
                except OSError:
                    pass
            seen[0] = max(seen[0], count)

    def client(i):
        for j in range(6):
            push_blob(r, f"ops/threads{i}", random_bytes(256 << 10))

    try:
        sampler = threading.Thread(target=sample)
        sampler.start()
        clients = [threading.Thread(target=client, args=(i,)) for i in range(16)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        done.set()
        sampler.join()
        return seen[0]
    finally:
        done.set()
        r.cleanup()


def test_maxthreads_bounds_the_storage_io_threads():
    assert 1 <= storage_io_threads_under_load(maxthreads=2) <= 2
    # The same load with the environment variable, and unbounded enough to need more.
    assert storage_io_threads_under_load(env={"REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS": "1"}) == 1
    assert storage_io_threads_under_load(maxthreads=64) > 2


def test_check_config_refuses_maxthreads_zero_as_serve_does(tmp_path):
    import subprocess
    from harness import wharf_bin
    path = tmp_path / "config.yml"
    path.write_text(f"storage:\n  filesystem:\n    rootdirectory: {tmp_path}/data\n    maxthreads: 0\n")
    message = "storage.filesystem.maxthreads: expected an integer ≥ 1, found '0'"
    for command in (["check-config", str(path)], ["serve", str(path)]):
        r = subprocess.run([wharf_bin()] + command, capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and f"config.yml:4: {message}" in r.stderr, (command, r.returncode, r.stderr)
