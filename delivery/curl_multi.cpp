// libcurl's multi interface, as deps.md §7.7 recommends next to Pistache: no transfer ever runs
// on an HTTP worker, and one thread keeps many gateway requests in flight.
#include "delivery/curl_multi.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string>

#include "otp/text.hpp"

namespace ussd_otp {

struct CurlMulti::Transfer {
  std::uint64_t tag = 0;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;           // kept alive while curl reads it
  std::size_t body_sent = 0;  // how much of `body` on_read has handed to curl
  OutboundResponse response;
  std::size_t max_reply_bytes = 0;
  bool truncated = false;
  std::chrono::steady_clock::time_point started;
  std::size_t request_bytes = 0;
};

struct CurlMulti::Handle {
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;  // easy handles kept for reuse: they keep their connection cache
  std::vector<std::unique_ptr<Transfer>> running;
};

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<CurlMulti::Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string& body = transfer->response.body;
  const std::size_t room =
      transfer->max_reply_bytes - std::min(transfer->max_reply_bytes, body.size());
  body.append(data, std::min(bytes, room));
  if (bytes > room) transfer->truncated = true;
  return bytes;  // keep reading (and discarding) so the connection stays reusable
}

// The request body goes through a read callback, with no seek callback, on purpose: curl then
// cannot rewind it. When a kept-alive connection dies after the request went out and before any
// answer, curl would otherwise resend the request on a fresh connection by itself, and the
// gateway could send the SMS twice under one attempt. Without a rewind the transfer fails
// (CURLE_SEND_FAIL_REWIND) and is recorded as unknown instead.
std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<CurlMulti::Transfer*>(user);
  const std::size_t left = transfer->body.size() - transfer->body_sent;
  const std::size_t bytes = std::min(size * count, left);
  std::memcpy(buffer, transfer->body.data() + transfer->body_sent, bytes);
  transfer->body_sent += bytes;
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<CurlMulti::Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string line(data, bytes);
  const std::size_t colon = line.find(':');
  if (colon != std::string::npos && transfer->response.headers.size() < 64) {
    const std::string name = text::ascii_lower(std::string_view(line).substr(0, colon));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    transfer->response.headers[name] = value;
  } else if (line.rfind("HTTP/", 0) == 0) {
    transfer->response.headers.clear();  // a new response (after 100 Continue or a redirect)
  }
  return bytes;
}

}  // namespace

CurlMulti::CurlMulti(std::size_t max_connections_per_host, std::size_t max_reply_bytes)
    : handle_(std::make_unique<Handle>()), max_reply_bytes_(max_reply_bytes) {
  handle_->multi = curl_multi_init();
  if (handle_->multi == nullptr) throw std::runtime_error("curl_multi_init failed");
  // Bounded sockets per gateway host; further transfers queue inside curl.
  curl_multi_setopt(handle_->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(max_connections_per_host));
  curl_multi_setopt(handle_->multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(2 * max_connections_per_host));
}

CurlMulti::~CurlMulti() {
  for (auto& transfer : handle_->running) {
    curl_multi_remove_handle(handle_->multi, transfer->easy);
    curl_easy_cleanup(transfer->easy);
    curl_slist_free_all(transfer->headers);
  }
  for (CURL* easy : handle_->idle) curl_easy_cleanup(easy);
  curl_multi_cleanup(handle_->multi);
}

void CurlMulti::start(std::uint64_t tag, const OutboundRequest& request,
                      const TransferTimeouts& timeouts) {
  auto transfer = std::make_unique<Transfer>();
  transfer->tag = tag;
  transfer->max_reply_bytes = max_reply_bytes_;
  transfer->body = request.body;
  transfer->started = std::chrono::steady_clock::now();
  if (!handle_->idle.empty()) {
    transfer->easy = handle_->idle.back();
    handle_->idle.pop_back();
    curl_easy_reset(transfer->easy);  // keeps the connection cache and DNS cache
  } else {
    transfer->easy = curl_easy_init();
    if (transfer->easy == nullptr) throw std::runtime_error("curl_easy_init failed");
  }
  CURL* easy = transfer->easy;
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  // One message per connection at a time: an HTTP/2 connection that drops would fail many
  // streams at once, some of them already sent, and blur which outcomes are unknown.
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(timeouts.total.count()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
  // No "Expect: 100-continue" round trip: gateways answer small bodies at once.
  transfer->headers = curl_slist_append(transfer->headers, "Expect:");
  for (const auto& [name, value] : request.headers) {
    transfer->headers = curl_slist_append(transfer->headers, (name + ": " + value).c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
  if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, transfer.get());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(transfer->body.size()));
    if (request.method != "POST")
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_multi_add_handle(handle_->multi, easy);
  handle_->running.push_back(std::move(transfer));
  ++in_flight_;
}

std::vector<FinishedTransfer> CurlMulti::run(std::chrono::milliseconds wait) {
  std::vector<FinishedTransfer> finished;
  int still_running = 0;
  curl_multi_perform(handle_->multi, &still_running);
  int queued = 0;
  CURLMsg* message = curl_multi_info_read(handle_->multi, &queued);
  if (message == nullptr) {
    curl_multi_poll(handle_->multi, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    curl_multi_perform(handle_->multi, &still_running);
    message = curl_multi_info_read(handle_->multi, &queued);
  }
  for (; message != nullptr; message = curl_multi_info_read(handle_->multi, &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    Transfer* transfer = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, reinterpret_cast<char**>(&transfer));
    const CURLcode code = message->data.result;
    OutboundResponse& response = transfer->response;
    response.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - transfer->started);
    long request_size = 0;
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
    if (code == CURLE_OK) {
      response.result = TransferResult::Completed;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
    } else {
      response.transport_error = curl_easy_strerror(code);
      // Whether any of the request reached the gateway decides transient vs unknown: a
      // connection never made, or a send that failed, cannot have delivered a message.
      const bool nothing_sent = code == CURLE_COULDNT_CONNECT ||
                                code == CURLE_COULDNT_RESOLVE_HOST ||
                                code == CURLE_COULDNT_RESOLVE_PROXY ||
                                code == CURLE_SSL_CONNECT_ERROR || request_size == 0;
      if (nothing_sent) {
        response.result = TransferResult::FailedBeforeSend;
      } else if (code == CURLE_OPERATION_TIMEDOUT) {
        response.result = TransferResult::TimedOutAfterSend;
      } else {
        response.result = TransferResult::FailedAfterSend;
      }
    }
    curl_multi_remove_handle(handle_->multi, easy);
    curl_slist_free_all(transfer->headers);
    transfer->headers = nullptr;
    finished.push_back(FinishedTransfer{transfer->tag, std::move(response)});
    handle_->idle.push_back(easy);
    auto& running = handle_->running;
    for (auto it = running.begin(); it != running.end(); ++it) {
      if (it->get() == transfer) {
        running.erase(it);
        break;
      }
    }
    --in_flight_;
  }
  return finished;
}

void CurlMulti::wake() {
  curl_multi_wakeup(handle_->multi);
}

}  // namespace ussd_otp
