"""Azure Blob storage for conformance tests: the azure-blob-fake (it verifies every SharedKey
signature and SAS with the azure-storage-blob SDK's code) on loopback, and registries
configured with `storage.azure` on it. The fake is `../shared/emulators/azure-blob-fake.py`
next to the repository (as CI lays it out), or AZURE_BLOB_FAKE."""
import os
import urllib.request
import uuid

from harness import ROOT
from storagehelpers import PeerProcess, ReplicaSet, StorageRegistryProcess

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
FAKE = os.environ.get("AZURE_BLOB_FAKE") or os.path.join(os.path.dirname(ROOT), "shared", "emulators", "azure-blob-fake.py")


class AzureBlobFake(PeerProcess):
    """The fake on a free loopback port; `start()`, `stop()`, `create_container()`."""

    name = "azure-blob-fake"

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    def command(self):
        return ["python3", FAKE, "--port", str(self.port), "--quiet"]

    def ready(self):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
            return True
        except OSError:
            return False

    def service(self):
        """A BlobServiceClient of the SDK on the fake (SharedKey)."""
        from azure.storage.blob import BlobServiceClient
        return BlobServiceClient(account_url=self.endpoint, credential={"account_name": ACCOUNT, "account_key": KEY})

    def create_container(self, name=None):
        name = name or "wharf-" + uuid.uuid4().hex[:16]
        self.service().create_container(name)
        return name


def azure_config(endpoint, container, **params):
    """The `storage.azure` section for the fake at `endpoint`."""
    azure = {"accountname": ACCOUNT, "accountkey": KEY, "container": container, "serviceurl": endpoint,
             "rootdirectory": "/registry", "chunksize": 1024 * 1024}
    azure.update(params)
    return {k: v for k, v in azure.items() if v is not None}   # None drops a default (no accountkey)


class AzureRegistryProcess(StorageRegistryProcess):
    """A registry whose storage is Azure Blob on the fake."""

    def __init__(self, endpoint, container, redirect=True, azure=None, **kwargs):
        super().__init__({"azure": azure_config(endpoint, container, **(azure or {}))}, redirect=redirect, **kwargs)


class AzureReplicaSet(ReplicaSet):
    """`count` registries on one container behind a RoundRobinProxy (see ReplicaSet)."""

    def __init__(self, endpoint, container, count=3, redirect=False):
        super().__init__(AzureRegistryProcess(endpoint, container, redirect=redirect) for _ in range(count))
