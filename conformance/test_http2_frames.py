"""HTTP/2 error handling and defences, driven frame by frame (RFC 9113 §5-6): bad preface,
frames on closed and idle streams, window overflow, oversize frames, malformed requests,
REFUSED_STREAM past SETTINGS_MAX_CONCURRENT_STREAMS, flow control of responses, graceful
GOAWAY, and the known floods (rapid reset, CONTINUATION, SETTINGS, PING, HPACK bomb)."""
import hashlib
import struct
import threading
import time

import hpack
import pytest

from harness import RegistryProcess, sha256
from h2client import (CONTINUATION, DATA, END_HEADERS, END_STREAM, GOAWAY, HEADERS, PING, PREFACE, PRIORITY,
                      RST_STREAM, SETTINGS, WINDOW_UPDATE, H2HTTPConnection, RawH2, frame, settings_frame,
                      window_update)
from ocihelpers import push_blob, random_bytes

pytestmark = pytest.mark.wharf_only

NAME = "h2/frames"


@pytest.fixture(scope="module")
def registry():
    r = RegistryProcess().start()
    yield r
    r.cleanup()


def alive(registry):
    c = RawH2(registry.port)
    c.request(1)
    status, _, body = c.response(1)
    c.close()
    assert status == 200 and body == b"{}"


def test_simple_get(registry):
    alive(registry)


