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


@pytest.fixture(scope="module")
def registry():
    """A registry with filesystem storage in a temp dir, shared by a module's tests."""
    r = RegistryProcess().start()
    yield r
    r.cleanup()


@pytest.fixture
def fresh_registry():
    """A registry of its own for one test."""
    r = RegistryProcess().start()
    yield r
    r.cleanup()
