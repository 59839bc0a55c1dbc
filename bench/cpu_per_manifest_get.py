"""Server CPU per manifest GET of two wharf binaries, alternating, 4 rounds of wrk -c8 for 6 s
(CPU from /proc/PID/stat over the run divided by wrk's request count). Robust to a loaded
machine in a way req/s is not. usage: python3 bench/cpu_per_manifest_get.py OLD_BIN NEW_BIN"""
import hashlib, http.client, json, os, subprocess, sys, time, tempfile, re, statistics
bins = {"old": sys.argv[1], "new": sys.argv[2]}
def start(binary, port):
    root = tempfile.mkdtemp(); cfg = os.path.join(root, "c.yml")
    open(cfg, "w").write(f"version: 0.1\nlog:\n  level: error\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: s\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n")
    p = subprocess.Popen([binary, "serve", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/v2/"); c.getresponse().read(); break
        except Exception: time.sleep(0.1)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    def put_blob(data):
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        c.request("POST", f"/v2/bench/app/blobs/uploads/?digest={d}", body=data); r = c.getresponse(); r.read(); assert r.status == 201
        return d, len(data)
    cd, cs = put_blob(b"{}"); ld, ls = put_blob(b"layer" * 1000)
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
      "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode()
    c.request("PUT", "/v2/bench/app/manifests/latest", body=m, headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}); r = c.getresponse(); r.read(); assert r.status == 201
    return p
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
res = {"old": [], "new": []}
for rnd in range(4):
    for name in (["old", "new"] if rnd % 2 == 0 else ["new", "old"]):
        port = 6100 + rnd * 2 + (name == "new")
        p = start(bins[name], port)
        subprocess.run(["wrk", "-t1", "-c8", "-d2s", "-H", "Accept: application/vnd.oci.image.manifest.v1+json", f"http://127.0.0.1:{port}/v2/bench/app/manifests/latest"], capture_output=True)
        c0 = cpu(p.pid)
        out = subprocess.run(["wrk", "-t1", "-c8", "-d6s", "-H", "Accept: application/vnd.oci.image.manifest.v1+json", f"http://127.0.0.1:{port}/v2/bench/app/manifests/latest"], capture_output=True, text=True).stdout
        c1 = cpu(p.pid)
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        non2xx = re.search(r"Non-2xx", out)
        assert not non2xx, out
        res[name].append((c1 - c0) / reqs * 1e6)
        p.terminate(); p.wait()
print({k: [round(x, 1) for x in v] for k, v in res.items()})
print({k: round(statistics.median(v), 1) for k, v in res.items()})
