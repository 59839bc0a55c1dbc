"""Scenario 9 of bench.py: Wharf's push and pull through the three cloud drivers in one run,
each on its local peer: S3 on moto_server (with distribution 2.8.2 on the same moto as the
reference), GCS on gcp-storage-emulator, Azure on the azure-blob-fake. Redirects are off, so
the registry carries every byte. The peers are Python and single-threaded: their CPU is
reported too, and MB/s here measures the peer as much as Wharf; server CPU per GB is the
registry's own cost."""
from azurehelpers import AzureBlobFake, azure_config
from gcshelpers import GCSEmulator, gcs_config
from harness import RegistryProcess, to_yaml
from s3helpers import MotoServer, s3_config

MiB = 1024 * 1024


def _registry(bench, name, target, storage, env=None):
    reg = RegistryProcess(target=target, config={}, env=env or {})
    reg.config["storage"] = {**storage, "delete": {"enabled": True}, "redirect": {"disable": True}}
    with open(reg.config_path, "w") as f:
        f.write(to_yaml(reg.config) + "\n")
    if target == "distribution":
        reg.env.pop("AWS_CA_BUNDLE", None)
    reg.start(timeout=30)
    srv = bench.Server(name, reg, reg.host, (lambda r: lambda: r.proc.pid)(reg), reg.cleanup)
    srv.settle_idle()
    return srv


def scenario_clouds(res, args, bench):
    """9: push/pull through S3 (moto), GCS (gcp-storage-emulator) and Azure (the fake), one run."""
    sc = "9 cloud drivers"
    peers = {"moto": MotoServer(), "gcs-emulator": GCSEmulator(), "azure-fake": AzureBlobFake()}
    servers = []
    try:
        for p in peers.values():
            p.start()
        moto, gcs, azure = peers["moto"], peers["gcs-emulator"], peers["azure-fake"]
        aws = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        s3 = {"chunksize": 10 * MiB}
        servers.append(_registry(bench, "wharf s3", "wharf", {"s3": s3_config(moto.endpoint, moto.create_bucket(), **s3)}, aws))
        servers.append(_registry(bench, "distribution s3", "distribution",
                                 {"s3": {**s3_config(moto.endpoint, moto.create_bucket(), **s3), "secure": False, "v4auth": True}}, aws))
        servers.append(_registry(bench, "wharf gcs", "wharf", {"gcs": gcs_config(gcs.endpoint, gcs.create_bucket(), chunksize=8 * MiB)}))
        servers.append(_registry(bench, "wharf azure", "wharf",
                                 {"azure": azure_config(azure.endpoint, azure.create_container(), chunksize=8 * MiB)}))
        size = 4 * MiB if args.quick else args.s3_blob_mib * MiB
        rounds = 2 if args.quick else args.s3_rounds
        cpu0 = {k: bench.cpu_seconds(p.proc.pid) for k, p in peers.items()}
        bench.scenario_push(res, args, servers, sc, size, rounds, chunked=True)
        bench.scenario_pull(res, args, servers, sc, size, rounds, clients_list=(1,), nginx=False)
        res.add(sc, "peer CPU total", {k: bench.cpu_seconds(p.proc.pid) - cpu0[k] for k, p in peers.items()}, "CPU s", False)
    finally:
        for s in servers:
            s.stop()
        for p in peers.values():
            p.stop()
