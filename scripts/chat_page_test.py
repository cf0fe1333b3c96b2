#!/usr/bin/env python3
"""chat_page_test.py — drive skim's chat page in headless Chromium through the DevTools protocol.

Usage:
    skim serve --port 8080 &
    python3 scripts/chat_page_test.py --port 8080 --screenshot out.png [--chromium chromium]

Opens http://127.0.0.1:PORT/ with a prompt that the page sends by itself (?autosend=1), waits
until the streamed reply has completed (<body data-state="done">), checks that the assistant
reply shown equals the API's greedy reply to the same message and arrived over several
stream chunks, and saves a screenshot of the conversation. Python standard library only (a
minimal WebSocket client for the DevTools connection). Exits 0 on success, 1 on a
failure, 77 when no Chromium is installed. Run by tests/server
(ServeCommand.ChatPageInHeadlessChromium) as part of `make test`. Loopback only.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


class WebSocket:
    """Just enough RFC 6455 for the DevTools protocol: text frames, masking, fragmentation."""

    def __init__(self, url, timeout=60):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {u.path} HTTP/1.1\r\nHost: {u.hostname}:{u.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket handshake failed")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake refused: " + head.decode(errors="replace"))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + masked)

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise RuntimeError("websocket closed by the browser")
            if opcode in (0x9, 0xA):  # ping/pong: ignore
                continue
            message += payload
            if b0 & 0x80:
                return message.decode()


class DevTools:
    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return r.get("result", {}).get("value")


def find_chromium(name):
    for b in ([name] if name else []) + ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]:
        path = shutil.which(b)
        if path:
            return path
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True, help="port of a running `skim serve` on 127.0.0.1")
    ap.add_argument("--screenshot", required=True, help="where to write the PNG")
    ap.add_argument("--chromium", default=None)
    ap.add_argument("--prompt", default="What is the capital of France?")
    ap.add_argument("--expect", default=None,
                    help="the reply the page must show (default: the API's own greedy reply to the same message)")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    browser = find_chromium(args.chromium)
    if not browser:
        print("chat_page_test: no Chromium installed (Debian: apt-get install chromium)")
        return 77

    if args.expect is None:  # greedy: the page must show exactly what the API answers
        body = json.dumps({"messages": [{"role": "user", "content": args.prompt}], "max_tokens": 8,
                           "temperature": 0}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{args.port}/v1/chat/completions", data=body,
                                     headers={"Content-Type": "application/json"})
        args.expect = json.load(urllib.request.urlopen(req, timeout=args.timeout))["choices"][0]["message"]["content"]
    query = urllib.parse.urlencode({"prompt": args.prompt, "autosend": "1", "max_tokens": "8", "temperature": "0"})
    page_url = f"http://127.0.0.1:{args.port}/?{query}"
    profile = tempfile.mkdtemp(prefix="skim_chromium_")
    proc = subprocess.Popen(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-extensions", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1100,700", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        active = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 60
        while not (os.path.exists(active) and len(open(active).read().split("\n")) >= 2):
            if proc.poll() is not None or time.time() > deadline:
                print("chat_page_test: Chromium did not start:", proc.stderr.read().decode(errors="replace")[-2000:])
                return 1
            time.sleep(0.1)
        devtools_port = int(open(active).read().split("\n")[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=30))
        page = next(t for t in targets if t.get("type") == "page")
        dt = DevTools(page["webSocketDebuggerUrl"])
        dt.call("Page.enable")
        dt.call("Page.navigate", url=page_url)
        t0 = time.time()
        state = None
        while time.time() - t0 < args.timeout:
            state = dt.evaluate("document.body && document.body.dataset.state")
            if state in ("done", "error"):
                break
            time.sleep(0.2)
        reply = dt.evaluate("(() => { const m = document.querySelectorAll('.msg.assistant .text');"
                            " return m.length ? m[m.length - 1].textContent : null; })()")
        chunks = dt.evaluate("(() => { const m = document.querySelector('.msg.assistant');"
                             " return m ? Number(m.dataset.chunks || 0) : 0; })()")
        meta = dt.evaluate("(() => { const m = document.querySelector('.msg.assistant .meta');"
                           " return m ? m.textContent : null; })()")
        model = dt.evaluate("document.getElementById('model').textContent")
        shot = dt.call("Page.captureScreenshot", format="png")
        with open(args.screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print(f"chat page: state={state} after {time.time() - t0:.1f}s, model panel={model!r}")
        print(f"chat page: reply={reply!r} ({meta}; {chunks} stream events)")
        print(f"chat page: screenshot {args.screenshot} ({os.path.getsize(args.screenshot)} bytes)")
        ok = state == "done" and chunks > 1 and reply and reply == args.expect
        if not ok:
            print("chat_page_test: FAILED (expected a completed, streamed reply equal to %r)" % args.expect)
            return 1
        print("chat page checks passed")
        return 0
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
