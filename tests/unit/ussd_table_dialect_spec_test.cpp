// TableDialect checks its spec once, at construction: a table the reader could not apply is a
// startup error naming the dialect, never a crash on the first request.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "server/ussd/dialects/table.hpp"

using namespace ussd_otp;

namespace {

void reads_missing_field(const FieldValues& values, DialectRequest& request, FieldProblems&) {
  request.ussd.input = values["nosuch"].text;
}

DialectSpec base_spec() {
  return {.fields = {id_field("sessionId", Fills::SessionId), id_field("msisdn", Fills::Msisdn)},
          .reply = {.text_at = "/message"}};
}

}  // namespace

TEST_CASE("table dialect: every registered dialect's spec is valid", "[ussd][dialect]") {
  std::vector<std::unique_ptr<UssdDialect>> dialects;
  REQUIRE_NOTHROW(dialects = all_dialects());
  CHECK(dialects.size() == dialect_names().size());
  CHECK_FALSE(dialects.empty());
}

TEST_CASE("table dialect: a well-formed spec constructs", "[ussd][dialect]") {
  DialectSpec spec = base_spec();
  spec.fields.push_back(phase_field("type"));
  spec.fields.push_back(input_field("text"));
  spec.phases = kHubtelTypes;
  spec.input_required_on_continue = "is required when type is Response";
  CHECK_NOTHROW(TableDialect("good", std::move(spec)));
}

TEST_CASE("table dialect: phases without a Text phase field fail at construction",
          "[ussd][dialect]") {
  DialectSpec spec = base_spec();
  spec.phases = kHubtelTypes;
  CHECK_THROWS_WITH(TableDialect("nophase", spec),
                    Catch::Contains("nophase") && Catch::Contains("Fills::Phase"));
  // A true/false flag is not a word of `phases`.
  spec.fields.push_back(new_session_flag("newSession"));
  CHECK_THROWS_AS(TableDialect("nophase", std::move(spec)), std::logic_error);
}

TEST_CASE("table dialect: a required input without an input field fails at construction",
          "[ussd][dialect]") {
  DialectSpec spec = base_spec();
  spec.input_required_on_continue = "is required";
  CHECK_THROWS_WITH(TableDialect("noinput", std::move(spec)),
                    Catch::Contains("noinput") && Catch::Contains("Fills::Input"));
}

TEST_CASE("table dialect: an adjust reading a name the table lacks fails at construction",
          "[ussd][dialect]") {
  DialectSpec spec = base_spec();
  spec.adjust = reads_missing_field;
  CHECK_THROWS_WITH(TableDialect("badadjust", std::move(spec)),
                    Catch::Contains("badadjust") && Catch::Contains("nosuch"));
}
