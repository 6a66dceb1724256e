// SouthPawsl (Ghana, ussd.southpawsl.com): JSON callbacks {sessionId, menuId, msisdn, ussdString,
// inputOption, network, ussdParameters, ...}; reply {message, state: "CONTINUE"|"END", menuId,
// ussdString, option, ussdParameter}.
//
// Unverified (the only public mapping is ussd-builder 1.3.2, ../shared/reference/
// ussd-aggregators.md section 8; SouthPawsl publishes no spec), so parsing is defensive:
// - `ussdString` is the service code; a request whose `inputOption` equals it begins a session
//   (ussd-builder's rule). We also begin when `inputOption` is a dial string that extends
//   `ussdString` ("*889*142*0241234567#" for "*889*142#"): the number pre-filled, which the
//   gateway extracts. Anything else is an answer, taken from `inputOption`.
// - There is no end/timeout notification in the mapping, so none is handled.
// - The reply echoes `menuId` and `ussdString` as sent, `option` (the answer we got; "" on the
//   first request) and `ussdParameters` under the name `ussdParameter` (singular, as
//   ussd-builder's code and a public Laravel integration both send it; its .d.ts says plural).
//   `ussdParameters` may be any JSON (an array per ussd-builder's types, possibly a string); it
//   is echoed verbatim and capped at 1024 characters.
// - `menuId` (ussd-builder's "userId") is the user id, so `ussd-southpawsl-user-id` can pin it.
#include <map>

#include "menus/dial_string.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

// "*889*142*0241234567#" extends "*889*142#"; "*889*142#" extends itself.
bool extends_code(std::string_view dialled, std::string_view code) {
  if (!looks_like_dial_string(dialled)) return false;
  const auto typed = dial_segments(dialled);
  const auto ours = dial_segments(code);
  return !ours.empty() && ours.size() <= typed.size() &&
         std::equal(ours.begin(), ours.end(), typed.begin());
}

class SouthPawslDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "southpawsl"; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = "southpawsl";
    ussd.session_id = dialect_json::required_string(json, "sessionId", problems, kMaxUssdField);
    ussd.msisdn = dialect_json::required_string(json, "msisdn", problems, kMaxUssdField);
    ussd.service_code = dialect_json::required_string(json, "ussdString", problems, kMaxUssdField);
    ussd.network = dialect_json::optional_string(json, "network", problems, kMaxUssdField);
    request.user_id = dialect_json::optional_string(json, "menuId", problems, kMaxUssdField);
    const std::string input =
        dialect_json::required_string(json, "inputOption", problems, kMaxUssdInput);
    nlohmann::json parameters = nlohmann::json::array();
    if (const auto it = json.find("ussdParameters"); it != json.end() && !it->is_null()) {
      if (it->dump().size() > kMaxUssdInput) {
        problems["ussdParameters"] =
            "must be at most " + std::to_string(kMaxUssdInput) + " characters of JSON";
      } else {
        parameters = *it;
      }
    }
    dialect_json::require_non_empty(problems, "sessionId", ussd.session_id);
    dialect_json::require_non_empty(problems, "msisdn", ussd.msisdn);
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));

    if (input == ussd.service_code || extends_code(input, ussd.service_code)) {
      ussd.phase = UssdPhase::Begin;
      ussd.input = input;  // the gateway reads pre-filled digits from a dial string
    } else {
      ussd.phase = UssdPhase::Continue;
      ussd.input = input;
    }
    request.echo = {{"menuId", json.contains("menuId") ? json["menuId"] : nlohmann::json("")},
                    {"ussdString", ussd.service_code},
                    {"option", ussd.phase == UssdPhase::Begin ? "" : input},
                    {"ussdParameter", std::move(parameters)}};
    return request;
  }

  DialectReply render(const DialectRequest& request, const UssdAnswer& answer) const override {
    nlohmann::json reply = request.echo;
    reply["message"] = answer.text;
    reply["state"] = answer.end ? "END" : "CONTINUE";
    return dialect_json::json_reply(reply);
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_southpawsl_dialect() {
  return std::make_unique<SouthPawslDialect>();
}

}  // namespace ussd_otp