def test_bad_preface_on_tls_gets_goaway(tmp_path):
    # On a TLS connection that chose h2 the preface must follow; anything else is PROTOCOL_ERROR.
    import subprocess
    key, crt = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    r = RegistryProcess(tls=(str(crt), str(key))).start()
    try:
        c = RawH2(r.port, tls=True, preface=b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")
        assert c.goaway() == "PROTOCOL_ERROR"
        c.close()
        c = RawH2(r.port, tls=True)
        c.request(1)
        assert c.response(1)[0] == 200
    finally:
        r.cleanup()


def test_bad_preface_on_plain_port_is_http1(registry):
    # Without the full preface the plain listener speaks HTTP/1.1: this is a bad request line.
    c = RawH2(registry.port, preface=b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", settings=None)
    data = c.sock.recv(200)
    assert data.startswith(b"HTTP/1.1 4") or data.startswith(b"HTTP/1.1 5"), data


def test_first_frame_must_be_settings(registry):
    c = RawH2(registry.port, preface=PREFACE)  # preface + empty SETTINGS is fine...
    c.close()
    c = RawH2(registry.port, preface=None)
    c.send(PREFACE + frame(PING, 0, 0, b"12345678"))
    assert c.goaway() == "PROTOCOL_ERROR"


def test_data_on_closed_stream(registry):
    c = RawH2(registry.port)
    c.request(1)
    assert c.response(1)[0] == 200
    c.send(frame(DATA, 0, 1, b"late"))
    got = c.until(lambda f: f[0] in (RST_STREAM, GOAWAY))
    assert got is not None
    code = struct.unpack(">I", got[3][-4:] if got[0] == RST_STREAM else got[3][4:8])[0]
    assert code == 5  # STREAM_CLOSED (stream or connection error)
    alive(registry)


def test_headers_on_closed_stream_and_even_ids(registry):
    c = RawH2(registry.port)
    c.request(3)
    assert c.response(3)[0] == 200
    c.request(1)  # lower than one already used: the stream is closed
    assert c.goaway() == "STREAM_CLOSED"
    c = RawH2(registry.port)
    c.request(2)
    assert c.goaway() == "PROTOCOL_ERROR"


def test_frames_on_idle_streams(registry):
    c = RawH2(registry.port)
    c.send(frame(DATA, 0, 5, b"x"))
    assert c.goaway() == "PROTOCOL_ERROR"
    c = RawH2(registry.port)
    c.send(window_update(7, 10))
    assert c.goaway() == "PROTOCOL_ERROR"


def test_connection_window_overflow(registry):
    c = RawH2(registry.port)
    c.send(window_update(0, 0x7FFFFFFF))
    assert c.goaway() == "FLOW_CONTROL_ERROR"


def test_stream_window_overflow_resets_only_the_stream(registry):
    c = RawH2(registry.port)
    c.request(1, "PUT", f"/v2/{NAME}/manifests/w", end_stream=False)  # the handler waits for the body
    c.send(window_update(1, 0x7FFFFFFF))
    assert c.reset_of(1) == "FLOW_CONTROL_ERROR"
    c.request(3)
    assert c.response(3)[0] == 200


def test_data_beyond_the_stream_window(registry):
    c = RawH2(registry.port)
    # Our window is 256 KiB per stream; send 300 KiB at once without waiting for WINDOW_UPDATE
    # (the connection's queue handles the whole burst before the handler's reads return window).
    block = c.encoder.encode([(":method", "PUT"), (":scheme", "http"), (":path", f"/v2/{NAME}/manifests/d"),
                              (":authority", "x")])
    chunk = b"x" * 16384
    c.send(frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, 0, 1, chunk) * 19)
    got = c.until(lambda f: f[0] == GOAWAY or (f[0] == RST_STREAM and f[2] == 1))
    assert got is not None
    assert struct.unpack(">I", got[3][-4:] if got[0] == RST_STREAM else got[3][4:8])[0] == 3  # FLOW_CONTROL_ERROR


def test_zero_window_update_is_an_error(registry):
    c = RawH2(registry.port)
    c.send(window_update(0, 0))
    assert c.goaway() == "PROTOCOL_ERROR"


def test_oversize_frame(registry):
    c = RawH2(registry.port)
    c.send(frame(PING, 0, 0, b"x" * 16385))
    assert c.goaway() == "FRAME_SIZE_ERROR"
    c = RawH2(registry.port)
    c.send(frame(PING, 0, 0, b"1234567"))
    assert c.goaway() == "FRAME_SIZE_ERROR"


def test_padding_and_priority_and_unknown_frames_are_handled(registry):
    c = RawH2(registry.port)
    c.send(frame(PRIORITY, 0, 1, b"\x00\x00\x00\x00\x10") + frame(0xEE, 0, 0, b"ignored"))
    block = c.encoder.encode([(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), (":authority", "x")])
    payload = bytes([4]) + b"\x00\x00\x00\x00\x20" + block + b"\x00" * 4  # PADDED|PRIORITY
    c.send(frame(HEADERS, END_STREAM | END_HEADERS | 0x8 | 0x20, 1, payload))
    assert c.response(1)[0] == 200


def test_malformed_requests_are_stream_errors(registry):
    c = RawH2(registry.port)
    bad = [
        [(":method", "GET"), (":path", "/v2/"), (":authority", "x")],                           # no :scheme
        [(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), ("Upper", "x")],           # upper-case name
        [(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), ("connection", "close")],  # connection-specific
        [(":method", "GET"), (":scheme", "http"), ("a", "b"), (":path", "/v2/")],               # pseudo after regular
        [(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), (":bogus", "1")],          # unknown pseudo
        [(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), ("te", "gzip")],
    ]
    sid = 1
    for fields in bad:
        c.headers(sid, fields)
        assert c.reset_of(sid) == "PROTOCOL_ERROR", fields
        sid += 2
    # Content-length that the DATA does not match.
    c.request(sid, "PUT", f"/v2/{NAME}/manifests/x", extra=[("content-length", "10")], end_stream=False)
    c.send(frame(DATA, END_STREAM, sid, b"abc"))
    assert c.reset_of(sid) == "PROTOCOL_ERROR"
    c.request(sid + 2)
    assert c.response(sid + 2)[0] == 200


def test_push_promise_from_client(registry):
    c = RawH2(registry.port)
    c.send(frame(5, END_HEADERS, 1, b"\x00\x00\x00\x02\x82"))
    assert c.goaway() == "PROTOCOL_ERROR"


def test_max_concurrent_streams_refuses_the_next(registry):
    c = RawH2(registry.port)
    # 100 open uploads (HEADERS without END_STREAM), then one more.
    # 100 manifest PUTs whose handlers wait for the body (HEADERS without END_STREAM), then one more.
    for i in range(100):
        c.request(1 + 2 * i, "PUT", f"/v2/{NAME}/manifests/t{i}", extra=[("content-type", "application/json")],
                  end_stream=False)
    c.request(201)
    assert c.reset_of(201) == "REFUSED_STREAM"
    # Ending one stream frees a slot.
    c.send(frame(DATA, END_STREAM, 1, b"{}"))
    assert c.response(1)[0] == 400
    c.request(203)
    assert c.response(203)[0] == 200


def test_rapid_reset_flood_gets_enhance_your_calm(registry):
    c = RawH2(registry.port)
    block_stream = 1
    for i in range(400):
        sid = 1 + 2 * i
        c.request(sid, "GET", "/v2/", end_stream=True)
        c.send(frame(RST_STREAM, 0, sid, struct.pack(">I", 8)))
    assert c.goaway(timeout=20) == "ENHANCE_YOUR_CALM"
    alive(registry)


def test_continuation_flood_is_bounded(registry):
    c = RawH2(registry.port)
    block = c.encoder.encode([(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), (":authority", "x")])
    c.send(frame(HEADERS, END_STREAM, 1, block))
    try:
        for _ in range(10000):
            c.send(frame(CONTINUATION, 0, 1, b""))
    except OSError:
        pass  # the server closed while we were still flooding
    assert c.goaway() == "ENHANCE_YOUR_CALM"
    # The same with large fragments: a header block past the limit.
    c = RawH2(registry.port)
    c.send(frame(HEADERS, END_STREAM, 1, block))
    try:
        for _ in range(10):
            c.send(frame(CONTINUATION, 0, 1, b"\x00" * 16000))
    except OSError:
        pass
    assert c.goaway() == "ENHANCE_YOUR_CALM"
    alive(registry)


def test_settings_and_ping_floods(registry):
    for flood in (settings_frame([(4, 65535)]), frame(PING, 0, 0, b"12345678")):
        c = RawH2(registry.port)
        try:
            c.send(flood * 1500)
        except OSError:
            pass
        assert c.goaway(timeout=20) == "ENHANCE_YOUR_CALM"
    alive(registry)


def test_hpack_bomb_is_refused_and_table_limits_hold(registry):
    c = RawH2(registry.port)
    # One 2000-byte field into the dynamic table, then referenced 80 times: a small block that
    # decodes to a 160 KB header list: the request gets 431, the connection lives on.
    big = ("x-bomb", "b" * 2000)
    e = hpack.Encoder()
    first = e.encode([(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), (":authority", "x"), big])
    c.encoder = e
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, first))
    assert c.response(1)[0] == 200
    bomb = e.encode([(":method", "GET"), (":scheme", "http"), (":path", "/v2/"), (":authority", "x")] + [big] * 80)
    assert len(bomb) < 200
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 3, bomb))
    assert c.response(3)[0] == 431
    c.request(5)
    assert c.response(5)[0] == 200
    # A dynamic table size update above our SETTINGS_HEADER_TABLE_SIZE (4096) is a COMPRESSION_ERROR.
    c = RawH2(registry.port)
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\x3f\xe2\x1f\x82"))
    assert c.goaway() == "COMPRESSION_ERROR"


