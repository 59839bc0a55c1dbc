"""Renders the kustomizations under config/kubernetes without kubectl: the subset they use
(resources, components, strategic-merge patches from files or inline, `$patch: delete`,
null to remove a field). Anything else in a Kustomization is refused, so a manifest
change that needs more of kustomize fails here instead of rendering wrongly. When
kubectl is installed, test_deploy_manifests.py checks this renderer against
`kubectl kustomize`."""
import copy
import os

import yaml

NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KNOWN_KEYS = {"apiVersion", "kind", "resources", "components", "patches"}
# Strategic merge keys of the lists these manifests patch (Kubernetes' patchMergeKey);
# other lists are replaced whole.
MERGE_KEYS = {"volumeMounts": "mountPath", "ports": "containerPort", "containers": "name",
              "initContainers": "name", "volumes": "name", "env": "name"}


def load_documents(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def kustomization_file(directory):
    for name in NAMES:
        p = os.path.join(directory, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"no kustomization in {directory}")


def identity(obj):
    m = obj.get("metadata", {})
    return (obj["kind"], m.get("namespace"), m["name"])


def merge(base, patch, key=None):
    """Strategic merge of `patch` into `base` (both plain YAML values)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(patch, list) and key in MERGE_KEYS:
        mk = MERGE_KEYS[key]
        out = [copy.deepcopy(item) for item in base]
        added = []  # kustomize puts new items first
        for item in patch:
            match = next((i for i, b in enumerate(out) if b.get(mk) == item.get(mk)), None)
            if match is None:
                added.append(copy.deepcopy(item))
            elif item.get("$patch") == "delete":
                del out[match]
            else:
                out[match] = merge(out[match], item, None)
        return added + out
    return copy.deepcopy(patch)


def apply_patch(objects, patch):
    target = identity(patch)
    for i, obj in enumerate(objects):
        if identity(obj) == target:
            if patch.get("$patch") == "delete":
                del objects[i]
            else:
                objects[i] = merge(obj, patch)
            return
    raise KeyError(f"patch target {target} not found")


def render(directory):
    """The objects `kubectl kustomize directory` would print (in resource order)."""
    path = kustomization_file(directory)
    with open(path) as f:
        k = yaml.safe_load(f) or {}
    unknown = set(k) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"{path}: kustomizelite does not handle {sorted(unknown)}")
    objects = []
    for res in k.get("resources", []):
        p = os.path.join(directory, res)
        objects.extend(render(p) if os.path.isdir(p) else load_documents(p))
    for comp in k.get("components", []):
        _apply_component(objects, os.path.join(directory, comp))
    _apply_patches(objects, directory, k.get("patches", []))
    return objects


def _apply_component(objects, directory):
    with open(kustomization_file(directory)) as f:
        c = yaml.safe_load(f)
    assert c["kind"] == "Component", directory
    unknown = set(c) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"{directory}: kustomizelite does not handle {sorted(unknown)}")
    for res in c.get("resources", []):
        objects.extend(load_documents(os.path.join(directory, res)))
    _apply_patches(objects, directory, c.get("patches", []))


def _apply_patches(objects, directory, patches):
    for p in patches:
        if set(p) - {"path", "patch"}:
            raise ValueError(f"{directory}: kustomizelite handles only path/patch patches: {p}")
        docs = load_documents(os.path.join(directory, p["path"])) if "path" in p else [yaml.safe_load(p["patch"])]
        for doc in docs:
            apply_patch(objects, doc)
