// A tiny HTTP server on loopback that plays an app receiving webhooks: records each request,
// answers with scripted statuses, and checks signatures with its own HMAC (libsodium), so the
// tests do not trust the server's signing code. Bounded: it stops itself after `lifetime`.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "otp/text.hpp"
#include "otp/webhook_events.hpp"
#include "support/loopback.hpp"
#include "support/test_server.hpp"

namespace ussd_otp::testing {

struct ReceivedWebhook {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string type() const { return json()["type"]; }
};

// "v1=" + hex HMAC-SHA256(secret, timestamp "." body), computed here independently.
inline std::string expected_signature(const std::string& secret, const std::string& timestamp,
                                      const std::string& body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  const std::string signed_text = timestamp + "." + body;
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()),
                                signed_text.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return "v1=" + std::string(hex);
}

inline bool signature_valid(const ReceivedWebhook& hook, const std::string& secret) {
  const std::string got = hook.header("x-ussd-otp-signature");
  const std::string want =
      expected_signature(secret, hook.header("x-ussd-otp-timestamp"), hook.body);
  return got.size() == want.size() && sodium_memcmp(got.data(), want.data(), want.size()) == 0;
}

class WebhookReceiver {
 public:
  explicit WebhookReceiver(std::chrono::seconds lifetime = std::chrono::seconds(60))
      : deadline_(std::chrono::steady_clock::now() + lifetime) {
    if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
    const LoopbackListener listener = listen_on_loopback(16, "");
    fd_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { run(); });
  }
  ~WebhookReceiver() {
    stopping_ = true;
    thread_.join();
    ::close(fd_);
  }
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::string url(const std::string& path = "/hooks/otp") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The next requests are answered with these statuses, in order; then 200.
  void answer_with(std::vector<int> statuses) {
    std::lock_guard lock(mutex_);
    statuses_.insert(statuses_.end(), statuses.begin(), statuses.end());
  }
  // Waits until at least `count` requests arrived; returns all so far (fewer on timeout).
  std::vector<ReceivedWebhook> wait_for(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    return received_;
  }
  // Waits until a request of this `type` arrived; nullptr-like empty webhook on timeout.
  ReceivedWebhook wait_for_type(const std::string& type,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    ReceivedWebhook found;
    arrived_.wait_for(lock, timeout, [&] {
      for (const ReceivedWebhook& hook : received_) {
        if (hook.type() == type) {
          found = hook;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<ReceivedWebhook> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  void run() {
    while (!stopping_ && std::chrono::steady_clock::now() < deadline_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      serve(client);
      ::close(client);
    }
  }

  // Reads one request (head and Content-Length body, 2 s at most), answers, and closes.
  void serve(int client) {
    std::string data;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::size_t head_end = std::string::npos;
    std::size_t body_length = 0;
    while (std::chrono::steady_clock::now() < give_up) {
      if (head_end == std::string::npos) {
        head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos) body_length = content_length(data.substr(0, head_end));
      }
      if (head_end != std::string::npos && data.size() >= head_end + 4 + body_length) break;
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      data.append(buffer, static_cast<std::size_t>(n));
    }
    if (head_end == std::string::npos) return;
    ReceivedWebhook hook = parse(data.substr(0, head_end));
    hook.body = data.substr(head_end + 4, body_length);
    int status = 200;
    {
      std::lock_guard lock(mutex_);
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
    }
    const std::string reply = "HTTP/1.1 " + std::to_string(status) +
                              " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
    {
      std::lock_guard lock(mutex_);
      received_.push_back(std::move(hook));
    }
    arrived_.notify_all();
  }

  static ReceivedWebhook parse(const std::string& head) {
    ReceivedWebhook hook;
    std::size_t line_start = 0;
    bool first = true;
    while (line_start < head.size()) {
      std::size_t line_end = head.find("\r\n", line_start);
      if (line_end == std::string::npos) line_end = head.size();
      const std::string line = head.substr(line_start, line_end - line_start);
      if (first) {
        const std::size_t space = line.find(' ');
        hook.method = line.substr(0, space);
        hook.path = line.substr(space + 1, line.find(' ', space + 1) - space - 1);
        first = false;
      } else if (const std::size_t colon = line.find(':'); colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        hook.headers[text::ascii_lower(line.substr(0, colon))] = value;
      }
      line_start = line_end + 2;
    }
    return hook;
  }

  static std::size_t content_length(const std::string& head) {
    const ReceivedWebhook parsed = parse(head);
    const std::string value = parsed.header("content-length");
    return value.empty() ? 0 : static_cast<std::size_t>(std::stoul(value));
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<int> statuses_;
  std::vector<ReceivedWebhook> received_;
  std::thread thread_;
};

// Gives the server's "test" key a webhook to `receiver`; returns the signing secret.
inline std::string point_webhook_at(TestServer& server, const WebhookReceiver& receiver) {
  const auto key = server.app().store().find_api_key_by_name("test");
  REQUIRE(key);
  const auto secret =
      install_webhook(server.app().store(), server.app().vault(), key->id, receiver.url());
  REQUIRE(secret);
  return *secret;
}

// The event type of each hook, in arrival order.
inline std::vector<std::string> types_of(const std::vector<ReceivedWebhook>& hooks) {
  std::vector<std::string> types;
  for (const ReceivedWebhook& hook : hooks) types.push_back(hook.type());
  return types;
}

}  // namespace ussd_otp::testing
