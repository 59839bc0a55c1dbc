"""A manifest whose descriptor size differs from the stored content's size is refused with
400 MANIFEST_INVALID (issue 22); the same for an index's children. distribution accepts
them; the spec says clients must verify sizes, and a registry that checks protects them all.
Runs on the storage CONFORMANCE_STORAGE names (conftest's `registry`), as .ci/run does for each driver."""
import json

import pytest

from ocihelpers import (OCI_INDEX, OCI_MANIFEST, Manifest, build_image, build_index, encode, error_codes,
                        push_blob, push_image, push_manifest)

pytestmark = pytest.mark.wharf_only

NAME = "sizes/app"


def test_layer_size_mismatch_is_manifest_invalid(registry):
    img = build_image()
    for blob in img.blobs:
        push_blob(registry, NAME, blob)
    body = img.json
    body["layers"][0]["size"] += 1
    st, _, resp = push_manifest(registry, NAME, "bad-layer", Manifest(encode(body), OCI_MANIFEST), expect=None)
    assert st == 400 and error_codes(resp) == ["MANIFEST_INVALID"], (st, resp)
    body = img.json
    body["config"]["size"] -= 1
    st, _, resp = push_manifest(registry, NAME, "bad-config", Manifest(encode(body), OCI_MANIFEST), expect=None)
    assert st == 400 and error_codes(resp) == ["MANIFEST_INVALID"], (st, resp)
    # The right sizes are accepted.
    push_manifest(registry, NAME, "good", img)


def test_index_child_size_mismatch_is_manifest_invalid(registry):
    child = push_image(registry, NAME, build_image())
    index = build_index([child])
    body = index.json
    body["manifests"][0]["size"] += 7
    st, _, resp = push_manifest(registry, NAME, "bad-index", Manifest(encode(body), OCI_INDEX), expect=None)
    assert st == 400 and error_codes(resp) == ["MANIFEST_INVALID"], (st, resp)
    push_manifest(registry, NAME, "good-index", index)
