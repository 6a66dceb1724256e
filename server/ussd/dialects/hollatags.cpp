// HollaTags (Nigeria, docs.hollatags.com/ussd/inbound): GET /ussd/hollatags?session_msisdn=...&
// session_operation=begin|continue|end&session_msg=...&session_id=...&session_from=...&
// session_type=...&session_mno=...; reply JSON {session_operation, session_type, session_id,
// session_msg} with "continue"/1 to ask for input and "end"/4 to finish.
//
// Official docs, but a few points are unverified, so parsing is defensive:
// - What `session_msg` holds on `begin` (empty, or the dial string). A dial string there is
//   passed to the gateway, which extracts a pre-filled number; otherwise the digits after the
//   code in `session_from` ("*889*142*0241234567#") are used.
// - `session_operation` is compared case-insensitively; "end" is the only end notification
//   documented, so it is taken as the user releasing the session and answered with an "end"
//   body (empty message). Anything else is a 400 naming `session_operation`.
// - The docs type `session_id` and `session_msisdn` as integers; they are kept as text (the
//   reply echoes `session_id` as the string the sample shows). `session_type` on the request is
//   only checked to be one of 1-4 when present.
// - `session_msisdn` may arrive with a '+' decoded as a space by a proxy; a leading space is
//   taken back to '+'. HollaTags has no account-id field, so `ussd-hollatags-user-id` is unused.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "menus/dial_string.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> field(const Query& query, std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string optional(const Query& query, const char* key,
                     std::map<std::string, std::string>& problems, std::size_t max) {
  auto value = field(query, key);
  if (!value) return "";
  if (value->size() > max) {
    problems[key] = "must be at most " + std::to_string(max) + " characters";
    return "";
  }
  return std::move(*value);
}

std::string required(const Query& query, const char* key,
                     std::map<std::string, std::string>& problems, std::size_t max) {
  const auto value = field(query, key);
  if (!value || value->empty()) {
    problems[key] = "is required";
    return "";
  }
  return optional(query, key, problems, max);
}

class HollaTagsDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "hollatags"; }
  bool uses_get() const override { return true; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    const Query& query = http.query;
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = "hollatags";
    ussd.session_id = required(query, "session_id", problems, kMaxUssdField);
    ussd.msisdn = required(query, "session_msisdn", problems, kMaxUssdField);
    if (!ussd.msisdn.empty() && ussd.msisdn.front() == ' ') ussd.msisdn.front() = '+';
    ussd.service_code = optional(query, "session_from", problems, kMaxUssdField);
    ussd.network = optional(query, "session_mno", problems, kMaxUssdField);
    const std::string operation = required(query, "session_operation", problems, 32);
    const auto message = field(query, "session_msg");
    if (message && message->size() > kMaxUssdInput) {
      problems["session_msg"] = "must be at most " + std::to_string(kMaxUssdInput) + " characters";
    }
    const std::string type = optional(query, "session_type", problems, 8);
    if (!type.empty() && (type.size() != 1 || type[0] < '1' || type[0] > '4')) {
      problems["session_type"] = "must be 1, 2, 3 or 4";
    }

    const std::string kind = dialect_json::ascii_lower(operation);
    if (kind == "begin") {
      ussd.phase = UssdPhase::Begin;
      if (message && looks_like_dial_string(*message)) ussd.input = *message;
    } else if (kind == "continue") {
      ussd.phase = UssdPhase::Continue;
      if (!message) {
        problems.emplace("session_msg", "is required on continue");
      } else if (!problems.contains("session_msg")) {
        ussd.input = *message;
      }
    } else if (kind == "end") {
      ussd.phase = UssdPhase::Released;
    } else if (!problems.contains("session_operation")) {
      problems["session_operation"] = "must be begin, continue or end";
    }
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    request.echo = {{"session_id", ussd.session_id}};
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    return dialect_json::json_reply({{"session_operation", answer.end ? "end" : "continue"},
                                     {"session_type", answer.end ? 4 : 1},
                                     {"session_id", request.echo.value("session_id", "")},
                                     {"session_msg", answer.text}});
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_hollatags_dialect() {
  return std::make_unique<HollaTagsDialect>();
}

}  // namespace ussd_otp
