// Raw TCP exchanges with the server, for what an HTTP library will not send (lying headers,
// garbage, pipelined bytes) and for checking whether the server closed the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace ussd_otp::testing {

struct RawExchange {
  std::string received;  // everything read before the peer closed or the wait ended
  bool closed_by_server = false;
};

// Connects to 127.0.0.1:`port`, sends `bytes`, and reads until the server closes the connection
// or `wait` passes without it doing so.
RawExchange raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds wait = std::chrono::milliseconds(3000));

// Like raw_exchange, but sends `pieces` one by one with `pause` between them (a slow link).
RawExchange raw_exchange_in_pieces(
    std::uint16_t port, const std::vector<std::string>& pieces, std::chrono::milliseconds pause,
    std::chrono::milliseconds wait = std::chrono::milliseconds(3000));

std::uint16_t port_of(const std::string& url);

}  // namespace ussd_otp::testing
