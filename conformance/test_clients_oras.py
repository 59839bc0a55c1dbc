"""ORAS artifacts via oras-py (the PyPI `oras` client library): push files with an
artifactType, pull them back byte for byte, and attach a second artifact to the first
through `subject` (OCI 1.1), found again through the referrers API.

oras-py has no referrers support of its own (no API call and no `sha256-<hex>` tag-schema
fallback): it only puts `subject` in the manifest it pushes. Distribution 2.8.2 stores
such a manifest (the bytes are kept; the field is ignored) but has no
/v2/<name>/referrers/<digest> route, so the referrers checks are Wharf-only.
"""
import json
import os
import shutil
import tempfile

import pytest

oras_provider = pytest.importorskip("oras.provider")
import oras.oci  # noqa: E402

from clienthelpers import MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST, sha256  # noqa: E402

ARTIFACT_TYPE = "application/vnd.wharf.conformance.bundle.v1"
SIGNATURE_TYPE = "application/vnd.wharf.conformance.signature.v1"


class ArtifactRegistry(oras_provider.Registry):
    """oras-py's registry client, also writing the OCI 1.1 `artifactType` into the
    manifests it pushes (oras-py 0.2 only sets the config media type)."""

    artifact_type = None

    def upload_manifest(self, manifest, container):
        if self.artifact_type:
            manifest["artifactType"] = self.artifact_type
        return super().upload_manifest(manifest, container)


@pytest.fixture
def workdir():
    old = os.getcwd()
    d = tempfile.mkdtemp(prefix="wharf-oras-")
    os.chdir(d)  # oras-py wants pushed files under the working directory
    yield d
    os.chdir(old)
    shutil.rmtree(d, ignore_errors=True)


def client(registry, artifact_type=None):
    c = ArtifactRegistry(hostname=registry.host, insecure=True)
    c.artifact_type = artifact_type
    return c


def write(path, data: bytes):
    with open(path, "wb") as f:
        f.write(data)
    return path


def push_bundle(registry, workdir, repo, tag):
    files = {
        "readme.md": b"# conformance artifact\n" * 50,
        "payload.bin": os.urandom(300_000),
    }
    for n, d in files.items():
        write(os.path.join(workdir, n), d)
    c = client(registry, ARTIFACT_TYPE)
    resp = c.push(
        target=f"{registry.host}/{repo}:{tag}",
        files=["readme.md", "payload.bin:application/octet-stream"],
        manifest_annotations={"org.opencontainers.image.title": "bundle"},
        quiet=True,
    )
    assert resp.status_code == 201, resp.text
    digest = resp.headers["Docker-Content-Digest"]
    return digest, files, resp


