// Emergent (Ghana, interpayafrica.com): Hubtel-like JSON callbacks. Request `Type`
// (Initiation/Response/Release/Timeout), `Message`, `Mobile`, `SessionId`, `USERID`, `Operator`;
// reply {"Message", "Type": "Response", "MaskNextRoute": true} or {"Message", "Type": "Release"}.
// Cross-Switch speaks the same shape (server/ussd/dialects/crossswitch.cpp reuses this class).
//
// Unverified (the only public mapping is the npm package ussd-builder 1.3.2, see
// ../shared/reference/ussd-aggregators.md section 8), so parsing is defensive:
// - `Type` is compared case-insensitively (Hubtel's own docs use both cases). Release and
//   Timeout are Hubtel's end notifications; whether Emergent sends them is unknown, and they get
//   a Release reply with an empty Message. Any other Type is a 400 naming `Type`.
// - `USERID`: ussd-builder maps it to the service code; its name says account id. We keep it as
//   the user id (so `ussd-<name>-user-id` can pin whatever value the aggregator sends) and take
//   the service code from `ServiceCode` (Hubtel's name) when present, else, on Initiation, from
//   the dial string in `Message`.
// - `Message` on Initiation is the dial string ("*889*142#", or "*889*142*0241234567#" with the
//   number pre-filled; the gateway extracts it). It is required only on Response (an answer).
// - No SessionId is echoed: ussd-builder's replies carry none. MaskNextRoute is sent on
//   Response only, as ussd-builder does.
#include <map>

#include "menus/dial_string.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

class EmergentDialect final : public UssdDialect {
 public:
  explicit EmergentDialect(std::string name) : name_(std::move(name)) {}

  std::string_view name() const override { return name_; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto body = dialect_json::object_body(http.body);
    if (!body.ok()) return body.error();
    const nlohmann::json& json = body.value();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = name_;
    ussd.session_id = dialect_json::required_string(json, "SessionId", problems, kMaxUssdField);
    ussd.msisdn = dialect_json::required_string(json, "Mobile", problems, kMaxUssdField);
    ussd.network = dialect_json::optional_string(json, "Operator", problems, kMaxUssdField);
    ussd.service_code = dialect_json::optional_string(json, "ServiceCode", problems, kMaxUssdField);
    request.user_id = dialect_json::optional_string(json, "USERID", problems, kMaxUssdField);
    const std::string type = dialect_json::required_string(json, "Type", problems, 32);
    const bool has_message = json.contains("Message") && !json["Message"].is_null();
    const std::string message =
        dialect_json::optional_string(json, "Message", problems, kMaxUssdInput);

    const std::string kind = dialect_json::ascii_lower(type);
    if (kind == "initiation") {
      ussd.phase = UssdPhase::Begin;
      ussd.input = message;
      if (ussd.service_code.empty() && looks_like_dial_string(message)) {
        ussd.service_code = message;
      }
    } else if (kind == "response") {
      ussd.phase = UssdPhase::Continue;
      ussd.input = message;
      if (!has_message) problems.emplace("Message", "is required on a Response");
    } else if (kind == "release") {
      ussd.phase = UssdPhase::Released;
    } else if (kind == "timeout") {
      ussd.phase = UssdPhase::TimedOut;
    } else if (!problems.contains("Type")) {
      problems["Type"] = "must be Initiation, Response, Release or Timeout";
    }
    dialect_json::require_non_empty(problems, "SessionId", ussd.session_id);
    dialect_json::require_non_empty(problems, "Mobile", ussd.msisdn);
    if (!problems.empty()) return dialect_json::validation_error(name_, std::move(problems));
    return request;
  }

  DialectReply render(const DialectRequest&, const UssdAnswer& answer) const override {
    nlohmann::json reply{{"Message", answer.text}, {"Type", answer.end ? "Release" : "Response"}};
    if (!answer.end) reply["MaskNextRoute"] = true;
    return dialect_json::json_reply(reply);
  }

 private:
  std::string name_;
};

}  // namespace

// The Emergent wire shape under another route name (Cross-Switch).
std::unique_ptr<UssdDialect> make_emergent_shape_dialect(std::string name) {
  return std::make_unique<EmergentDialect>(std::move(name));
}

std::unique_ptr<UssdDialect> make_emergent_dialect() {
  return make_emergent_shape_dialect("emergent");
}

}  // namespace ussd_otp
