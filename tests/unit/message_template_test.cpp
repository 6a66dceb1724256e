// Tests for SMS template validation (placeholders, length) and rendering.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "otp/message_template.hpp"

namespace ussd_otp {
namespace {

std::optional<std::string> validate(std::string_view tmpl, std::size_t max_length = 480) {
  return validate_message_template(tmpl, max_length);
}

}  // namespace

TEST_CASE("validate_message_template accepts good templates", "[template]") {
  CHECK_FALSE(validate(kDefaultMessageTemplate));
  CHECK_FALSE(validate("{code}"));
  CHECK_FALSE(validate("Code: {code}"));
  CHECK_FALSE(validate("{code} {code} {amount}{duration}"));
  // Braces that do not form {identifier} are literal text.
  CHECK_FALSE(validate("{code} {} { } {{ }} } { {code"));
  CHECK_FALSE(validate("{{code}}"));
  CHECK_FALSE(validate("{code-x} {code}"));
  CHECK_FALSE(validate("{ code } {code}"));
  CHECK_FALSE(validate("Ihre Nummer: {code} \xe2\x80\x94 g\xc3\xbcltig {amount} {duration}"));
}

TEST_CASE("validate_message_template rejects bad templates", "[template]") {
  CHECK(validate("") == std::optional<std::string>("must contain {code}"));
  CHECK(validate("Your code") == std::optional<std::string>("must contain {code}"));
  CHECK(validate("{amount} {duration}") == std::optional<std::string>("must contain {code}"));
  CHECK(validate("{ code }") == std::optional<std::string>("must contain {code}"));
  CHECK(validate("{CODE}") == std::optional<std::string>("unknown placeholder {CODE}"));
  CHECK(validate("{code} {name}") == std::optional<std::string>("unknown placeholder {name}"));
  CHECK(validate("{pin}") == std::optional<std::string>("unknown placeholder {pin}"));
  CHECK(validate("{code} {a_1} {b}") == std::optional<std::string>("unknown placeholder {a_1}"));
  CHECK(validate("{code}{{x}}") == std::optional<std::string>("unknown placeholder {x}"));
}

TEST_CASE("validate_message_template enforces the length limit", "[template]") {
  const std::string at_limit = "{code}" + std::string(474, 'x');
  REQUIRE(at_limit.size() == 480);
  CHECK_FALSE(validate(at_limit, 480));
  CHECK(validate(at_limit + "x", 480) ==
        std::optional<std::string>("must be at most 480 characters"));
  CHECK(validate("{code}", 5) == std::optional<std::string>("must be at most 5 characters"));
  CHECK_FALSE(validate("{code}", 6));
  // Characters, not bytes: "é" is two bytes but one character.
  std::string accented = "{code}";
  for (int i = 0; i < 4; ++i) accented += "\xc3\xa9";
  CHECK_FALSE(validate(accented, 10));
  CHECK(validate(accented, 9));
}

TEST_CASE("render_message", "[template]") {
  CHECK(render_message(kDefaultMessageTemplate, "123456", 5, "minutes") ==
        "Your code is 123456. Valid for 5 minutes.");
  CHECK(render_message(kDefaultMessageTemplate, "123456", 1, "minutes") ==
        "Your code is 123456. Valid for 1 minute.");
  CHECK(render_message(kDefaultMessageTemplate, "AB3K9Q", 1, "hours") ==
        "Your code is AB3K9Q. Valid for 1 hour.");
  CHECK(render_message(kDefaultMessageTemplate, "AB3K9Q", 2, "hours") ==
        "Your code is AB3K9Q. Valid for 2 hours.");
  CHECK(render_message("{code}-{code}", "42", 1, "minutes") == "42-42");
  CHECK(render_message("{amount}{duration}{amount}", "1", 10, "minutes") == "10minutes10");
  CHECK(render_message("{{code}} {} { code }", "7", 1, "minutes") == "{7} {} { code }");
  // A code that looks like a placeholder is not expanded again.
  CHECK(render_message("{code} {amount}", "{amount}", 3, "hours") == "{amount} 3");
  // Unknown placeholders (only possible without validation) are left as written.
  CHECK(render_message("{code} {name}", "1", 1, "minutes") == "1 {name}");
  CHECK(render_message("", "1", 1, "minutes").empty());
  CHECK(render_message("no placeholders", "1", 1, "minutes") == "no placeholders");
}

}  // namespace ussd_otp

TEST_CASE("templates with control characters are refused, line breaks are fine", "[template]") {
  using ussd_otp::validate_message_template;
  CHECK_FALSE(validate_message_template("Code:\n{code}", 480));
  CHECK(validate_message_template(std::string("Code {code}\0", 12), 480) ==
        "must not contain control characters (line breaks are fine)");
  CHECK(validate_message_template("Code\t{code}", 480));
  CHECK(validate_message_template("Code \x1b[31m{code}", 480));
}
