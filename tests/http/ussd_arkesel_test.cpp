// Arkesel over HTTP against the real server: JSON in, JSON {message, continueSession} out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

namespace {

DialectCase arkesel() {
  return {
      .name = "arkesel",
      .id_prefix = "ark-",
      .exact_bytes = false,
      .bad_requests =
          [] {
            return flag_dialect_refusals("arkesel",
                                         {"sessionID", "msisdn", "newSession", "userData"});
          },
  };
}

}  // namespace

USSD_DIALECT_TESTS("arkesel", arkesel)

TEST_CASE("ussd arkesel: a userID other than the configured one is refused", "[ussd][arkesel]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["arkesel"].user_id = "OURS"; });
  auto client = server.client();
  const HttpResponse refused = send(client, arkesel(), "dial.json", {{"session_id", "ark-u1"}});
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  auto ours = nlohmann::json::parse(fixture("arkesel", "dial.json", {{"session_id", "ark-u2"}}));
  ours["userID"] = "OURS";
  CHECK(send(client, arkesel(), ours.dump()).status == 200);
}
