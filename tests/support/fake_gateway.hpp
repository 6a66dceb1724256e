// A fake SMS gateway for black-box delivery tests: a small HTTP/1.1 server on 127.0.0.1:0
// (raw POSIX sockets, a thread per connection, keep-alive) that records every request and
// answers from a script. Bounded: every loop has a deadline, and the destructor stops it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ussd_otp::testing {

struct GatewayRequest {
  std::string method;
  std::string target;                          // path + query, as sent
  std::string path;                            // without the query
  std::string query;                           // without the '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// What the fake does with one request.
struct GatewayBehaviour {
  enum class Kind {
    Respond,  // answer (after `delay`)
    Hang,     // read the request, never answer (until the fake stops or release_hangs())
    Close,    // read the request, close the connection without a byte
  };
  Kind kind = Kind::Respond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  bool close_after = false;  // close the connection after answering (no Connection: close)

  static GatewayBehaviour respond(int status, std::string body,
                                  std::string content_type = "application/json");
  static GatewayBehaviour slow(std::chrono::milliseconds delay, int status, std::string body);
  static GatewayBehaviour hang();
  static GatewayBehaviour close();
};

// Not copyable or movable: its threads, mutex and socket are its own.
class FakeGateway {
 public:
  FakeGateway();
  ~FakeGateway();

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const { return port_; }

  // The answer when nothing else decides (200 "{}" until set).
  void set_default(GatewayBehaviour behaviour);
  // One behaviour per request, in order, before the responder and the default.
  void push(GatewayBehaviour behaviour);
  void push(GatewayBehaviour behaviour, int times);
  // Decides per request after the queue (e.g. by path, or numbering message ids); nullopt:
  // the default.
  void set_responder(std::function<std::optional<GatewayBehaviour>(const GatewayRequest&)> fn);
  // Every hanging request is given up: its connection is closed.
  void release_hangs();

  std::vector<GatewayRequest> requests() const;
  std::size_t count() const;
  // Requests whose path starts with `prefix`.
  std::vector<GatewayRequest> requests_to(const std::string& prefix) const;
  // Waits until at least `n` requests arrived; false on timeout.
  bool wait_for(std::size_t n,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const;
  // Waits `quiet` and returns whether the count stayed at `n` (for "no request came").
  bool stays_at(std::size_t n,
                std::chrono::milliseconds quiet = std::chrono::milliseconds(400)) const;

 private:
  void accept_loop();
  void serve(int fd);
  GatewayBehaviour next_behaviour(const GatewayRequest& request);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> hang_generation_{0};
  std::thread acceptor_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<GatewayRequest> requests_;
  std::deque<GatewayBehaviour> queue_;
  GatewayBehaviour default_ = GatewayBehaviour::respond(200, "{}");
  std::function<std::optional<GatewayBehaviour>(const GatewayRequest&)> responder_;
  std::vector<std::thread> connections_;
  std::vector<int> open_fds_;
};

// application/x-www-form-urlencoded encoding and decoding (spaces as '+').
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
std::map<std::string, std::string> form_decode(const std::string& text);

// A port with nothing listening on it ("connection refused").
std::uint16_t closed_port();

}  // namespace ussd_otp::testing
