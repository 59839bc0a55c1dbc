"""The container image built offline by .ci/build-image.sh (release binary with
--static-swift-stdlib, buildah from scratch): pushed into a running Wharf with skopeo,
pulled back unchanged, with the Dockerfile's settings, and its binary runs inside its
own filesystem.

Runs by default: the release build takes about 2 minutes cold on two cores (40 s
incremental), the rest seconds. WHARF_IMAGE_TEST=0 skips it; WHARF_RELEASE_BIN=<path>
reuses a release binary already built. Needs root (buildah, mount, chroot), as CI has.
"""
import hashlib
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import tarfile
import tempfile
import time
import types

import pytest

import kustomizelite
from harness import RegistryProcess, ROOT, free_port, make_tls
from clienthelpers import push_image, run, sample_image, skopeo, skopeo_copy

pytestmark = [
    pytest.mark.wharf_only,
    pytest.mark.skipif(os.environ.get("WHARF_IMAGE_TEST") == "0", reason="WHARF_IMAGE_TEST=0"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for buildah, mount and chroot"),
]


@pytest.fixture(scope="module")
def image_archive():
    tmp = tempfile.mkdtemp(prefix="wharf-image-test-")
    out = os.path.join(tmp, "wharf.oci.tar")
    run([os.path.join(ROOT, ".ci", "build-image.sh"), out, "wharf:test"], timeout=3600)
    yield out
    subprocess.run(["rm", "-rf", tmp])


def test_image_round_trips_through_wharf_and_runs(image_archive, tmp_path):
    r = RegistryProcess().start()
    try:
        ref = f"docker://{r.host}/wharf/wharf:test"
        skopeo_copy(f"oci-archive:{image_archive}:wharf:test", ref)
        raw = skopeo("inspect", "--tls-verify=false", "--raw", ref).stdout
        manifest = json.loads(raw)
        assert manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
        config = json.loads(skopeo("inspect", "--tls-verify=false", "--config", ref).stdout)
        c = config["config"]
        assert c["User"] == "1001:1001"
        assert "5000/tcp" in c["ExposedPorts"]
        assert "/var/lib/registry" in c["Volumes"]
        assert c["Entrypoint"] == ["/usr/local/bin/wharf"]
        assert c["Cmd"] == ["serve", "/etc/wharf/config.yml"]

        pulled = tmp_path / "pulled"
        skopeo_copy(ref, f"oci:{pulled}:test")
        index = json.loads((pulled / "index.json").read_text())
        digest = index["manifests"][0]["digest"]
        assert (pulled / "blobs" / "sha256" / digest.split(":")[1]).read_bytes() == raw

        # Unpack the layers and run the binary in that filesystem alone.
        rootfs = tmp_path / "rootfs"
        rootfs.mkdir()
        for layer in manifest["layers"]:
            with tarfile.open(pulled / "blobs" / "sha256" / layer["digest"].split(":")[1]) as t:
                t.extractall(rootfs, filter="tar")
        assert (rootfs / "etc/wharf/config.yml").read_text() == open(os.path.join(ROOT, "config", "config.yml")).read()
        assert "wharf:x:1001:1001" in (rootfs / "etc/passwd").read_text()
        # Swift reads its arguments from /proc, which a container runtime mounts.
        (rootfs / "proc").mkdir(exist_ok=True)
        run(["mount", "-t", "proc", "proc", str(rootfs / "proc")])
        try:
            out = run(["chroot", "--userspec=1001:1001", str(rootfs), "/usr/local/bin/wharf", "version"]).stdout.decode()
            assert out.startswith("wharf ")
            if not os.environ.get("WHARF_RELEASE_BIN"):
                # build-image.sh stamps its release build with the checkout's commit.
                head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
                assert out.split() == ["wharf", out.split()[1], head], out
            out = run(["chroot", "--userspec=1001:1001", str(rootfs), "/usr/local/bin/wharf", "check-config", "/etc/wharf/config.yml"])
            assert b"rootdirectory" in out.stdout
        finally:
            run(["umount", str(rootfs / "proc")], check=False)
    finally:
        r.cleanup()


def kill_if_running(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def unmount_all(mounts):
    """Lazily unmounts `mounts`, last mounted first."""
    for m in reversed(mounts):
        run(["umount", "-l", str(m)], check=False)


def unpack_image(archive, tmp_path):
    """The image's layers unpacked into tmp_path/rootfs (from the oci-archive, no registry)."""
    layout = tmp_path / "layout"
    skopeo("copy", "--quiet", f"oci-archive:{archive}:wharf:test", f"oci:{layout}:test")
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]).read_text())
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    for layer in manifest["layers"]:
        with tarfile.open(layout / "blobs" / "sha256" / layer["digest"].split(":")[1]) as t:
            t.extractall(rootfs, filter="tar")
    return rootfs


