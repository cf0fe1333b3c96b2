// connection_probe.h — notice that the client of a non-streaming request has hung up.
//
// cpp-httplib 0.11 gives a handler no handle on its connection. While a handler waits for
// a generation, nothing is written, so a vanished client would go unnoticed until the
// answer is written at the very end. The probe finds the connection's socket once (from
// the kernel's TCP table: the established connection whose local port and peer
// address/port are the request's, then the descriptor of this process that refers to it)
// and then asks the kernel, without consuming anything, whether the peer has closed it.
// Linux only (/proc); elsewhere nothing is found and nothing is cancelled.
//
// Invariants: the probe never reads, writes or closes the socket; a socket it cannot
// identify is reported as open (the request then simply runs to its end). A client that
// half-closes its side after sending the request looks like one that left (HTTP clients
// in practice do not do this).
#pragma once

#include <string>

namespace skim::server {

class ConnectionProbe {
 public:
  ConnectionProbe(int local_port, const std::string& remote_addr, int remote_port);
  bool found() const { return fd_ >= 0; }
  // True once the peer has closed or reset the connection.
  bool peer_closed() const;

 private:
  int fd_ = -1;
};

}  // namespace skim::server
