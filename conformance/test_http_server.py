"""Wharf's own HTTP/1.1 server, driven through the real binary over raw sockets.

Connection handling (keep-alive, pipelining, chunked bodies, 100-continue, early answers,
Connection: close, HTTP/1.0), every configurable limit (`http.limits.*`), hostile input
(each gets 400/431/501 or a close, never a hang, and the server keeps serving), TLS,
graceful shutdown, and a 2 GiB streamed upload in bounded memory.

All Wharf-only: they test our server, and distribution's Go server differs in details
(limits config, /healthz, status codes). To check the tests themselves against the
reference, run with CONFORMANCE_HTTP_ON_REFERENCE=1 (the Wharf-specific ones then fail).
"""
import hashlib
import http.client
import os
import signal
import socket
import ssl
import threading
import time

import pytest

from harness import RegistryProcess, make_tls, sha256, vm_hwm_kib
from ocihelpers import (Blob, RawHTTP, location_path, push_blob, random_bytes, start_upload, with_query)

ON_REFERENCE = os.environ.get("CONFORMANCE_HTTP_ON_REFERENCE") == "1"
pytestmark = [] if ON_REFERENCE else [pytest.mark.wharf_only]

NAME = "http/app"


def assert_alive(registry, timeout=10):
    """The server still answers GET /v2/ on a new connection."""
    status, hdrs, _ = registry.request("GET", "/v2/", timeout=timeout)
    assert status == 200


def start(config=None, tls=None):
    return RegistryProcess(config=config, tls=tls).start()


@pytest.fixture(scope="module")
def blob(registry):
    return push_blob(registry, NAME, Blob(random_bytes(50_000)))


# --- connection handling ----------------------------------------------------------------


def test_keep_alive_reuses_the_connection(registry):
    with RawHTTP(registry) as c:
        for _ in range(3):
            c.get("/v2/")
            r = c.read_response()
            assert r.status == 200
            assert r.header("docker-distribution-api-version") == "registry/2.0"