def test_image_runs_as_the_deployment_runs_it(image_archive, tmp_path):
    """config/kubernetes' Deployment applied by hand to the image's filesystem: its user,
    a read-only root, its volumes at their mount paths (config map, TLS and policy
    secrets, trusted CA, storage, /tmp), its config and Secrets' variables. The replica
    answers /healthz over TLS, takes a push with a token from the policy, serves metrics
    with the metrics secret, and on SIGTERM drains and exits 0 within the grace period.

    Not with podman run: on this machine crun refuses the VM's hybrid cgroup hierarchy and
    runc cannot mount the container's cgroup, so the pod is assembled with bind mounts and
    chroot, as the test above runs the binary."""

    objects = kustomizelite.render(os.path.join(ROOT, "config", "kubernetes", "overlays", "filesystem"))
    get = lambda kind, name: next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)
    pod = get("Deployment", "image-registry")["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    sc = pod["securityContext"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    rootfs = unpack_image(image_archive, tmp_path)

    # What each volume holds, made on the host.
    ca, crt, key = make_tls(tmp_path)
    token = "wharf_deployment_test_token"
    content = {
        "config": {"config.yml": get("ConfigMap", "image-registry-config")["data"]["config.yml"]},
        "registry-tls": {"tls.crt": open(crt).read(), "tls.key": open(key).read()},
        "auth-policy": {"policy.yml": f'users:\n  - name: admin\n    tokens: ["sha256:{hashlib.sha256(token.encode()).hexdigest()}"]\n'
                        'bindings:\n  - role: registry-admin\n    subjects: ["user:admin"]\n    projects: ["*"]\n'},
        "trusted-ca": {"tls-ca-bundle.pem": open("/etc/ssl/certs/ca-certificates.crt").read()},
    }
    mounts = []
    run(["mount", "--bind", str(rootfs), str(rootfs)])
    mounts.append(rootfs)
    try:
        for m in c["volumeMounts"]:
            target = rootfs / m["mountPath"].lstrip("/")
            target.mkdir(parents=True, exist_ok=True)  # the runtime makes mount points
        (rootfs / "proc").mkdir(exist_ok=True)
        run(["mount", "-o", "remount,bind,ro", str(rootfs)])
        for m in c["volumeMounts"]:
            target = rootfs / m["mountPath"].lstrip("/")
            v = volumes[m["name"]]
            if "emptyDir" in v:
                run(["mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", str(target)])
            else:
                source = tmp_path / "volumes" / m["name"]
                source.mkdir(parents=True)
                for name, text in content.get(m["name"], {}).items():
                    (source / name).write_text(text)
                os.chown(source, 0, sc["fsGroup"])  # fsGroup owns the volume
                os.chmod(source, 0o2775)
                for f in source.iterdir():
                    os.chown(f, 0, sc["fsGroup"])
                    os.chmod(f, 0o640)
                run(["mount", "--bind", str(source), str(target)])
                if m.get("readOnly"):
                    run(["mount", "-o", "remount,bind,ro", str(target)])
            mounts.append(target)
        run(["mount", "-t", "proc", "proc", str(rootfs / "proc")])
        mounts.append(rootfs / "proc")

        # The root filesystem really is read-only for the registry's user.
        p = run(["chroot", f"--userspec={sc['runAsUser']}:{sc['runAsGroup']}", str(rootfs),
                 "/usr/local/bin/wharf", "check-config", "/etc/wharf/config.yml"])
        assert b"/var/lib/registry" in p.stdout
        assert run(["touch", str(rootfs / "etc" / "written")], check=False).returncode != 0

        port = free_port()
        env = {"PATH": "/usr/local/bin", "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
               "REGISTRY_HTTP_SECRET": "deployment-test-secret", "REGISTRY_OPENSHIFT_METRICS_SECRET": "metrics-test",
               # Port 5000 may be taken on the test machine; the pod's own network has it free.
               "REGISTRY_HTTP_ADDR": f"127.0.0.1:{port}"}
        env.update(get("Secret", "image-registry-private-configuration-user")["stringData"])
        log = open(tmp_path / "serve.log", "wb")
        proc = subprocess.Popen([shutil.which("chroot"), f"--userspec={sc['runAsUser']}:{sc['runAsGroup']}", str(rootfs),
                                 "/usr/local/bin/wharf", *c["args"]], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            ctx = ssl.create_default_context(cafile=ca)

            def request(method, path, body=None, headers=None, timeout=30):
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
                try:
                    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}", **(headers or {})})
                    r = conn.getresponse()
                    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
                finally:
                    conn.close()

            probe = c["readinessProbe"]["httpGet"]
            deadline = time.time() + 20
            while True:
                try:
                    st, _, body = request("GET", probe["path"])
                    break
                except OSError:
                    assert proc.poll() is None and time.time() < deadline, (tmp_path / "serve.log").read_text()
                    time.sleep(0.1)
            assert probe["scheme"] == "HTTPS" and st == 200, body

            img = sample_image("amd64", "deployment")
            push_image(types.SimpleNamespace(request=request), "proj/app", "v1", img)
            assert request("GET", "/v2/proj/app/manifests/v1", headers={"Accept": img.media_type})[0] == 200
            assert list((tmp_path / "volumes" / "registry-storage").rglob("data")), "nothing stored on the volume"
            st, _, body = request("GET", "/extensions/v2/metrics", headers={"Authorization": "Bearer metrics-test"})
            assert st == 200 and b"imageregistry_http_requests_total" in body

            grace = pod["terminationGracePeriodSeconds"] - c["lifecycle"]["preStop"]["sleep"]["seconds"]
            start = time.time()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(grace) == 0
            assert time.time() - start < grace
        finally:
            kill_if_running(proc)
    finally:
        unmount_all(mounts)


def image_config(archive):
    return json.loads(skopeo("inspect", "--config", f"oci-archive:{archive}:wharf:test").stdout)["config"]


def test_image_runs_with_its_own_user_entrypoint_and_volume(image_archive, tmp_path):
    """The image as a runtime starts it with nothing added: its user, entrypoint, command,
    working directory, environment, and a fresh volume at its VOLUME, filled from the
    image's own directory there (owner and mode included, as docker and podman do). Pushes
    and pulls then go through it with skopeo; before the fix the script's image had a
    root-owned /var/lib/registry and every push failed with 500 `mkdir /docker`.

    Not with podman run: on this machine crun refuses the VM's hybrid cgroup hierarchy
    (and runc cannot mount the container's cgroup), so the container is assembled by
    hand: chroot, the image's uid/gid, a bind-mounted volume and /proc."""
    c = image_config(image_archive)
    rootfs = unpack_image(image_archive, tmp_path)
    (volume_path,) = c["Volumes"]
    in_image = (rootfs / volume_path.lstrip("/")).stat()
    uid, gid = (int(x) for x in c["User"].split(":"))
    assert (in_image.st_uid, in_image.st_gid) == (uid, gid), "the volume's directory is not the image user's"
    volume = tmp_path / "volume"
    volume.mkdir()
    os.chown(volume, in_image.st_uid, in_image.st_gid)
    os.chmod(volume, in_image.st_mode & 0o7777)
    target = rootfs / volume_path.lstrip("/")
    (rootfs / "proc").mkdir(exist_ok=True)
    mounts = []
    try:
        run(["mount", "--bind", str(volume), str(target)])
        mounts.append(target)
        run(["mount", "-t", "proc", "proc", str(rootfs / "proc")])
        mounts.append(rootfs / "proc")
        port = free_port()
        env = dict(e.split("=", 1) for e in c.get("Env", []))
        # The image listens on :5000, which another test may hold; the container's own network has it free.
        env["REGISTRY_HTTP_ADDR"] = f"127.0.0.1:{port}"

        def enter():
            os.chroot(str(rootfs))
            os.chdir(c.get("WorkingDir") or "/")
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)

        log = open(tmp_path / "serve.log", "wb")
        proc = subprocess.Popen(c["Entrypoint"] + c["Cmd"], env=env, preexec_fn=enter, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 20
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/healthz")
                    assert conn.getresponse().status == 200
                    conn.close()
                    break
                except OSError:
                    assert proc.poll() is None and time.time() < deadline, (tmp_path / "serve.log").read_text()
                    time.sleep(0.1)
            ref = f"docker://127.0.0.1:{port}/wharf/wharf:self"
            skopeo_copy(f"oci-archive:{image_archive}:wharf:test", ref)
            pulled = tmp_path / "pulled"
            skopeo_copy(ref, f"oci:{pulled}:self")
            index = json.loads((pulled / "index.json").read_text())
            digest = index["manifests"][0]["digest"].split(":")[1]
            assert (pulled / "blobs" / "sha256" / digest).read_bytes() == skopeo("inspect", "--tls-verify=false", "--raw", ref).stdout
            stored = volume / "docker" / "registry" / "v2"
            assert stored.is_dir() and stored.stat().st_uid == uid, "nothing stored on the volume as the image's user"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0, (tmp_path / "serve.log").read_text()
        finally:
            kill_if_running(proc)
    finally:
        unmount_all(mounts)


def dockerfile_runtime_stage():
    """The Dockerfile's last stage as (instruction, argument) pairs, continuation lines joined."""
    text = open(os.path.join(ROOT, "Dockerfile")).read().replace("\\\n", " ")
    lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]
    last_from = max(i for i, l in enumerate(lines) if l.startswith("FROM "))
    return [tuple(l.split(None, 1)) for l in lines[last_from:]]


