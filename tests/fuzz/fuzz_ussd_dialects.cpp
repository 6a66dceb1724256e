// Fuzzes every USSD aggregator dialect's parser and renderer: "dialect[/subpath]\nquery\nbody".
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/http/url_encoding.hpp"
#include "server/ussd/dialects/dialect.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ussd_otp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto dialects = all_dialects();
  static const auto names = dialect_names();
  const auto parts = fuzz::split_lines(fuzz::as_text(data, size), 3);

  // "africastalking/events" reaches a sub-path parser.
  const std::string_view selector = parts[0];
  const std::size_t slash = selector.find('/');
  const UssdDialect& dialect = *dialects[fuzz::choose(selector.substr(0, slash), names)];
  const std::string_view subpath =
      slash == std::string_view::npos ? std::string_view{} : selector.substr(slash + 1);

  DialectHttpRequest http;
  http.method = dialect.uses_get() ? "GET" : "POST";
  http.body = parts[2];
  // As the route sees them: JSON bodies declare JSON, the rest a form.
  http.content_type = !http.body.empty() && http.body.front() == '{'
                          ? "application/json"
                          : "application/x-www-form-urlencoded";
  if (auto query = parse_form(parts[1])) http.query = std::move(*query);

  const Result<DialectRequest> parsed =
      subpath.empty() ? dialect.parse(http) : dialect.parse_subpath(subpath, http);
  if (!parsed) {
    // A refusal must name what is wrong: it becomes the 400's message.
    FUZZ_CHECK(!parsed.error().message.empty());
    return 0;
  }
  const DialectRequest& request = parsed.value();
  FUZZ_CHECK(request.ussd.dialect == dialect.name());
  FUZZ_CHECK(request.ussd.input.size() <= kMaxUssdInput || request.ussd.path.has_value());
  if (request.is_report) {
    dialect.render_report(request);
    return 0;
  }
  // Both kinds of answer (the text is ours, from the catalog; the echoed fields are the input).
  for (const bool end : {false, true}) {
    UssdAnswer answer;
    answer.end = end;
    answer.session_id = request.ussd.session_id;
    answer.text = "Your code is 123456.\n\"quoted\" & <b>";
    const DialectReply reply = dialect.render(request, answer);
    FUZZ_CHECK(reply.status >= 200 && reply.status < 600);
  }
  return 0;
}
