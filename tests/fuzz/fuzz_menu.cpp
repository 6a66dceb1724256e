// Fuzzes the USSD menu with arbitrary answer sequences, asserting its one security invariant:
// no screen ever shows a code issued to a number other than the dialler's. Input: the dial
// string on the first line (pre-filled answers), then one answer per line. Every input is
// played by four diallers: A and B (each with codes of their own), a foreign number, and a
// foreign number as long as a national one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "menus/dial_string.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tests/fuzz/menu_fixture.hpp"

using namespace ussd_otp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const MessageCatalog catalog = MessageCatalog::builtin();
  static const std::vector<std::string> languages = catalog.languages();
  static const MenuSettings settings;
  static const MenuSettings small_screens = [] {
    MenuSettings s;
    s.screen_limit = 60;  // forces lists to be cut short
    s.max_choices = 2;
    return s;
  }();
  static const std::vector<PhoneNumber> diallers = {
      *PhoneNumber::parse("233241234567", PhoneRules{}),
      *PhoneNumber::parse("233201112222", PhoneRules{}),
      *PhoneNumber::parse("+447911123456", PhoneRules{}),
      *PhoneNumber::parse("+299123456", PhoneRules{}),
  };
  const std::string_view text = fuzz::as_text(data, size);
  std::vector<std::string_view> lines = fuzz::all_lines(text);
  const std::vector<std::string> prefilled = dial_segments(lines.front());
  // Past the service code: what the subscriber typed after *889*142*.
  const std::span<const std::string> typed =
      prefilled.size() >= 2 ? std::span<const std::string>(prefilled).subspan(2)
                            : std::span<const std::string>{};
  const std::span<const std::string_view> answers(lines.data() + 1, lines.size() - 1);
  // The language and screen size vary with the input, so every catalog's wording is covered.
  const Messages& messages = catalog.language(languages[size % languages.size()]);
  const MenuSettings& chosen = (size / languages.size()) % 2 == 0 ? settings : small_screens;
  for (const PhoneNumber& dialler : diallers) {
    fuzz::run_session(messages, chosen, dialler, typed, answers);
  }
  return 0;
}
