"""Starts moto's S3 server on a free loopback port, prints the port, and exits when the
parent process (the Swift test runner) is gone, so no server outlives the tests."""
import os
import socket
import sys
import time

from moto.server import ThreadedMotoServer

parent = os.getppid()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
print(port, flush=True)
while os.getppid() == parent:
    time.sleep(0.5)
server.stop()
