"""distribution's auth.htpasswd: a bcrypt htpasswd file, Basic challenge, every listed
user may do everything, anyone else gets 401."""
import base64
import os
import tempfile

import pytest

from authhelpers import hash_password
from harness import RegistryProcess
from ocihelpers import build_image, error_codes, push_image

pytestmark = pytest.mark.wharf_only


@pytest.fixture(scope="module")
def htreg():
    d = tempfile.mkdtemp(prefix="wharf-htpasswd-")
    path = os.path.join(d, "htpasswd")
    with open(path, "w") as f:
        f.write(f"alice:{hash_password('wonderland')}\n")
    r = RegistryProcess(config={"auth": {"htpasswd": {"realm": "wharf-basic", "path": path}}}).start()
    yield r
    r.cleanup()


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


class As:
    def __init__(self, reg, headers):
        self.reg, self.headers, self.host = reg, headers, reg.host

    def connection(self, timeout=30):
        return self.reg.connection(timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        return self.reg.request(method, path, body=body, headers={**self.headers, **(headers or {})})


def test_basic_challenge_without_credentials(htreg):
    st, h, body = htreg.request("GET", "/v2/")
    assert st == 401
    assert h["www-authenticate"] == 'Basic realm="wharf-basic"'
    assert error_codes(body) == ["UNAUTHORIZED"]
    # No token endpoint in this scheme.
    assert htreg.request("GET", "/openshift/token")[0] == 404


def test_listed_user_may_do_everything(htreg):
    alice = As(htreg, basic("alice", "wonderland"))
    img = build_image()
    push_image(alice, "deep/nested/name", img, tag="v1")  # no <project>/<name> rule here
    assert alice.request("GET", "/v2/deep/nested/name/manifests/v1", headers={"Accept": img.media_type})[0] == 200
    assert alice.request("GET", "/v2/_catalog")[0] == 200
    assert alice.request("DELETE", f"/v2/deep/nested/name/manifests/{img.digest}")[0] == 202


@pytest.mark.parametrize("headers", [basic("alice", "wrong"), basic("bob", "wonderland"), {"Authorization": "Bearer x.y.z"}])
def test_others_get_401(htreg, headers):
    st, h, _ = htreg.request("GET", "/v2/", headers=headers)
    assert st == 401 and h["www-authenticate"].startswith("Basic ")
