"""A webhook receiver the notification tests run: records every POST (headers and the
decoded envelope), answers 200, and can be stopped and started again on the same port."""
import http.server
import json
import socket
import threading
import time

from harness import free_port


class EventReceiver:
    def __init__(self, port=None, status=200):
        self.port = port or free_port()
        self.status = status
        self.posts = []  # (headers dict lowercase, envelope dict)
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/events"

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.posts.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self):
        with self.lock:
            return [e for _, env in self.posts for e in env.get("events", [])]

    def wait_for(self, count, timeout=30):
        """The events once at least `count` arrived (fails after `timeout` seconds)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.events()
            if len(got) >= count:
                time.sleep(0.3)  # let stragglers arrive, so "exactly these" can be checked
                return self.events()
            time.sleep(0.05)
        raise AssertionError(f"expected {count} events, got {len(self.events())}: {self.events()}")


class SilentListener:
    """A port that accepts connections and never answers (an endpoint that hangs)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/events"

    def close(self):
        self.sock.close()


def notifications_yaml(endpoints, include_references=False):
    """The `notifications` section as YAML text (harness.to_yaml has no lists of mappings)."""
    lines = ["notifications:", "  events:", f"    includereferences: {'true' if include_references else 'false'}",
             "  endpoints:"]
    for e in endpoints:
        first = True
        for k, v in e.items():
            prefix = "    - " if first else "      "
            first = False
            if isinstance(v, dict):
                lines.append(f"{prefix}{k}:")
                for k2, v2 in v.items():
                    if isinstance(v2, list):
                        lines.append(f"        {k2}: [{', '.join(json.dumps(x) for x in v2)}]")
                    else:
                        lines.append(f"        {k2}: {json.dumps(v2)}")
            elif isinstance(v, list):
                lines.append(f"{prefix}{k}: [{', '.join(json.dumps(x) for x in v)}]")
            elif isinstance(v, bool):
                lines.append(f"{prefix}{k}: {'true' if v else 'false'}")
            else:
                lines.append(f"{prefix}{k}: {json.dumps(v) if isinstance(v, str) else v}")
    return "\n".join(lines) + "\n"
