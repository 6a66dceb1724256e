// Nalo over HTTP against the real server: JSON in, JSON {MSG, MSGTYPE} out (MSGTYPE true =
// continue).
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

namespace {

DialectCase nalo() {
  return {
      .name = "nalo",
      .id_prefix = "nal-",
      .exact_bytes = false,
      .bad_requests =
          [] {
            return flag_dialect_refusals("nalo", {"SESSIONID", "MSISDN", "MSGTYPE", "USERDATA"});
          },
  };
}

}  // namespace

USSD_DIALECT_TESTS("nalo", nalo)

TEST_CASE("ussd nalo: a string MSGTYPE and a numeric SESSIONID are accepted", "[ussd][nalo]") {
  TestServer server;
  auto client = server.client();
  auto body = nlohmann::json::parse(fixture("nalo", "dial.json", {{"session_id", "0"}}));
  body["MSGTYPE"] = "true";
  body["SESSIONID"] = 16590115252429751;
  check_reply(nalo(), send(client, nalo(), body.dump()), fixture("nalo", "dial.reply"));
}

TEST_CASE("ussd nalo: a USERID other than the configured one is refused", "[ussd][nalo]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["nalo"].user_id = "OURS"; });
  auto client = server.client();
  const HttpResponse refused = send(client, nalo(), "dial.json", {{"session_id", "nal-u1"}});
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  auto ours = nlohmann::json::parse(fixture("nalo", "dial.json", {{"session_id", "nal-u2"}}));
  ours["USERID"] = "OURS";
  CHECK(send(client, nalo(), ours.dump()).status == 200);
}
