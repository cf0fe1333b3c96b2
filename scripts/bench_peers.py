#!/usr/bin/env python3
"""Side-by-side decode/prefill speed: skim vs llama.cpp (llama-cpp-python), same GGUF, same
threads, interleaved in one run (the machine is shared and noisy, so compare ratios).

Each round runs `skim bench --json` once and llama.cpp once on the same tests (pp<N>:
N random tokens in one batch; tg<N>: N single-token decodes after a one-token warm-up),
alternating which goes first. Prints mean ± sd per engine and the skim/llama.cpp ratio.

    pip install llama-cpp-python
    python3 scripts/bench_peers.py -t 2 -p 512 -n 128 -r 5 [--json]
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time


def llama_cpp_round(llm, n_prompt, n_gen, n_vocab, rng):
    import llama_cpp
    out = {}
    if n_prompt:
        toks = [rng.randrange(n_vocab) for _ in range(n_prompt)]
        llm.reset()
        llama_cpp.llama_kv_self_clear(llm.ctx) if hasattr(llama_cpp, "llama_kv_self_clear") else None
        t0 = time.perf_counter()
        llm.eval(toks)
        out[f"pp{n_prompt}"] = n_prompt / (time.perf_counter() - t0)
    if n_gen:
        toks = [rng.randrange(n_vocab) for _ in range(n_gen + 1)]
        llm.reset()
        llm.eval(toks[:1])  # warm-up token, as llama-bench
        llm.reset()
        t0 = time.perf_counter()
        for t in toks[1:]:
            llm.eval([t])
        out[f"tg{n_gen}"] = n_gen / (time.perf_counter() - t0)
    return out


def skim_round(skim, model, threads, n_prompt, n_gen):
    cmd = [skim, "bench", "-m", model, "-t", str(threads), "-p", str(n_prompt), "-n", str(n_gen), "-r", "1", "--json"]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    doc = json.loads(res.stdout)
    return {t["test"]: t["avg_ts"] for t in doc["tests"]}, doc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", default=os.path.expanduser("~/.cache/skim/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--skim", default=os.path.join(os.path.dirname(__file__), "..", "build", "skim"))
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("-p", "--n-prompt", type=int, default=512)
    ap.add_argument("-n", "--n-gen", type=int, default=128)
    ap.add_argument("-r", "--repetitions", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        import llama_cpp
    except ImportError:
        sys.exit("llama-cpp-python is missing: pip install llama-cpp-python")

    llm = llama_cpp.Llama(model_path=args.model, n_ctx=max(args.n_prompt, args.n_gen) + 16, n_batch=512,
                          n_threads=args.threads, n_threads_batch=args.threads, verbose=False)
    n_vocab = llm.n_vocab()
    rng = random.Random(1234)
    samples = {"skim": {}, "llama.cpp": {}}
    meta = None
    for rep in range(args.repetitions):
        order = ["skim", "llama.cpp"] if rep % 2 == 0 else ["llama.cpp", "skim"]
        for eng in order:
            if eng == "skim":
                r, meta = skim_round(args.skim, args.model, args.threads, args.n_prompt, args.n_gen)
            else:
                r = llama_cpp_round(llm, args.n_prompt, args.n_gen, n_vocab, rng)
            for k, v in r.items():
                samples[eng].setdefault(k, []).append(v)
        print(f"round {rep + 1}/{args.repetitions}: " + ", ".join(
            f"{e} {k} {samples[e][k][-1]:.1f}" for e in samples for k in samples[e]), file=sys.stderr)

    rows = []
    for test in samples["skim"]:
        s, l = samples["skim"][test], samples["llama.cpp"][test]
        sm, lm = statistics.mean(s), statistics.mean(l)
        rows.append({"test": test, "threads": args.threads,
                     "skim_ts": sm, "skim_sd": statistics.stdev(s) if len(s) > 1 else 0.0,
                     "llama_cpp_ts": lm, "llama_cpp_sd": statistics.stdev(l) if len(l) > 1 else 0.0,
                     "ratio": sm / lm, "skim_samples": s, "llama_cpp_samples": l})
    if args.json:
        print(json.dumps({"llama_cpp_version": llama_cpp.__version__, "model": args.model,
                          "skim_isa": meta.get("isa") if meta else None, "rows": rows}, indent=2))
        return
    print(f"llama-cpp-python {llama_cpp.__version__}, {args.threads} threads, {args.repetitions} interleaved rounds")
    print("| test | skim t/s | llama.cpp t/s | skim / llama.cpp |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['test']} | {r['skim_ts']:.2f} ± {r['skim_sd']:.2f} | {r['llama_cpp_ts']:.2f} ± {r['llama_cpp_sd']:.2f} "
              f"| {r['ratio']:.2f}x |")


if __name__ == "__main__":
    main()
