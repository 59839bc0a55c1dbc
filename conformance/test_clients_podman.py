"""podman against the registry: push, remove, pull back; manifest lists pushed with --all.

podman runs as root with its own vfs storage, config, registries.conf and policy in a
temp dir (ClientSandbox), so the host's /etc/containers and /var/lib/containers are
never read or written.
"""
import json
import os

import pytest

from clienthelpers import ClientSandbox, OCILayout, sample_image, sha256, skopeo_raw


@pytest.fixture(scope="module")
def sandbox():
    sb = ClientSandbox()
    sb.layout = OCILayout(os.path.join(sb.tmp, "layout"))
    sb.images = {}
    for arch in ["amd64", "arm64"]:
        img = sample_image(arch, "podman")
        sb.layout.add_image(img, arch)
        sb.images[arch] = img
    yield sb
    sb.cleanup()


def load(sandbox, arch, name):
    """Imports the offline `arch` image into podman's storage and names it `name`."""
    image_id = sandbox.podman("pull", "-q", f"oci:{sandbox.layout.path}:{arch}").stdout.decode().strip()
    sandbox.podman("tag", image_id, name)
    return image_id


def inspect(sandbox, name):
    return json.loads(sandbox.podman("image", "inspect", name).stdout)[0]


def test_push_rmi_pull_round_trip(registry, sandbox):
    name = f"{registry.host}/ns/podman:v1"
    image_id = load(sandbox, "amd64", name)
    # the image id is the config digest of what we built
    assert "sha256:" + image_id == sha256(sandbox.images["amd64"].config)

    digestfile = os.path.join(sandbox.tmp, "digest")
    sandbox.podman("push", "--tls-verify=false", "--digestfile", digestfile, name)
    with open(digestfile) as f:
        pushed = f.read().strip()
    raw = skopeo_raw(f"docker://{name}")
    assert sha256(raw) == pushed
    assert json.loads(raw)["config"]["digest"] == "sha256:" + image_id

    sandbox.podman("rmi", "-f", name)
    assert sandbox.podman("image", "exists", name, check=False).returncode != 0
    if sandbox.podman("image", "exists", image_id, check=False).returncode == 0:
        sandbox.podman("rmi", "-f", image_id)

    pulled_id = sandbox.podman("pull", "-q", "--tls-verify=false", name).stdout.decode().strip()
    assert pulled_id == image_id
    info = inspect(sandbox, name)
    assert info["Id"] == image_id
    assert info["Digest"] == pushed
    assert info["Architecture"] == "amd64"
    assert any(d.endswith("@" + pushed) for d in info["RepoDigests"])

    # pull by digest too
    by_digest = f"{registry.host}/ns/podman@{pushed}"
    assert sandbox.podman("pull", "-q", "--tls-verify=false", by_digest).stdout.decode().strip() == image_id


def test_pull_unknown_tag_fails(registry, sandbox):
    p = sandbox.podman("pull", "-q", "--tls-verify=false", f"{registry.host}/ns/podman:missing", check=False)
    assert p.returncode != 0


def test_manifest_list_push_all(registry, sandbox):
    children = {}
    for arch in ["amd64", "arm64"]:
        name = f"{registry.host}/ns/podman-arch:{arch}"
        load(sandbox, arch, name)
        digestfile = os.path.join(sandbox.tmp, f"digest-{arch}")
        sandbox.podman("push", "--tls-verify=false", "--digestfile", digestfile, name)
        with open(digestfile) as f:
            children[arch] = f.read().strip()

    lst = f"{registry.host}/ns/podman-list:v1"
    sandbox.podman("manifest", "create", lst)
    for arch in ["amd64", "arm64"]:
        sandbox.podman("manifest", "add", "--tls-verify=false", "--arch", arch, "--os", "linux", lst,
                       f"docker://{registry.host}/ns/podman-arch:{arch}")
    digestfile = os.path.join(sandbox.tmp, "digest-list")
    sandbox.podman("manifest", "push", "--all", "--tls-verify=false", "--digestfile", digestfile,
                   lst, f"docker://{lst}")
    with open(digestfile) as f:
        list_digest = f.read().strip()

    raw = skopeo_raw(f"docker://{lst}")
    assert sha256(raw) == list_digest
    idx = json.loads(raw)
    assert idx["mediaType"] in (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    )
    by_arch = {m["platform"]["architecture"]: m for m in idx["manifests"]}
    assert set(by_arch) == {"amd64", "arm64"}
    for arch, desc in by_arch.items():
        assert desc["digest"] == children[arch]
        child = skopeo_raw(f"docker://{registry.host}/ns/podman-list@{desc['digest']}")
        assert sha256(child) == desc["digest"] and len(child) == desc["size"]
        cfg_digest = json.loads(child)["config"]["digest"]
        assert cfg_digest == sha256(sandbox.images[arch].config)

    # podman resolves the list to the requested platform on pull
    pulled = sandbox.podman("pull", "-q", "--tls-verify=false", "--arch", "arm64", lst).stdout.decode().strip()
    assert "sha256:" + pulled == sha256(sandbox.images["arm64"].config)
