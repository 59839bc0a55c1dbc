"""Where Wharf's peak RSS on Swift comes from: one Wharf (release build) on the SAIO, 3
monolithic 64 MiB pushes, 3 chunked (8 MiB PATCHes), 3 pulls, VmHWM after each (MiB).
`python3 bench/swift_rss.py CHUNKSIZE_MIB [ENV=VALUE ...]`, e.g. `8 MALLOC_ARENA_MAX=1`
(the environment is Wharf's). Figures in RESULTS.md (issue 15 section)."""
import os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "conformance"))
import bench
from bench_clouds import _registry
from bench_swift import delete_container
from swifthelpers import SwiftSAIO, swift_config
MiB = 1024 * 1024
os.environ.setdefault("WHARF_BIN", os.path.join(os.path.dirname(HERE), ".build", "release", "wharf"))
env = dict(e.split("=", 1) for e in sys.argv[2:])
chunk = int(sys.argv[1]) * MiB
saio = SwiftSAIO().start()
c = "wharf-rss-" + SwiftSAIO.new_container()[6:]
s = _registry(bench, "wharf", "wharf", {"swift": swift_config(c, chunksize=chunk, authversion=1)}, env)
try:
    out = [f"chunksize={chunk//MiB}MiB env={env} idle={s.rss()//1024}"]
    for i in range(3):
        data, d = bench.big_blob(64 * MiB, i)
        conn = s.conn(600); bench.push_blob_monolithic(s, conn, "b/x", data, d); conn.close()
        out.append(f"mono{i}={s.hwm()//1024}")
    for i in range(3):
        data, d = bench.big_blob(64 * MiB, 50 + i)
        conn = s.conn(600); bench.push_blob_chunked(s, conn, "b/x", data, d, 8 * MiB); conn.close()
        out.append(f"chunked{i}={s.hwm()//1024}")
    for i in range(3):
        bench.pull_blob_verify(s, f"/v2/b/x/blobs/{d}", 64 * MiB, d)
        out.append(f"pull{i}={s.hwm()//1024}")
    out.append(f"rss_end={s.rss()//1024}")
    print(" ".join(out))
finally:
    s.stop(); delete_container(saio, c)
