// http_client.h — a minimal blocking HTTP/1.1 client over a loopback socket for the server
// tests: whole requests (Connection: close, chunked bodies decoded), raw bytes for broken
// HTTP, and an incremental server-sent-events reader that can hang up mid-stream.
// Only ever connects to 127.0.0.1.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace skim::testing {

struct HttpResponse {
  int status = 0;  // 0: no response (connection failed or closed early)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class HttpConnection {
 public:
  HttpConnection(int port, int timeout_s = 120) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_s, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) close();
  }
  ~HttpConnection() { close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Hang up abruptly (RST), as a crashed client would.
  void abort() {
    if (fd_ < 0) return;
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close();
  }

  bool send_all(const std::string& data) {
    size_t off = 0;
    while (fd_ >= 0 && off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return fd_ >= 0;
  }

  // Reads the status line and headers. False on EOF/timeout.
  bool read_head(HttpResponse& r) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return false;
    r.status = std::atoi(status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        r.headers[name] = line.substr(v);
      }
      pos = e + 2;
    }
    chunked_ = r.headers.count("transfer-encoding") && r.headers["transfer-encoding"].find("chunked") != std::string::npos;
    if (r.headers.count("content-length")) remaining_ = std::stoll(r.headers["content-length"]);
    return true;
  }

  // Next piece of the body (de-chunked); nullopt at the end of the body or on EOF.
  std::optional<std::string> read_body_piece() {
    if (chunked_) {
      size_t e;
      while ((e = buf_.find("\r\n")) == std::string::npos) {
        if (!fill()) return std::nullopt;
      }
      const long long size = std::strtoll(buf_.substr(0, e).c_str(), nullptr, 16);
      buf_.erase(0, e + 2);
      if (size == 0) return std::nullopt;
      while (buf_.size() < static_cast<size_t>(size) + 2) {
        if (!fill()) return std::nullopt;
      }
      std::string piece = buf_.substr(0, static_cast<size_t>(size));
      buf_.erase(0, static_cast<size_t>(size) + 2);
      return piece;
    }
    if (remaining_ == 0) return std::nullopt;
    if (buf_.empty() && !fill()) return std::nullopt;
    size_t take = remaining_ < 0 ? buf_.size() : std::min(buf_.size(), static_cast<size_t>(remaining_));
    std::string piece = buf_.substr(0, take);
    buf_.erase(0, take);
    if (remaining_ > 0) remaining_ -= static_cast<long long>(take);
    return piece;
  }

  // The next server-sent event's data lines ("data: " stripped, comments skipped);
  // nullopt at the end of the stream.
  std::optional<std::string> next_event() {
    for (;;) {
      size_t e = events_.find("\n\n");
      if (e != std::string::npos) {
        std::string ev = events_.substr(0, e);
        events_.erase(0, e + 2);
        std::string data;
        size_t pos = 0;
        while (pos <= ev.size()) {
          size_t le = ev.find('\n', pos);
          if (le == std::string::npos) le = ev.size();
          std::string line = ev.substr(pos, le - pos);
          if (line.rfind("data: ", 0) == 0) data += line.substr(6);
          pos = le + 1;
        }
        if (!data.empty()) return data;
        continue;  // a comment (keep-alive)
      }
      auto piece = read_body_piece();
      if (!piece) return std::nullopt;
      events_ += *piece;
    }
  }

  HttpResponse read_response() {
    HttpResponse r;
    if (!read_head(r)) return HttpResponse{};
    while (auto p = read_body_piece()) r.body += *p;
    return r;
  }

 private:
  bool fill() {
    if (fd_ < 0) return false;
    char tmp[8192];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buf_, events_;
  bool chunked_ = false;
  long long remaining_ = -1;
};

inline std::string make_request(const std::string& method, const std::string& path, const std::string& body,
                                const std::vector<std::string>& headers = {}) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_type = false;
  for (const auto& h : headers) {
    req += h + "\r\n";
    if (h.rfind("Content-Type:", 0) == 0) has_type = true;
  }
  if (!body.empty() || method == "POST") {
    if (!has_type) req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return req + "\r\n" + body;
}

inline HttpResponse http(int port, const std::string& method, const std::string& path, const std::string& body = "",
                         const std::vector<std::string>& headers = {}) {
  HttpConnection c(port);
  if (!c.connected() || !c.send_all(make_request(method, path, body, headers))) return {};
  return c.read_response();
}

inline HttpResponse http_raw(int port, const std::string& bytes) {
  HttpConnection c(port);
  if (!c.connected() || !c.send_all(bytes)) return {};
  return c.read_response();
}

}  // namespace skim::testing
