"""Reading one series from the registry's Prometheus text (/extensions/v2/metrics)."""
import re


def metric(reg, secret, name, **labels):
    """The value of `name` with exactly `labels` (0.0 when the series is absent)."""
    status, _, body = reg.request("GET", "/extensions/v2/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert status == 200, body
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in body.decode().splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if m and m.group(1) == name and ",".join(sorted((m.group(2) or "").split(","))) == want:
            return float(m.group(3))
    return 0.0
