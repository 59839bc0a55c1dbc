"""GCS storage for conformance tests: gcp-storage-emulator on loopback (started by the same
script the Swift driver suite uses), and registries configured with `storage.gcs` on it."""
import http.client
import json
import os
import uuid

from storagehelpers import PeerProcess, ReplicaSet, StorageRegistryProcess

EMULATOR_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "WharfStorageTests",
                               "Support", "gcs_emulator_for_parent.py")


class GCSEmulator(PeerProcess):
    """gcp-storage-emulator on a loopback port; `start()`, `stop()`. With `data_dir` its
    objects survive a stop and start on the same port (fault tests)."""

    name = "gcp-storage-emulator"

    def __init__(self, port=None, data_dir=None):
        super().__init__(port)
        self.data_dir = data_dir

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def command(self):
        return ["python3", EMULATOR_SCRIPT, str(self.port)] + ([self.data_dir] if self.data_dir else [])

    def create_bucket(self, name=None):
        name = name or "wharf-" + uuid.uuid4().hex[:16]
        status, body = self.request("POST", "/storage/v1/b?project=wharf", json.dumps({"name": name}),
                                    {"Content-Type": "application/json"})
        assert status == 200, (status, body)
        return name

    def names(self, bucket, prefix=""):
        """Every object name in the bucket below `prefix`."""
        status, body = self.request("GET", f"/storage/v1/b/{bucket}/o?prefix={prefix}")
        assert status == 200, (status, body)
        return [item["name"] for item in json.loads(body).get("items", [])]


def gcs_config(endpoint, bucket, **params):
    """The `storage.gcs` section on `endpoint` (no credentials: requests carry no Authorization)."""
    gcs = {"bucket": bucket, "endpoint": endpoint, "rootdirectory": "/registry", "chunksize": 5 * 1024 * 1024}
    gcs.update(params)
    return gcs


class GCSRegistryProcess(StorageRegistryProcess):
    """A registry whose storage is GCS."""

    def __init__(self, endpoint, bucket, redirect=True, gcs=None, storage=None, **kwargs):
        st = {"gcs": gcs_config(endpoint, bucket, **(gcs or {}))}
        st.update(storage or {})
        super().__init__(st, redirect=redirect, **kwargs)


class GCSReplicaSet(ReplicaSet):
    """`count` registries on one GCS bucket behind a RoundRobinProxy (see ReplicaSet)."""

    def __init__(self, endpoint, bucket, count=3, redirect=False):
        super().__init__([GCSRegistryProcess(endpoint, bucket, redirect=redirect) for _ in range(count)])
