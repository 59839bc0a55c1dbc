"""Wharf's own `auth.openshift` applies to pull-through repositories as to any other: a
viewer of the project pulls (filling the cache), a user without a binding is refused,
and an editor's push is still 405 UNSUPPORTED (the repository is a cache)."""
import os

import pytest

from authhelpers import AuthRegistry
from clienthelpers import MANIFEST_ACCEPT, OCILayout, read_layout_manifest, sample_image, skopeo
from ocihelpers import error_codes
from pullthroughhelpers import scratch, start_upstream

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def env():
    with scratch("wharf-pullthrough-auth-") as (tmp, stack):
        upstream, _ = start_upstream(os.path.join(tmp, "upstream"), tls=False, htpasswd=False)
        stack.callback(upstream.cleanup)
        lay = OCILayout(os.path.join(tmp, "src"))
        lay.single = sample_image("amd64", "pt-auth")
        lay.add_image(lay.single, "single")
        skopeo("copy", "--quiet", "--dest-tls-verify=false", f"oci:{lay.path}:single", f"docker://{upstream.host}/proj/app:v1")
        mirror = AuthRegistry()
        stack.callback(mirror.cleanup)
        with open(mirror.reg.config_path, "a") as f:
            f.write(f'proxy:\n  remoteurl: "{upstream.url}"\n')
        mirror.start()
        yield {"tmp": tmp, "mirror": mirror, "lay": lay}


def test_viewer_pulls_through(env):
    mirror, lay = env["mirror"], env["lay"]
    out = os.path.join(env["tmp"], "pulled")
    skopeo("copy", "--quiet", "--src-tls-verify=false", f"--src-creds=viewer:{mirror.tokens['viewer']}", "--preserve-digests",
           f"docker://{mirror.reg.host}/proj/app:v1", f"oci:{out}:v1")
    assert read_layout_manifest(out, "v1")[0] == lay.single.digest


def test_unbound_user_is_refused(env):
    mirror = env["mirror"]
    st, _, _ = mirror.request("GET", "/v2/proj/app/manifests/v1",
                              headers={**mirror.basic("nobody", mirror.tokens["nobody"]), "Accept": MANIFEST_ACCEPT})
    assert st in (401, 403)


def test_editor_push_is_unsupported(env):
    mirror, lay = env["mirror"], env["lay"]
    token = mirror.bearer_for("editor", "repository:proj/app:pull,push")
    st, _, body = mirror.request("PUT", "/v2/proj/app/manifests/v2", body=lay.single.manifest,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": lay.single.media_type})
    assert st == 405 and error_codes(body) == ["UNSUPPORTED"], (st, body)
