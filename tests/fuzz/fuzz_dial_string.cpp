// Fuzzes dial strings and the Africa's Talking `text` path: "service code\ntext", through the
// dial-string functions, the AT dialect and the gateway's own choice of code and pre-filled
// answers, then the menu those answers drive.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "delivery/providers/wire.hpp"
#include "menus/dial_string.hpp"
#include "server/ussd/dialects/dialect.hpp"
#include "server/ussd/gateway.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/menu_fixture.hpp"

using namespace ussd_otp;

namespace {

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> service_codes = {"*889*142#", "*889#", "*920*55#"};
  static const auto dialects = all_dialects();
  static const UssdDialect& africastalking =
      **std::find_if(dialects.begin(), dialects.end(),
                     [](const auto& d) { return d->name() == "africastalking"; });
  static const MessageCatalog catalog = MessageCatalog::builtin();
  static const MenuSettings settings;
  static const PhoneNumber dialer = *PhoneNumber::parse("233201112222", PhoneRules{});
  const auto parts = fuzz::split_lines(fuzz::as_text(data, size), 2);
  const std::string_view code = parts[0];
  const std::string_view text = parts[1];

  // The canonical form is a fixed point and always reads as a dial string.
  const std::string canonical = canonical_service_code(code);
  FUZZ_CHECK(canonical_service_code(canonical) == canonical);
  FUZZ_CHECK(looks_like_dial_string(canonical));
  // A match splits what was typed into our code and the rest, losing nothing.
  for (const std::string_view dialled : {code, text}) {
    if (const auto match = match_service_code(service_codes, dialled)) {
      FUZZ_CHECK(joined(dial_segments(match->service_code), match->prefilled) ==
                 dial_segments(dialled));
    }
  }

  // The AT callback as the aggregator sends it: everything percent-encoded.
  const std::string body = "sessionId=ATUid_fuzz&phoneNumber=%2B233201112222&networkCode=62001" +
                           std::string("&serviceCode=") + sms_wire::percent_encode(code) +
                           "&text=" + sms_wire::percent_encode(text);
  const DialectHttpRequest http{"POST", "application/x-www-form-urlencoded", body, {}};
  const Result<DialectRequest> parsed = africastalking.parse(http);
  const bool fits = !code.empty() && code.size() <= kMaxUssdField && text.size() <= kMaxUssdInput;
  FUZZ_CHECK(parsed.ok() == fits);
  if (!parsed) return 0;
  const UssdRequest& request = parsed->ussd;
  FUZZ_CHECK(request.path.has_value());
  std::string rejoined;
  for (std::size_t i = 0; i < request.path->size(); ++i) {
    rejoined += (i == 0 ? "" : "*") + (*request.path)[i];
  }
  FUZZ_CHECK(rejoined == text);

  // The gateway's choice, for the path and for a forwarded dial string on a first request.
  UssdRequest forwarded = request;
  forwarded.path.reset();
  forwarded.phase = UssdPhase::Begin;
  forwarded.input = std::string(text);
  const UssdRequest* const steps[] = {&request, &forwarded};
  for (const UssdRequest* step : steps) {
    const DialMatch match = dialled_match(*step, service_codes);
    FUZZ_CHECK(std::find(service_codes.begin(), service_codes.end(), match.service_code) !=
               service_codes.end());
    // Pre-filled answers drive the menu straight to a screen: never another number's code.
    fuzz::run_session(catalog.language("en"), settings, dialer, match.prefilled, {});
  }
  return 0;
}
