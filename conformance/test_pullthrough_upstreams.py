"""Several upstreams, each bound to a repository prefix and a namespace (`?ns=`):

- `dist/...`: docker-registry 2.8.2 with htpasswd over TLS (private CA, `127.0.0.1..<port>`);
- `wharf/...`: a second Wharf with `auth.openshift` (the upstream's token flow);
- `squid/...`: a plain docker-registry over TLS reached through Debian's squid as
  `HTTPS_PROXY` (squid's access log shows the CONNECT).

skopeo pulls multi-arch images through each with the upstream's digests; `?ns=` picks
the upstream and the answer says `OCI-Namespace`."""
import json
import os
import shutil

import pytest

from authhelpers import AuthRegistry
from clienthelpers import MANIFEST_ACCEPT, ClientSandbox, OCILayout, read_layout_manifest, sample_image, sha256, skopeo
from pullthroughhelpers import PASSWORD, USER, Squid, scratch, start_mirror_of, start_upstream, require_distribution

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def env():
    require_distribution()
    if not shutil.which("squid"):
        pytest.skip("squid (Debian package squid) is not installed")
    with scratch("wharf-pullthrough-up-") as (tmp, stack):
        lay = OCILayout(os.path.join(tmp, "src"))
        lay.children = [sample_image("amd64", "pt-up"), sample_image("arm64", "pt-up")]
        lay.index_digest, lay.index_data = lay.add_index(lay.children, "multi")
        lay.single = sample_image("amd64", "pt-up-single")
        lay.add_image(lay.single, "single")

        dist, dist_ca = start_upstream(os.path.join(tmp, "dist"))
        stack.callback(dist.cleanup)
        plain, plain_ca = start_upstream(os.path.join(tmp, "plain"), htpasswd=False)
        stack.callback(plain.cleanup)
        wharf_up = AuthRegistry().start()
        stack.callback(wharf_up.cleanup)
        squid = Squid(tmp)
        stack.callback(squid.cleanup)

        def copy(dest, *creds):
            skopeo("copy", "--quiet", "--dest-tls-verify=false", *creds, "--all", "--preserve-digests",
                   f"oci:{lay.path}:multi", dest)
        copy(f"docker://{dist.host}/library/multi:v1", f"--dest-creds={USER}:{PASSWORD}")
        copy(f"docker://{dist.host}/library/other:v1", f"--dest-creds={USER}:{PASSWORD}")
        copy(f"docker://{plain.host}/library/multi:v1")
        copy(f"docker://{wharf_up.reg.host}/proj/multi:v1", f"--dest-creds=editor:{wharf_up.tokens['editor']}")

        trusted = os.path.join(tmp, "trusted-ca")
        os.makedirs(trusted)
        for reg, ca in ((dist, dist_ca), (plain, plain_ca), (wharf_up.reg, wharf_up.ca)):
            shutil.copy(ca, os.path.join(trusted, f"127.0.0.1..{reg.port}"))
        mirror = start_mirror_of([
            {"name": "dist", "prefix": "dist", "namespace": "registry.one", "remoteurl": dist.url,
             "username": USER, "password": PASSWORD},
            {"name": "wharf", "prefix": "wharf", "namespace": "registry.two", "remoteurl": wharf_up.reg.url,
             "username": "viewer", "password": wharf_up.tokens["viewer"]},
            {"name": "squid", "prefix": "squid", "namespace": "registry.three", "remoteurl": plain.url},
        ], trusted=trusted, env={
            "HTTPS_PROXY": squid.url,
            "NO_PROXY": f"127.0.0.1:{dist.port},127.0.0.1:{wharf_up.reg.port}",
        })
        stack.callback(mirror.cleanup)
        yield {"tmp": tmp, "lay": lay, "mirror": mirror, "squid": squid, "plain": plain, "dist": dist}


def pull_all(env, ref, name):
    out = os.path.join(env["tmp"], name)
    skopeo("copy", "--quiet", "--src-tls-verify=false", "--all", "--preserve-digests",
           f"docker://{env['mirror'].host}/{ref}", f"oci:{out}:x")
    return out


@pytest.mark.parametrize("ref", ["dist/library/multi:v1", "wharf/proj/multi:v1", "squid/library/multi:v1"])
def test_multi_arch_pull_through_each_upstream(env, ref):
    lay = env["lay"]
    out = pull_all(env, ref, ref.replace("/", "_").replace(":", "_"))
    digest, data = read_layout_manifest(out, "x")
    assert digest == lay.index_digest and data == lay.index_data


