"""distribution's health checks (issue 18 part 3): a failing `health.file` or storage
driver turns `/healthz` to 503 and back, and `/debug/health` names every check with its
last error."""
import json
import os

import pytest

from confighelpers import wait_for
from harness import RegistryProcess

pytestmark = pytest.mark.wharf_only


def status(r, path="/healthz"):
    return r.request("GET", path)[0]


def nested_root(tmp_path):
    """A storage root one directory down, so that directory can be broken."""
    root = os.path.join(str(tmp_path), "store", "data")
    os.makedirs(root)
    return root


def break_root(r):
    """Replaces the root's parent by a symlink to itself: every stat under it fails with
    ELOOP (a "not found" would be an answer, and permissions do not stop root)."""
    parent = os.path.dirname(r.storage_dir)
    os.rename(parent, parent + ".saved")
    os.symlink(parent, parent)


def mend_root(r):
    parent = os.path.dirname(r.storage_dir)
    os.unlink(parent)
    os.rename(parent + ".saved", parent)


def test_failing_file_check_turns_healthz_503_and_back(tmp_path):
    marker = os.path.join(str(tmp_path), "out-of-rotation")
    r = RegistryProcess(env={"REGISTRY_HEALTH_FILE": f"- file: {marker}\n  interval: 1s\n"}).start()
    try:
        assert wait_for(lambda: status(r), 200) == 200
        assert 'health="1 file"' in r.read_log()
        open(marker, "w").close()
        assert wait_for(lambda: status(r), 503) == 503
        st, _, body = r.request("GET", "/healthz")
        assert marker.encode() in body
        st, _, body = r.request("GET", "/debug/health")
        assert st == 503
        checks = json.loads(body)
        assert checks[marker]["status"] == "error" and "file exists" in checks[marker]["error"]
        assert checks["storagedriver_filesystem"] == {"status": "ok"}
        # The registry API itself still answers while out of rotation.
        assert r.request("GET", "/v2/")[0] == 200
        os.unlink(marker)
        assert wait_for(lambda: status(r), 200) == 200
        assert json.loads(r.request("GET", "/debug/health")[2])[marker] == {"status": "ok"}
    finally:
        r.cleanup()


def test_failing_storage_driver_turns_healthz_503_and_back_on_each_probe(tmp_path):
    r = RegistryProcess(storage_dir=nested_root(tmp_path)).start()
    try:
        assert status(r) == 200
        break_root(r)
        try:
            assert status(r) == 503
            checks = json.loads(r.request("GET", "/debug/health")[2])
            assert checks["storagedriver_filesystem"]["status"] == "error"
        finally:
            mend_root(r)
        assert status(r) == 200
    finally:
        r.cleanup()


def test_periodic_storage_driver_check_with_threshold(tmp_path):
    r = RegistryProcess(storage_dir=nested_root(tmp_path), config={"health": {"storagedriver": {"enabled": True, "interval": "1s", "threshold": 2}}}).start()
    try:
        assert wait_for(lambda: status(r), 200) == 200
        break_root(r)
        try:
            assert wait_for(lambda: status(r), 503) == 503
            check = json.loads(r.request("GET", "/debug/health")[2])["storagedriver_filesystem"]
            assert check["status"] == "error" and "storage driver error" in check["error"]
            assert check["lasterror"] == check["error"]
        finally:
            mend_root(r)
        assert wait_for(lambda: status(r), 200) == 200
        assert json.loads(r.request("GET", "/debug/health")[2])["storagedriver_filesystem"] == {"status": "ok"}
    finally:
        r.cleanup()


def test_tcp_and_http_checks_fail_when_their_peer_is_gone(tmp_path):
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    env = {
        "REGISTRY_HEALTH_TCP": f"- addr: 127.0.0.1:{port}\n  interval: 1s\n  timeout: 1s\n",
        "REGISTRY_HEALTH_HTTP": f"- uri: http://127.0.0.1:{port}/ping\n  interval: 1s\n  timeout: 1s\n  threshold: 1\n",
    }
    r = RegistryProcess(env=env).start()
    try:
        # The listener accepts but never answers HTTP: the tcp check passes, the http one fails.
        checks = None
        def http_failing():
            nonlocal checks
            checks = json.loads(r.request("GET", "/debug/health")[2])
            return checks[f"http://127.0.0.1:{port}/ping"]["status"]
        assert wait_for(http_failing, "error") == "error", checks
        assert checks[f"127.0.0.1:{port}"] == {"status": "ok"}
        listener.close()
        def tcp_status():
            return json.loads(r.request("GET", "/debug/health")[2])[f"127.0.0.1:{port}"]["status"]
        assert wait_for(tcp_status, "error") == "error"
        assert status(r) == 503
    finally:
        listener.close()
        r.cleanup()
