// Fuzzes the SMS gateway adapters' parsers (delivery/providers/*.cpp): send answers, pushed
// delivery reports and status polls. Input: "provider\noperation\nquery\nbody" where operation
// is "send <status>", "receipt <method> <content type> [unsigned]" or "poll <status> <id>".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "delivery/provider.hpp"
#include "delivery/providers/wire.hpp"
#include "delivery/signature.hpp"
#include "otp/text.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/support/provider_settings.hpp"

using namespace ussd_otp;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::string_view kReceiptUrl = "https://otp.example.com/delivery/twilio";

std::vector<std::unique_ptr<SmsProvider>> make_providers() {
  std::vector<std::unique_ptr<SmsProvider>> out;
  for (const std::string& name : provider_names()) {
    ProviderSettings settings = testing::settings_for_any_provider(name);
    settings.receipt_url = std::string(kReceiptUrl);
    // The webhook adapter checks receipt timestamps against a clock: a fixed one, so the
    // signatures made below stay valid.
    out.push_back(name == "webhook" ? make_webhook_provider(settings, [] { return kNow; })
                                    : make_provider(settings));
  }
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    if (space != 0) out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return out;
}

long status_from(const std::vector<std::string_view>& op, std::size_t index) {
  if (op.size() <= index) return 200;
  long status = 0;
  for (const char c : op[index].substr(0, 3)) {
    if (c < '0' || c > '9') return 200;
    status = status * 10 + (c - '0');
  }
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto providers = make_providers();
  static const std::vector<std::string> operations = {"send", "receipt", "poll"};
  const auto parts = fuzz::split_lines(fuzz::as_text(data, size), 4);
  const SmsProvider& provider = *providers[fuzz::choose(parts[0], provider_names())];
  const auto op = words(parts[1]);
  const std::size_t operation = fuzz::choose(op.empty() ? "" : op[0], operations);
  const std::string_view body = parts[3];

  if (operation == 0 || operation == 2) {
    OutboundResponse response;
    response.status = status_from(op, 1);
    response.headers["content-type"] = "application/json";
    response.body = std::string(body);
    if (operation == 0) {
      provider.parse_send(response);
    } else {
      const std::string message_id = op.size() > 2 ? std::string(op[2]) : "msg-1";
      provider.parse_status_poll(message_id, response);
    }
    return 0;
  }

  ReceiptRequest request;
  request.method = op.size() > 1 ? std::string(op[1]) : "POST";
  request.content_type = op.size() > 2 ? std::string(op[2]) : "application/json";
  request.url = std::string(kReceiptUrl);
  if (!parts[2].empty()) request.url += "?" + std::string(parts[2]);
  if (auto query = sms_wire::parse_form(parts[2])) request.query = std::move(*query);
  request.headers["content-type"] = request.content_type;
  request.body = std::string(body);
  // Signed as the gateway would, so the parsing behind the signature check is reached; with
  // "unsigned" the check itself is what runs.
  const bool sign = !(op.size() > 3 && op[3] == "unsigned");
  if (sign && provider.name() == "webhook") {
    request.headers["x-ussd-otp-timestamp"] = std::to_string(kNow);
    request.headers["x-ussd-otp-signature"] =
        webhook_signature(testing::kAnyWebhookSecret, kNow, body);
  }
  if (sign && provider.name() == "twilio") {
    auto params = sms_wire::parse_form(body).value_or(sms_wire::Fields{});
    if (text::equals_ignoring_case(request.method, "GET")) params.clear();
    request.headers["x-twilio-signature"] =
        twilio_signature(testing::kAnyAuthToken, request.url, params);
  }
  const auto receipts = provider.parse_receipt(request);
  if (!receipts) FUZZ_CHECK(!receipts.error().message.empty());
  return 0;
}
