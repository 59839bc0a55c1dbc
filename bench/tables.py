#!/usr/bin/env python3
"""Markdown tables from `bench/run --json FILE`: python3 bench/tables.py FILE."""
import json
import sys


def fmt(v):
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


rows = json.load(open(sys.argv[1]))
scenario = None
for r in rows:
    if r["scenario"] != scenario:
        scenario = r["scenario"]
        print(f"\n### {scenario}\n")
        print("| metric | unit | values | Wharf/distribution |")
        print("|---|---|---|---|")
    v = r["values"]
    ratio = f"{v['wharf'] / v['distribution']:.2f}" if "wharf" in v and v.get("distribution") else ""
    vals = ", ".join(f"{k} {fmt(x)}" for k, x in v.items())
    print(f"| {r['metric']} | {r['unit']} | {vals} | {ratio} |")