def test_pipelined_requests_are_answered_in_order(registry, blob):
    host = registry.host.encode()
    reqs = (b"GET /v2/" + NAME.encode() + b"/blobs/" + blob.digest.encode() + b" HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
            b"HEAD /v2/" + NAME.encode() + b"/manifests/missing HTTP/1.1\r\nHost: " + host + b"\r\n\r\n"
            b"GET /v2/ HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    with RawHTTP(registry) as c:
        c.send(reqs)
        first = c.read_response()
        second = c.read_response(head=True)
        third = c.read_response()
    assert first.status == 200 and first.body == blob.data
    assert second.status == 404
    assert third.status == 200 and third.header("docker-distribution-api-version") == "registry/2.0"


def test_head_answer_has_no_body(registry, blob):
    with RawHTTP(registry) as c:
        c.send(f"HEAD /v2/{NAME}/blobs/{blob.digest} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        r = c.read_response(head=True)
        assert r.status == 200
        assert int(r.header("content-length")) == blob.size
        # If the HEAD answer carried body bytes, this response would not parse.
        c.get("/v2/")
        r = c.read_response()
        assert r.status == 200


def test_chunked_request_body(registry):
    loc = start_upload(registry, NAME)
    parts = [random_bytes(n) for n in (1, 4096, 100_000, 7)]
    data = b"".join(parts)
    body = b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in parts) + b"0\r\n\r\n"
    with RawHTTP(registry) as c:
        c.send(f"PATCH {loc} HTTP/1.1\r\nHost: {c.host}\r\nTransfer-Encoding: chunked\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n".encode() + body)
        r = c.read_response()
        assert r.status == 202, r
        assert r.header("range") == f"0-{len(data) - 1}"
        loc = location_path(registry, r.header("location"))
        # The connection is still usable after a chunked body.
        c.send(f"PUT {with_query(loc, digest=sha256(data))} HTTP/1.1\r\nHost: {c.host}\r\nContent-Length: 0\r\n\r\n"
               .encode())
        r = c.read_response()
        assert r.status == 201, r
    assert registry.request("GET", f"/v2/{NAME}/blobs/{sha256(data)}")[2] == data


def test_chunked_body_with_extensions_and_trailers(registry):
    loc = start_upload(registry, NAME)
    data = random_bytes(3000)
    body = (b"bb8;name=value\r\n" + data + b"\r\n" + b"0\r\nX-Trailer: yes\r\n\r\n")
    with RawHTTP(registry) as c:
        c.send(f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode() + body)
        r = c.read_response()
        assert r.status == 202, r
        assert r.header("range") == "0-2999"
        c.get("/v2/")
        assert c.read_response().status == 200


def test_large_response_is_streamed_intact(registry):
    big = push_blob(registry, NAME, Blob(random_bytes(8 << 20)))
    with RawHTTP(registry, timeout=30) as c:
        c.get(f"/v2/{NAME}/blobs/{big.digest}")
        r = c.read_response()
        assert r.status == 200
        assert hashlib.sha256(r.body).hexdigest() == big.digest.split(":")[1]
        c.get("/v2/")
        assert c.read_response().status == 200


def test_expect_100_continue(registry):
    data = random_bytes(20_000)
    loc = start_upload(registry, NAME)
    with RawHTTP(registry) as c:
        c.send(f"PUT {with_query(loc, digest=sha256(data))} HTTP/1.1\r\nHost: x\r\n"
               f"Content-Type: application/octet-stream\r\nContent-Length: {len(data)}\r\n"
               f"Expect: 100-continue\r\n\r\n".encode())
        version, status, _, _ = c.read_head()
        assert (version, status) == ("HTTP/1.1", 100)
        c.send(data)
        r = c.read_response()
        assert r.status == 201, r


def test_expect_100_continue_refused_early(registry):
    # An upload that does not exist: the final answer may come without 100 Continue, and the
    # client need not send the body at all.
    with RawHTTP(registry) as c:
        c.send(f"PUT /v2/{NAME}/blobs/uploads/no-such-upload?digest={sha256(b'x')} HTTP/1.1\r\nHost: x\r\n"
               f"Content-Length: 1000000\r\nExpect: 100-continue\r\n\r\n".encode())
        r = c.read_response()
        if r.status == 100:
            c.send(b"\0" * 1_000_000)
            r = c.read_response()
        assert r.status == 404


def test_early_answer_before_the_body_is_not_a_reset(registry):
    # The server knows the answer (unknown upload → 404) before the 1 MiB body arrives; the
    # client still sends it all and must get the 404, not a connection reset.
    body = random_bytes(1 << 20)
    c = RawHTTP(registry, timeout=15)
    errors = []

    def sender():
        try:
            c.send(f"PUT /v2/{NAME}/blobs/uploads/no-such-upload?digest={sha256(body)} HTTP/1.1\r\nHost: x\r\n"
                   f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n".encode())
            c.send(body)
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=sender)
    t.start()
    try:
        r = c.read_response()
        assert r.status == 404
        assert b"BLOB_UPLOAD_UNKNOWN" in r.body
    finally:
        t.join(20)
        c.close()
    assert_alive(registry)


def test_connection_close_is_honoured(registry):
    with RawHTTP(registry) as c:
        c.get("/v2/", b"Connection: close\r\n")
        r = c.read_response()
        assert r.status == 200
        assert c.closed_by_peer(5)


def test_http10_keep_alive(registry):
    with RawHTTP(registry) as c:
        c.send(b"GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.header("content-length") is not None  # 1.0 keep-alive needs a length
        c.send(b"GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert c.read_response().status == 200


def test_http10_without_keep_alive_closes(registry):
    with RawHTTP(registry) as c:
        c.send(b"GET /v2/ HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert r.version in ("HTTP/1.0", "HTTP/1.1")
        assert c.closed_by_peer(5)


def test_healthz(registry):
    status, _, _ = registry.request("GET", "/healthz")
    assert status == 200


# --- limits -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited():
    r = start({"http": {"limits": {"maxheaderbytes": 8192, "maxheadercount": 20,
                                   "idletimeout": "1s", "headertimeout": "1s"}}})
    yield r
    r.cleanup()


def test_header_over_maxheaderbytes_is_431(limited):
    with RawHTTP(limited) as c:
        c.get("/v2/", b"X-Big: " + b"a" * 16384 + b"\r\n")
        r = c.answer_or_close()
        assert r is not None and r.status == 431, r
    assert_alive(limited)


def test_header_under_maxheaderbytes_is_fine(limited):
    with RawHTTP(limited) as c:
        c.get("/v2/", b"X-Big: " + b"a" * 4000 + b"\r\n")
        assert c.read_response().status == 200


def test_too_many_headers_is_431(limited):
    extra = b"".join(b"X-H%d: v\r\n" % i for i in range(40))
    with RawHTTP(limited) as c:
        c.get("/v2/", extra)
        r = c.answer_or_close()
        assert r is not None and r.status == 431, r
    assert_alive(limited)


def test_idle_connection_is_closed(limited):
    with RawHTTP(limited) as c:
        c.get("/v2/")
        assert c.read_response().status == 200
        t0 = time.time()
        assert c.closed_by_peer(6), "idle keep-alive connection left open"
        assert time.time() - t0 >= 0.5
    with RawHTTP(limited) as c:
        assert c.closed_by_peer(6), "connection without any request left open"


def test_slowloris_is_cut_off(limited):
    head = b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    t0 = time.time()
    closed = False
    with RawHTTP(limited) as c:
        for byte in head:
            try:
                c.send(bytes([byte]))
            except OSError:
                closed = True
                break
            if c.closed_by_peer(0.3):
                closed = True
                break
            if time.time() - t0 > 15:
                break
        else:
            # Sent it all (the server never cut us off): it must not have been served.
            r = c.answer_or_close()
            closed = r is None or r.status == 408
    assert closed, "slow header sender was not cut off"
    assert time.time() - t0 < 8
    assert_alive(limited)


def test_max_connections():
    # No reserved slots, and every held connection busy (a request head under way): at the
    # limit an idle connection would be closed to make room instead (test_ops_connection_limits).
    r = start({"http": {"limits": {"maxconnections": 4, "reservedconnections": 0}}})
    held = []
    try:
        for _ in range(4):
            c = RawHTTP(r, timeout=5)
            c.get("/v2/")
            assert c.read_response().status == 200
            c.send(b"GET /v2/ HTTP/1.1\r\nHost: " + c.host.encode() + b"\r\n")
            held.append(c)
        time.sleep(0.2)
        extra = RawHTTP(r, timeout=5)
        try:
            extra.get("/v2/")
            answer = extra.answer_or_close()
        except socket.timeout:
            pytest.fail("connection past maxconnections neither answered nor closed")
        except OSError:
            answer = None  # reset while we wrote: closed
        finally:
            extra.close()
        assert answer is None or answer.status == 503, answer
        # The held connections still work.
        held[0].send(b"\r\n")
        assert held[0].read_response().status == 200
        for c in held:
            c.close()
        held = []
        deadline = time.time() + 10
        while True:
            try:
                assert_alive(r, timeout=3)
                break
            except (AssertionError, OSError, http.client.HTTPException):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        # Several sequential connections after release: slots are really freed.
        for _ in range(8):
            assert_alive(r, timeout=3)
    finally:
        for c in held:
            c.close()
        r.cleanup()


# --- hostile input -------------------------------------------------------------------------


def upload_path(registry):
    return start_upload(registry, NAME)


BAD_INPUTS = {
    "invalid_chunk_size": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                       .encode() + b"zz\r\nabc\r\n0\r\n\r\n", {400}),
    "chunk_size_overflow": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        .encode() + b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n", {400, 413}),
    "chunk_size_negative": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                        .encode() + b"-5\r\nabc\r\n0\r\n\r\n", {400}),
    "negative_content_length": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"
                                            .encode(), {400}),
    "conflicting_content_length": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                               f"Content-Length: 6\r\n\r\nabcdef".encode(), {400}),
    "content_length_list": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd"
                                        .encode(), {400}),
    "huge_content_length": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\n"
                                        f"Content-Length: 999999999999999999999999\r\n\r\n".encode(), {400, 413}),
    "unknown_transfer_encoding": lambda loc: (f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
                                              .encode(), {400, 501}),
    "obs_fold": lambda loc: (b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", {200, 400}),  # may unfold
    "nul_in_header": lambda loc: (b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n", {400}),
    "nul_in_target": lambda loc: (b"GET /v2/\x00 HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "non_utf8_target": lambda loc: (b"GET /v2/\xff\xfe/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    "space_before_colon": lambda loc: (b"GET /v2/ HTTP/1.1\r\nHost : x\r\n\r\n", {400}),
    "garbage_request_line": lambda loc: (b"HELLO\r\n\r\n", {400}),
    "bad_version": lambda loc: (b"GET /v2/ HTTP/9.9\r\nHost: x\r\n\r\n", {400, 505}),
    "bare_lf_garbage": lambda loc: (b"GET /v2/ HTTP/1.1\nHost: x\n\n", {200, 400}),  # RFC 9112 allows LF
    "header_line_1mib": lambda loc: (b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"a" * (1 << 20) + b"\r\n\r\n",
                                     {400, 431}),
}

#: Cases where the body's extent is unknown after the error, so the connection must close.
FRAMING_ERRORS = {"invalid_chunk_size", "chunk_size_overflow", "chunk_size_negative", "negative_content_length",
                  "conflicting_content_length", "content_length_list", "huge_content_length",
                  "unknown_transfer_encoding", "header_line_1mib", "garbage_request_line"}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_an_error_or_close_never_a_hang(registry, case):
    payload, allowed = BAD_INPUTS[case](upload_path(registry))
    with RawHTTP(registry, timeout=10) as c:
        try:
            c.send(payload)
        except OSError:
            pass  # the server may cut a huge request off while we still write
        try:
            r = c.answer_or_close()
        except socket.timeout:
            pytest.fail(f"{case}: no answer and no close within 10 s")
        if r is not None:
            assert r.status in allowed, r
            if r.status >= 400 and case in FRAMING_ERRORS:
                # After a framing error the rest of the stream is meaningless: close it.
                assert c.closed_by_peer(5), f"{case}: connection kept open after a framing error"
    assert_alive(registry)


def test_truncated_request_then_close(registry):
    with RawHTTP(registry) as c:
        c.send(b"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Part")
    with RawHTTP(registry) as c:
        loc = upload_path(registry)
        c.send(f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".encode() + b"a" * 10)
    assert_alive(registry)


def test_request_smuggling_cl_te_is_not_split(registry):
    # Content-Length and Transfer-Encoding together (RFC 9112 §6.1): either refuse with 400,
    # or use chunked framing and close after answering. A second request hidden in the body
    # must never be answered.
    smuggled = b"GET /v2/_catalog HTTP/1.1\r\nHost: x\r\n\r\n"
    body = b"0\r\n\r\n" + smuggled
    with RawHTTP(registry) as c:
        c.send(b"POST /v2/" + NAME.encode() + b"/blobs/uploads/ HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
        r = c.answer_or_close()
        if r is not None:
            assert r.status in (400, 202), r
            second = c.answer_or_close()
            assert second is None, f"smuggled request was answered: {second}"
    assert_alive(registry)


def test_te_chunked_not_last_is_refused(registry):
    with RawHTTP(registry) as c:
        c.send(f"PATCH {upload_path(registry)} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
               .encode() + b"3\r\nabc\r\n0\r\n\r\n")
        r = c.answer_or_close()
        assert r is None or r.status in (400, 501), r
    assert_alive(registry)


def test_many_connections_opened_and_dropped(registry):
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", registry.port), timeout=5)
        s.close()
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", registry.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.send(b"GET /v2/ HTTP/1.1\r\n")
        s.close()  # RST
    assert_alive(registry)


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_registry(tls_files):
    ca, crt, key = tls_files
    r = start(tls=(crt, key))
    yield r
    r.cleanup()


def verifying_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = True
    return ctx


def test_tls_get_verifies_against_ca(tls_registry, tls_files):
    conn = http.client.HTTPSConnection("127.0.0.1", tls_registry.port, timeout=10,
                                       context=verifying_context(tls_files[0]))
    try:
        conn.request("GET", "/v2/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        assert resp.getheader("Docker-Distribution-API-Version") == "registry/2.0"
        # Keep-alive over TLS.
        conn.request("GET", "/v2/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    finally:
        conn.close()


def test_tls_upload_and_download(tls_registry, tls_files):
    data = random_bytes(300_000)
    push_blob(tls_registry, NAME, Blob(data))
    ctx = verifying_context(tls_files[0])
    with RawHTTP(tls_registry, tls_context=ctx) as c:
        c.get(f"/v2/{NAME}/blobs/{sha256(data)}")
        r = c.read_response()
        assert r.status == 200 and r.body == data


def test_tls11_is_refused(tls_registry, tls_files):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tls_files[0])
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this Python/OpenSSL cannot offer TLS 1.1")
    with socket.create_connection(("127.0.0.1", tls_registry.port), timeout=10) as s:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
                t.recv(1)
    assert_alive(tls_registry)


def test_plain_http_on_the_tls_port_gets_400(tls_registry):
    """As Go's servers do: a readable 400, not a reset, so the operator sees the mistake."""
    with socket.create_connection(("127.0.0.1", tls_registry.port), timeout=10) as s:
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), data
    assert body == b"client sent an HTTP request to an HTTPS server\n", data
    assert_alive(tls_registry)


def test_tls12_is_accepted(tls_registry, tls_files):
    ctx = verifying_context(tls_files[0])
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with RawHTTP(tls_registry, tls_context=ctx) as c:
        assert c.sock.version() == "TLSv1.2"
        c.get("/v2/")
        assert c.read_response().status == 200


def test_plain_http_to_tls_port_does_not_break_it(tls_registry, tls_files):
    with socket.create_connection(("127.0.0.1", tls_registry.port), timeout=10) as s:
        s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            s.recv(4096)  # a 400 or a TLS alert or a close: anything but a hang
        except (ConnectionError, socket.timeout):
            pass
    with socket.create_connection(("127.0.0.1", tls_registry.port), timeout=10) as s:
        s.sendall(b"\x16\x03\x01\x00\x05hello")  # truncated ClientHello, then close
    assert_alive(tls_registry)
    conn = http.client.HTTPSConnection("127.0.0.1", tls_registry.port, timeout=10,
                                       context=verifying_context(tls_files[0]))
    conn.request("GET", "/v2/")
    assert conn.getresponse().status == 200
    conn.close()


# --- shutdown and memory ----------------------------------------------------------------


def test_sigterm_drains_an_in_flight_upload():
    r = start()
    try:
        data = random_bytes(1 << 20)
        loc = start_upload(r, NAME)
        c = RawHTTP(r, timeout=20)
        c.send(f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: {len(data)}\r\n\r\n".encode())
        step = len(data) // 8
        c.send(data[:step])
        time.sleep(0.3)
        r.proc.send_signal(signal.SIGTERM)
        answer = None
        try:
            for i in range(1, 8):
                time.sleep(0.1)
                c.send(data[i * step:(i + 1) * step])
            answer = c.answer_or_close()
        except OSError:
            answer = None
        finally:
            c.close()
        code = r.proc.wait(timeout=30)
        assert code == 0, r.read_log()
        # Either the request completed, or the server closed it during its drain and exited 0.
        if answer is not None:
            assert answer.status == 202, answer
            assert answer.header("range") == f"0-{len(data) - 1}"
    finally:
        r.cleanup()


def test_sigterm_on_idle_server_exits_zero():
    r = start()
    try:
        with RawHTTP(r) as c:
            c.get("/v2/")
            assert c.read_response().status == 200
            r.proc.send_signal(signal.SIGTERM)
            assert r.proc.wait(timeout=30) == 0
    finally:
        r.cleanup()


def pattern_block(base, i):
    """1 MiB of data unique per index, cheap to make: the base block with i stamped in."""
    return i.to_bytes(8, "big") + base[8:]


@pytest.mark.slow
def test_2gib_blob_streams_in_bounded_memory():
    total_mib = 2048
    base = os.urandom(1 << 20)
    r = start()
    try:
        loc = start_upload(r, "http/huge")
        pid = r.proc.pid
        hasher = hashlib.sha256()
        peak = 0
        with RawHTTP(r, timeout=60) as c:
            c.send(f"PATCH {loc} HTTP/1.1\r\nHost: {c.host}\r\nTransfer-Encoding: chunked\r\n"
                   f"Content-Type: application/octet-stream\r\n\r\n".encode())
            for i in range(total_mib):
                block = pattern_block(base, i)
                hasher.update(block)
                c.send(b"100000\r\n" + block + b"\r\n")
                if i % 64 == 0:
                    peak = max(peak, vm_hwm_kib(pid))
            c.send(b"0\r\n\r\n")
            resp = c.read_response()
            assert resp.status == 202, resp
            assert resp.header("range") == f"0-{(total_mib << 20) - 1}"
            loc = location_path(r, resp.header("location"))
            digest = "sha256:" + hasher.hexdigest()
            c.send(f"PUT {with_query(loc, digest=digest)} HTTP/1.1\r\nHost: {c.host}\r\nContent-Length: 0\r\n\r\n".encode())
            resp = c.read_response()
            assert resp.status == 201, resp
        peak = max(peak, vm_hwm_kib(pid))
        assert peak < 64 * 1024, f"server RSS peaked at {peak} KiB during the upload"

        conn = r.connection(timeout=60)
        conn.request("GET", f"/v2/http/huge/blobs/{digest}")
        resp = conn.getresponse()
        assert resp.status == 200
        assert int(resp.getheader("Content-Length")) == total_mib << 20
        back = hashlib.sha256()
        n = 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            back.update(chunk)
            n += len(chunk)
        conn.close()
        assert n == total_mib << 20
        assert "sha256:" + back.hexdigest() == digest
        peak = max(peak, vm_hwm_kib(pid))
        assert peak < 64 * 1024, f"server RSS peaked at {peak} KiB during the download"
    finally:
        r.cleanup()
