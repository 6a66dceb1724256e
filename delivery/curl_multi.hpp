// Many outbound HTTP transfers at once on one thread: a libcurl multi handle with reused easy
// handles (so connections to each gateway stay open between messages).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "delivery/provider.hpp"

namespace ussd_otp {

struct TransferTimeouts {
  std::chrono::milliseconds connect{3000};
  std::chrono::milliseconds total{10000};
};

struct FinishedTransfer {
  std::uint64_t tag = 0;  // what the caller passed to start()
  OutboundResponse response;
};

// Not thread-safe except wake(): one thread calls start() and run(); any thread may wake() it.
class CurlMulti {
 public:
  // `max_connections_per_host`: sockets to one gateway at most; further transfers wait in curl.
  explicit CurlMulti(std::size_t max_connections_per_host = 64,
                     std::size_t max_reply_bytes = 64 * 1024);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  void start(std::uint64_t tag, const OutboundRequest& request, const TransferTimeouts& timeouts);
  // Drives the transfers for at most `wait` (less when woken or one finishes) and returns
  // those that finished.
  std::vector<FinishedTransfer> run(std::chrono::milliseconds wait);
  void wake();
  std::size_t in_flight() const { return in_flight_; }

  struct Transfer;  // public only for libcurl's C callbacks

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::size_t max_reply_bytes_;
  std::size_t in_flight_ = 0;
};

}  // namespace ussd_otp
