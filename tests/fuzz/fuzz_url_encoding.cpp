// Fuzzes form and URL decoding (query strings, form bodies) in the server and in the SMS
// gateways' wire helpers, with round trips through the encoders.
#include <cstddef>
#include <cstdint>
#include <string>

#include "delivery/providers/wire.hpp"
#include "server/http/url_encoding.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ussd_otp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);

  form_decode(input);
  sms_wire::form_decode(input);
  // Encoding any bytes and decoding them gives the same bytes back.
  FUZZ_CHECK(form_decode(sms_wire::percent_encode(input)) == std::string(input));
  FUZZ_CHECK(sms_wire::form_decode(sms_wire::percent_encode(input)) == std::string(input));

  const auto fields = parse_form(input);
  const auto wire_fields = sms_wire::parse_form(input);
  if (fields) {
    // What the server read survives being written out again (as our gateways send forms).
    FUZZ_CHECK(parse_form(sms_wire::form_encode(*fields)) == fields);
  }
  if (wire_fields)
    FUZZ_CHECK(sms_wire::parse_form(sms_wire::form_encode(*wire_fields)) == wire_fields);
  return 0;
}
