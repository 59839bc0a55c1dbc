"""Notifications (issue 18 part 2): the events distribution sends, to a receiver the test
runs. Exact events for pushes, pulls, a mount and deletes; filters by media type and
action; an endpoint that is down, then back (backoff, nothing blocks, order kept); a full
queue dropping its oldest events; and the same sequence against Debian's docker-registry
2.8.2, compared field by field."""
import re
import shutil
import signal
import time

import pytest

from metricshelpers import metric as read_metric
from harness import RegistryProcess, TARGET
from notifyhelpers import EventReceiver, SilentListener, notifications_yaml
from ocihelpers import OCI_MANIFEST, ALL_MANIFEST_TYPES, build_image, push_blob, push_manifest

SECRET = "notify-metrics-secret"
ENVELOPE = "application/vnd.docker.distribution.events.v1+json"


def start_registry(endpoints, target=TARGET, include_references=False, metrics=True):
    config = {"openshift": {"metrics": {"enabled": True, "secret": SECRET}}} if metrics and target == "wharf" else None
    reg = RegistryProcess(target=target, config=config)
    with open(reg.config_path, "a") as f:
        f.write(notifications_yaml(endpoints, include_references))
    return reg.start()


def metric(reg, name, **labels):
    return read_metric(reg, SECRET, name, **labels)


def run_sequence(reg, name="notify/app", other="notify/other"):
    """Push (two blobs, a manifest by tag), pull (manifest by tag, a layer), mount the layer
    into `other`, delete the manifest by digest (its tag goes too), delete the mounted blob.
    Returns the image and the events expected, in order, as comparable tuples."""
    image = build_image(layers=1)
    config, layer = image.blobs
    push_blob(reg, name, config)
    push_blob(reg, name, layer)
    push_manifest(reg, name, "v1", image)
    status, _, _ = reg.request("GET", f"/v2/{name}/manifests/v1", headers={"Accept": ALL_MANIFEST_TYPES})
    assert status == 200
    status, _, _ = reg.request("GET", f"/v2/{name}/blobs/{layer.digest}")
    assert status == 200
    status, _, body = reg.request("POST", f"/v2/{other}/blobs/uploads/?mount={layer.digest}&from={name}",
                                  body=b"", headers={"Content-Length": "0"})
    assert status == 201, body
    status, _, body = reg.request("DELETE", f"/v2/{name}/manifests/{image.digest}")
    assert status == 202, body
    status, _, body = reg.request("DELETE", f"/v2/{other}/blobs/{layer.digest}")
    assert status == 202, body
    blob = "application/octet-stream"
    expected = [
        ("push", name, config.digest, None, blob),
        ("push", name, layer.digest, None, blob),
        ("push", name, image.digest, "v1", OCI_MANIFEST),
        ("pull", name, image.digest, "v1", OCI_MANIFEST),
        ("pull", name, layer.digest, None, blob),
        ("mount", other, layer.digest, None, blob),
        ("delete", name, image.digest, None, None),
        ("delete", name, None, "v1", None),
        ("delete", other, layer.digest, None, None),
    ]
    return image, expected


def compared(events):
    return [(e["action"], e["target"].get("repository"), e["target"].get("digest"), e["target"].get("tag"),
             e["target"].get("mediaType")) for e in events]


@pytest.fixture
def receiver():
    r = EventReceiver().start()
    yield r
    r.stop()


@pytest.mark.wharf_only
def test_exact_events_for_push_pull_mount_delete(receiver):
    reg = start_registry([{"name": "hook", "url": receiver.url, "timeout": "5s", "threshold": 3, "backoff": "100ms",
                           "headers": {"Authorization": ["Bearer hook-token"]}}])
    try:
        image, expected = run_sequence(reg)
        events = receiver.wait_for(len(expected))
        assert compared(events) == expected
        for headers, envelope in receiver.posts:
            assert headers["content-type"] == ENVELOPE
            assert headers["authorization"] == "Bearer hook-token"
            assert list(envelope) == ["events"]
        config, layer = image.blobs
        push = events[2]
        assert set(push) == {"id", "timestamp", "action", "target", "request", "actor", "source"}
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", push["timestamp"])
        assert push["target"] == {
            "mediaType": OCI_MANIFEST, "size": image.size, "length": image.size, "digest": image.digest,
            "repository": "notify/app", "tag": "v1", "url": f"http://{reg.host}/v2/notify/app/manifests/{image.digest}",
        }
        assert push["request"]["method"] == "PUT"
        assert push["request"]["host"] == reg.host
        assert push["request"]["addr"].startswith("127.0.0.1")
        assert push["request"]["id"] and "useragent" in push["request"]
        assert push["actor"] == {}
        assert push["source"]["addr"].endswith(f":{reg.port}") and push["source"]["instanceID"]
        pull = events[4]
        assert pull["target"] == {
            "mediaType": "application/octet-stream", "size": layer.size, "length": layer.size, "digest": layer.digest,
            "repository": "notify/app", "url": f"http://{reg.host}/v2/notify/app/blobs/{layer.digest}",
        }
        assert pull["request"]["method"] == "GET"
        assert events[5]["target"]["fromRepository"] == "notify/app"
        assert events[6]["target"] == {"repository": "notify/app", "digest": image.digest}
        assert events[7]["target"] == {"repository": "notify/app", "tag": "v1"}
        assert len({e["id"] for e in events}) == len(events)
        assert len({e["source"]["instanceID"] for e in events}) == 1
        assert metric(reg, "imageregistry_notifications_events_total", endpoint="hook", result="delivered") == len(expected)
        assert metric(reg, "imageregistry_notifications_pending", endpoint="hook") == 0
    finally:
        reg.cleanup()


