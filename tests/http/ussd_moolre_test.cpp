// Moolre over HTTP against the real server: JSON in, JSON {sessionid, message, reply} out.
#include <catch2/catch.hpp>

#include "http/ussd_dialect_harness.hpp"

using namespace ussd_otp::testing;

namespace {

DialectCase moolre() {
  return {
      .name = "moolre",
      .id_prefix = "moo-",
      .exact_bytes = false,
      .bad_requests =
          [] {
            return flag_dialect_refusals("moolre", {"sessionid", "msisdn", "new", "message"});
          },
  };
}

}  // namespace

USSD_DIALECT_TESTS("moolre", moolre)

TEST_CASE("ussd moolre: a forwarded dial string without data also goes straight to the code",
          "[ussd][moolre]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  auto body = nlohmann::json::parse(fixture("moolre", "shortcut.json", {{"session_id", "moo-4"}}));
  body["data"] = "";  // only the message carries the extra digits
  check_reply(moolre(), send(client, moolre(), body.dump()),
              fixture("moolre", "code.reply", {{"session_id", "moo-4"}, {"code", otp.code}}));
}

TEST_CASE("ussd moolre: an extension other than the configured code is refused", "[ussd][moolre]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.ussd.dialects["moolre"].service_code = "*203*142#"; });
  auto client = server.client();
  CHECK(send(client, moolre(), "dial.json", {{"session_id", "moo-c1"}}).status == 200);
  auto other = nlohmann::json::parse(fixture("moolre", "dial.json", {{"session_id", "moo-c2"}}));
  other["extension"] = 109;
  const HttpResponse refused = send(client, moolre(), other.dump());
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
}
