"""HTTP/2 clients for the conformance tests.

`RawH2` speaks frames byte by byte (our own framing, `hpack` for header blocks) so tests can
send what no well-behaved client would. `H2HTTPConnection` is a small http.client look-alike
on top of the `h2` library, so the OCI API flows can run over HTTP/2 unchanged
(`WHARF_CONFORMANCE_H2=1`, see harness.RegistryProcess.connection).
"""
import socket
import ssl
import struct
import time

import h2.config
import h2.connection
import h2.events
import h2.settings
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED = 0x1, 0x1, 0x4, 0x8
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 5: "STREAM_CLOSED",
          6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream & 0x7FFFFFFF) + payload


def settings_frame(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def window_update(stream, increment):
    return frame(WINDOW_UPDATE, 0, stream, struct.pack(">I", increment))


def tls_context(alpn=("h2",)):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(list(alpn))
    return ctx


class RawH2:
    """One connection driven frame by frame. `frames()` yields (type, flags, stream, payload)."""

    def __init__(self, port, tls=False, preface=PREFACE, settings=(), timeout=10):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls:
            s = tls_context().wrap_socket(s, server_hostname="localhost")
            assert s.selected_alpn_protocol() == "h2", s.selected_alpn_protocol()
        self.sock = s
        self.buf = b""
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        if preface is not None:
            self.send(preface + (settings_frame(settings) if settings is not None else b""))

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def headers(self, stream, fields, end_stream=True, end_headers=True):
        block = self.encoder.encode(fields)
        flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        self.send(frame(HEADERS, flags, stream, block))

    def request(self, stream, method="GET", path="/v2/", extra=(), end_stream=True):
        self.headers(stream, [(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost")]
                     + list(extra), end_stream=end_stream)

    def next_frame(self, timeout=10):
        """The next frame, or None when the server closed the connection (or timed out)."""
        deadline = time.time() + timeout
        while True:
            if len(self.buf) >= 9:
                length = int.from_bytes(self.buf[:3], "big")
                if len(self.buf) >= 9 + length:
                    ftype, flags = self.buf[3], self.buf[4]
                    stream = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
                    payload = self.buf[9:9 + length]
                    self.buf = self.buf[9 + length:]
                    if ftype == SETTINGS and not flags & ACK:
                        self.send(settings_frame(ack=True))
                    return ftype, flags, stream, payload
            left = deadline - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, ConnectionResetError, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buf += chunk

    def until(self, predicate, timeout=10):
        """Reads frames until `predicate(frame)` holds; returns that frame, or None at close/timeout."""
        deadline = time.time() + timeout
        while True:
            f = self.next_frame(max(0.01, deadline - time.time()))
            if f is None:
                return None
            if predicate(f):
                return f

    def goaway(self, timeout=10):
        """The error name of the server's GOAWAY (reading past everything else), or None."""
        f = self.until(lambda f: f[0] == GOAWAY, timeout)
        return ERRORS.get(struct.unpack(">I", f[3][4:8])[0], "?") if f else None

    def reset_of(self, stream, timeout=10):
        f = self.until(lambda f: (f[0] == RST_STREAM and f[2] == stream) or f[0] == GOAWAY, timeout)
        if f is None or f[0] == GOAWAY:
            return None
        return ERRORS.get(struct.unpack(">I", f[3])[0], "?")

    def response(self, stream, timeout=10):
        """(status, headers dict, body) of `stream`, returning window as data arrives."""
        headers, body = None, b""
        while True:
            f = self.next_frame(timeout)
            assert f is not None, "connection closed before the response ended"
            ftype, flags, sid, payload = f
            if ftype == GOAWAY:
                raise AssertionError(f"GOAWAY {ERRORS.get(struct.unpack('>I', payload[4:8])[0])}: {payload[8:]!r}")
            if sid != stream:
                continue
            if ftype == RST_STREAM:
                raise AssertionError(f"stream reset: {ERRORS.get(struct.unpack('>I', payload)[0])}")
            if ftype == HEADERS:
                fields = self.decoder.decode(payload)
                if headers is None:
                    headers = {k: v for k, v in fields}
            elif ftype == DATA:
                body += payload
                if payload:
                    self.send(window_update(0, len(payload)) + window_update(stream, len(payload)))
            if flags & END_STREAM:
                return int(headers[":status"]), headers, body


class H2Response:
    """What http.client's HTTPResponse offers the conformance helpers."""

    def __init__(self, status, headers, body):
        self.status = status
        self.reason = ""
        self._headers = headers
        self._body = body
        self.version = 20

    def read(self, amt=None):
        data, self._body = self._body, b""
        return data

    def getheaders(self):
        return list(self._headers)

    def getheader(self, name, default=None):
        for k, v in self._headers:
            if k.lower() == name.lower():
                return v
        return default


class H2HTTPConnection:
    """http.client.HTTPConnection's request/getresponse/close over one HTTP/2 connection."""

    def __init__(self, host, port, timeout=30, tls=False):
        self.host, self.port, self.timeout, self.tls = host, port, timeout, tls
        self.sock = None
        self.conn = None
        self.stream = None

    def _connect(self):
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.tls:
            s = tls_context().wrap_socket(s, server_hostname="localhost")
            assert s.selected_alpn_protocol() == "h2"
        self.sock = s
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.responses = {}

    def _pump(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the HTTP/2 connection")
        for ev in self.conn.receive_data(data):
            st = self.responses.setdefault(getattr(ev, "stream_id", 0), {"headers": None, "body": b"", "done": False})
            if isinstance(ev, h2.events.ResponseReceived):
                st["headers"] = ev.headers
            elif isinstance(ev, h2.events.DataReceived):
                st["body"] += ev.data
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded,)):
                st["done"] = True
            elif isinstance(ev, h2.events.StreamReset):
                # NO_ERROR after a complete response: the server will not read the rest of the body.
                st["reset"] = ev.error_code
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def request(self, method, path, body=None, headers=None, encode_chunked=False):
        if self.conn is None:
            self._connect()
        if isinstance(body, str):
            body = body.encode()
        elif body is not None and not isinstance(body, (bytes, bytearray)):
            body = b"".join(body)  # an iterable of parts (HTTP/2 has no chunked coding: DATA frames instead)
        body = body or b""
        sid = self.conn.get_next_available_stream_id()
        self.stream = sid
        authority = next((v for k, v in (headers or {}).items() if k.lower() == "host"), f"{self.host}:{self.port}")
        fields = [(":method", method), (":scheme", "https" if self.tls else "http"), (":path", path),
                  (":authority", authority)]
        for k, v in (headers or {}).items():
            if k.lower() in ("host", "connection", "transfer-encoding"):
                continue
            fields.append((k.lower(), str(v)))
        self.conn.send_headers(sid, fields, end_stream=not body and method in ("GET", "HEAD", "DELETE"))
        self.sock.sendall(self.conn.data_to_send())
        if body or method not in ("GET", "HEAD", "DELETE"):
            offset = 0
            while offset < len(body):
                st = self.responses.get(sid, {})
                if st.get("done") or "reset" in st:
                    return  # answered early (413, 400...) or reset: stop sending
                window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
                if window <= 0:
                    self._pump()
                    continue
                chunk = body[offset:offset + window]
                self.conn.send_data(sid, chunk)
                offset += len(chunk)
                self.sock.sendall(self.conn.data_to_send())
            self.conn.end_stream(sid)
            self.sock.sendall(self.conn.data_to_send())

    def putrequest(self, *args, **kwargs):
        import pytest
        pytest.skip("HTTP/1.1 framing test (putrequest/send): not applicable over HTTP/2")

    def getresponse(self):
        sid = self.stream
        while not self.responses.get(sid, {}).get("done"):
            if "reset" in self.responses.get(sid, {}):
                raise ConnectionError(f"stream {sid} reset: {self.responses[sid]['reset']}")
            self._pump()
        st = self.responses.pop(sid)
        headers = [(k, v) for k, v in st["headers"] if not k.startswith(":")]
        status = int(dict(st["headers"])[":status"])
        return H2Response(status, headers, st["body"])

    def close(self):
        if self.sock is not None:
            try:
                self.conn.close_connection()
                self.sock.sendall(self.conn.data_to_send())
            except Exception:
                pass
            self.sock.close()
            self.sock = None
            self.conn = None
