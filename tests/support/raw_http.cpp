#include "support/raw_http.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace ussd_otp::testing {

namespace {

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    throw std::runtime_error("send failed");
  }
}

// Reads until the peer closes or `wait` passes; closes `fd`.
RawExchange read_until_closed(int fd, std::chrono::milliseconds wait) {
  RawExchange result;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[4096];
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) {
      result.closed_by_server = true;
      break;
    }
    result.received.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return result;
}

}  // namespace

RawExchange raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds wait) {
  const int fd = connect_loopback(port);
  send_all(fd, bytes);
  return read_until_closed(fd, wait);
}

RawExchange raw_exchange_in_pieces(std::uint16_t port, const std::vector<std::string>& pieces,
                                   std::chrono::milliseconds pause,
                                   std::chrono::milliseconds wait) {
  const int fd = connect_loopback(port);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(pause);
    send_all(fd, pieces[i]);
  }
  return read_until_closed(fd, wait);
}

std::uint16_t port_of(const std::string& url) {
  return static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

}  // namespace ussd_otp::testing
