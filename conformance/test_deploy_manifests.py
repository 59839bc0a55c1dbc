"""config/kubernetes/ as a cluster would take it: every manifest and every rendered
kustomize overlay passes `kubernetes-validate --strict` for Kubernetes 1.31, the Route and
ServiceMonitor pass the JSON schemas in conformance/schemas/, and the objects have the
shape the Image Registry Operator gives them, agree with each other (names, paths, the
drain budget) and with the container image (Dockerfile), and each overlay's credentials
Secret names only variables its storage driver reads."""
import glob
import json
import os
import re
import shutil
import subprocess

import jsonschema
import pytest
import yaml

import kustomizelite
from harness import ROOT, wharf_bin

KUBE = os.path.join(ROOT, "config", "kubernetes")
K8S_VERSION = "1.31.0"
OVERLAYS = ["filesystem", "s3", "gcs", "azure", "swift"]
COMPONENTS = ["openshift", "ingress", "monitoring"]
SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
CUSTOM_KINDS = {("route.openshift.io/v1", "Route"), ("monitoring.coreos.com/v1", "ServiceMonitor")}
LABEL = {"docker-registry": "default"}

# Parameters of the drivers not in Sources yet: distribution's names (docs/storage.md).
DISTRIBUTION_PARAMETERS = {
    "gcs": {"bucket", "keyfile", "credentials", "rootdirectory", "chunksize"},
    "azure": {"accountname", "accountkey", "container", "realm", "rootdirectory", "credentials", "serviceurl"},
    "swift": {"authurl", "username", "password", "container", "region", "tenant", "tenantid", "domain", "domainid",
              "tenantdomain", "tenantdomainid", "trustid", "insecureskipverify", "chunksize", "prefix", "secretkey",
              "accesskey", "authversion", "endpointtype", "tempurlcontainerkey", "tempurlmethods"},
}

pytestmark = pytest.mark.skipif(shutil.which("kubernetes-validate") is None,
                                reason="kubernetes-validate not installed (conformance/requirements.txt)")


def manifest_files():
    return sorted(glob.glob(os.path.join(KUBE, "**", "*.yaml"), recursive=True))


def documents(path):
    return kustomizelite.load_documents(path)


def is_custom(obj):
    return (obj.get("apiVersion"), obj.get("kind")) in CUSTOM_KINDS


def schema_for(obj):
    group, _, version = obj["apiVersion"].rpartition("/")
    with open(os.path.join(SCHEMAS, f"{group}_{version}_{obj['kind']}.json")) as f:
        return json.load(f)


