"""GCS storage for conformance tests: gcp-storage-emulator on loopback (started by the same
script the Swift driver suite uses), and registries configured with `storage.gcs` on it."""
import json
import os
import subprocess
import uuid

from storagehelpers import PeerProcess, ReplicaSet, StorageRegistryProcess

EMULATOR_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "WharfStorageTests",
                               "Support", "gcs_emulator_for_parent.py")


class GCSEmulator(PeerProcess):
    """gcp-storage-emulator on a loopback port; `start()`, `stop()`. With `data_dir` its
    objects survive a stop and start on the same port (fault tests)."""

    def __init__(self, port=0, data_dir=None):
        self.port = port
        self.data_dir = data_dir
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        args = ["python3", EMULATOR_SCRIPT, str(self.port)] + ([self.data_dir] if self.data_dir else [])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().strip()
        if not line:
            raise RuntimeError("gcp-storage-emulator did not start (pip install gcp-storage-emulator)")
        self.port = int(line)
        return self

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
        super().__init__("gcs", gcs_config(endpoint, bucket, **(gcs or {})), redirect=redirect, storage=storage, **kwargs)


class GCSReplicaSet(ReplicaSet):
    """`count` registries on one GCS bucket behind a RoundRobinProxy (see ReplicaSet)."""

    def __init__(self, endpoint, bucket, count=3, redirect=False):
        super().__init__([GCSRegistryProcess(endpoint, bucket, redirect=redirect) for _ in range(count)])
