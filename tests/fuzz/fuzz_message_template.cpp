// Fuzzes SMS message templates: validation, and rendering of every template validation accepts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "otp/message_template.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ussd_otp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view tmpl = fuzz::as_text(data, size);
  const auto problem = validate_message_template(tmpl, 480);
  if (problem) {
    FUZZ_CHECK(!problem->empty());
    return 0;
  }
  for (const int amount : {1, 5}) {
    for (const char* unit : {"minutes", "hours"}) {
      const std::string text = render_message(tmpl, "K7Q2M9", amount, unit);
      // A valid template always carries the code (it is what the SMS is for).
      FUZZ_CHECK(text.find("K7Q2M9") != std::string::npos);
    }
  }
  return 0;
}
