import os

import pytest

from harness import RegistryProcess, TARGET


def pytest_configure(config):
    config.addinivalue_line("markers", "wharf_only: behaviour the reference registry (distribution 2.8.2) does not have")


def pytest_collection_modifyitems(config, items):
    if TARGET == "distribution":
        skip = pytest.mark.skip(reason="Wharf-only behaviour")
        for item in items:
            if "wharf_only" in item.keywords:
                item.add_marker(skip)


STORAGE = os.environ.get("CONFORMANCE_STORAGE", "filesystem")
_moto = []
_gcs = []
_azure = []
_swift = []


def _registry_process():
    """A registry on the storage CONFORMANCE_STORAGE names: filesystem (default) or s3 (a
    fresh bucket on one moto_server per session), or s3-replicas (3 registries on one bucket
    behind a round-robin proxy); gcs and gcs-replicas likewise on gcp-storage-emulator, azure
    and azure-replicas on one azure-blob-fake, swift and swift-replicas on the SAIO (a fresh
    container each).
    Blob GETs stream through Wharf unless CONFORMANCE_S3_REDIRECT=1 (S3, Azure)."""
    redirect = os.environ.get("CONFORMANCE_S3_REDIRECT", "0") != "0"
    if STORAGE in ("gcs", "gcs-replicas"):
        from gcshelpers import GCSEmulator, GCSRegistryProcess, GCSReplicaSet
        if not _gcs:
            _gcs.append(GCSEmulator().start())
        if STORAGE == "gcs-replicas":
            return GCSReplicaSet(_gcs[0].endpoint, _gcs[0].create_bucket())
        return GCSRegistryProcess(_gcs[0].endpoint, _gcs[0].create_bucket(), redirect=False)
    if STORAGE in ("azure", "azure-replicas"):
        from azurehelpers import AzureBlobFake, AzureRegistryProcess, AzureReplicaSet
        if not _azure:
            _azure.append(AzureBlobFake().start())
        if STORAGE == "azure-replicas":
            return AzureReplicaSet(_azure[0].endpoint, _azure[0].create_container(), redirect=redirect)
        return AzureRegistryProcess(_azure[0].endpoint, _azure[0].create_container(), redirect=redirect)
    if STORAGE in ("swift", "swift-replicas"):
        from swifthelpers import SwiftSAIO, SwiftRegistryProcess, SwiftReplicaSet
        if not _swift:
            _swift.append(SwiftSAIO().start())
        if STORAGE == "swift-replicas":
            return SwiftReplicaSet(SwiftSAIO.new_container(), redirect=redirect)
        return SwiftRegistryProcess(SwiftSAIO.new_container(), redirect=redirect)
    if STORAGE not in ("s3", "s3-replicas"):
        return RegistryProcess()
    from s3helpers import MotoServer, S3RegistryProcess, S3ReplicaSet
    if not _moto:
        _moto.append(MotoServer().start())
    if STORAGE == "s3-replicas":
        return S3ReplicaSet(_moto[0].endpoint, _moto[0].create_bucket(), redirect=redirect)
    return S3RegistryProcess(_moto[0].endpoint, _moto[0].create_bucket(), redirect=redirect)


def pytest_sessionfinish(session, exitstatus):
    for m in _moto + _gcs + _azure + _swift:
        m.stop()


@pytest.fixture(scope="module")
def moto():
    """A moto_server of a module's own (the S3 storage tests)."""
    from s3helpers import MotoServer
    m = MotoServer().start()
    yield m
    m.stop()


@pytest.fixture(scope="module")
def registry():
    """A registry with filesystem storage in a temp dir (or S3, see CONFORMANCE_STORAGE), shared by a module's tests."""
    r = _registry_process().start()
    yield r
    r.cleanup()


@pytest.fixture
def fresh_registry():
    """A registry of its own for one test."""
    r = _registry_process().start()
    yield r
    r.cleanup()
