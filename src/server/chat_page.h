// chat_page.h — the chat page served at `/`: one self-contained HTML document (inline
// CSS and JS, no external resources, no build step). It talks to /v1/chat/completions
// with stream: true and renders tokens as they arrive; a side panel shows the model
// (from /v1/models) and holds the system prompt, sampling parameters and the API key
// (kept in the browser's localStorage).
//
// URL parameters prefill the form: ?prompt=…&autosend=1&max_tokens=…&temperature=…&seed=…
// (autosend submits once the page has loaded; used by the headless-browser test). When a
// reply completes, <body data-state="done"> is set (data-state="error" on an error), and the
// reply's bubble carries data-chunks = the number of stream events it was built from.
#pragma once

#include <string_view>

namespace skim::server {

std::string_view chat_page_html();

}  // namespace skim::server
