#!/usr/bin/env python3
"""load_test.py — a bounded load test of `skim serve` on loopback.

Usage:
    python3 scripts/load_test.py [--skim build/skim] [--clients 64] [--parallel 8] [--duration 60]
                                 [--max-tokens 128] [--max-requests 5000] [--threads T] [--rounds R]
    python3 scripts/load_test.py --port 8080 --pid PID     # against a server you started

By default it starts `skim serve --parallel P` itself on a free 127.0.0.1 port (and stops it
with SIGTERM at the end, checking that it exits 0). Then:
  1. single stream: one client, sequential streaming requests for --single-seconds; the
     decode rate of a stream is completion_tokens / (last token time - first token time);
     measured before and after the load rounds, the baseline is the median of both phases;
  2. load: --clients concurrent streaming clients (chat completions, sampled, random seeds,
     a few prompts) issue requests for --duration seconds or until --max-requests, whichever
     comes first; the requests then in flight run to their end (a round lasts at most
     duration + one pass through the queue). Every request must answer 200, stream to
     "data: [DONE]" and report usage. --rounds repeats this against the same server.
Reported per round: errors (by kind), requests, server RSS at the start of the load and at
the end of the round (from /proc/PID/status) and its peak, aggregate generated tok/s (client
view, prompt processing included) and the server's tok/s inside decode steps (/metrics),
each divided by the single stream's.
Exits 1 if any request failed. Python standard library only; 127.0.0.1 only.
"""
import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

PROMPTS = [
    "Write a short poem about the sea.",
    "Explain what a CPU cache is in two sentences.",
    "List three uses of a paperclip.",
    "What is the difference between a list and a tuple in Python?",
    "Tell me a fun fact about octopuses.",
    "Describe the water cycle briefly.",
    "Give me a tip for learning a new language.",
    "Why is the sky blue?",
]


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def stream_request(port, prompt, max_tokens, seed, temperature=0.8, timeout=600):
    """One streaming chat completion. Returns dict(status, tokens, first, last, done, error)."""
    body = json.dumps({"messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens,
                       "temperature": temperature, "seed": seed, "stream": True,
                       "stream_options": {"include_usage": True}})
    out = {"status": 0, "tokens": 0, "first": None, "last": None, "done": False, "error": None, "t0": time.time()}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        out["status"] = resp.status
        if resp.status != 200:
            out["error"] = f"http {resp.status}"
            resp.read()
            return out
        buf = b""
        while True:
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(1)
            if not chunk:
                break
            buf += chunk
            while b"\n\n" in buf:
                event, buf = buf.split(b"\n\n", 1)
                for line in event.split(b"\n"):
                    if not line.startswith(b"data: "):
                        continue
                    data = line[6:]
                    if data == b"[DONE]":
                        out["done"] = True
                        continue
                    j = json.loads(data)
                    if "error" in j:
                        out["error"] = "stream error: " + j["error"].get("message", "?")
                    if j.get("usage"):
                        out["tokens"] = j["usage"]["completion_tokens"]
                    for c in j.get("choices", []):
                        if c.get("delta", {}).get("content"):
                            now = time.time()
                            out["first"] = out["first"] or now
                            out["last"] = now
        if not out["done"] and not out["error"]:
            out["error"] = "stream ended without [DONE]"
    except Exception as e:  # noqa: BLE001 - every failure is counted and reported
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        conn.close()
    return out


