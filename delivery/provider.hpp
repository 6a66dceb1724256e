// What every SMS gateway adapter implements: pure functions from a message to an HTTP request
// and from the gateway's answer (or delivery report) to an outcome. No I/O happens here, so each
// adapter is unit-tested on bytes; the sender (delivery/sender.cpp) does the HTTP.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "otp/delivery.hpp"
#include "otp/errors.hpp"

namespace ussd_otp {

// An outbound HTTP request, built by an adapter and performed by the sender.
struct OutboundRequest {
  std::string method = "POST";
  std::string url;                                           // absolute
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
  std::string body;
};

// How a transfer ended, as the sender saw it.
enum class TransferResult {
  Completed,          // an HTTP status and body arrived
  FailedBeforeSend,   // DNS, connection refused/reset, connect timeout: nothing was sent
  TimedOutAfterSend,  // the request went out but no complete answer came in time
  FailedAfterSend,    // the connection broke after the request went out
};

struct OutboundResponse {
  TransferResult result = TransferResult::Completed;
  long status = 0;                             // HTTP status when Completed
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // at most the sender's reply limit
  std::string transport_error;                 // curl's message when not Completed
  std::chrono::milliseconds latency{0};
};

// One SMS to send. `text` holds the code: never log it or store it.
struct SmsMessage {
  std::string phone;   // digits-only E.164, e.g. "233241234567"
  std::string sender;  // the sender id to show; empty: the provider's configured default
  std::string text;
  std::string reference;  // our attempt id, for gateways that echo a client reference
};

// A delivery report, from a push callback or a status poll.
enum class ReceiptState {
  Delivered,  // final: on the handset
  Failed,     // final: will not be delivered
  Pending,    // intermediate (sent, buffered, submitted, queued): wait for more
};
std::string_view to_string(ReceiptState state);  // "delivered", "failed", "pending"

struct Receipt {
  std::string message_id;  // the gateway's id, as returned by the send
  ReceiptState state = ReceiptState::Pending;
  std::string status;  // the gateway's own word, e.g. "Success", "DELIVERED", "undelivered"
  std::string error;   // the failure reason when there is one
};

// An incoming delivery-report request, already taken apart by the HTTP layer.
struct ReceiptRequest {
  std::string method;  // "GET" | "POST"
  std::string url;     // the full public URL the gateway called (Twilio signs it)
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::map<std::string, std::string> headers;              // names lower-cased
  std::string content_type;
  std::string body;
};

// Everything a provider needs from configuration (sms-<provider>-* settings).
struct ProviderSettings {
  std::string name;      // africastalking | arkesel | hubtel | twilio | webhook
  std::string base_url;  // scheme://host[:port][/prefix], no trailing slash needed
  std::string sender;    // default sender id / From number
  // Credentials; each provider uses the ones it documents (docs/delivery.md).
  std::string username;       // africastalking
  std::string api_key;        // africastalking, arkesel
  std::string client_id;      // hubtel
  std::string client_secret;  // hubtel
  std::string account_sid;    // twilio
  std::string auth_token;     // twilio (also the receipt signature key)
  std::string secret;         // webhook: HMAC-SHA256 key for X-Ussd-Otp-Signature
  std::string url;            // webhook: the operator's endpoint (absolute)
  // Where the gateway should send receipts for this provider, when we pass it per message
  // (Arkesel callback_url, Twilio StatusCallback). Empty: none is passed.
  std::string receipt_url;
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds total_timeout{10000};
};

class SmsProvider {
 public:
  virtual ~SmsProvider() = default;
  virtual std::string_view name() const = 0;

  // The send request for one message. `now` is Unix seconds (webhook signatures carry it).
  virtual OutboundRequest build_send(const SmsMessage& message, std::int64_t now) const = 0;
  // Classifies a Completed transfer. Transfers that did not complete are classified by the
  // sender alone (FailedBeforeSend: Transient; after send: Unknown).
  virtual SendResult parse_send(const OutboundResponse& response) const = 0;

  // Delivery reports pushed to POST/GET /delivery/<provider>. Errors are VALIDATION_ERROR (a
  // report that does not parse) or FORBIDDEN (a signature that does not match).
  virtual bool accepts_receipts() const { return false; }
  virtual Result<std::vector<Receipt>> parse_receipt(const ReceiptRequest& request) const;

  // Gateways without push receipts (Hubtel) are polled for accepted messages.
  virtual std::optional<OutboundRequest> build_status_poll(std::string_view message_id) const;
  virtual std::optional<Receipt> parse_status_poll(std::string_view message_id,
                                                   const OutboundResponse& response) const;
};

// nullptr for an unknown provider name. Throws std::invalid_argument when a setting the
// provider needs is missing (the message names the setting).
std::unique_ptr<SmsProvider> make_provider(const ProviderSettings& settings);
// The names make_provider accepts, in documentation order.
const std::vector<std::string>& provider_names();

}  // namespace ussd_otp
