// The dev delivery channel: keeps "delivered" messages in memory for GET /dev/inbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "otp/delivery.hpp"

namespace ussd_otp {

class DevInbox final : public DeliveryChannel {
 public:
  explicit DevInbox(std::size_t capacity = 1000) : capacity_(capacity) {}

  std::string_view name() const override { return "dev-inbox"; }
  SendResult deliver(const OutgoingMessage& message) override;

  // Messages delivered to `phone` (digits-only E.164), newest first.
  std::vector<OutgoingMessage> messages_for(std::string_view phone) const;

 private:
  std::size_t capacity_;  // oldest messages are dropped beyond this
  mutable std::mutex mutex_;
  std::deque<OutgoingMessage> messages_;
  std::uint64_t delivered_ = 0;
};

}  // namespace ussd_otp
