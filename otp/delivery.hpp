// What a delivery attempt can end in, and the channel interface local senders (the dev inbox)
// implement. SMS gateways implement delivery/provider.hpp on top of these types.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "otp/clock.hpp"

namespace ussd_otp {

struct OutgoingMessage {
  std::string otp_id;
  std::string phone;   // digits-only E.164
  std::string sender;  // may be empty
  std::string text;    // rendered; contains the code, so it is never logged or stored
  std::string reason;  // "initial" | "resend"
  UnixSeconds at = 0;
};

// How a gateway's answer to one send is classified (docs/delivery.md, "What is retried").
enum class SendOutcome {
  Accepted,      // the gateway took it; `message_id` identifies it for receipts
  Permanent,     // the number or message can never go through this provider: not retried there
  AccountLevel,  // auth, balance, sender id: every message would fail; the provider is paused
  Transient,     // 5xx, 429, connection refused, timeout before sending: back off and retry
  Unknown,       // timeout after the request was sent: the SMS may have gone
};
std::string_view to_string(SendOutcome outcome);  // "accepted", "permanent", "account", ...
std::optional<SendOutcome> send_outcome_from_string(std::string_view text);

struct SendResult {
  SendOutcome outcome = SendOutcome::Transient;
  std::string message_id;      // the gateway's id, when Accepted
  std::string error;           // short, for the attempt row and logs; never the message text
  std::string cost;            // as the gateway reports it ("KES 0.8000", "0.0309"); may be empty
  std::string gateway_status;  // the gateway's own status word or code, e.g. "101", "Success"
};

// A sender that needs no HTTP (the dev inbox). Must be fast and thread-safe.
class DeliveryChannel {
 public:
  virtual ~DeliveryChannel() = default;
  virtual std::string_view name() const = 0;
  virtual SendResult deliver(const OutgoingMessage& message) = 0;
};

}  // namespace ussd_otp