def test_push_pull_artifact(registry, workdir):
    digest, files, _ = push_bundle(registry, workdir, "ns/artifact", "v1")

    st, h, body = registry.request("GET", "/v2/ns/artifact/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200 and sha256(body) == digest
    assert h["content-type"] == OCI_MANIFEST
    m = json.loads(body)
    assert m["artifactType"] == ARTIFACT_TYPE
    assert [l["annotations"]["org.opencontainers.image.title"] for l in m["layers"]] == ["readme.md", "payload.bin"]
    assert m["annotations"]["org.opencontainers.image.title"] == "bundle"

    out = os.path.join(workdir, "out")
    pulled = client(registry).pull(target=f"{registry.host}/ns/artifact:v1", outdir=out)
    assert sorted(os.path.basename(p) for p in pulled) == ["payload.bin", "readme.md"]
    for p in pulled:
        with open(p, "rb") as f:
            assert f.read() == files[os.path.basename(p)]

    # oras-py's manifest and tag calls see the same thing
    c = client(registry)
    assert c.get_manifest(f"{registry.host}/ns/artifact:v1") == m
    assert "v1" in c.get_tags(f"{registry.host}/ns/artifact")


def test_chunked_push(registry, workdir):
    data = os.urandom(3 * 1024 * 1024 + 17)
    write(os.path.join(workdir, "big.bin"), data)
    c = client(registry, ARTIFACT_TYPE)
    resp = c.push(target=f"{registry.host}/ns/artifact-chunked:v1", files=["big.bin"],
                  do_chunked=True, chunk_size=1024 * 1024, quiet=True)
    assert resp.status_code == 201, resp.text
    out = os.path.join(workdir, "out")
    pulled = client(registry).pull(target=f"{registry.host}/ns/artifact-chunked:v1", outdir=out)
    with open(pulled[0], "rb") as f:
        assert f.read() == data


def push_referrer(registry, workdir, repo, subject_digest):
    st, _, subject_body = registry.request("GET", f"/v2/{repo}/manifests/{subject_digest}",
                                           headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200
    subject = oras.oci.Subject(mediaType=OCI_MANIFEST, digest=subject_digest, size=len(subject_body))
    write(os.path.join(workdir, "signature.json"), b'{"signed": true}')
    c = client(registry, SIGNATURE_TYPE)
    resp = c.push(target=f"{registry.host}/{repo}:signature", files=["signature.json"],
                  subject=subject, quiet=True)
    assert resp.status_code == 201, resp.text
    return resp.headers["Docker-Content-Digest"], resp


def test_push_artifact_with_subject_is_stored(registry, workdir):
    subject_digest, _, _ = push_bundle(registry, workdir, "ns/signed", "v1")
    ref_digest, _ = push_referrer(registry, workdir, "ns/signed", subject_digest)
    st, _, body = registry.request("GET", f"/v2/ns/signed/manifests/{ref_digest}", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200 and sha256(body) == ref_digest
    m = json.loads(body)
    assert m["subject"]["digest"] == subject_digest
    assert m["artifactType"] == SIGNATURE_TYPE


@pytest.mark.wharf_only
def test_referrers_lists_artifact(registry, workdir):
    subject_digest, _, _ = push_bundle(registry, workdir, "ns/referred", "v1")
    ref_digest, resp = push_referrer(registry, workdir, "ns/referred", subject_digest)
    # a registry with the referrers API says so on the manifest PUT
    assert resp.headers.get("OCI-Subject") == subject_digest

    st, h, body = registry.request("GET", f"/v2/ns/referred/referrers/{subject_digest}")
    assert st == 200, body
    assert h["content-type"].startswith(OCI_INDEX)
    idx = json.loads(body)
    assert idx["schemaVersion"] == 2 and idx["mediaType"] == OCI_INDEX
    found = [d for d in idx["manifests"] if d["digest"] == ref_digest]
    assert len(found) == 1
    st, _, ref_body = registry.request("GET", f"/v2/ns/referred/manifests/{ref_digest}",
                                       headers={"Accept": MANIFEST_ACCEPT})
    assert found[0]["mediaType"] == OCI_MANIFEST
    assert found[0]["size"] == len(ref_body)
    assert found[0]["artifactType"] == SIGNATURE_TYPE

    # filtering by artifactType
    st, h, body = registry.request("GET", f"/v2/ns/referred/referrers/{subject_digest}?artifactType={SIGNATURE_TYPE}")
    assert st == 200
    assert h.get("oci-filters-applied") == "artifactType"
    assert [d["digest"] for d in json.loads(body)["manifests"]] == [ref_digest]
    st, h, body = registry.request("GET", f"/v2/ns/referred/referrers/{subject_digest}?artifactType=application/x-none")
    assert st == 200 and json.loads(body)["manifests"] == []

    # the subject itself has no referrers of its own kind; an unknown digest gives an empty index
    unknown = sha256(b"never pushed")
    st, _, body = registry.request("GET", f"/v2/ns/referred/referrers/{unknown}")
    assert st == 200 and json.loads(body)["manifests"] == []

    # deleting the referrer removes it from the list
    st, _, _ = registry.request("DELETE", f"/v2/ns/referred/manifests/{ref_digest}")
    assert st == 202
    st, _, body = registry.request("GET", f"/v2/ns/referred/referrers/{subject_digest}")
    assert st == 200 and all(d["digest"] != ref_digest for d in json.loads(body)["manifests"])