def test_dockerfile_and_build_script_make_the_same_image(image_archive, tmp_path):
    """Without a registry to pull base images from, the Dockerfile cannot be built here; its
    runtime stage is read instead and held against the script's image: same user, entrypoint,
    command, port, volume, working directory, environment, the volume's owner and mode, the
    user's entry, the config file; and base images named in full (no short-name lookup)."""
    stage = dockerfile_runtime_stage()
    got = {}
    for op, arg in stage:
        got.setdefault(op, []).append(arg)
    for op, arg in stage:
        if op == "FROM":
            assert arg.split()[0].startswith("docker.io/library/"), arg
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        froms = [l.split()[1] for l in f if l.startswith("FROM ")]
    assert froms and all(f.startswith("docker.io/library/") for f in froms), froms

    c = image_config(image_archive)
    assert got["USER"] == [c["User"]]
    assert json.loads(got["ENTRYPOINT"][0]) == c["Entrypoint"]
    assert json.loads(got["CMD"][0]) == c["Cmd"]
    assert [f"{p}/tcp" for p in got["EXPOSE"]] == list(c["ExposedPorts"])
    assert json.loads(got["VOLUME"][0]) == list(c["Volumes"])
    assert got["WORKDIR"] == [c["WorkingDir"]]
    for env in got["ENV"]:
        assert env in c["Env"], (env, c["Env"])

    rootfs = unpack_image(image_archive, tmp_path)
    run_lines = " ".join(got["RUN"])
    # `install -d -o wharf -g wharf -m 0750 /var/lib/registry` with wharf = 1001
    assert "--uid 1001" in run_lines and "--gid 1001" in run_lines
    assert "install -d -o wharf -g wharf -m 0750 /var/lib/registry" in run_lines
    st = (rootfs / "var/lib/registry").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1001, 1001, 0o750)
    assert "wharf:x:1001:1001:" in (rootfs / "etc/passwd").read_text()
    copies = [a.split() for a in got["COPY"]]
    assert ["config/config.yml", "/etc/wharf/config.yml"] in copies
    assert (rootfs / "etc/wharf/config.yml").read_text() == open(os.path.join(ROOT, "config", "config.yml")).read()
    assert ["--from=build", "/out/usr/local/bin/wharf", "/usr/local/bin/wharf"] in copies
    assert os.access(rootfs / "usr/local/bin/wharf", os.X_OK)
