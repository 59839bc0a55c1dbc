"""Starts gcp-storage-emulator (in memory) on a free loopback port, prints the port, and
exits when the parent process (the Swift test runner) is gone, so no server outlives the
tests (the conformance suite starts it too). Arguments, both optional: a port (0: a free
one) and a data directory (default: in memory; on disk, a restarted emulator keeps its
objects). The emulator serves one connection at a time and its storage is not thread-safe:
here connections are served by threads (the shared driver suite runs tests in parallel)
while one lock keeps its handlers one at a time."""
import os
import socket
import sys
import threading
import time
from http import server as http_server

from gcp_storage_emulator import server as emulator

emulator.server.HTTPServer = http_server.ThreadingHTTPServer
_handle = emulator.Router.handle
_lock = threading.Lock()


def _serialized(self, method):
    with _lock:
        return _handle(self, method)


emulator.Router.handle = _serialized

parent = os.getppid()
port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
data_dir = sys.argv[2] if len(sys.argv) > 2 else None
if port == 0:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
gcs = emulator.create_server("127.0.0.1", port, in_memory=data_dir is None, data_dir=data_dir)
gcs.start()
print(port, flush=True)
while os.getppid() == parent:
    time.sleep(0.5)
gcs.stop()
