// Africa's Talking: form-urlencoded callbacks with the whole input path in `text`; replies are
// text/plain starting "CON " or "END ". Also the end-of-session notification (events URL).
#include "server/ussd/dialects/table.hpp"

namespace ussd_otp {
namespace {

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

// The path alone cannot tell a first request with pre-filled digits from a later step, so the
// phase stays Unknown: the gateway decides by whether it knows the session.
void path_from_text(const FieldValues& values, DialectRequest& request, FieldProblems&) {
  request.ussd.path = split_path(values["text"].text);
}

// The end-of-session notification (events URL). Kept as sent (bounded), for whoever investigates
// a failed session. Not lastAppResponse: after a code was shown it holds the code, and codes are
// never stored in plaintext.
std::vector<DialectField> event_fields() {
  std::vector<DialectField> fields = {id_field("sessionId", Fills::SessionId),
                                      optional_field("phoneNumber", Fills::Msisdn),
                                      optional_field("serviceCode", Fills::ServiceCode),
                                      optional_field("networkCode", Fills::Network),
                                      id_field("status", Fills::ReportStatus).limited_to(32)};
  for (const char* kept :
       {"status", "input", "durationInMillis", "errorMessage", "date", "hopsCount", "cost"}) {
    fields.push_back(optional_field(kept, Fills::Report).limited_to(kMaxUssdInput));
  }
  return fields;
}

class AfricasTalkingDialect final : public TableDialect {
 public:
  explicit AfricasTalkingDialect(std::string_view name)
      : TableDialect(name,
                     {
                         .format = WireFormat::Form,
                         .fields = {id_field("sessionId", Fills::SessionId),
                                    id_field("phoneNumber", Fills::Msisdn),
                                    id_field("serviceCode", Fills::ServiceCode),
                                    optional_field("networkCode", Fills::Network),
                                    required_field("text")
                                        .limited_to(kMaxUssdInput)
                                        .when_missing("is required (empty on the first request)")},
                         .adjust = path_from_text,
                     }) {}

  std::vector<std::string> subpaths() const override { return {"events"}; }

  Result<DialectRequest> parse_subpath(std::string_view subpath,
                                       const DialectHttpRequest& http) const override {
    if (subpath != "events") return parse(http);
    auto wire = WireBody::read(WireFormat::Form, http);
    if (!wire.ok()) return wire.error();
    FieldProblems problems;
    DialectRequest request;
    request.is_report = true;
    request.ussd.dialect = std::string(name());
    request.ussd.phase = UssdPhase::Released;
    static const std::vector<DialectField> kEventFields = event_fields();
    read_fields(wire.value().source(), kEventFields, request, problems);
    if (!problems.empty()) return validation_error(name(), std::move(problems));
    return request;
  }

  DialectReply render(const DialectRequest&, const UssdAnswer& answer) const override {
    return DialectReply{200, "text/plain; charset=utf-8",
                        (answer.end ? "END " : "CON ") + answer.text};
  }
};

}  // namespace

std::unique_ptr<UssdDialect> make_africastalking_dialect(std::string_view name) {
  return std::make_unique<AfricasTalkingDialect>(name);
}

}  // namespace ussd_otp
