// Fuzzes PhoneNumber::parse under Ghana's rules and under "any country" rules, with the
// invariants the rest of the code relies on (digits-only E.164 that parses back to itself).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "otp/phone.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ussd_otp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const PhoneRules ghana{};
  static const PhoneRules nigeria{"234", 10};
  static const PhoneRules any_length{"44", 0};
  const std::string_view input = fuzz::as_text(data, size);
  for (const PhoneRules* rules : {&ghana, &nigeria, &any_length}) {
    const auto phone = PhoneNumber::parse(input, *rules);
    if (!phone) continue;
    const std::string& digits = phone->e164_digits();
    FUZZ_CHECK(digits.size() >= 8 && digits.size() <= 15);
    FUZZ_CHECK(
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }));
    // Stored numbers are parsed again (menus, verify_latest): they must mean the same number.
    FUZZ_CHECK(PhoneNumber::parse(phone->e164(), *rules) == phone);
    // Not so for bare digits: as long as a national number they read as a local one (a decision
    // in PhoneNumber::parse), which is why stored numbers keep their '+' when parsed again.
    // A screen's rendering is what a subscriber types back.
    FUZZ_CHECK(PhoneNumber::parse(phone->display(*rules), *rules) == phone);
  }
  return 0;
}
