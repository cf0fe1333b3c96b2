#!/usr/bin/env python3
"""openai_client_test.py — the official `openai` Python client against a running `skim serve`.

Usage:
    skim serve --port 8080 &                      # any --parallel / --ctx-size
    python3 scripts/openai_client_test.py --port 8080 [--api-key KEY]

Checks, with greedy decoding and short outputs: models.list, chat.completions (plain and
streamed with usage; the streamed text equals the plain text), completions (plain and
streamed), and that a bad request surfaces as openai.BadRequestError with OpenAI's error
shape. Prints what it got; exits 0 and prints "all openai client checks passed" on success,
1 on a failed check, 77 when the `openai` package is missing. Connects to 127.0.0.1 only.
Run by tests/server (ServeCommand.OfficialOpenAIPythonClient) as part of `make test`.
"""
import argparse
import sys

try:
    import openai
    from openai import OpenAI
except ImportError:
    print("openai_client_test: the `openai` package is not installed (python3 -m pip install openai)")
    sys.exit(77)

failures = []


def check(cond, what):
    print(("  ok   " if cond else "  FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--api-key", default="no-key-needed")
    args = ap.parse_args()
    client = OpenAI(base_url=f"http://127.0.0.1:{args.port}/v1", api_key=args.api_key, max_retries=0, timeout=300)
    print(f"openai {openai.__version__} -> http://127.0.0.1:{args.port}/v1")

    models = client.models.list()
    model = models.data[0].id
    print(f"models.list: {[m.id for m in models.data]}")
    check(len(models.data) == 1 and model, "models.list returns the served model")

    messages = [{"role": "user", "content": "What is the capital of France?"}]
    chat = client.chat.completions.create(model=model, messages=messages, max_tokens=12, temperature=0)
    text = chat.choices[0].message.content
    print(f"chat: {text!r} (finish_reason={chat.choices[0].finish_reason}, usage={chat.usage})")
    check(chat.object == "chat.completion" and chat.id.startswith("chatcmpl-"), "chat completion object and id")
    check(chat.choices[0].message.role == "assistant" and len(text) > 0, "chat reply from the assistant")
    check(chat.choices[0].finish_reason in ("stop", "length"), "chat finish_reason")
    check(chat.usage.total_tokens == chat.usage.prompt_tokens + chat.usage.completion_tokens
          and 0 < chat.usage.completion_tokens <= 12, "chat usage")

    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=12, temperature=0,
                                            stream=True, stream_options={"include_usage": True})
    pieces, finish, usage, n_chunks = [], None, None, 0
    for chunk in stream:
        n_chunks += 1
        if chunk.usage is not None:
            usage = chunk.usage
        for c in chunk.choices:
            if c.delta.content:
                pieces.append(c.delta.content)
            if c.finish_reason:
                finish = c.finish_reason
    streamed = "".join(pieces)
    print(f"chat stream: {n_chunks} chunks, {streamed!r} (finish_reason={finish}, usage={usage})")
    check(streamed == text, "streamed chat text equals the plain reply (greedy)")
    check(finish == chat.choices[0].finish_reason, "streamed finish_reason")
    check(usage is not None and usage.completion_tokens == chat.usage.completion_tokens, "stream usage chunk")

    comp = client.completions.create(model=model, prompt="The three primary colors are", max_tokens=8, temperature=0)
    ctext = comp.choices[0].text
    print(f"completion: {ctext!r} (finish_reason={comp.choices[0].finish_reason}, usage={comp.usage})")
    check(comp.object == "text_completion" and len(ctext) > 0, "completion text")
    check(comp.choices[0].finish_reason == "length" and comp.usage.completion_tokens == 8, "completion length")

    cstream = client.completions.create(model=model, prompt="The three primary colors are", max_tokens=8,
                                        temperature=0, stream=True)
    cstreamed = "".join(ch.choices[0].text for ch in cstream if ch.choices)
    print(f"completion stream: {cstreamed!r}")
    check(cstreamed == ctext, "streamed completion equals the plain one")

    try:
        client.chat.completions.create(model=model, messages=messages, max_tokens=4, temperature=7)
        check(False, "temperature 7 is refused")
    except openai.BadRequestError as e:
        print(f"bad request: {e.status_code} {e.body}")
        check(e.status_code == 400 and isinstance(e.body, dict) and e.body.get("param") == "temperature",
              "BadRequestError with OpenAI's error shape")

    if failures:
        print(f"{len(failures)} openai client check(s) failed: {failures}")
        return 1
    print("all openai client checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
