"""Starts the Azure Blob fake (argv[1]) on a free loopback port, prints the port once it
answers, and stops it when the parent process (the Swift test runner) is gone."""
import os
import socket
import subprocess
import sys
import time
import urllib.request

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
