// chat_page.cpp — the chat page's HTML/CSS/JS (see chat_page.h). All user and model text
// is inserted with textContent, never innerHTML.
#include "server/chat_page.h"

namespace skim::server {

namespace {

constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>skim chat</title>
<style>
  :root { --bg: #f6f7f9; --panel: #ffffff; --ink: #1d2330; --muted: #6b7385; --accent: #2f6fde; --user: #e6efff; --bot: #ffffff; --err: #fde8e8; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg); height: 100vh; display: flex; }
  aside { width: 270px; padding: 16px; background: var(--panel); border-right: 1px solid #e2e5ea; overflow-y: auto; }
  aside h1 { font-size: 20px; margin: 0 0 4px; }
  aside .model { color: var(--muted); font-size: 13px; margin-bottom: 16px; word-break: break-all; }
  label { display: block; font-size: 12px; color: var(--muted); margin: 10px 0 3px; }
  input, textarea { width: 100%; font: inherit; padding: 6px 8px; border: 1px solid #cfd4dc; border-radius: 6px; background: #fff; }
  main { flex: 1; display: flex; flex-direction: column; min-width: 0; }
  #log { flex: 1; overflow-y: auto; padding: 20px; display: flex; flex-direction: column; gap: 12px; }
  .msg { max-width: 760px; padding: 10px 14px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; border: 1px solid #e2e5ea; }
  .msg.user { align-self: flex-end; background: var(--user); }
  .msg.assistant { align-self: flex-start; background: var(--bot); }
  .msg.error { align-self: flex-start; background: var(--err); border-color: #f3b4b4; }
  .msg .meta { display: block; margin-top: 6px; font-size: 12px; color: var(--muted); white-space: normal; }
  .empty { color: var(--muted); text-align: center; margin-top: 20vh; }
  form { display: flex; gap: 8px; padding: 12px 20px 18px; border-top: 1px solid #e2e5ea; background: var(--panel); }
  form textarea { flex: 1; resize: none; height: 48px; }
  button { font: inherit; padding: 0 18px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  button.secondary { background: #8a93a5; }
</style>
</head>
<body data-state="idle">
<aside>
  <h1>skim</h1>
  <div class="model" id="model">loading model…</div>
  <label for="system">System prompt</label>
  <textarea id="system" rows="3" placeholder="(none)"></textarea>
  <label for="temperature">Temperature</label>
  <input id="temperature" type="number" min="0" max="2" step="0.05" value="0.7">
  <label for="top_p">Top-p</label>
  <input id="top_p" type="number" min="0" max="1" step="0.05" value="0.95">
  <label for="max_tokens">Max tokens</label>
  <input id="max_tokens" type="number" min="1" step="1" value="256">
  <label for="seed">Seed (empty: random)</label>
  <input id="seed" type="number" step="1" placeholder="random">
  <label for="apikey">API key (if the server needs one)</label>
  <input id="apikey" type="password" autocomplete="off">
  <label><input id="clear" type="button" value="New conversation"></label>
</aside>
<main>
  <div id="log"><div class="empty" id="empty">Ask something to start.</div></div>
  <form id="form">
    <textarea id="input" placeholder="Message (Enter to send, Shift+Enter for a new line)"></textarea>
    <button id="send" type="submit">Send</button>
    <button id="stop" type="button" class="secondary" disabled>Stop</button>
  </form>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const turns = [];
let controller = null;

$("apikey").value = localStorage.getItem("skim.apikey") || "";
$("apikey").addEventListener("change", () => localStorage.setItem("skim.apikey", $("apikey").value));

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = $("apikey").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function bubble(cls, text) {
  const empty = $("empty");
  if (empty) empty.remove();
  const div = document.createElement("div");
  div.className = "msg " + cls;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  div.appendChild(body);
  $("log").appendChild(div);
  $("log").scrollTop = $("log").scrollHeight;
  return div;
}

function meta(div, text) {
  const m = document.createElement("span");
  m.className = "meta";
  m.textContent = text;
  div.appendChild(m);
}

async function loadModel() {
  try {
    const r = await fetch("/v1/models", { headers: headers() });
    const j = await r.json();
    $("model").textContent = r.ok ? j.data.map((m) => m.id).join(", ") : ("models: " + (j.error ? j.error.message : r.status));
  } catch (e) {
    $("model").textContent = "server unreachable";
  }
}

function params() {
  const p = { stream: true, stream_options: { include_usage: true } };
  const num = (id) => $(id).value.trim() === "" ? null : Number($(id).value);
  for (const k of ["temperature", "top_p", "max_tokens"]) if (num(k) !== null) p[k] = num(k);
  if (num("seed") !== null) p.seed = Math.trunc(num("seed"));
  return p;
}

async function send(text) {
  if (controller || !text.trim()) return;
  turns.push({ role: "user", content: text });
  bubble("user", text);
  const out = bubble("assistant", "");
  const span = out.querySelector(".text");
  const messages = [];
  const sys = $("system").value.trim();
  if (sys) messages.push({ role: "system", content: sys });
  messages.push(...turns);
  controller = new AbortController();
  $("send").disabled = true;
  $("stop").disabled = false;
  document.body.dataset.state = "streaming";
  const t0 = performance.now();
  let reply = "", usage = null, finish = null, failed = false;
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST", headers: headers(), signal: controller.signal,
      body: JSON.stringify(Object.assign({ messages }, params())),
    });
    if (!r.ok) {
      let msg = "HTTP " + r.status;
      try { const j = await r.json(); if (j.error) msg += ": " + j.error.message; } catch (e) {}
      throw new Error(msg);
    }
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const event = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data: ")) continue;
          const data = line.slice(6);
          if (data === "[DONE]") continue;
          const j = JSON.parse(data);
          out.dataset.chunks = String(Number(out.dataset.chunks || 0) + 1);
          if (j.error) throw new Error(j.error.message);
          if (j.usage) usage = j.usage;
          for (const c of j.choices || []) {
            if (c.delta && c.delta.content) { reply += c.delta.content; span.textContent = reply; }
            if (c.finish_reason) finish = c.finish_reason;
          }
          $("log").scrollTop = $("log").scrollHeight;
        }
      }
    }
  } catch (e) {
    failed = e.name !== "AbortError";
    if (failed) bubble("error", String(e.message || e));
  }
  const secs = (performance.now() - t0) / 1000;
  if (reply) turns.push({ role: "assistant", content: reply });
  else if (!failed) span.textContent = "(empty reply)";
  const n = usage ? usage.completion_tokens : null;
  meta(out, (n !== null ? n + " tokens, " + (n / secs).toFixed(1) + " tok/s, " : "") + secs.toFixed(1) + " s" + (finish ? ", " + finish : ", stopped"));
  out.dataset.done = "1";
  controller = null;
  $("send").disabled = false;
  $("stop").disabled = true;
  document.body.dataset.state = failed ? "error" : "done";
}

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value;
  $("input").value = "";
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
});
$("stop").addEventListener("click", () => { if (controller) controller.abort(); });
$("clear").addEventListener("click", () => {
  turns.length = 0;
  $("log").innerHTML = '<div class="empty" id="empty">Ask something to start.</div>';
});

const q = new URLSearchParams(location.search);
for (const k of ["temperature", "top_p", "max_tokens", "seed", "system"]) if (q.has(k)) $(k).value = q.get(k);
loadModel();
if (q.has("prompt")) {
  $("input").value = q.get("prompt");
  if (q.get("autosend") === "1") { const t = $("input").value; $("input").value = ""; send(t); }
}
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view chat_page_html() { return kPage; }

}  // namespace skim::server
