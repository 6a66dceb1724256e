// Moolre over HTTP against the real server: JSON in, JSON {sessionid, message, reply} out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

USSD_DIALECT_TESTS(
    "moolre", .id_prefix = "moo-", .exact_bytes = false, .bad_requests = [] {
      return flag_dialect_refusals("moolre", {"sessionid", "msisdn", "new", "message"});
    })

TEST_CASE("ussd moolre: a forwarded dial string without data also goes straight to the code",
          "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  auto body = nlohmann::json::parse(fixture("moolre", "shortcut.json", {{"session_id", "moo-4"}}));
  body["data"] = "";  // only the message carries the extra digits
  check_reply(dialect_case(), send(client, dialect_case(), body.dump()),
              fixture("moolre", "code.reply", {{"session_id", "moo-4"}, {"code", otp.code}}));
}

TEST_CASE("ussd moolre: an extension other than the configured code is refused", "[ussd][moolre]") {
  refuses_other_service_code(dialect_case(), "*203*142#", "extension", 109);
}