def test_hpack_round_trip_with_python_hpack(registry):
    """Many requests on one connection with a shared dynamic table (Huffman on), whose fields
    change the answer (Range): Python's encoder → our decoder, our encoder → Python's decoder."""
    data = random_bytes(50_000)
    push_blob(registry, NAME, data)
    c = RawH2(registry.port)
    sid = 1
    for i in range(60):
        start = (i * 797) % 40_000
        end = start + 100 + i
        c.request(sid, "GET", f"/v2/{NAME}/blobs/{sha256(data)}",
                  extra=[("range", f"bytes={start}-{end}"), ("x-custom-header", "same-value-every-time"),
                         ("user-agent", f"conformance/{i % 3}")])
        status, headers, body = c.response(sid)
        assert status == 206, status
        assert body == data[start:end + 1]
        assert headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
        assert headers["docker-content-digest"] == sha256(data)
        sid += 2
    assert len(c.decoder.header_table.dynamic_entries) > 0


def test_response_respects_the_peer_windows(registry):
    """A client with a 1000-byte stream window gets exactly 1000 bytes until it opens the window."""
    data = random_bytes(300_000)
    push_blob(registry, NAME, data)
    c = RawH2(registry.port, settings=[(4, 1000)])
    c.request(1, "GET", f"/v2/{NAME}/blobs/{sha256(data)}")
    got = b""
    while True:
        f = c.next_frame(timeout=1.5)
        if f is None:
            break
        if f[0] == DATA and f[2] == 1:
            got += f[3]
    assert len(got) == 1000
    c.send(window_update(1, 500))
    more = c.until(lambda f: f[0] == DATA and f[2] == 1)
    assert len(more[3]) == 500
    # Open both windows fully: the rest arrives, within the connection window (65535) at first.
    c.send(window_update(1, 1 << 20))
    rest = b""
    while len(got) + len(more[3]) + len(rest) < 65535:
        f = c.until(lambda f: f[0] == DATA and f[2] == 1, timeout=5)
        assert f is not None
        rest += f[3]
    assert len(got) + len(more[3]) + len(rest) == 65535
    assert c.next_frame(timeout=1) is None  # connection window exhausted
    c.send(window_update(0, 1 << 20))
    while True:
        f = c.until(lambda f: f[0] == DATA and f[2] == 1, timeout=5)
        rest += f[3]
        if f[1] & END_STREAM:
            break
    assert got + more[3] + rest == data


