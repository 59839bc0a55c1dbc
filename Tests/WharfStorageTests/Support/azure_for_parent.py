"""Starts the Azure Blob fake (argv[1]) on a free loopback port, prints the port once it
answers, and stops it when the parent process (the Swift test runner) is gone.

The runner starts this from a Dispatch thread, which blocks every signal, and children
inherit the mask: unblocked here first, or the fake would ignore SIGTERM and outlive every
`swift test` (it did: one fake left per run)."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())
parent = os.getppid()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
fake = subprocess.Popen([sys.executable, sys.argv[1], "--port", str(port), "--quiet"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=1)
        break
    except Exception:
        if fake.poll() is not None:
            sys.exit(1)
        time.sleep(0.1)
print(port, flush=True)
while os.getppid() == parent and fake.poll() is None:
    time.sleep(0.5)
fake.terminate()
try:
    fake.wait(10)
except subprocess.TimeoutExpired:
    fake.kill()
