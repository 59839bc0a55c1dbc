"""Metrics at /extensions/v2/metrics: access by secret, exact counters after a known
sequence of requests, label sets, and an exposition the Prometheus parser accepts whole."""
import base64
import http.client
import json
import os
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import RegistryProcess, wharf_bin
from ocihelpers import build_image, push_image, fetch, OCI_MANIFEST

pytestmark = pytest.mark.wharf_only

SECRET = "metrics-secret-0123"
BEARER = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture(scope="module")
def metrics_registry():
    r = RegistryProcess(config={"openshift": {"metrics": {"enabled": True, "secret": SECRET}}}).start()
    yield r
    r.cleanup()


def scrape(registry):
    status, hdrs, body = registry.request("GET", "/extensions/v2/metrics", headers=BEARER)
    assert status == 200, (status, body)
    assert hdrs["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    return families


def samples(families, family, sample_name=None):
    """{frozenset(labels.items()): value} of one family's samples named sample_name."""
    f = families[family]
    name = sample_name or family
    return {frozenset(s.labels.items()): s.value for s in f.samples if s.name == name}


def value(families, family, sample_name=None, **labels):
    return samples(families, family, sample_name).get(frozenset(labels.items()), 0.0)


def test_access_needs_the_secret(metrics_registry):
    r = metrics_registry
    status, hdrs, body = r.request("GET", "/extensions/v2/metrics")
    assert status == 401
    assert "www-authenticate" in hdrs
    assert r.request("GET", "/extensions/v2/metrics", headers={"Authorization": "Bearer wrong"})[0] == 401
    basic_wrong = base64.b64encode(b"any:wrong").decode()
    assert r.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Basic {basic_wrong}"})[0] == 401
    basic = base64.b64encode(f"any:{SECRET}".encode()).decode()
    assert r.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Basic {basic}"})[0] == 200
    assert r.request("GET", "/extensions/v2/metrics", headers=BEARER)[0] == 200


def test_exact_counters_after_a_known_sequence(metrics_registry):
    r = metrics_registry
    before = scrape(r)
    image = build_image(layers=1, layer_size=2048)
    push_image(r, "ops/metrics", image, tag="v1")          # 2 × (POST 202, PUT 201), manifest PUT 201
    for _ in range(2):
        status, _, _ = r.request("GET", "/v2/ops/metrics/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert status == 200
    assert r.request("GET", "/v2/ops/metrics/manifests/nope")[0] == 404
    layer = image.blobs[-1]
    assert fetch(r, "HEAD", f"/v2/ops/metrics/blobs/{layer.digest}")[0] == 200
    status, _, body = r.request("GET", f"/v2/ops/metrics/blobs/{layer.digest}")
    assert status == 200 and len(body) == 2048
    assert r.request("GET", "/v2/ops/metrics/tags/list")[0] == 200
    after = scrape(r)

    def delta(family, sample_name=None, **labels):
        return value(after, family, sample_name, **labels) - value(before, family, sample_name, **labels)

    fam = "imageregistry_http_requests"
    assert delta(fam, "imageregistry_http_requests_total", code="202", method="post") == 2
    assert delta(fam, "imageregistry_http_requests_total", code="201", method="put") == 3
    # 2 manifest GETs, the blob GET, the tag list and the first scrape itself.
    assert delta(fam, "imageregistry_http_requests_total", code="200", method="get") == 5
    assert delta(fam, "imageregistry_http_requests_total", code="404", method="get") == 1
    assert delta(fam, "imageregistry_http_requests_total", code="200", method="head") == 1
    for labels in samples(after, fam, "imageregistry_http_requests_total"):
        keys = {k for k, _ in labels}
        assert keys == {"code", "method"}
        assert dict(labels)["method"] == dict(labels)["method"].lower()

    op = "imageregistry_request_duration_seconds"
    count = op + "_count"
    assert delta(op, count, operation="BlobStore.Create") == 2
    assert delta(op, count, operation="BlobWriter.Commit") == 2
    assert delta(op, count, operation="ManifestService.Put") == 1
    assert delta(op, count, operation="ManifestService.Get") == 3
    assert delta(op, count, operation="BlobStore.Stat") == 1
    assert delta(op, count, operation="BlobStore.ServeBlob") == 1
    assert delta(op, count, operation="TagService.All") == 1
    quantiles = {dict(l)["quantile"] for l in samples(after, op) if dict(l)["operation"] == "TagService.All"}
    assert quantiles == {"0.5", "0.9", "0.99"}

    dur = "imageregistry_http_request_duration_seconds"
    assert delta(dur, dur + "_count", method="put") == 3
    size = "imageregistry_http_response_size_bytes"
    # The blob GET's 2048 bytes are in the response size sum.
    assert delta(size, size + "_sum") >= 2048
    req = "imageregistry_http_request_size_bytes"
    assert delta(req, req + "_sum") >= 2048 + len(image.data)

    # The manifests pushed are cached by digest: both GETs hit.
    assert delta("imageregistry_digest_cache_requests", "imageregistry_digest_cache_requests_total", type="Hit") == 2
    # Tag and revision links are the scoped lookups. Links written less than a second ago
    # are never cached, so right after the push each GET looks up two links and misses.
    scoped = "imageregistry_digest_cache_scoped_requests"
    assert delta(scoped, scoped + "_total", type="Miss") >= 4

    st = "imageregistry_storage_duration_seconds"
    assert delta(st, st + "_count", operation="StorageDriver.PutContent") >= 1
    assert delta(st, st + "_count", operation="StorageDriver.Writer") >= 2
    assert delta(st, st + "_count", operation="StorageDriver.Move") >= 2
    for labels in samples(after, "imageregistry_storage_errors", "imageregistry_storage_errors_total"):
        assert {k for k, _ in labels} == {"operation", "code"}
    # The unknown tag was looked up in storage and not found.
    assert value(after, "imageregistry_storage_errors", "imageregistry_storage_errors_total",
                 operation="StorageDriver.GetContent", code="PATH_NOT_FOUND") >= 1


def test_types_build_info_and_process(metrics_registry):
    families = scrape(metrics_registry)
    types = {name: f.type for name, f in families.items()}
    assert types["imageregistry_build_info"] == "gauge"
    assert types["imageregistry_http_in_flight_requests"] == "gauge"
    assert types["imageregistry_http_requests"] == "counter"
    for s in ["imageregistry_http_request_duration_seconds", "imageregistry_http_request_size_bytes",
              "imageregistry_http_response_size_bytes", "imageregistry_http_time_to_write_header_seconds",
              "imageregistry_request_duration_seconds",
              "imageregistry_storage_duration_seconds"]:
        assert types[s] == "summary", s
    assert types["imageregistry_storage_errors"] == "counter"
    assert types["imageregistry_digest_cache_requests"] == "counter"
    assert types["imageregistry_digest_cache_scoped_requests"] == "counter"
    info = families["imageregistry_build_info"].samples[0]
    assert set(info.labels) == {"gitCommit", "gitVersion", "major", "minor"} and info.value == 1
    # The scrape itself is in flight.
    assert value(families, "imageregistry_http_in_flight_requests") == 1
    assert value(families, "process_resident_memory_bytes") > 1 << 20
    assert value(families, "process_open_fds") >= 3
    start = value(families, "process_start_time_seconds")
    assert time.time() - 600 < start <= time.time() + 1
    assert types["process_cpu_seconds"] == "counter"


def test_scoped_digest_cache_hits_once_links_settle(metrics_registry):
    r = metrics_registry
    image = build_image(layers=1, layer_size=1024)
    push_image(r, "ops/scoped", image, tag="v1")
    time.sleep(1.2)   # links younger than a second are read every time
    scoped = "imageregistry_digest_cache_scoped_requests"
    before = scrape(r)
    for _ in range(3):
        status, _, body = r.request("GET", "/v2/ops/scoped/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert status == 200 and body == image.data
    after = scrape(r)
    hits = value(after, scoped, scoped + "_total", type="Hit") - value(before, scoped, scoped + "_total", type="Hit")
    misses = value(after, scoped, scoped + "_total", type="Miss") - value(before, scoped, scoped + "_total", type="Miss")
    # First GET: the tag and revision links are read and cached (2 misses); the next two
    # answer both from memory after one stat each (4 hits).
    assert (hits, misses) == (4, 2)


def test_disabled_by_default_and_enabled_by_environment():
    off = RegistryProcess().start()
    try:
        assert off.request("GET", "/extensions/v2/metrics", headers=BEARER)[0] == 404
    finally:
        off.cleanup()
    on = RegistryProcess(env={"REGISTRY_OPENSHIFT_METRICS_ENABLED": "true",
                              "REGISTRY_OPENSHIFT_METRICS_SECRET": SECRET}).start()
    try:
        assert on.request("GET", "/extensions/v2/metrics")[0] == 401
        assert on.request("GET", "/extensions/v2/metrics", headers=BEARER)[0] == 200
    finally:
        on.cleanup()


def test_shipped_operations_example_serves_metrics(tmp_path):
    """config/config-operations.yml as shipped (address and storage moved by variables)."""
    from harness import ROOT, free_port
    import subprocess, socket, time as _time
    port = free_port()
    env = dict(os.environ, REGISTRY_HTTP_ADDR=f"127.0.0.1:{port}",
               REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=str(tmp_path / "data"))
    log = open(tmp_path / "log", "wb")
    proc = subprocess.Popen([wharf_bin(), "serve", os.path.join(ROOT, "config", "config-operations.yml")],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = _time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None and _time.time() < deadline, (tmp_path / "log").read_text()
                _time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/extensions/v2/metrics", headers={"Authorization": "Bearer change-me-metrics"})
        resp = conn.getresponse()
        body = resp.read().decode()
        assert resp.status == 200
        names = {f.name for f in text_string_to_metric_families(body)}
        assert "imageregistry_http_requests" in names
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
    # JSON lines, as the example configures.
    for line in (tmp_path / "log").read_text().splitlines():
        json.loads(line)
