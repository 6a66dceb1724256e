// Defaults for what most gateways lack (push receipts, status polls), and the provider registry.
#include "delivery/provider.hpp"

#include <stdexcept>

namespace ussd_otp {

std::string_view to_string(ReceiptState state) {
  switch (state) {
    case ReceiptState::Delivered:
      return "delivered";
    case ReceiptState::Failed:
      return "failed";
    case ReceiptState::Pending:
      return "pending";
  }
  return "pending";
}

Result<std::vector<Receipt>> SmsProvider::parse_receipt(const ReceiptRequest&) const {
  return Error::make(ErrorCode::NotFound, std::string(name()) + " sends no delivery reports.");
}

std::optional<OutboundRequest> SmsProvider::build_status_poll(std::string_view) const {
  return std::nullopt;
}

std::optional<Receipt> SmsProvider::parse_status_poll(std::string_view,
                                                      const OutboundResponse&) const {
  return std::nullopt;
}

}  // namespace ussd_otp