def test_concurrent_uploads_on_one_connection(registry):
    """Four 16 MiB uploads at once on one connection, interleaved frame by frame under flow control."""
    import h2.connection, h2.config, h2.events, socket as sk
    from ocihelpers import start_upload, with_query
    blobs = [random_bytes(16 << 20) for _ in range(4)]
    locs = [start_upload(registry, NAME) for _ in blobs]
    s = sk.create_connection(("127.0.0.1", registry.port), timeout=30)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    ids = []
    for loc, data in zip(locs, blobs):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(":method", "PUT"), (":scheme", "http"), (":path", with_query(loc, digest=sha256(data))),
                                (":authority", registry.host), ("content-length", str(len(data)))])
        ids.append(sid)
    s.sendall(conn.data_to_send())
    offsets = {sid: 0 for sid in ids}
    statuses = {}
    before = rss_kib(registry)
    peak = before
    while len(statuses) < len(ids):
        progressed = False
        for sid, data in zip(ids, blobs):
            off = offsets[sid]
            if off >= len(data) or sid in statuses:
                continue
            n = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size, len(data) - off)
            if n > 0:
                conn.send_data(sid, data[off:off + n], end_stream=off + n == len(data))
                offsets[sid] = off + n
                progressed = True
        out = conn.data_to_send()
        if out:
            s.sendall(out)
        if not progressed or all(offsets[i] >= len(d) for i, d in zip(ids, blobs)):
            for ev in conn.receive_data(s.recv(65536)):
                if isinstance(ev, h2.events.ResponseReceived):
                    statuses[ev.stream_id] = dict(ev.headers)[":status"]
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            s.sendall(conn.data_to_send())
            peak = max(peak, rss_kib(registry))
    assert all(statuses[i] == "201" for i in ids), statuses
    # 64 MiB went through; the server holds at most its windows (4 x 256 KiB, 1 MiB connection)
    # plus storage buffers: far below the 64 MiB it would take to hold the uploads.
    print("server RSS growth KiB:", peak - before)
    assert peak - before < 24 * 1024, (before, peak)
    s.close()
    for data in blobs:
        status, _, body = registry.request("GET", f"/v2/{NAME}/blobs/{sha256(data)}")
        assert status == 200 and hashlib.sha256(body).hexdigest() == sha256(data)[7:]


def rss_kib(registry):
    with open(f"/proc/{registry.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def test_graceful_goaway_on_shutdown_lets_open_streams_finish():
    r = RegistryProcess().start()
    try:
        data = random_bytes(2 << 20)
        push_blob(r, NAME, data)
        c = RawH2(r.port)
        c.request(1, "GET", f"/v2/{NAME}/blobs/{sha256(data)}")
        # The default 65535 windows hold the download mid-way; now stop the server.
        body = c.until(lambda f: f[0] == DATA)[3]
        r.proc.send_signal(15)
        while True:
            got = c.next_frame()
            assert got is not None
            if got[0] == DATA:
                body += got[3]
            if got[0] == GOAWAY:
                break
        assert struct.unpack(">I", got[3][4:8])[0] == 0  # NO_ERROR
        assert struct.unpack(">I", got[3][:4])[0] == 1  # stream 1 will still be answered
        c.send(window_update(0, 4 << 20) + window_update(1, 4 << 20))
        while True:
            f = c.until(lambda f: f[0] == DATA and f[2] == 1, timeout=10)
            assert f is not None, "stream 1 did not finish after GOAWAY"
            body += f[3]
            if f[1] & END_STREAM:
                break
        assert body == data
        assert c.next_frame(timeout=5) is None  # then the server closes
        assert r.proc.wait(10) == 0
    finally:
        r.cleanup()


def test_expect_100_continue_gets_an_interim_response(registry):
    c = RawH2(registry.port)
    c.request(1, "PUT", f"/v2/{NAME}/manifests/e", extra=[("content-type", "application/json"), ("expect", "100-continue")],
              end_stream=False)
    f = c.until(lambda f: f[0] == HEADERS and f[2] == 1)
    assert dict(c.decoder.decode(f[3]))[":status"] == "100"
    assert not f[1] & END_STREAM
    c.send(frame(DATA, END_STREAM, 1, b"{}"))
    assert c.response(1)[0] == 400  # not a manifest, but the body was read after the 100
