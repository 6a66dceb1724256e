// In-memory only: rendered messages hold codes, so they never reach the database or the logs.
#include "delivery/dev_inbox.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace ussd_otp {
namespace {

constexpr std::array<std::pair<DeliveryMode, std::string_view>, 3> kModeNames{{
    {DeliveryMode::Normal, "normal"},
    {DeliveryMode::Drop, "drop"},
    {DeliveryMode::Delay, "delay"},
}};

}  // namespace

std::string_view to_string(DeliveryMode mode) {
  for (const auto& [value, name] : kModeNames) {
    if (value == mode) return name;
  }
  return "normal";
}

std::optional<DeliveryMode> delivery_mode_from_string(std::string_view text) {
  for (const auto& [value, name] : kModeNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

SendResult DevInbox::deliver(const OutgoingMessage& message) {
  std::lock_guard lock(mutex_);
  const std::string id = "dev-" + std::to_string(++delivered_);
  InboxMessage kept{message, id, message.at};
  if (auto rule = rules_.find(message.phone); rule != rules_.end()) {
    if (rule->second.mode == DeliveryMode::Drop) {
      ++rule->second.dropped;
      // Accepted, as a gateway would: the loss happens after it, where no sender can see it.
      return SendResult{SendOutcome::Accepted, id, "", "", ""};
    }
    if (rule->second.mode == DeliveryMode::Delay) kept.visible_at += rule->second.delay_seconds;
  }
  messages_.push_back(std::move(kept));
  while (messages_.size() > capacity_) messages_.pop_front();
  return SendResult{SendOutcome::Accepted, id, "", "", ""};
}

std::vector<InboxMessage> DevInbox::messages_for(std::string_view phone, UnixSeconds now) const {
  std::lock_guard lock(mutex_);
  std::vector<InboxMessage> found;
  for (auto it = messages_.rbegin(); it != messages_.rend(); ++it) {
    if (it->phone == phone && it->visible_at <= now) found.push_back(*it);
  }
  // Newest as the phone sees them: a delayed message lands after one sent later without delay.
  std::stable_sort(found.begin(), found.end(), [](const InboxMessage& a, const InboxMessage& b) {
    return a.visible_at > b.visible_at;
  });
  return found;
}

void DevInbox::set_rule(const std::string& phone, DeliveryMode mode, int delay_seconds) {
  std::lock_guard lock(mutex_);
  if (mode == DeliveryMode::Normal) {
    rules_.erase(phone);
    return;
  }
  DeliveryRule& rule = rules_[phone];
  rule.phone = phone;
  rule.mode = mode;
  rule.delay_seconds = mode == DeliveryMode::Delay ? delay_seconds : 0;
}

std::vector<DeliveryRule> DevInbox::rules() const {
  std::lock_guard lock(mutex_);
  std::vector<DeliveryRule> out;
  for (const auto& [phone, rule] : rules_) out.push_back(rule);
  return out;
}

}  // namespace ussd_otp