def kubernetes_validate(objects, tmp_path, name):
    """Runs kubernetes-validate --strict on `objects` written as one multi-document file."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return subprocess.run(["kubernetes-validate", "--strict", "--kubernetes-version", K8S_VERSION, "--quiet", str(path)],
                          capture_output=True, text=True, timeout=120)


def check_objects(objects, tmp_path, name):
    core = [o for o in objects if not is_custom(o)]
    p = kubernetes_validate(core, tmp_path, name)
    assert p.returncode == 0, f"{name}:\n{p.stdout}\n{p.stderr}"
    for o in objects:
        if is_custom(o):
            jsonschema.validate(o, schema_for(o), cls=jsonschema.Draft202012Validator)


def rendered(overlay, *components):
    objects = kustomizelite.render(os.path.join(KUBE, "overlays", overlay))
    for c in components:
        kustomizelite._apply_component(objects, os.path.join(KUBE, "components", c))
    return objects


def find(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, [o["metadata"]["name"] for o in found])
    return found[0]


# --- validation ------------------------------------------------------------------------


def test_every_manifest_file_validates(tmp_path):
    files = manifest_files()
    assert len(files) >= 15, files
    core = [f for f in files if not any(is_custom(d) for d in documents(f))]
    p = subprocess.run(["kubernetes-validate", "--strict", "--kubernetes-version", K8S_VERSION, "--quiet", *core],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    customs = [d for f in files for d in documents(f) if is_custom(d)]
    assert sorted(d["kind"] for d in customs) == ["Route", "ServiceMonitor"]
    for d in customs:
        jsonschema.validate(d, schema_for(d), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rendered_overlay_validates(overlay, tmp_path):
    check_objects(rendered(overlay), tmp_path, overlay)
    check_objects(rendered(overlay, *COMPONENTS), tmp_path, overlay + "-all")


def test_validators_refuse_mistakes(tmp_path):
    deployment = find(rendered("s3"), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["schema"] = "HTTPS"
    assert kubernetes_validate([deployment], tmp_path, "bad").returncode != 0
    route = documents(os.path.join(KUBE, "components", "openshift", "route.yaml"))[0]
    route["spec"]["tls"]["termination"] = "re-encrypt"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(route, schema_for(route), cls=jsonschema.Draft202012Validator)
    monitor = documents(os.path.join(KUBE, "components", "monitoring", "servicemonitor.yaml"))[0]
    monitor["spec"]["endpoints"][0]["bearerToken"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, schema_for(monitor), cls=jsonschema.Draft202012Validator)


def test_plain_apply_skips_kustomizations():
    """`kubectl apply -f dir` reads every .yaml file: none may be a Kustomization, and each
    holds complete objects with a namespace."""
    for f in manifest_files():
        for d in documents(f):
            assert d.get("kind") not in ("Kustomization", "Component"), f
            assert d["apiVersion"] and d["metadata"]["name"], f
            assert d["kind"] == "Namespace" or d["metadata"].get("namespace") == "wharf", f
    kustomizations = glob.glob(os.path.join(KUBE, "**", "Kustomization"), recursive=True)
    assert len(kustomizations) == 1 + len(OVERLAYS) + len(COMPONENTS) + 1


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_agrees_with_kubectl_kustomize(overlay):
    out = subprocess.run(["kubectl", "kustomize", os.path.join(KUBE, "overlays", overlay)],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    key = lambda o: (o["kind"], o["metadata"]["name"])
    assert sorted(yaml.safe_load_all(out), key=key) == sorted(kustomizelite.render(os.path.join(KUBE, "overlays", overlay)), key=key)


# --- the operator's shape ----------------------------------------------------------------


def test_everything_carries_the_registry_label():
    for o in rendered("filesystem", *COMPONENTS):
        assert o["metadata"]["labels"].items() >= LABEL.items(), o["metadata"]["name"]


def test_deployment_as_the_operator_makes_it():
    objects = rendered("filesystem")
    d = find(objects, "Deployment", "image-registry")
    spec, pod = d["spec"], d["spec"]["template"]["spec"]
    assert spec["replicas"] == 2
    assert spec["selector"]["matchLabels"] == LABEL and d["spec"]["template"]["metadata"]["labels"] == LABEL
    assert spec["strategy"]["type"] == "RollingUpdate"
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert set(spread) == {"kubernetes.io/hostname", "node-role.kubernetes.io/worker", "topology.kubernetes.io/zone"}
    for c in spread.values():
        assert c["maxSkew"] == 1 and c["whenUnsatisfiable"] == "DoNotSchedule"
        assert c["labelSelector"] == {"matchLabels": LABEL}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    for probe in (c["readinessProbe"], c["livenessProbe"]):
        assert probe["httpGet"] == {"path": "/healthz", "port": 5000, "scheme": "HTTPS"}
        assert probe["timeoutSeconds"] > 5  # /healthz waits up to 5 s for the storage
    res = c["resources"]
    assert res["requests"]["memory"] == "64Mi" and res["limits"]["memory"] == "256Mi"
    assert res["requests"]["cpu"]
    # Credentials, config, http.secret, TLS.
    assert c["envFrom"] == [{"secretRef": {"name": "image-registry-private-configuration-user", "optional": True}}]
    env = {e["name"]: e for e in c["env"]}
    assert env["REGISTRY_HTTP_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "image-registry-http-secret", "key": "secret"}
    find(objects, "Secret", "image-registry-http-secret")
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert volumes["config"]["configMap"]["name"] == "image-registry-config" and mounts["config"] == "/etc/wharf"
    config = yaml.safe_load(find(objects, "ConfigMap", "image-registry-config")["data"]["config.yml"])
    service = find(objects, "Service", "image-registry")
    tls_secret = service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"]
    tls_volume = next(n for n, v in volumes.items() if v.get("secret", {}).get("secretName") == tls_secret)
    assert config["http"]["tls"] == {"certificate": mounts[tls_volume] + "/tls.crt", "key": mounts[tls_volume] + "/tls.key",
                                     "minimumtls": "tls1.2"}
    assert os.path.dirname(config["auth"]["openshift"]["policy"]) == mounts["auth-policy"]
    assert volumes["trusted-ca"]["configMap"]["name"] == "trusted-ca"
    assert find(objects, "ConfigMap", "trusted-ca")["metadata"]["labels"]["config.openshift.io/inject-trusted-cabundle"] == "true"
    # preStop + draintimeout fit in the grace period.
    drain = int(config["http"]["draintimeout"].rstrip("s"))
    pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + 5
    # The storage: one ReadWriteMany claim.
    pvc = find(objects, "PersistentVolumeClaim", "image-registry-storage")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert volumes["registry-storage"]["persistentVolumeClaim"]["claimName"] == "image-registry-storage"


def test_service_route_ingress_and_monitor():
    objects = rendered("s3", *COMPONENTS)
    service = find(objects, "Service", "image-registry")
    (port,) = service["spec"]["ports"]
    assert port["port"] == 5000 and port["targetPort"] == 5000 and service["spec"]["selector"] == LABEL
    route = find(objects, "Route")
    assert route["spec"]["to"] == {"kind": "Service", "name": "image-registry", "weight": 100}
    assert route["spec"]["port"]["targetPort"] == port["name"]
    assert route["spec"]["tls"]["termination"] == "reencrypt" and "destinationCACertificate" in route["spec"]["tls"]
    ingress = find(objects, "Ingress")
    ann = ingress["metadata"]["annotations"]
    assert ann["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
    assert ann["nginx.ingress.kubernetes.io/proxy-ssl-verify"] == "on"
    assert ann["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {"name": "image-registry", "port": {"name": port["name"]}}
    monitor = find(objects, "ServiceMonitor")
    (ep,) = monitor["spec"]["endpoints"]
    assert ep["path"] == "/extensions/v2/metrics" and ep["port"] == port["name"] and ep["scheme"] == "https"
    assert ep["authorization"]["credentials"] == {"name": "image-registry-metrics", "key": "secret"}
    env = {e["name"]: e for e in find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["REGISTRY_OPENSHIFT_METRICS_SECRET"]["valueFrom"]["secretKeyRef"] == ep["authorization"]["credentials"]
    assert ep["tlsConfig"]["serverName"] == f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc"
    # OpenShift: the SCC assigns the UID; the injected bundle is the trust store.
    pod = find(objects, "Deployment")["spec"]["template"]["spec"]
    assert "runAsUser" not in pod["securityContext"] and pod["securityContext"]["runAsNonRoot"] is True
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert env["SSL_CERT_FILE"]["value"] == mounts["trusted-ca"] + "/tls-ca-bundle.pem"


def test_pruner_cronjob_has_the_operator_defaults():
    objects = rendered("filesystem")
    job = find(objects, "CronJob", "image-pruner")
    assert job["spec"]["schedule"] == "0 0 * * *"
    assert job["spec"]["suspend"] is False
    assert job["spec"]["successfulJobsHistoryLimit"] == 3 and job["spec"]["failedJobsHistoryLimit"] == 3
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["args"] == ["prune", "--keep-tag-revisions=3", "--keep-younger-than=60m", "--confirm", "/etc/wharf/config.yml"]
    registry = find(objects, "Deployment")["spec"]["template"]["spec"]
    assert c["image"] == registry["containers"][0]["image"]
    assert c["envFrom"] == registry["containers"][0]["envFrom"]
    same = {v["name"]: v for v in registry["volumes"]}
    for v in pod["volumes"]:
        assert v == same[v["name"]], v["name"]
    assert {"registry-storage", "config"} <= {v["name"] for v in pod["volumes"]}


def test_pruner_flags_exist_when_prune_is_built():
    p = subprocess.run([wharf_bin(), "prune", "--help"], capture_output=True, text=True, timeout=30)
    if p.returncode != 0 and "unknown command 'prune'" in p.stdout + p.stderr:
        pytest.skip("wharf prune is not built on this branch yet")
    text = p.stdout + p.stderr
    for flag in ("--keep-tag-revisions", "--keep-younger-than", "--confirm"):
        assert flag in text, text


# --- the image -------------------------------------------------------------------------


def dockerfile_runtime():
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        stages = f.read().split("\nFROM ")
    out = {}
    for line in stages[-1].splitlines():
        word, _, rest = line.partition(" ")
        if word in ("USER", "EXPOSE", "VOLUME", "ENTRYPOINT", "CMD"):
            out[word] = json.loads(rest) if rest.startswith("[") else rest
    return out


def test_manifests_run_the_image_as_built():
    image = dockerfile_runtime()
    uid, gid = (int(x) for x in image["USER"].split(":"))
    for overlay in OVERLAYS:
        objects = rendered(overlay)
        d = find(objects, "Deployment")["spec"]["template"]["spec"]
        p = find(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        for pod, cmd in ((d, image["CMD"]), (p, None)):
            sc = pod["securityContext"]
            assert (sc["runAsUser"], sc["runAsGroup"], sc["fsGroup"]) == (uid, gid, gid)
            (c,) = pod["containers"]
            assert "command" not in c  # the image's ENTRYPOINT runs
            if cmd:
                assert c["args"] == cmd
            mounts = {m["mountPath"] for m in c["volumeMounts"]}
            assert set(image["VOLUME"]) <= mounts and "/tmp" in mounts
            assert c["args"][-1].startswith("/etc/wharf/")
        assert [p["containerPort"] for p in d["containers"][0]["ports"]] == [int(image["EXPOSE"].split("/")[0])]


# --- storage overlays ------------------------------------------------------------------


def driver_parameters(driver):
    for path in glob.glob(os.path.join(ROOT, "Sources", "WharfStorage", "Drivers", "*", "*+Registration.swift")):
        with open(path) as f:
            text = f.read()
        if re.search(r'StorageDriverRegistration\(name:\s*"%s"' % driver, text):
            return set(re.findall(r'StorageDriverParameter\("(\w+)"', text))
    return DISTRIBUTION_PARAMETERS[driver]


def overlay_secret(overlay):
    return find(rendered(overlay), "Secret", "image-registry-private-configuration-user")["stringData"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_credentials_secret_names_the_driver_variables(overlay):
    data = overlay_secret(overlay)
    assert data.pop("REGISTRY_STORAGE") == overlay
    params = driver_parameters(overlay)
    prefix = f"REGISTRY_STORAGE_{overlay.upper()}_"
    assert data
    for key in data:
        assert key.startswith(prefix) and key[len(prefix):].lower() in params, key
    objects = rendered(overlay)
    assert any(o["kind"] == "PersistentVolumeClaim" for o in objects) == (overlay == "filesystem")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_config_passes_check_config(overlay, tmp_path):
    objects = rendered(overlay)
    config = tmp_path / "config.yml"
    config.write_text(find(objects, "ConfigMap", "image-registry-config")["data"]["config.yml"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(overlay_secret(overlay))
    env["REGISTRY_HTTP_SECRET"] = "x" * 32
    # check-config loads the policy file as serve does: the shipped policy Secret's file,
    # at a local path instead of its mount point.
    policy = tmp_path / "policy.yml"
    policy.write_text(find(objects, "Secret", "image-registry-auth-policy")["stringData"]["policy.yml"])
    env["REGISTRY_AUTH_OPENSHIFT_POLICY"] = str(policy)
    p = subprocess.run([wharf_bin(), "check-config", str(config)], capture_output=True, text=True, env=env, timeout=60)
    supported = re.search(r"\(supported: ([^)]*)\)", p.stderr)
    if p.returncode != 0 and supported and overlay not in supported.group(1).split(", "):
        pytest.skip(f"storage driver {overlay} is not built on this branch yet: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    effective = yaml.safe_load(p.stdout)
    assert list(k for k in effective["storage"] if k not in ("delete", "redirect", "maintenance", "cache", "tag")) == [overlay]
    assert "not a configuration key" not in p.stderr, p.stderr
