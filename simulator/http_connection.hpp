// One keep-alive HTTP connection (libcurl) that reports failures as values: the simulator shows
// an aggregator-level failure on the phone's screen instead of stopping.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ussd_otp::sim {

struct HttpExchange {
  long status = 0;              // 0 when no HTTP reply arrived
  std::string content_type;     // of the reply
  std::string body;             // of the reply
  std::string transport_error;  // connection refused, timeout... (status is 0)
  double seconds = 0;           // request sent -> reply read
  bool oversized = false;       // the reply passed kMaxReplyBytes and was cut off
  bool ok() const { return transport_error.empty() && !oversized && status >= 200 && status < 300; }
};

// Replies are read up to this size: a USSD screen is 182 characters, so anything near this is a
// broken or hostile server, and reading on would only exhaust memory.
inline constexpr std::size_t kMaxReplyBytes = 64 * 1024;

class HttpConnection {
 public:
  explicit HttpConnection(long timeout_ms = 10'000);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // `headers` are whole lines ("Authorization: Bearer x"). An empty `body` with POST sends none.
  HttpExchange send(const std::string& method, const std::string& url,
                    const std::string& content_type = "", const std::string& body = "",
                    const std::vector<std::string>& headers = {});

  // TCP connections opened so far: 1 for a whole load run's worker means keep-alive held.
  long connections_opened() const { return connections_opened_; }

 private:
  void* curl_;  // CURL*, kept so the connection is reused
  long timeout_ms_;
  long connections_opened_ = 0;
};

// Percent-encodes `text` for a query string or form body (libcurl's escaping).
std::string url_escape(const std::string& text);

}  // namespace ussd_otp::sim