@pytest.mark.wharf_only
def test_delete_by_tag_head_pulls_and_references(receiver):
    reg = start_registry([{"name": "hook", "url": receiver.url}], include_references=True)
    try:
        image = build_image(layers=2)
        for b in image.blobs:
            push_blob(reg, "notify/refs", b)
        push_manifest(reg, "notify/refs", "v2", image)
        # HEAD counts as a pull, as in distribution; a 304 and a 404 send nothing.
        assert reg.request("HEAD", f"/v2/notify/refs/manifests/{image.digest}", headers={"Accept": OCI_MANIFEST})[0] == 200
        assert reg.request("GET", "/v2/notify/refs/manifests/v2",
                           headers={"Accept": OCI_MANIFEST, "If-None-Match": f'"{image.digest}"'})[0] == 304
        assert reg.request("GET", "/v2/notify/refs/manifests/nope", headers={"Accept": OCI_MANIFEST})[0] == 404
        assert reg.request("DELETE", "/v2/notify/refs/manifests/v2")[0] == 202
        events = receiver.wait_for(6)
        assert [e["action"] for e in events] == ["push", "push", "push", "push", "pull", "delete"]
        refs = events[3]["target"]["references"]
        assert [r["digest"] for r in refs] == [b.digest for b in image.blobs]
        assert refs[0] == image.blobs[0].descriptor()
        assert events[4]["request"]["method"] == "HEAD" and "tag" not in events[4]["target"]
        assert events[5]["target"] == {"repository": "notify/refs", "tag": "v2"}
    finally:
        reg.cleanup()


@pytest.mark.wharf_only
def test_filters_by_media_type_and_action(receiver):
    everything = EventReceiver().start()
    reg = start_registry([
        {"name": "manifests-only", "url": receiver.url, "ignoredmediatypes": ["application/octet-stream"],
         "ignore": {"actions": ["pull"]}},
        {"name": "all", "url": everything.url},
        {"name": "off", "url": everything.url, "disabled": True},
    ])
    try:
        image, expected = run_sequence(reg)
        assert compared(everything.wait_for(len(expected))) == expected
        kept = [e for e in expected if e[4] != "application/octet-stream" and e[0] != "pull"]
        assert [e[0] for e in kept] == ["push", "delete", "delete", "delete"]
        assert compared(receiver.wait_for(len(kept))) == kept
    finally:
        reg.cleanup()
        everything.stop()


@pytest.mark.wharf_only
def test_endpoint_down_then_back_keeps_order():
    down = EventReceiver()  # not started: connections are refused
    reg = start_registry([{"name": "later", "url": down.url, "timeout": "2s", "threshold": 2, "backoff": "300ms"}])
    try:
        image, expected = run_sequence(reg)
        # The endpoint failed past its threshold and backs off; every request was answered.
        deadline = time.time() + 20
        while metric(reg, "imageregistry_notifications_events_total", endpoint="later", result="failed") < 3:
            assert time.time() < deadline, "delivery was not attempted"
            time.sleep(0.1)
        assert metric(reg, "imageregistry_notifications_pending", endpoint="later") == len(expected)
        assert "backing off" in reg.read_log()
        down.start()
        try:
            assert compared(down.wait_for(len(expected))) == expected
            assert len(down.posts) == 1  # the backlog went in one envelope
            assert metric(reg, "imageregistry_notifications_pending", endpoint="later") == 0
            assert metric(reg, "imageregistry_notifications_events_total", endpoint="later", result="delivered") == len(expected)
        finally:
            down.stop()
    finally:
        reg.cleanup()


