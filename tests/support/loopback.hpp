// Sockets on 127.0.0.1 with a port the kernel picks, for the fake peers the tests run (gateways,
// apps receiving webhooks) and for a port nothing listens on.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ussd_otp::testing {

// Binds `fd` to 127.0.0.1 on a free port; returns the port, 0 when binding failed.
inline std::uint16_t bind_loopback(int fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 0;
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;
};

// A socket listening on 127.0.0.1 with `backlog`; throws std::runtime_error (its message starts
// with `who`) when there is none to be had.
inline LoopbackListener listen_on_loopback(int backlog, const std::string& who) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(who + "socket failed");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const std::uint16_t port = bind_loopback(fd);
  if (port == 0 || ::listen(fd, backlog) != 0) {
    ::close(fd);
    throw std::runtime_error(who + "bind/listen failed");
  }
  return {fd, port};
}

}  // namespace ussd_otp::testing
