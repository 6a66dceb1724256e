// Where rendered messages go: the dev inbox now, SMS gateways later.
#pragma once

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

struct DeliveryOutcome {
  bool delivered = false;
  std::string detail;  // for the delivery event, e.g. "dev-inbox" or a gateway's error
};

class DeliveryChannel {
 public:
  virtual ~DeliveryChannel() = default;
  virtual std::string_view name() const = 0;
  virtual DeliveryOutcome deliver(const OutgoingMessage& message) = 0;
};

}  // namespace ussd_otp
