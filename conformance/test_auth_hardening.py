"""Auth that leaks nothing (issue 22): unknown users cost what known ones cost, failed
guesses are throttled with 429 + Retry-After, logged-in clients are never slowed, and
failures are counted by reason."""
import base64
import os
import socket
import subprocess
import tempfile
import time

import pytest

from harness import RegistryProcess, wharf_bin

pytestmark = pytest.mark.wharf_only

USERS = [f"user{i}" for i in range(20)]


def bcrypt(password, cost):
    out = subprocess.run([wharf_bin(), "hash-password", "--cost", str(cost)], input=password + "\n",
                         capture_output=True, text=True, check=True, timeout=60)
    return out.stdout.strip()


@pytest.fixture(scope="module")
def reg():
    d = tempfile.mkdtemp(prefix="wharf-auth-hardening-")
    path = os.path.join(d, "htpasswd")
    # Not the cost the old dummy hash used (10): the dummy must follow the file.
    h = bcrypt("right-password", 11)
    with open(path, "w") as f:
        for u in USERS + ["alice", "carol"]:
            f.write(f"{u}:{h}\n")
    r = RegistryProcess(config={"auth": {"htpasswd": {"realm": "wharf", "path": path}},
                                "openshift": {"metrics": {"enabled": True, "secret": "scrape"}}}).start()
    yield r
    r.cleanup()


def get(reg, user, password, source="127.0.0.1", path="/v2/"):
    """(status, headers, seconds) of one GET from `source` (any 127.x address works on loopback)."""
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", reg.port))
    t0 = time.monotonic()
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    took = time.monotonic() - t0
    s.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    lines = head.split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return int(lines[0].split()[1]), headers, took, data


def test_unknown_user_costs_what_a_wrong_password_costs(reg):
    # One try per name and per source address, so the throttle stays out of the way.
    known, unknown = [], []
    for i, u in enumerate(USERS):
        st, _, took, _ = get(reg, u, "wrong", source=f"127.0.1.{i + 1}")
        assert st == 401
        known.append(took)
        st, _, took, _ = get(reg, f"nosuch{i}", "wrong", source=f"127.0.2.{i + 1}")
        assert st == 401
        unknown.append(took)
    k, u = sum(known) / len(known), sum(unknown) / len(unknown)
    assert abs(k - u) / max(k, u) < 0.2, (k, u)


def test_rapid_wrong_guesses_get_429_and_a_logged_in_client_still_works(reg):
    src = "127.0.3.1"
    assert get(reg, "alice", "right-password", source=src)[0] == 200
    statuses = []
    for _ in range(10):
        st, headers, _, _ = get(reg, "alice", "guess", source=src)
        statuses.append(st)
    assert statuses[0] == 401
    assert statuses[-1] == 429, statuses
    st, headers, _, body = get(reg, "alice", "guess", source=src)
    assert st == 429 and int(headers["retry-after"]) >= 1
    assert b"TOOMANYREQUESTS" in body and b"guess" not in body
    # The client that logged in before is not slowed; another user elsewhere neither.
    assert get(reg, "alice", "right-password", source=src)[0] == 200
    assert get(reg, "carol", "right-password", source="127.0.3.2")[0] == 200
    # Counted by reason.
    st, _, _, body = get(reg, "x", "scrape", path="/extensions/v2/metrics", source="127.0.3.3")
    text = body.decode()
    assert st == 200, text[:300]
    assert 'imageregistry_auth_failures_total{reason="throttled"}' in text
    assert 'imageregistry_auth_failures_total{reason="wrong_password"}' in text
    assert 'imageregistry_auth_failures_total{reason="unknown_user"}' in text
    assert "guess" not in reg.read_log() and "right-password" not in reg.read_log()
