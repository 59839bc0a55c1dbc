#!/usr/bin/env python3
"""Deleting a manifest that many tags point at (issue 18, storage.tag.concurrencylimit).

    python3 bench/tag_delete.py [TAGS] [ROUNDS]

For each concurrencylimit (1, 8, 32) and for Debian's docker-registry 2.8.2 in the same
run: push an image, tag it TAGS times, add one other tag that must survive, time
`DELETE /v2/<name>/manifests/<digest>` (which finds and removes every tag pointing at
it), and check the tag list. Prints the median of ROUNDS. Filesystem storage in a
temporary directory; WHARF_BIN picks the binary (default .build/debug/wharf).
"""
import json
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))
from harness import RegistryProcess  # noqa: E402
from ocihelpers import build_image, push_image  # noqa: E402


def one_round(r, name, tags):
    image = push_image(r, name, build_image(), tag="t0")
    conn = r.connection()
    for i in range(1, tags):
        conn.request("PUT", f"/v2/{name}/manifests/t{i}", body=image.data, headers={"Content-Type": image.media_type})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 201, resp.status
    conn.close()
    push_image(r, name, build_image(), tag="keep")
    start = time.perf_counter()
    status = r.request("DELETE", f"/v2/{name}/manifests/{image.digest}")[0]
    seconds = time.perf_counter() - start
    assert status == 202, status
    assert json.loads(r.request("GET", f"/v2/{name}/tags/list")[2])["tags"] == ["keep"]
    return seconds


def main():
    tags = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    targets = [("wharf", limit) for limit in (1, 8, 32)]
    if shutil.which("docker-registry"):
        targets.append(("distribution", None))
    for target, limit in targets:
        config = {"log": {"level": "error"}}
        if limit is not None:
            config["storage"] = {"tag": {"concurrencylimit": limit}}
        r = RegistryProcess(target=target, config=config).start()
        try:
            times = [one_round(r, f"bench/r{i}", tags) for i in range(rounds)]
        finally:
            r.cleanup()
        label = f"wharf concurrencylimit={limit}" if limit is not None else "docker-registry 2.8.2"
        print(f"{label:32} delete of a manifest with {tags} tags: median {statistics.median(times) * 1000:7.1f} ms "
              f"({', '.join(f'{t * 1000:.0f}' for t in times)})", flush=True)


if __name__ == "__main__":
    main()
