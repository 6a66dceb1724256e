// Idempotency-Key on the creating routes of the compatible APIs (issue 13 bug 6): a retried
// create answers the first result and never replaces the code the user already has. The native
// request route is tested in otp_flows_test.cpp, resend in sendexa_api_test.cpp, Arkesel's
// generate in arkesel_api_test.cpp.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/test_server.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

const std::string kPhone = "233241234567";

json getotp_body(int code_length = 4) {
  return {{"data",
           {{"channel", "sms"},
            {"sender", "GetOTP"},
            {"phone", kPhone},
            {"template", "Your ACME code is {code}"},
            {"code_length", code_length}}}};
}

}  // namespace

TEST_CASE("getotp: a retry with the same Idempotency-Key answers the first OTP and keeps its code",
          "[http][getotp]") {
  TestServer server;
  HttpClient client = server.client();
  const std::vector<std::string> headers = {"X-OTP-Key: " + server.api_key(),
                                            "Idempotency-Key: signup-7"};
  HttpResponse first = client.post_json("/api/verify/", getotp_body(), headers);
  INFO(first.body);
  REQUIRE(first.status == 200);
  const std::string code = code_in(server.wait_for_message(kPhone));

  server.clock().advance(5);
  HttpResponse retried = client.post_json("/api/verify/", getotp_body(), headers);
  CHECK(retried.status == 200);
  CHECK(retried.json() == first.json());  // same message_id, same dates
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).size() == 1);

  HttpResponse conflict = client.post_json("/api/verify/", getotp_body(6), headers);
  CHECK(conflict.status == 409);
  CHECK(conflict.json()["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED");
  HttpResponse bad = client.post_json(
      "/api/verify/", getotp_body(),
      {"X-OTP-Key: " + server.api_key(), "Idempotency-Key: " + std::string(256, 'k')});
  CHECK(bad.status == 400);
  CHECK(bad.json()["errors"][0]["code"] == "1705");

  // The code the user has still verifies.
  const std::string id = first.json()["message_id"];
  HttpResponse verified =
      client.post_json("/v1/otp/verify", {{"id", id}, {"pin", code}}, {server.auth()});
  CHECK(verified.status == 200);
}
