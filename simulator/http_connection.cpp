#include "simulator/http_connection.hpp"

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <stdexcept>

namespace ussd_otp::sim {
namespace {

size_t append_body(char* data, size_t size, size_t count, void* target) {
  auto& exchange = *static_cast<HttpExchange*>(target);
  if (exchange.body.size() + size * count > kMaxReplyBytes) {
    exchange.oversized = true;
    return 0;  // libcurl stops reading (CURLE_WRITE_ERROR)
  }
  exchange.body.append(data, size * count);
  return size * count;
}

void ensure_curl_initialised() {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialised) throw std::runtime_error("curl_global_init failed");
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

HttpConnection::HttpConnection(long timeout_ms) : timeout_ms_(timeout_ms) {
  ensure_curl_initialised();
  curl_ = curl_easy_init();
  if (!curl_) throw std::runtime_error("curl_easy_init failed");
}

HttpConnection::~HttpConnection() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpExchange HttpConnection::send(const std::string& method, const std::string& url,
                                  const std::string& content_type, const std::string& body,
                                  const std::vector<std::string>& headers) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // keeps the open connection
  HttpExchange exchange;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms_);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
  // Pistache keeps a connection open only when the request asks for it (docs/simulator.md).
  curl_slist* raw_list = curl_slist_append(nullptr, "Connection: keep-alive");
  raw_list = curl_slist_append(raw_list, "Expect:");  // Pistache never sends 100 Continue
  if (!content_type.empty()) {
    raw_list = curl_slist_append(raw_list, ("Content-Type: " + content_type).c_str());
  }
  for (const std::string& header : headers) raw_list = curl_slist_append(raw_list, header.c_str());
  const std::unique_ptr<curl_slist, SlistFree> list(raw_list);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  if (method == "POST" || method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  const auto started = std::chrono::steady_clock::now();
  const CURLcode rc = curl_easy_perform(curl);
  exchange.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  long opened = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &opened);
  connections_opened_ += opened;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.status);
  if (rc != CURLE_OK && !exchange.oversized) {
    exchange.status = 0;
    exchange.transport_error = curl_easy_strerror(rc);
    return exchange;
  }
  const char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type) exchange.content_type = type;
  return exchange;
}

std::string url_escape(const std::string& text) {
  ensure_curl_initialised();
  // The handle argument is unused by libcurl since 7.82 (Debian 12 ships 7.88).
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (!escaped) throw std::runtime_error("curl_easy_escape failed");
  std::string result(escaped);
  curl_free(escaped);
  return result;
}

}  // namespace ussd_otp::sim
