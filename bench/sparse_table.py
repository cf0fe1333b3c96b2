#!/usr/bin/env python3
"""sparse_table.py — summarize sparse_bench JSON into sparse-vs-dense tables (medians).

  ./build/sparse_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
      --benchmark_format=json --benchmark_out=sparse.json
  python3 bench/sparse_table.py sparse.json [median|min]

For each matrix shape, ISA, thread count and hot/cold: the dense Q4_1 matvec median or min (wall
and CPU time, us) and, per sparse target and sparsity, the median times and the speed-up
dense/sparse on both clocks (> 1 means the sparse kernel is faster).
"""
import json
import re
import sys
from collections import defaultdict


def main(path, stat="median"):
    data = json.load(open(path))
    med = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name", stat) != stat:
            continue
        name = re.sub(r"(/real_time)?(_" + stat + r")?$", "", b["run_name"] if "run_name" in b else b["name"])
        med[name] = (b["real_time"], b["cpu_time"])
    groups = defaultdict(dict)  # (shape, isa, threads, temp) -> {variant: (real, cpu)}
    for name, t in med.items():
        parts = name.split("/")
        if len(parts) == 5:  # shape/dense_q4_1/isa/tN/temp
            shape, variant, isa, thr, temp = parts
        elif len(parts) == 6:  # shape/target/sNN/isa/tN/temp
            shape, target, sp, isa, thr, temp = parts
            variant = f"{target}/{sp}"
        else:
            continue
        groups[(shape, isa, thr, temp)][variant] = t
    for key in sorted(groups):
        g = groups[key]
        dense = g.get("dense_q4_1")
        if not dense:
            continue
        print(f"\n### {key[0]}  {key[1]}  {key[2]}  {key[3]}   dense Q4_1: {dense[0]:.1f} us wall, {dense[1]:.1f} us CPU")
        print("| kernel | s0 | s25 | s50 | s70 | s90 |")
        print("|---|---|---|---|---|---|")
        targets = sorted({v.split("/")[0] for v in g if "/" in v})
        for tgt in targets:
            cells = []
            for sp in ("s0", "s25", "s50", "s70", "s90"):
                t = g.get(f"{tgt}/{sp}")
                if t is None:
                    cells.append("-")
                else:
                    cells.append(f"{t[1]:.1f} us ({dense[1] / t[1]:.2f}x) / wall {dense[0] / t[0]:.2f}x")
            print(f"| {tgt} | " + " | ".join(cells) + " |")
    sel = {n: t for n, t in med.items() if n.startswith(("select_active", "count_active"))}
    if sel:
        print("\n| index selection | wall us | CPU us |\n|---|---|---|")
        for n in sorted(sel):
            print(f"| {n} | {sel[n][0]:.3f} | {sel[n][1]:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "median")
