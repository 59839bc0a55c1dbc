"""What the cloud-credential tests share: a record of issued bearer tokens that are
"current" for a few seconds (so a registry that does not refresh is caught), and a proxy in
front of an object-store peer that forwards only requests carrying a current token,
optionally re-signing them for a peer that only knows its own scheme (the Azure fake's
SharedKey)."""
import threading
import time

from harness import free_port
from s3helpers import _ProxyHandler
from storagehelpers import _LoopbackServer


class IssuedTokens:
    """Tokens `issue()`d with a `prefix`; `current(token)` while younger than `accepted_for` s."""

    def __init__(self, prefix, accepted_for):
        self.prefix = prefix
        self.accepted_for = accepted_for
        self.issued = {}
        self.lock = threading.Lock()

    def issue(self):
        with self.lock:
            token = f"{self.prefix}-{len(self.issued) + 1}"
            self.issued[token] = time.time()
            return token

    def current(self, token):
        with self.lock:
            issued = self.issued.get(token)
        return issued is not None and time.time() - issued < self.accepted_for


class BearerProxy(_LoopbackServer):
    """Forwards to the peer on `upstream_port` only requests with a current bearer token of
    `tokens` (anything with `current(token)`); others get 401. `resign(method, path, headers)`,
    when given, returns the headers to forward instead (the Authorization replaced)."""

    def __init__(self, upstream_port, tokens, resign=None, required_headers=()):
        self.port = free_port()
        self.refused = 0
        self.forwarded = 0
        proxy = self

        class Handler(_ProxyHandler):
            def _any(self):
                body = self.read_body()
                auth = self.headers.get("Authorization", "")
                missing = [h for h in required_headers if not self.headers.get(h)]
                if missing or not (auth.startswith("Bearer ") and tokens.current(auth[7:])):
                    proxy.refused += 1
                    payload = b'{"error":{"code":401,"message":"Invalid Credentials"}}'
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                proxy.forwarded += 1
                self.forward(upstream_port, body, drop=("connection", "authorization"), rewrite=resign)

            do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _any

        self._serve(Handler)


def slow_push(registry, name, chunks, pause=1.5):
    """Pushes `chunks` as PATCHes `pause` seconds apart (so the push outlives a short-lived
    token), commits, and returns the blob's digest and bytes."""
    from harness import sha256
    from ocihelpers import location_path, start_upload, with_query
    loc = start_upload(registry, name)
    offset = 0
    for chunk in chunks:
        time.sleep(pause)
        st, h, body = registry.request("PATCH", loc, body=chunk, headers={
            "Content-Type": "application/octet-stream", "Content-Length": str(len(chunk)),
            "Content-Range": f"{offset}-{offset + len(chunk) - 1}"}, timeout=120)
        assert st == 202, (st, body)
        loc = location_path(registry, h["location"])
        offset += len(chunk)
    data = b"".join(chunks)
    st, _, body = registry.request("PUT", with_query(loc, digest=sha256(data)), headers={"Content-Length": "0"})
    assert st == 201, (st, body)
    return sha256(data), data
