"""Connection limits that cannot lock out health checks (issue 22): idle keep-alive
connections make room for new ones, probes are always answered, refusals are logged once
per interval."""
import contextlib
import resource
import socket
import time

import pytest

from harness import RegistryProcess

pytestmark = pytest.mark.wharf_only


@pytest.fixture(autouse=True)
def enough_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < 2400:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is too low for 1,100 connections")
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before a response")
        data += chunk
    return data


def open_idle(registry, n):
    """n connections, each answered one `GET /v2/` and then left idle (one after the other,
    as clients arrive: a connection whose request is still being served is busy, not idle)."""
    held = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", registry.port), timeout=10)
        held.append(s)
        s.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {registry.host}\r\n\r\n".encode())
        head = read_head(s)
        assert head.startswith(b"HTTP/1.1 200"), head[:80]
    return held


def timed_get(registry, path):
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", registry.port), timeout=5)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {registry.host}\r\nConnection: close\r\n\r\n".encode())
        head = read_head(s)
    finally:
        s.close()
    return int(head.split(b" ", 2)[1]), time.monotonic() - t0


def probes_answer_fast(registry):
    """Each probe is answered 200 (a locked-out server answers 503 or, holding the
    connection until its idle timeout, trips the socket's 5 s timeout)."""
    for path in ("/healthz", "/v2/"):
        status, _ = timed_get(registry, path)
        assert status == 200, (path, status)


@contextlib.contextmanager
def serving(limits=None):
    """A registry with these `http.limits` and a list of sockets closed at the end."""
    r = RegistryProcess(config={"http": {"limits": limits}} if limits else None).start()
    held = []
    try:
        yield r, held
    finally:
        for s in held:
            s.close()
        r.cleanup()


def hold_busy(registry, held, n):
    """n connections kept busy: each has a request head under way."""
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", registry.port), timeout=5)
        s.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {registry.host}\r\n".encode())
        held.append(s)
    time.sleep(0.3)


def test_1100_idle_connections_do_not_lock_out_probes():
    with serving() as (r, held):
        held += open_idle(r, 1100)
        probes_answer_fast(r)


def test_at_the_limit_the_oldest_idle_connection_makes_room():
    with serving({"maxconnections": 100}) as (r, held):
        held += open_idle(r, 150)
        probes_answer_fast(r)
        # The oldest were closed to admit the newest; the newest still work.
        oldest, newest = held[0], held[-1]
        oldest.settimeout(2)
        assert oldest.recv(1) == b""
        newest.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {r.host}\r\n\r\n".encode())
        assert read_head(newest).startswith(b"HTTP/1.1 200")
        assert "connection limit reached" not in r.read_log()


def test_all_busy_refusals_are_logged_once_per_interval():
    with serving({"maxconnections": 5, "reservedconnections": 0}) as (r, held):
        hold_busy(r, held, 5)
        # A flood of connections that would stay busy too (a head under way, kept open):
        # none is ever idle, so every one is refused.
        refused = 0
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", r.port), timeout=5)
            held.append(s)
            try:
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {r.host}\r\n".encode())
                if read_head(s).startswith(b"HTTP/1.1 503"):
                    refused += 1
            except (ConnectionError, OSError):
                refused += 1
        assert refused == 200
        lines = [line for line in r.read_log().splitlines() if "connection limit reached" in line]
        assert len(lines) == 1, lines
        assert "refused=1" in lines[0] or "\"refused\":\"1\"" in lines[0], lines


def test_all_busy_a_reserved_slot_still_answers_probes():
    with serving({"maxconnections": 5}) as (r, held):
        hold_busy(r, held, 5)
        for _ in range(20):
            status, _ = timed_get(r, "/healthz")
            assert status == 200