@pytest.mark.parametrize("prefix", ["dist/library", "wharf/proj", "squid/library"])
def test_podman_pulls_the_arm64_image_through_each_upstream(env, prefix):
    lay = env["lay"]
    sandbox = ClientSandbox()
    try:
        name = f"{env['mirror'].host}/{prefix}/multi:v1"
        sandbox.podman("pull", "-q", "--tls-verify=false", "--arch", "arm64", name)
        info = json.loads(sandbox.podman("image", "inspect", name).stdout)[0]
        assert info["Architecture"] == "arm64"
        assert info["Digest"] in (lay.children[1].digest, lay.index_digest), info["Digest"]
        assert any(d.endswith("@" + lay.children[1].digest) for d in info["RepoDigests"]), info["RepoDigests"]
    finally:
        sandbox.cleanup()


def test_ns_query_selects_the_upstream_and_is_echoed(env):
    mirror, lay = env["mirror"], env["lay"]
    st, h, body = mirror.request("GET", "/v2/library/multi/manifests/v1?ns=registry.one", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 200, body
    assert h.get("oci-namespace") == "registry.one"
    assert h["docker-content-digest"] == lay.index_digest and sha256(body) == lay.index_digest
    child = lay.children[0]
    layer_digest = next(iter(child.blobs()))[0]
    st, h, body = mirror.request("GET", f"/v2/proj/multi/blobs/{layer_digest}?ns=registry.two")
    assert st == 200 and sha256(body) == layer_digest and h.get("oci-namespace") == "registry.two"
    # cached under the upstream's prefix: the catalog shows it there, ?ns= lists its tags
    st, _, body = mirror.request("GET", "/v2/_catalog")
    assert "dist/library/multi" in body.decode()
    st, h, body = mirror.request("GET", "/v2/library/multi/tags/list?ns=registry.one")
    assert st == 200 and json.loads(body) == {"name": "library/multi", "tags": ["v1"]}, body
    assert h.get("oci-namespace") == "registry.one"
    # the catalog with ?ns=: that upstream's repositories, named as asked for with the same ?ns=
    st, h, body = mirror.request("GET", "/v2/_catalog?ns=registry.one")
    assert st == 200 and json.loads(body) == {"repositories": ["library/multi"]}, body
    assert h.get("oci-namespace") == "registry.one"
    st, h, body = mirror.request("GET", "/v2/_catalog?ns=registry.one&n=0")
    assert st == 200 and json.loads(body) == {"repositories": []} and "link" not in h, (h, body)
    # an unknown ns is ignored, as on every route: the whole catalog
    st, h, unknown = mirror.request("GET", "/v2/_catalog?ns=unknown.example")
    assert st == 200 and "oci-namespace" not in h
    assert json.loads(unknown) == json.loads(mirror.request("GET", "/v2/_catalog")[2])
    # a repository outside every prefix is the mirror's own: nothing is fetched
    st, _, _ = mirror.request("GET", "/v2/library/multi/manifests/v1", headers={"Accept": MANIFEST_ACCEPT})
    assert st == 404


def test_catalog_pages_within_a_namespace(env):
    """Paging the catalog of one upstream: the `Link` keeps `ns`, names stay unprefixed."""
    mirror = env["mirror"]
    for ref in ("dist/library/multi:v1", "dist/library/other:v1"):
        skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{mirror.host}/{ref}")
    st, h, body = mirror.request("GET", "/v2/_catalog?ns=registry.one&n=1")
    assert st == 200 and json.loads(body) == {"repositories": ["library/multi"]}, body
    assert h["link"] == '</v2/_catalog?ns=registry.one&last=library/multi&n=1>; rel="next"', h
    st, h, body = mirror.request("GET", "/v2/_catalog?ns=registry.one&last=library/multi&n=1")
    assert st == 200 and json.loads(body) == {"repositories": ["library/other"]} and "link" not in h, (h, body)


def test_squid_carried_the_third_upstream_only(env):
    pull_all(env, "squid/library/multi:v1", "via-squid")
    # squid logs a CONNECT when the tunnel ends; the mirror keeps it pooled, so stop squid first
    env["squid"].stop()
    log = env["squid"].access_log()
    assert f"CONNECT 127.0.0.1:{env['plain'].port}" in log, log
    assert f"127.0.0.1:{env['dist'].port}" not in log
