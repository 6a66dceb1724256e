// In-memory only: rendered messages hold codes, so they never reach the database or the logs.
#include "server/dev_inbox.hpp"

namespace ussd_otp {

SendResult DevInbox::deliver(const OutgoingMessage& message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(message);
  while (messages_.size() > capacity_) messages_.pop_front();
  return SendResult{SendOutcome::Accepted, "dev-" + std::to_string(++delivered_), "", "", ""};
}

std::vector<OutgoingMessage> DevInbox::messages_for(std::string_view phone) const {
  std::lock_guard lock(mutex_);
  std::vector<OutgoingMessage> found;
  for (auto it = messages_.rbegin(); it != messages_.rend(); ++it) {
    if (it->phone == phone) found.push_back(*it);
  }
  return found;
}

}  // namespace ussd_otp