@pytest.mark.wharf_only
def test_hung_endpoint_never_delays_requests():
    hung = SilentListener()
    reg = start_registry([{"name": "hung", "url": hung.url, "timeout": "120s", "threshold": 1, "backoff": "1s"}])
    try:
        # Each request would wait on the endpoint's 120s timeout if delivery were in its path;
        # the requests here give up after 10s.
        for i in range(3):
            image = build_image(layers=1)
            for b in image.blobs:
                status, _, _ = reg.request("HEAD", f"/v2/notify/hung/blobs/{b.digest}", timeout=10)
                push_blob(reg, "notify/hung", b)
            status, _, body = reg.request("PUT", f"/v2/notify/hung/manifests/t{i}", body=image.data,
                                          headers={"Content-Type": OCI_MANIFEST}, timeout=10)
            assert status == 201, body
        assert metric(reg, "imageregistry_notifications_pending", endpoint="hung") == 9
    finally:
        reg.cleanup()
        hung.close()


@pytest.mark.wharf_only
def test_full_queue_drops_the_oldest():
    down = EventReceiver()
    reg = start_registry([{"name": "small", "url": down.url, "threshold": 1, "backoff": "200ms", "queuesize": 2}])
    try:
        image, expected = run_sequence(reg)
        assert metric(reg, "imageregistry_notifications_events_total", endpoint="small", result="dropped") == len(expected) - 2
        assert metric(reg, "imageregistry_notifications_pending", endpoint="small") == 2
        assert "queue full" in reg.read_log()
        down.start()
        try:
            assert compared(down.wait_for(2)) == expected[-2:]
        finally:
            down.stop()
    finally:
        reg.cleanup()


@pytest.mark.skipif(TARGET != "wharf", reason="compares both registries itself")
def test_same_events_as_distribution():
    if not shutil.which("docker-registry"):
        pytest.skip("docker-registry (Debian package docker-registry) is not installed")
    results = {}
    for target in ("distribution", "wharf"):
        recv = EventReceiver().start()
        reg = start_registry([{"name": "cmp", "url": recv.url, "timeout": "5s", "threshold": 3, "backoff": "100ms"}],
                             target=target, metrics=False)
        try:
            image, expected = run_sequence(reg)
            results[target] = (compared(recv.wait_for(len(expected))), expected)
        finally:
            reg.cleanup()
            recv.stop()
    dist, dist_expected = results["distribution"]
    ours, ours_expected = results["wharf"]
    # Same shape of sequence; digests differ between runs (random content), so compare
    # each against its own run's expectations, then the two against each other without digests.
    assert dist == dist_expected
    assert ours == ours_expected
    assert [e[:2] + e[3:] for e in dist] == [e[:2] + e[3:] for e in ours]


@pytest.mark.wharf_only
def test_queued_events_are_delivered_at_shutdown():
    down = EventReceiver()
    reg = start_registry([{"name": "late", "url": down.url, "threshold": 1, "backoff": "200ms"}])
    try:
        image = build_image(layers=1)
        for b in image.blobs:
            push_blob(reg, "notify/stop", b)
        push_manifest(reg, "notify/stop", "v1", image)
        assert metric(reg, "imageregistry_notifications_pending", endpoint="late") == 3
        # SIGTERM while the endpoint is down, then it comes back: the queued events get there.
        reg.proc.send_signal(signal.SIGTERM)
        down.start()
        try:
            assert reg.proc.wait(20) == 0
            assert [e["action"] for e in down.wait_for(3, timeout=5)] == ["push", "push", "push"]
        finally:
            down.stop()
    finally:
        reg.cleanup()


@pytest.mark.wharf_only
def test_actor_is_the_authenticated_user(receiver, tmp_path):
    import base64
    from authhelpers import hash_password
    htpasswd = tmp_path / "htpasswd"
    htpasswd.write_text(f"alice:{hash_password('wonderland')}\n")
    reg = RegistryProcess(config={"auth": {"htpasswd": {"realm": "r", "path": str(htpasswd)}}})
    with open(reg.config_path, "a") as f:
        f.write(notifications_yaml([{"name": "hook", "url": receiver.url}]))
    reg.start()
    try:
        auth = {"Authorization": "Basic " + base64.b64encode(b"alice:wonderland").decode(),
                "User-Agent": "notify-test/1.0", "X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
        blob = build_image(layers=1).blobs[1]
        status, _, _ = reg.request("POST", f"/v2/notify/who/blobs/uploads/?digest={blob.digest}", body=blob.data,
                                   headers={**auth, "Content-Type": "application/octet-stream"})
        assert status == 201
        assert reg.request("GET", f"/v2/notify/who/blobs/{blob.digest}")[0] == 401  # no event for a refused pull
        [event] = receiver.wait_for(1)
        assert event["action"] == "push" and event["target"]["digest"] == blob.digest
        assert event["actor"] == {"name": "alice"}
        assert event["request"]["useragent"] == "notify-test/1.0"
        assert event["request"]["addr"] == "203.0.113.9"
        assert event["request"]["method"] == "POST"
    finally:
        reg.cleanup()
