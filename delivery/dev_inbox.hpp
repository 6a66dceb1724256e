// The dev delivery channel: keeps "delivered" messages in memory for GET /dev/inbox, and per-phone
// rules (POST /dev/delivery) that lose or delay them, so testers rehearse an SMS that never came.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "otp/clock.hpp"
#include "otp/delivery.hpp"

namespace ussd_otp {

enum class DeliveryMode {
  Normal,  // the message appears in the inbox at once
  Drop,    // the gateway accepts it, the network loses it: it never appears
  Delay,   // it appears `delay_seconds` after it was sent
};
std::string_view to_string(DeliveryMode mode);  // "normal", "drop", "delay"
std::optional<DeliveryMode> delivery_mode_from_string(std::string_view text);

// The longest delay a rule may ask for: a day covers every expiry a tester rehearses.
inline constexpr int kMaxDeliveryDelaySeconds = 86'400;

struct DeliveryRule {
  std::string phone;  // digits-only E.164
  DeliveryMode mode = DeliveryMode::Normal;
  int delay_seconds = 0;      // Delay only
  std::uint64_t dropped = 0;  // messages this rule has lost so far
};

// A message as the inbox holds it: what was sent, its id, and when the phone shows it.
struct InboxMessage : OutgoingMessage {
  std::string message_id;      // "dev-N", as returned to the sender
  UnixSeconds visible_at = 0;  // `at`, plus the delay a rule added
};

class DevInbox final : public DeliveryChannel {
 public:
  explicit DevInbox(std::size_t capacity = 1000) : capacity_(capacity) {}

  std::string_view name() const override { return "dev-inbox"; }
  SendResult deliver(const OutgoingMessage& message) override;

  // Messages delivered to `phone` (digits-only E.164) and visible at `now`, newest first.
  std::vector<InboxMessage> messages_for(std::string_view phone, UnixSeconds now) const;

  // Sets the rule for `phone` (digits-only E.164); Normal removes it. A phone's dropped count
  // survives a change between Drop and Delay. Applies to messages delivered from now on.
  void set_rule(const std::string& phone, DeliveryMode mode, int delay_seconds = 0);
  std::vector<DeliveryRule> rules() const;  // by phone

 private:
  std::size_t capacity_;  // oldest messages are dropped beyond this
  mutable std::mutex mutex_;
  std::deque<InboxMessage> messages_;
  std::map<std::string, DeliveryRule, std::less<>> rules_;
  std::uint64_t delivered_ = 0;
};

}  // namespace ussd_otp
