// Africa's Talking: form-urlencoded callbacks with the whole input path in `text`; replies are
// text/plain starting "CON " or "END ". Also the end-of-session notification (events URL).
#include <map>

#include "menus/dial_string.hpp"
#include "server/http/url_encoding.hpp"
#include "server/ussd/dialects/dialect.hpp"

namespace ussd_otp {
namespace {

using Form = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> field(const Form& form, std::string_view name) {
  for (const auto& [key, value] : form) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// "+" arrives as a space when AT (or a proxy) does not percent-encode it.
std::string phone_field(std::string value) {
  if (!value.empty() && value.front() == ' ') value.front() = '+';
  return value;
}

std::vector<std::string> split_path(std::string_view text) {
  std::vector<std::string> path;
  if (text.empty()) return path;
  std::size_t start = 0;
  while (true) {
    const std::size_t star = text.find('*', start);
    path.emplace_back(
        text.substr(start, star == std::string_view::npos ? text.npos : star - start));
    if (star == std::string_view::npos) break;
    start = star + 1;
  }
  return path;
}

class AfricasTalkingDialect final : public UssdDialect {
 public:
  std::string_view name() const override { return "africastalking"; }
  std::vector<std::string> subpaths() const override { return {"events"}; }

  Result<DialectRequest> parse(const DialectHttpRequest& http) const override {
    auto form = read_form(http);
    if (!form.ok()) return form.error();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = std::string(name());
    ussd.session_id = required(form.value(), "sessionId", problems, kMaxUssdField);
    ussd.msisdn = phone_field(required(form.value(), "phoneNumber", problems, kMaxUssdField));
    ussd.service_code = required(form.value(), "serviceCode", problems, kMaxUssdField);
    ussd.network = optional(form.value(), "networkCode", problems, kMaxUssdField);
    const auto text = field(form.value(), "text");
    if (!text) {
      problems["text"] = "is required (empty on the first request)";
    } else if (text->size() > kMaxUssdInput) {
      problems["text"] = "must be at most " + std::to_string(kMaxUssdInput) + " characters";
    }
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    // The path alone cannot tell a first request with pre-filled digits from a later step; the
    // gateway decides by whether it knows the session.
    ussd.phase = UssdPhase::Unknown;
    ussd.path = split_path(*text);
    return request;
  }

  Result<DialectRequest> parse_subpath(std::string_view subpath,
                                       const DialectHttpRequest& http) const override {
    if (subpath != "events") return parse(http);
    auto form = read_form(http);
    if (!form.ok()) return form.error();
    std::map<std::string, std::string> problems;
    DialectRequest request;
    request.is_report = true;
    UssdRequest& ussd = request.ussd;
    ussd.dialect = std::string(name());
    ussd.session_id = required(form.value(), "sessionId", problems, kMaxUssdField);
    ussd.msisdn = phone_field(optional(form.value(), "phoneNumber", problems, kMaxUssdField));
    ussd.service_code = optional(form.value(), "serviceCode", problems, kMaxUssdField);
    ussd.network = optional(form.value(), "networkCode", problems, kMaxUssdField);
    request.report_status = required(form.value(), "status", problems, 32);
    ussd.phase = UssdPhase::Released;
    // Kept as sent (bounded), for whoever investigates a failed session. Not lastAppResponse:
    // after a code was shown it holds the code, and codes are never stored in plaintext.
    for (const char* key :
         {"status", "input", "durationInMillis", "errorMessage", "date", "hopsCount", "cost"}) {
      const std::string value = optional(form.value(), key, problems, kMaxUssdInput);
      if (!value.empty()) request.report[key] = value;
    }
    if (!problems.empty()) return dialect_json::validation_error(name(), std::move(problems));
    return request;
  }

  DialectReply render(const DialectRequest&, const UssdAnswer& answer) const override {
    return DialectReply{200, "text/plain; charset=utf-8",
                        (answer.end ? "END " : "CON ") + answer.text};
  }

 private:
  Result<Form> read_form(const DialectHttpRequest& http) const {
    auto form = parse_form(http.body);
    if (!form) {
      return Error::make(ErrorCode::MalformedRequest,
                         "The body is not valid application/x-www-form-urlencoded text.");
    }
    return std::move(*form);
  }

  static std::string optional(const Form& form, const char* key,
                              std::map<std::string, std::string>& problems, std::size_t max) {
    auto value = field(form, key);
    if (!value) return "";
    if (value->size() > max) {
      problems[key] = "must be at most " + std::to_string(max) + " characters";
      return "";
    }
    return std::move(*value);
  }
  static std::string required(const Form& form, const char* key,
                              std::map<std::string, std::string>& problems, std::size_t max) {
    auto value = field(form, key);
    if (!value || value->empty()) {
      problems[key] = "is required";
      return "";
    }
    return optional(form, key, problems, max);
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_africastalking_dialect() {
  return std::make_unique<AfricasTalkingDialect>();
}

}  // namespace ussd_otp
