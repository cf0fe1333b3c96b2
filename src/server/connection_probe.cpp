// connection_probe.cpp — find a request's socket by its addresses; poll it for hang-ups.
//
// Finding it touches no descriptor but our own: the connection's socket inode comes from
// /proc/self/net/tcp{,6} (local port = the server's, remote port and IPv4 address = the
// client's, state ESTABLISHED), and the descriptor from the /proc/self/fd link that names
// that inode. Only that descriptor — owned by the calling handler thread — is polled.
#include "server/connection_probe.h"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace skim::server {

namespace {

// "0100007F:1F90" -> port 8080 and, for IPv4, "127.0.0.1" (empty for IPv6).
bool parse_endpoint(const std::string& s, std::string& ipv4, int& port) {
  const size_t colon = s.find(':');
  if (colon == std::string::npos) return false;
  port = static_cast<int>(std::strtol(s.c_str() + colon + 1, nullptr, 16));
  ipv4.clear();
  if (colon == 8) {  // IPv4: one 32-bit word in host (little-endian) byte order
    const unsigned long a = std::strtoul(s.substr(0, 8).c_str(), nullptr, 16);
    char buf[16];
    std::snprintf(buf, sizeof buf, "%lu.%lu.%lu.%lu", a & 0xFF, (a >> 8) & 0xFF, (a >> 16) & 0xFF, (a >> 24) & 0xFF);
    ipv4 = buf;
  }
  return true;
}

// The inode of the established TCP connection local_port <-> remote_addr:remote_port.
unsigned long find_inode(int local_port, const std::string& remote_addr, int remote_port) {
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, state, queues, timer, retr, uid, timeout;
      unsigned long inode = 0;
      if (!(f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
      if (state != "01") continue;  // TCP_ESTABLISHED
      std::string lip, rip;
      int lport = 0, rport = 0;
      if (!parse_endpoint(local, lip, lport) || !parse_endpoint(remote, rip, rport)) continue;
      if (lport != local_port || rport != remote_port) continue;
      if (!rip.empty() && rip != remote_addr) continue;
      return inode;
    }
  }
  return 0;
}

}  // namespace

ConnectionProbe::ConnectionProbe(int local_port, const std::string& remote_addr, int remote_port) {
  if (local_port <= 0 || remote_port <= 0 || remote_addr.empty()) return;
  const unsigned long inode = find_inode(local_port, remote_addr, remote_port);
  if (inode == 0) return;
  const std::string want = "socket:[" + std::to_string(inode) + "]";
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0') continue;
    char target[64];
    const std::string path = std::string("/proc/self/fd/") + e->d_name;
    const ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (want == target) {
      fd_ = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
}

bool ConnectionProbe::peer_closed() const {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL | POLLRDHUP)) return true;
  if (p.revents & POLLIN) {  // readable: a pipelined request, or the end of the stream
    char c;
    const ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }
  return false;
}

}  // namespace skim::server
