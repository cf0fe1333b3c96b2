#!/usr/bin/env python3
"""plot_sweep.py — the Pareto plot of a `skim sweep` run.

Reads sweep.json (or sweep.csv) written by `skim sweep --out-dir DIR` and writes one PNG
with two panels:
  left:  decode tok/s (each row's speed-up over its interleaved dense runs times the mean
         dense tok/s, so machine drift over a long sweep cancels) against perplexity, one line per method, each point labelled with
         its target sparsity; dense is a marked point with a horizontal reference line
         (its tok/s, the mean of the interleaved dense runs);
  right: LAMBADA accuracy (or the first task present) against measured sparsity, with
         dense's accuracy as a horizontal reference.
Usage: python3 scripts/plot_sweep.py build/sweep/sweep.json -o build/sweep/sweep.png
"""
import argparse
import csv
import json
import os
import sys


def load_rows(path):
    """Rows as dicts with method, target, sparsity, perplexity, tok_s, dense_tok_s, acc{task}."""
    if path.endswith(".csv"):
        rows = []
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                acc = {k[: -len("_acc")]: float(v) for k, v in r.items() if k.endswith("_acc")}
                rows.append({
                    "method": r["method"],
                    "target": float(r["target"]),
                    "sparsity": float(r["sparsity"]),
                    "param_sparsity": float(r["param_sparsity"]),
                    "perplexity": float(r["perplexity"]),
                    "tok_s": float(r["tok_s"]),
                    "dense_tok_s": float(r["dense_tok_s"]),
                    "masked_prefill": r.get("masked_prefill", "1") == "1",
                    "accuracy": acc,
                })
        return rows, {}
    with open(path) as f:
        doc = json.load(f)
    rows = []
    for r in doc["rows"]:
        rows.append(dict(r))
    return rows, doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input", help="sweep.json or sweep.csv from `skim sweep`")
    ap.add_argument("-o", "--output", help="PNG to write (default: sweep.png next to the input)")
    ap.add_argument("--task", default="lambada", help="task for the accuracy panel (default lambada)")
    args = ap.parse_args()

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("error: matplotlib is missing (python3 -m pip install matplotlib)", file=sys.stderr)
        return 1

    try:
        rows, doc = load_rows(args.input)
    except (OSError, ValueError, KeyError) as e:
        print(f"error: cannot read {args.input}: {e}", file=sys.stderr)
        return 1
    if not rows:
        print(f"error: {args.input} has no rows", file=sys.stderr)
        return 1
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(args.input)), "sweep.png")

    dense = next((r for r in rows if r["method"] == "dense"), None)
    methods = []
    for r in rows:
        if r["method"] != "dense" and r["method"] not in methods:
            methods.append(r["method"])
    task = args.task
    if not any(task in r.get("accuracy", {}) for r in rows):
        task = next(iter(rows[0].get("accuracy", {}) or {"": 0}))

    colors = {"teal": "tab:blue", "teal-greedy": "tab:green", "cats": "tab:orange", "dejavu": "tab:purple"}
    markers = {"teal": "o", "teal-greedy": "s", "cats": "^", "dejavu": "D"}

    def style(m):
        """Line style of a method: its base method's colour and marker; rows calibrated on
        self-generated text ("teal@self") dashed, with hollow markers."""
        base, _, cal = m.partition("@")
        st = {"marker": markers.get(base, "o"), "color": colors.get(base), "label": m}
        if cal:
            st.update(ls="--", markerfacecolor="white")
        return st
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 6))

    # Dense reference: the mean of every interleaved dense measurement.
    dense_ts = [r["dense_tok_s"] for r in rows if r.get("dense_tok_s", 0) > 0]
    dense_ref = sum(dense_ts) / len(dense_ts) if dense_ts else (dense["tok_s"] if dense else None)
    if dense:
        ax1.axhline(dense_ref, color="gray", ls="--", lw=1, label=f"dense {dense_ref:.1f} tok/s")
        ax1.plot([dense["perplexity"]], [dense_ref], "k*", ms=14, label="dense", zorder=5)
    for m in methods:
        pts = sorted((r for r in rows if r["method"] == m), key=lambda r: r["target"])
        xs = [r["perplexity"] for r in pts]
        # Shared machines drift over a long sweep: each row's speed-up comes from dense and
        # sparse runs interleaved, so plot speed-up x the mean dense tok/s (raw tok/s: CSV).
        ys = [r["speedup"] * dense_ref if r.get("speedup") else r["tok_s"] for r in pts]
        ax1.plot(xs, ys, **style(m))
        for r, y in zip(pts, ys):
            ax1.annotate(f"{100 * r['target']:.0f}%", (r["perplexity"], y), textcoords="offset points",
                         xytext=(4, 4), fontsize=8, color=style(m)["color"])
    ax1.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, NullFormatter
    ax1.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    # Within one decade there is no major tick: label the minor ones (20, 30, ...) instead.
    ppl = [r["perplexity"] for r in rows if r.get("perplexity", 0) > 0]
    one_decade = ppl and max(ppl) < 10 * min(ppl)
    ax1.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}") if one_decade else NullFormatter())
    ax1.set_xlabel("perplexity (wiki.test.raw, log scale; lower is better)")
    ax1.set_ylabel("decode tok/s = speed-up vs interleaved dense x mean dense tok/s")
    title = "speed vs quality"
    if doc:
        s = doc.get("settings", {})
        title += f" — {doc.get('model', '')}, {doc.get('threads', '?')} threads, tg{s.get('n_gen', '?')}"
    ax1.set_title(title)
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(loc="best", fontsize=9)

    if task:
        if dense and task in dense.get("accuracy", {}):
            ax2.axhline(dense["accuracy"][task], color="gray", ls="--", lw=1,
                        label=f"dense {dense['accuracy'][task]:.3f}")
        for m in methods:
            pts = sorted((r for r in rows if r["method"] == m and task in r.get("accuracy", {})),
                         key=lambda r: r["sparsity"])
            ax2.plot([100 * r["sparsity"] for r in pts], [r["accuracy"][task] for r in pts], **style(m))
            for r in pts:
                ax2.annotate(f"{100 * r['target']:.0f}%", (100 * r["sparsity"], r["accuracy"][task]),
                             textcoords="offset points", xytext=(4, 4), fontsize=8, color=style(m)["color"])
        ax2.set_xlabel("measured sparsity during decode on wiki.test.raw (%)")
        ax2.set_ylabel(f"{task} accuracy")
        limit = doc.get("settings", {}).get("task_limit") if doc else None
        ax2.set_title(f"{task} accuracy vs sparsity" + (f" (first {limit} examples)" if limit else ""))
        ax2.grid(True, alpha=0.3)
        ax2.legend(loc="best", fontsize=9)
    if any(not r.get("masked_prefill", True) for r in rows if r["method"] != "dense"):
        fig.text(0.5, 0.01, "note: some rows ran with a dense prefill; their quality does not reflect sparsity",
                 ha="center", color="red")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