def metrics(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    values = {}
    for line in text.splitlines():
        m = re.match(r"^(skim_[a-z_]+) ([0-9.eE+-]+)$", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return values


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skim", default=os.path.join(os.path.dirname(__file__), "..", "build", "skim"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--port", type=int, default=None, help="use a running server instead of starting one")
    ap.add_argument("--pid", type=int, default=None, help="the running server's pid (for RSS)")
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--ctx-size", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=0, help="server threads (0: its default, the physical cores)")
    ap.add_argument("--numerics", choices=["exact", "fast"], default=None, help="server --numerics (default: its own)")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--single-seconds", type=float, default=15)
    ap.add_argument("--max-tokens", type=int, default=128, help="per request (a short chat reply)")
    ap.add_argument("--max-requests", type=int, default=5000, help="per round")
    ap.add_argument("--rounds", type=int, default=1, help="load phases against the same server")
    args = ap.parse_args()

    proc = None
    port, pid = args.port, args.pid
    if port is None:
        port = free_port()
        cmd = [args.skim, "serve", "--host", "127.0.0.1", "--port", str(port), "--parallel", str(args.parallel),
               "--ctx-size", str(args.ctx_size), "--queue-size", str(max(64, args.clients)), "-q"]
        if args.model:
            cmd += ["-m", args.model]
        if args.threads:
            cmd += ["-t", str(args.threads)]
        if args.numerics:
            cmd += ["--numerics", args.numerics]
        print("load: starting", " ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        pid = proc.pid
        while True:
            line = proc.stderr.readline()
            if not line:
                print("load: the server did not start")
                return 1
            if "listening on" in line:
                break
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # drain its log

    # Warm-up, then the single-stream baseline. It is measured again after the load rounds
    # and the baseline is the median over both phases: on a shared machine the memory
    # bandwidth a lone (memory-bound) stream gets drifts over minutes.
    stream_request(port, "Hello", 4, 1)

    def single_phase(label):
        rates, t_end = [], time.time() + args.single_seconds
        while time.time() < t_end or not rates:
            r = stream_request(port, random.choice(PROMPTS), args.max_tokens, random.randrange(1 << 30))
            if r["error"] is None and r["tokens"] > 1 and r["last"] > r["first"]:
                rates.append((r["tokens"] - 1) / (r["last"] - r["first"]))
        print(f"load: single stream {label}: {statistics.median(rates):.1f} tok/s decode (median of {len(rates)} "
              f"requests)", flush=True)
        return rates

    singles = single_phase("before")

    # The load phase, --rounds times against the same server (RSS after each round shows
    # whether memory keeps growing; the first round also touches every slot's cache).
    total_errors = 0
    rss_rounds = []
    round_rates = []
    rss_start = rss_kb(pid) if pid else None
    for rnd in range(1, args.rounds + 1):
        m0 = metrics(port)
        rss_peak = rss_kb(pid) or 0 if pid else 0
        lock = threading.Lock()
        results, issued = [], [0]
        stop_at = time.time() + args.duration

        def client(i):
            rng = random.Random(i * 1000 + rnd)
            while time.time() < stop_at:
                with lock:
                    if issued[0] >= args.max_requests:
                        return
                    issued[0] += 1
                r = stream_request(port, rng.choice(PROMPTS), args.max_tokens, rng.randrange(1 << 30))
                with lock:
                    results.append(r)

        t0 = time.time()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            if pid:
                rss_peak = max(rss_peak, rss_kb(pid) or 0)
        wall = time.time() - t0
        rss_end = rss_kb(pid) if pid else None
        rss_rounds.append(rss_end)
        m1 = metrics(port)

        errors = {}
        for r in results:
            if r["error"]:
                errors[r["error"]] = errors.get(r["error"], 0) + 1
        total_errors += sum(errors.values())
        tokens = sum(r["tokens"] for r in results if not r["error"])
        aggregate = tokens / wall
        d_steps = m1["skim_decode_steps_total"] - m0["skim_decode_steps_total"]
        d_rows = m1["skim_decode_sequences_total"] - m0["skim_decode_sequences_total"]
        d_secs = m1["skim_decode_seconds_total"] - m0["skim_decode_seconds_total"]
        server_decode = d_rows / d_secs if d_secs > 0 else 0.0
        print(f"load: round {rnd}: {args.clients} clients, {wall:.1f}s (new requests for {args.duration:.0f}s, then "
              f"the last ones finish) against --parallel {args.parallel}: {len(results)} requests, "
              f"{sum(errors.values())} errors", flush=True)
        for k, v in sorted(errors.items(), key=lambda kv: -kv[1]):
            print(f"load:   error x{v}: {k}")
        if pid:
            print(f"load: server RSS start {rss_start / 1024:.1f} MiB, end of round {rss_end / 1024:.1f} MiB, "
                  f"peak {rss_peak / 1024:.1f} MiB")
        print(f"load: aggregate generated {aggregate:.1f} tok/s (client view, {tokens} tokens, prompt time "
              f"included); server decode {server_decode:.1f} tok/s inside decode steps (steps with prompt "
              f"chunks included); {d_rows / d_steps if d_steps else 0:.2f} sequences per decode step on average",
              flush=True)
        round_rates.append((rnd, aggregate, server_decode))
    if pid and len(rss_rounds) > 1:
        print("load: RSS after each round: " + ", ".join(f"{r / 1024:.1f}" for r in rss_rounds) + " MiB")
    errors = total_errors
    singles += single_phase("after")
    single = statistics.median(singles)
    print(f"load: single stream baseline {single:.1f} tok/s (median of {len(singles)} requests, before and after)")
    for rnd, aggregate, server_decode in round_rates:
        print(f"load: round {rnd}: aggregate {aggregate:.1f} tok/s = {aggregate / single:.2f}x single (client view); "
              f"server decode {server_decode:.1f} tok/s = {server_decode / single:.2f}x single", flush=True)

    rc = 0 if not errors else 1
    if proc:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = "killed after 120 s"
        print(f"load: server exit status after SIGTERM: {code}")
        if code != 0:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
