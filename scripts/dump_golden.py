#!/usr/bin/env python3
"""Dump golden reference fixtures from llama.cpp (via llama-cpp-python).

skim's dense path must match llama.cpp, but CI cannot run llama.cpp. This
script is run once by hand; its output (small JSON files in tests/golden/) is
committed and the C++ tests compare against it with tolerances.

Fixtures (each records `llama_cpp_version` and `model_sha256`):
  tokens.json      tokenizer ids for >300 deterministic strings (see
                   scripts/golden_strings.py) plus a digest of the ids of
                   wikitext-2-raw/wiki.test.raw.
  logits.json      per-position top-10 logits for a few prompts, and the full
                   last-position logits vector for the first two.
  greedy.json      64-token greedy (argmax) continuations, raw and ChatML.
  perplexity.json  perplexity on wiki.test.raw at n_ctx=512, computed exactly
                   like llama.cpp's llama-perplexity (tools/perplexity).

Rerun:
  pip install llama-cpp-python jinja2 && python3 scripts/dump_golden.py
  python3 scripts/dump_golden.py --only tokens,logits,greedy   # fast parts
  python3 scripts/dump_golden.py --only perplexity             # ~15-20 min on 2 cores

Model: SmolLM2-135M-Instruct.Q4_1.gguf (default path below).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import struct
import sys
import time
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
REPO = SCRIPT_DIR.parent
sys.path.insert(0, str(SCRIPT_DIR))

DEFAULT_MODEL = os.path.expanduser("~/.cache/skim/models/SmolLM2-135M-Instruct.Q4_1.gguf")
WIKI_REL = "wikitext-2-raw/wiki.test.raw"
# The data lookup of include/skim/data.h: $SKIM_DATA, else the project's data beside the tree.
DEFAULT_WIKI = (Path(os.environ["SKIM_DATA"]) if os.environ.get("SKIM_DATA")
                else (REPO / ".." / "shared" / "data")).resolve() / WIKI_REL

PARTS = ("tokens", "logits", "greedy", "perplexity")

# ---------------------------------------------------------------------------
# prompts

RAW_LOGIT_PROMPTS = [
    "The capital of France is",
    "Once upon a time, there was a little girl who",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    "1, 2, 3, 4, 5, 6,",
]
CHAT_LOGIT_MESSAGES = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
]

RAW_GREEDY_PROMPTS = [
    "The capital of France is",
    "Once upon a time, there was a little girl who",
    "def fibonacci(n):\n",
    "The three primary colors are",
    "Water boils at a temperature of",
]
CHAT_GREEDY_MESSAGES = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Explain what a neural network is in one sentence.",
    "List three fruits.",
    "How many legs does a spider have?",
]

N_GREEDY = 64
TOPK = 10


# ---------------------------------------------------------------------------
# helpers

def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def ids_sha256(ids) -> str:
    return hashlib.sha256(struct.pack("<%di" % len(ids), *ids)).hexdigest()


def write_json(path: Path, obj: dict) -> None:
    """Compact but diff-friendly: one top-level key per line, and list elements
    that are dicts one per line. Non-ASCII text is written as raw UTF-8."""

    def enc(o) -> str:
        return json.dumps(o, ensure_ascii=False, separators=(",", ":"))

    lines = ["{"]
    keys = list(obj.keys())
    for i, k in enumerate(keys):
        v = obj[k]
        tail = "," if i + 1 < len(keys) else ""
        if isinstance(v, list) and v and all(isinstance(e, dict) for e in v):
            lines.append(f"{enc(k)}:[")
            for j, e in enumerate(v):
                lines.append(enc(e) + ("," if j + 1 < len(v) else ""))
            lines.append("]" + tail)
        else:
            lines.append(f"{enc(k)}:{enc(v)}{tail}")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # sanity
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text.encode('utf-8'))} bytes)", file=sys.stderr)


def rnd(x: float, nd: int) -> float:
    v = round(float(x), nd)
    return 0.0 if v == 0 else v  # no "-0.0"


class Ctx:
    """Shared state: the llama_cpp module, model path, digest, loaded models."""

    def __init__(self, args):
        import llama_cpp  # noqa: F401 (checked in main)

        self.lc = llama_cpp
        self.args = args
        self.model = args.model
        print(f"hashing {self.model} ...", file=sys.stderr)
        self.model_sha = sha256_file(self.model)
        self._vocab_llm = None
        self._full_llm = None

    def header(self) -> dict:
        return {
            "llama_cpp_version": self.lc.__version__,
            "model_sha256": self.model_sha,
            "model_file": os.path.basename(self.model),
        }

    def vocab_llm(self):
        if self._vocab_llm is None:
            self._vocab_llm = self.lc.Llama(model_path=self.model, vocab_only=True, verbose=False)
        return self._vocab_llm

    def full_llm(self, n_ctx: int = 512):
        if self._full_llm is None:
            self._full_llm = self.lc.Llama(
                model_path=self.model,
                n_ctx=n_ctx,
                n_batch=512,
                n_ubatch=512,
                n_threads=self.args.threads,
                n_threads_batch=self.args.threads,
                logits_all=True,
                flash_attn=False,
                n_gpu_layers=0,
                seed=0,
                verbose=False,
            )
        return self._full_llm

    def add_bos(self, llm) -> bool:
        return bool(self.lc.llama_vocab_get_add_bos(llm._model.vocab))

    def bos(self, llm) -> int:
        return int(self.lc.llama_vocab_bos(llm._model.vocab))

    def is_eog(self, llm, tok: int) -> bool:
        return bool(self.lc.llama_vocab_is_eog(llm._model.vocab, tok))

    def piece_text(self, llm, ids) -> str:
        return llm._model.detokenize(list(ids), special=False).decode("utf-8", errors="replace")

    def context_info(self) -> dict:
        return {
            "n_ctx": 512,
            "n_batch": 512,
            "n_ubatch": 512,
            "n_threads": self.args.threads,
            "flash_attn": False,
            "type_k": "f16",
            "type_v": "f16",
            "backend": "CPU",
        }


def render_chat(ctx: Ctx, llm, user_message: str) -> str:
    """Render the model's embedded Jinja chat template (tokenizer.chat_template)
    for one user message with add_generation_prompt=True, the way llama.cpp /
    HF render it (trim_blocks and lstrip_blocks on)."""
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    tmpl_src = llm.metadata.get("tokenizer.chat_template")
    if not tmpl_src:
        raise SystemExit("model has no tokenizer.chat_template")
    env = ImmutableSandboxedEnvironment(loader=jinja2.BaseLoader(), trim_blocks=True, lstrip_blocks=True)

    def raise_exception(msg):
        raise jinja2.exceptions.TemplateError(msg)

    env.globals["raise_exception"] = raise_exception
    vocab = llm._model
    tmpl = env.from_string(tmpl_src)
    return tmpl.render(
        messages=[{"role": "user", "content": user_message}],
        add_generation_prompt=True,
        bos_token=vocab.token_get_text(ctx.bos(llm)) if ctx.bos(llm) >= 0 else "",
        eos_token=vocab.token_get_text(vocab.token_eos()),
    )


# ---------------------------------------------------------------------------
# 1. tokens

def dump_tokens(ctx: Ctx, out: Path) -> None:
    from golden_strings import golden_cases

    llm = ctx.vocab_llm()
    cases = []
    for text, add_special, parse_special in golden_cases():
        ids = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
        cases.append({"text": text, "add_special": add_special, "parse_special": parse_special, "ids": ids})

    wiki = Path(ctx.args.wiki)
    raw = wiki.read_bytes()
    t0 = time.time()
    wids = llm.tokenize(raw, add_bos=True, special=False)
    print(f"wiki.test.raw: {len(wids)} tokens in {time.time() - t0:.1f}s", file=sys.stderr)

    obj = ctx.header()
    obj.update({
        "add_bos": ctx.add_bos(llm),
        "bos_id": ctx.bos(llm),
        "cases": cases,
        "wiki_test_raw": {
            "path": WIKI_REL,
            "file_sha256": hashlib.sha256(raw).hexdigest(),
            "file_bytes": len(raw),
            "add_special": True,
            "parse_special": False,
            "n_tokens": len(wids),
            "ids_sha256": ids_sha256(wids),
            "ids_head": wids[:64],
            "ids_tail": wids[-64:],
        },
    })
    write_json(out / "tokens.json", obj)
    print(f"tokens: {len(cases)} cases", file=sys.stderr)


# ---------------------------------------------------------------------------
# 2. logits

def eval_all_logits(llm, ids):
    """Decode ids from an empty KV cache in one batch; return (n, n_vocab) float32."""
    llm.reset()
    llm.eval(ids)
    return llm.scores[: len(ids), :].copy()


def logit_prompts(ctx: Ctx, llm):
    add_bos = ctx.add_bos(llm)
    prompts = []
    # order: raw, chat, raw, chat, raw... (the first two get the full last-position vector)
    raw = [("raw", p, p, add_bos, False) for p in RAW_LOGIT_PROMPTS]
    chat = [("chat", m, render_chat(ctx, llm, m), add_bos, True) for m in CHAT_LOGIT_MESSAGES]
    for k in range(max(len(raw), len(chat))):
        prompts += raw[k:k + 1] + chat[k:k + 1]
    return prompts


def dump_logits(ctx: Ctx, out: Path) -> None:
    import numpy as np

    llm = ctx.full_llm()
    entries = []
    for idx, (kind, msg, text, add_special, parse_special) in enumerate(logit_prompts(ctx, llm)):
        ids = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
        assert len(ids) <= 512
        logits = eval_all_logits(llm, ids)
        positions = []
        for row in logits:
            top = np.argsort(-row, kind="stable")[:TOPK]
            positions.append({
                "top_ids": [int(t) for t in top],
                "top_logits": [rnd(row[t], 4) for t in top],
            })
        e = {
            "kind": kind,
            "text": text,
            "add_special": add_special,
            "parse_special": parse_special,
            "ids": ids,
            "n_vocab": int(logits.shape[1]),
            "positions": positions,
        }
        if kind == "chat":
            e["user_message"] = msg
        if idx < 2:
            e["last_logits"] = [rnd(v, 3) for v in logits[-1]]
        entries.append(e)
        print(f"logits: prompt {idx} ({kind}, {len(ids)} tokens) argmax last = {positions[-1]['top_ids'][0]}",
              file=sys.stderr)

    obj = ctx.header()
    obj.update({
        "context": ctx.context_info(),
        "top_k": TOPK,
        "note": "top_logits rounded to 4 decimals, last_logits (full vector, last position, "
                "first 2 prompts) rounded to 3 decimals. Each prompt decoded in one batch from "
                "an empty KV cache, positions 0..n-1.",
        "prompts": entries,
    })
    write_json(out / "logits.json", obj)


# ---------------------------------------------------------------------------
# 3. greedy

def greedy(ctx: Ctx, llm, ids, n_new: int):
    import numpy as np

    llm.reset()
    llm.eval(ids)
    gen = []
    margins = []
    stop = "length"
    for _ in range(n_new):
        row = llm.scores[llm.n_tokens - 1]
        tok = int(np.argmax(row))
        top2 = np.partition(row, -2)[-2:]
        margins.append(rnd(abs(float(top2[1]) - float(top2[0])), 4))
        if ctx.is_eog(llm, tok):
            gen.append(tok)
            stop = "eog"
            break
        gen.append(tok)
        llm.eval([tok])
    return gen, stop, margins


def dump_greedy(ctx: Ctx, out: Path) -> None:
    llm = ctx.full_llm()
    add_bos = ctx.add_bos(llm)
    prompts = []
    for m in CHAT_GREEDY_MESSAGES:
        prompts.append(("chat", m, render_chat(ctx, llm, m), add_bos, True))
    for p in RAW_GREEDY_PROMPTS:
        prompts.append(("raw", p, p, add_bos, False))

    entries = []
    for kind, msg, text, add_special, parse_special in prompts:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
        gen, stop, margins = greedy(ctx, llm, ids, N_GREEDY)
        body = gen[:-1] if stop == "eog" else gen
        e = {
            "kind": kind,
            "text": text,
            "add_special": add_special,
            "parse_special": parse_special,
            "ids": ids,
            "generated_ids": gen,
            "stop": stop,
            "generated_text": ctx.piece_text(llm, body),
            "top2_margin": margins,
        }
        if kind == "chat":
            e["user_message"] = msg
        entries.append(e)
        print(f"greedy ({kind}) {msg!r} -> {e['generated_text']!r} [{stop}, {len(gen)}]", file=sys.stderr)

    obj = ctx.header()
    obj.update({
        "context": ctx.context_info(),
        "n_predict": N_GREEDY,
        "note": "Greedy = argmax of the last logits (ties: lowest id). Prompt decoded in one batch, "
                "then one token per decode. Generation stops after n_predict tokens or at an "
                "end-of-generation token (llama_vocab_is_eog), which is included as the last id of "
                "generated_ids with stop='eog'. generated_text excludes that token. Chat prompts are "
                "the model's embedded Jinja template rendered for one user message with "
                "add_generation_prompt=true (see chat_template). top2_margin[k] = logit gap between the "
                "best and second-best token at generation step k (small gaps are where a different "
                "engine may legitimately diverge).",
        "chat_template": llm.metadata.get("tokenizer.chat_template", ""),
        "prompts": entries,
    })
    write_json(out / "greedy.json", obj)


# ---------------------------------------------------------------------------
# 4. perplexity (tools/perplexity/perplexity.cpp, perplexity())

def dump_perplexity(ctx: Ctx, out: Path) -> None:
    import numpy as np

    n_ctx = 512
    llm = ctx.full_llm(n_ctx)
    add_bos = ctx.add_bos(llm)
    bos = ctx.bos(llm)

    raw = Path(ctx.args.wiki).read_bytes()
    # common/arg.cpp `-f`: the file is read and ONE trailing '\n' is dropped.
    text = raw[:-1] if raw.endswith(b"\n") else raw
    tokens = llm.tokenize(text, add_bos=True, special=False)  # common_tokenize(ctx, prompt, add_special=true)
    n_tokens = len(tokens)
    n_chunk = n_tokens // n_ctx
    if ctx.args.ppl_chunks > 0:
        n_chunk = min(n_chunk, ctx.args.ppl_chunks)
    first = n_ctx // 2
    n_vocab = llm.n_vocab()
    print(f"perplexity: {n_tokens} tokens, {n_chunk} chunks, add_bos={add_bos}", file=sys.stderr)

    nll = 0.0
    nll2 = 0.0
    count = 0
    running = []
    chunk_nll = []
    t0 = time.time()
    for i in range(n_chunk):
        start = i * n_ctx
        chunk = list(tokens[start:start + n_ctx])
        if add_bos:
            chunk[0] = bos
        # Like llama-perplexity: clear the KV cache, decode the whole chunk in one batch,
        # requesting logits only for positions >= first.
        llm.reset()
        llm._ctx.kv_cache_clear()
        b = llm._batch
        b.set_batch(batch=chunk, n_past=0, logits_all=True)
        for k in range(first):
            b.batch.logits[k] = False
        llm._ctx.decode(b)
        n_out = n_ctx - first
        out_rows = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_out * n_vocab,))
        lg = out_rows.reshape(n_out, n_vocab)[: n_out - 1]  # rows for positions first..n_ctx-2
        targets = np.asarray(tokens[start + first + 1:start + n_ctx], dtype=np.int64)  # 257..511
        mx = lg.max(axis=1)
        e = np.exp(lg - mx[:, None])  # expf(logit - max) in float
        sum_exp = e.astype(np.float64).sum(axis=1)  # double accumulator
        tgt = lg[np.arange(len(targets)), targets]
        logsm = (tgt - mx).astype(np.float64) - np.log(sum_exp)
        v = -logsm
        c_nll = float(v.sum())
        nll += c_nll
        nll2 += float((v * v).sum())
        count += len(targets)
        chunk_nll.append(c_nll / len(targets))
        running.append(math.exp(nll / count))
        el = time.time() - t0
        eta = el / (i + 1) * (n_chunk - i - 1)
        print(f"\r[{i + 1}/{n_chunk}] ppl={running[-1]:.4f} "
              f"{(i + 1) * n_ctx / el:.0f} tok/s elapsed {el / 60:.1f} min ETA {eta / 60:.1f} min   ",
              end="", file=sys.stderr, flush=True)
    print("", file=sys.stderr)
    print("".join(f"[{k + 1}]{p:.4f}," for k, p in enumerate(running)), file=sys.stderr)

    mean = nll / count
    mean2 = nll2 / count
    ppl = math.exp(mean)
    var = mean2 - mean * mean
    err = ppl * math.sqrt(var / (count - 1)) if var > 0 else float("nan")
    line = f"Final estimate: PPL = {ppl:.4f} +/- {err:.5f}"
    print(line, file=sys.stderr)

    obj = ctx.header()
    obj.update({
        "context": ctx.context_info(),
        "method": "llama-perplexity default mode: file read with one trailing '\\n' dropped (common -f), "
                  "tokenized once with add_special=true parse_special=false; n_chunk=n_tokens//n_ctx "
                  "non-overlapping chunks; per chunk: clear KV, first token replaced by BOS only if the "
                  "vocab's add_bos is true, decode positions 0..n_ctx-1 in one batch, score tokens "
                  "first+1..n_ctx-1 (first=n_ctx/2) from logit rows first..n_ctx-2; "
                  "NLL=-(logit[tok]-max-log(sum_double(expf(logit-max)))); PPL=exp(mean NLL); "
                  "+/- = PPL*sqrt((E[nll^2]-E[nll]^2)/(count-1)).",
        "path": WIKI_REL,
        "file_sha256": hashlib.sha256(raw).hexdigest(),
        "drop_trailing_newline": raw.endswith(b"\n"),
        "n_ctx": n_ctx,
        "first": first,
        "add_bos": add_bos,
        "bos_replaced": add_bos,
        "n_tokens": n_tokens,
        "ids_sha256": ids_sha256(tokens),
        "n_chunks": n_chunk,
        "scored_tokens": count,
        "ppl": ppl,
        "ppl_err": err,
        "mean_nll": mean,
        "final_line": line,
        "running_ppl_first10": [round(p, 6) for p in running[:10]],
        "chunk_mean_nll": [round(x, 6) for x in chunk_nll],
        "seconds": round(time.time() - t0, 1),
    })
    write_json(out / "perplexity.json", obj)


# ---------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="GGUF model (default: %(default)s)")
    ap.add_argument("--out", default=str(REPO / "tests" / "golden"), help="output dir (default: tests/golden)")
    ap.add_argument("--wiki", default=str(DEFAULT_WIKI), help="wiki.test.raw (default: %(default)s)")
    ap.add_argument("--only", default=",".join(PARTS), help="comma list of: " + ",".join(PARTS))
    ap.add_argument("--threads", type=int, default=2, help="llama.cpp threads (default: 2)")
    ap.add_argument("--ppl-chunks", type=int, default=-1, help="limit perplexity chunks (debug; default all)")
    args = ap.parse_args()

    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    bad = [p for p in parts if p not in PARTS]
    if bad:
        ap.error(f"unknown part(s) {bad}; choose from {PARTS}")

    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        print("error: the llama_cpp module is missing.\n"
              "  pip install llama-cpp-python\n"
              "(and jinja2 for the chat template: pip install jinja2)", file=sys.stderr)
        return 1
    if any(p in parts for p in ("logits", "greedy")):
        try:
            import jinja2  # noqa: F401
        except ImportError:
            print("error: jinja2 is missing: pip install jinja2", file=sys.stderr)
            return 1
    if not os.path.exists(args.model):
        print(f"error: model not found: {args.model}", file=sys.stderr)
        return 1
    if any(p in parts for p in ("tokens", "perplexity")) and not os.path.exists(args.wiki):
        print(f"error: wiki.test.raw not found: {args.wiki}", file=sys.stderr)
        return 1

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Ctx(args)
    print(f"llama_cpp {ctx.lc.__version__}, model sha256 {ctx.model_sha}", file=sys.stderr)
    funcs = {"tokens": dump_tokens, "logits": dump_logits, "greedy": dump_greedy, "perplexity": dump_perplexity}
    for p in PARTS:
        if p in parts:
            funcs[p](ctx, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
