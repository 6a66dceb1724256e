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
  const std::initializer_list<std::string_view> good = {
      kDefaultMessageTemplate, "{code}", "Code: {code}", "{code} {code} {amount}{duration}",
      // Braces that do not form {identifier} are literal text.
      "{code} {} { } {{ }} } { {code", "{{code}}", "{code-x} {code}", "{ code } {code}",
      "Ihre Nummer: {code} \xe2\x80\x94 g\xc3\xbcltig {amount} {duration}"};
  for (const std::string_view tmpl : good) {
    INFO(tmpl);
    CHECK_FALSE(validate(tmpl));
  }
}

TEST_CASE("validate_message_template rejects bad templates", "[template]") {
  for (const std::string_view tmpl : {"", "Your code", "{amount} {duration}", "{ code }"}) {
    INFO(tmpl);
    CHECK(validate(tmpl) == std::optional<std::string>("must contain {code}"));
  }
  // The first placeholder that is not {code}, {amount} or {duration} is named.
  const std::initializer_list<std::pair<std::string_view, std::string_view>> unknown = {
      {"{CODE}", "{CODE}"},
      {"{code} {name}", "{name}"},
      {"{pin}", "{pin}"},
      {"{code} {a_1} {b}", "{a_1}"},
      {"{code}{{x}}", "{x}"}};
  for (const auto& [tmpl, placeholder] : unknown) {
    INFO(tmpl);
    CHECK(validate(tmpl) == "unknown placeholder " + std::string(placeholder));
  }
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
  // "{{code}}" is the mustache spelling of "{code}" (seed 001's examples), not braces around it.
  CHECK(render_message("{{code}} {} { code }", "7", 1, "minutes") == "7 {} { code }");
  CHECK(render_message("Code {{code}}, {{amount}} {{duration}}", "7", 5, "minutes") ==
        "Code 7, 5 minutes");
  CHECK(render_message("{{{code}}}", "7", 1, "minutes") == "{7}");
  // A code that looks like a placeholder is not expanded again.
  CHECK(render_message("{code} {amount}", "{amount}", 3, "hours") == "{amount} 3");
  // Unknown placeholders (only possible without validation) are left as written.
  CHECK(render_message("{code} {name}", "1", 1, "minutes") == "1 {name}");
  CHECK(render_message("", "1", 1, "minutes").empty());
  CHECK(render_message("no placeholders", "1", 1, "minutes") == "no placeholders");
}

TEST_CASE("templates with control characters are refused, line breaks are fine", "[template]") {
  using ussd_otp::validate_message_template;
  CHECK_FALSE(validate_message_template("Code:\n{code}", 480));
  CHECK(validate_message_template(std::string("Code {code}\0", 12), 480) ==
        "must not contain control characters (line breaks are fine)");
  CHECK(validate_message_template("Code\t{code}", 480));
  CHECK(validate_message_template("Code \x1b[31m{code}", 480));
}

TEST_CASE("message template: {{code}} is accepted as {code}", "[template]") {
  CHECK_FALSE(validate_message_template("Your code is {{code}}.", 480));
  CHECK(validate_message_template("Your code is {{kode}}.", 480) ==
        std::optional<std::string>("unknown placeholder {kode}"));
}

TEST_CASE("message template: the validity is the time left when the SMS leaves", "[template]") {
  auto text = [](std::int64_t left, std::string_view unit) {
    const ValidityText v = validity_left(left, unit);
    return std::to_string(v.amount) + " " + v.unit;
  };
  CHECK(text(300, "minutes") == "5 minutes");  // the first send
  CHECK(text(297, "minutes") == "5 minutes");  // a first send that waited in the queue
  CHECK(text(290, "minutes") == "4 minutes");  // never more than is left
  CHECK(text(60, "minutes") == "1 minutes");   // render_message makes it "1 minute"
  CHECK(text(59, "minutes") == "1 minutes");   // within the grace
  CHECK(text(54, "minutes") == "54 seconds");
  CHECK(text(0, "minutes") == "1 seconds");
  CHECK(text(24 * 3600, "hours") == "24 hours");
  CHECK(text(24 * 3600 - 80 * 60, "hours") == "22 hours");
  CHECK(text(50 * 60, "hours") == "50 minutes");
  CHECK(text(120 * 60, "minutes") == "120 minutes");  // asked in minutes: stays in minutes
  CHECK(render_message(kDefaultMessageTemplate, "1", validity_left(60, "minutes").amount,
                       validity_left(60, "minutes").unit) == "Your code is 1. Valid for 1 minute.");
}

}  // namespace ussd_otp
