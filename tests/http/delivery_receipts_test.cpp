// Black-box tests of the receipt routes' protections: Twilio signatures, webhook signatures,
// secret path tokens and address allow-lists. A refused receipt records nothing.
#include <catch2/catch.hpp>

#include "http/delivery_support.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

struct One {
  FakeGateway fake;
  TestServer server;
  HttpClient client;
  std::string id;

  One(const std::string& provider, const std::function<void(ussd_otp::Config&)>& more = nullptr)
      : server([&](ussd_otp::Config& c) {
          c.delivery.routes = "233=" + provider;
          configure_provider(c, provider, fake.url());
          if (more) more(c);
        }),
        client(server.url()) {
    for (const ProviderCase& p : provider_cases()) {
      if (p.name == provider) fake.set_default(p.accepted("msg-1"));
    }
    id = new_otp(client, server);
    wait_for_event(client, server, id, "sent");
  }

  // `good` was the receipt matched to the OTP's one delivery, which becomes delivered; returns
  // the OTP's view then.
  json check_matched(const HttpResponse& good) {
    INFO(good.body);
    REQUIRE(good.status == 200);
    CHECK(good.json()["data"]["matched"] == 1);
    return wait_for_event(client, server, id, "delivered");
  }

  // No receipt was recorded for the OTP.
  bool nothing_recorded() {
    const json view = otp_view(client, server, id);
    return count_events(view, "delivered") == 0 && !view["deliveries"][0].contains("receipt");
  }
};

}  // namespace

TEST_CASE(
    "delivery receipts: a Twilio callback with a valid signature is matched, a wrong "
    "signature is 403 and records nothing",
    "[http][delivery]") {
  One one("twilio");
  HttpResponse forged =
      post_twilio_receipt(one.server, one.client, "msg-1", "delivered", "not-the-auth-token");
  CHECK(forged.status == 403);
  CHECK(error_code(forged) == "FORBIDDEN");
  HttpResponse unsigned_receipt = post_form(
      one.client, "/delivery/twilio", {{"MessageSid", "msg-1"}, {"MessageStatus", "delivered"}});
  CHECK(unsigned_receipt.status == 403);
  CHECK(one.nothing_recorded());

  // Signed over another URL (a different path) is refused too.
  const std::vector<std::pair<std::string, std::string>> fields = {{"MessageSid", "msg-1"},
                                                                   {"MessageStatus", "delivered"}};
  HttpResponse wrong_url = post_form(
      one.client, "/delivery/twilio", fields,
      {"X-Twilio-Signature: " +
       ussd_otp::twilio_signature(kTwilioToken, one.server.url() + "/delivery/other", fields)});
  CHECK(wrong_url.status == 403);
  CHECK(one.nothing_recorded());

  HttpResponse good = post_twilio_receipt(one.server, one.client, "msg-1", "delivered");
  const json view = one.check_matched(good);
  CHECK(view["deliveries"][0]["receipt"]["status"] == "delivered");
}

TEST_CASE(
    "delivery receipts: a Twilio GET status callback with several query parameters is matched "
    "when signed over the URL as sent, refused otherwise",
    "[http][delivery]") {
  One one("twilio");
  // StatusCallbackMethod=GET: the parameters are in the URL, in Twilio's order.
  const std::string path =
      "/delivery/twilio?MessageSid=msg-1&MessageStatus=delivered&AccountSid=AC123"
      "&To=%2B233241234567&From=%2B15005550006&ApiVersion=2010-04-01&SmsSid=msg-1"
      "&SmsStatus=delivered";
  const std::string good = ussd_otp::twilio_signature(kTwilioToken, one.server.url() + path, {});
  const std::string forged =
      ussd_otp::twilio_signature("not-the-auth-token", one.server.url() + path, {});
  CHECK(one.client.get(path, {"X-Twilio-Signature: " + forged}).status == 403);
  CHECK(one.nothing_recorded());
  const HttpResponse matched = one.client.get(path, {"X-Twilio-Signature: " + good});
  const json view = one.check_matched(matched);
  CHECK(view["deliveries"][0]["receipt"]["status"] == "delivered");
}

TEST_CASE("delivery receipts: a webhook receipt must carry our HMAC signature",
          "[http][delivery]") {
  One one("webhook");
  HttpResponse forged = post_webhook_receipt(one.client, "msg-1", "delivered", "wrong-secret");
  CHECK(forged.status == 403);
  HttpResponse unsigned_receipt =
      one.client.post_raw("/delivery/webhook", R"({"id":"msg-1","status":"delivered"})",
                          {"Content-Type: application/json"});
  CHECK(unsigned_receipt.status == 403);
  CHECK(one.nothing_recorded());
  HttpResponse good = post_webhook_receipt(one.client, "msg-1", "delivered");
  one.check_matched(good);
}

TEST_CASE(
    "delivery receipts: a JSON report that repeats a key is 400 naming it and records nothing",
    "[http][delivery][json]") {
  One one("arkesel");
  // Failed or delivered? With "last one wins" a forged copy could settle the delivery.
  HttpResponse ambiguous = one.client.post_raw(
      "/delivery/arkesel", R"({"sms_id":"msg-1","status":"FAILED","status":"DELIVERED"})",
      {"Content-Type: application/json"});
  CHECK(ambiguous.status == 400);
  CHECK(error_code(ambiguous) == "VALIDATION_ERROR");
  CHECK(ambiguous.json()["error"]["message"].get<std::string>().find(R"(duplicate key "status")") !=
        std::string::npos);
  CHECK(one.nothing_recorded());
  HttpResponse good =
      one.client.post_raw("/delivery/arkesel", R"({"sms_id":"msg-1","status":"DELIVERED"})",
                          {"Content-Type: application/json"});
  REQUIRE(good.status == 200);
  CHECK(good.json()["data"]["matched"] == 1);
}

TEST_CASE("delivery receipts: a wrong path token is 404 and the right one is matched",
          "[http][delivery]") {
  const std::string token = "receipt-token-0123456789";
  One one("arkesel", [&](ussd_otp::Config& c) {
    c.dev = false;  // outside --dev: a token or an allow-list is required
    c.delivery.providers["arkesel"].receipt_path_token = token;
  });
  CHECK(one.client.get("/delivery/arkesel/receipt-token-0123456780?sms_id=msg-1&status=DELIVERED")
            .status == 404);
  CHECK(one.client.get("/delivery/arkesel?sms_id=msg-1&status=DELIVERED").status == 404);
  CHECK(one.nothing_recorded());
  HttpResponse good =
      one.client.get("/delivery/arkesel/" + token + "?sms_id=msg-1&status=DELIVERED");
  one.check_matched(good);
}

TEST_CASE("delivery receipts: an address outside the allow-list is 403 and records nothing",
          "[http][delivery]") {
  One one("africastalking", [](ussd_otp::Config& c) {
    c.delivery.providers["africastalking"].receipt_allowed_ips = "10.0.0.0/8, 192.168.1.7";
  });
  HttpResponse refused =
      post_form(one.client, "/delivery/africastalking", {{"id", "msg-1"}, {"status", "Success"}});
  CHECK(refused.status == 403);
  CHECK(error_code(refused) == "FORBIDDEN");
  CHECK(one.nothing_recorded());
}

TEST_CASE("delivery receipts: loopback in the allow-list is accepted", "[http][delivery]") {
  One one("africastalking", [](ussd_otp::Config& c) {
    c.delivery.providers["africastalking"].receipt_allowed_ips = "127.0.0.0/8";
  });
  HttpResponse good =
      post_form(one.client, "/delivery/africastalking", {{"id", "msg-1"}, {"status", "Success"}});
  one.check_matched(good);
}

TEST_CASE(
    "delivery receipts: with delivery-public-url each message names its receipt URL, and "
    "Twilio signatures are checked against it",
    "[http][delivery]") {
  const std::string token = "twilio-receipt-token-42";
  One one("twilio", [&](ussd_otp::Config& c) {
    c.delivery.public_url = "https://otp.example.com";
    c.delivery.providers["twilio"].receipt_path_token = token;
  });
  const auto form = form_decode(one.fake.requests().at(0).body);
  CHECK(form.at("StatusCallback") == "https://otp.example.com/delivery/twilio/" + token);

  const std::vector<std::pair<std::string, std::string>> fields = {{"MessageSid", "msg-1"},
                                                                   {"MessageStatus", "delivered"}};
  const std::string path = "/delivery/twilio/" + token;
  // Signed over the local URL: not what Twilio called, refused.
  HttpResponse local =
      post_form(one.client, path, fields,
                {"X-Twilio-Signature: " +
                 ussd_otp::twilio_signature(kTwilioToken, one.server.url() + path, fields)});
  CHECK(local.status == 403);
  CHECK(one.nothing_recorded());
  HttpResponse good = post_form(
      one.client, path, fields,
      {"X-Twilio-Signature: " +
       ussd_otp::twilio_signature(kTwilioToken, "https://otp.example.com" + path, fields)});
  one.check_matched(good);
}

TEST_CASE("delivery receipts: with delivery-public-url Arkesel messages carry callback_url",
          "[http][delivery]") {
  One one("arkesel", [](ussd_otp::Config& c) {
    c.delivery.public_url = "https://otp.example.com";
    c.delivery.providers["arkesel"].receipt_path_token = "arkesel-receipt-token-1";
  });
  const json body = json_of(one.fake.requests().at(0));
  CHECK(body["callback_url"] == "https://otp.example.com/delivery/arkesel/arkesel-receipt-token-1");
}

TEST_CASE(
    "delivery receipts: more than rate-limit-unauthenticated-ip-per-minute from one address "
    "answer 429 with Retry-After and record nothing",
    "[http][delivery][limits]") {
  One one("twilio", [](ussd_otp::Config& c) { c.rate_limit_unauthenticated_ip_per_minute = 2; });
  // Refused for their signature, but counted: the limit comes before anything else is read.
  for (int i = 0; i < 2; ++i) {
    CHECK(post_form(one.client, "/delivery/twilio",
                    {{"MessageSid", "msg-1"}, {"MessageStatus", "failed"}})
              .status == 403);
  }
  HttpResponse limited =
      post_twilio_receipt(one.server, one.client, "msg-1", "delivered", kTwilioToken);
  CHECK(limited.status == 429);
  CHECK(error_code(limited) == "RATE_LIMIT_EXCEEDED");
  REQUIRE(!limited.header("retry-after").empty());
  CHECK(one.nothing_recorded());
  // The API itself is not limited by it, and the next window takes the receipt.
  CHECK(otp_view(one.client, one.server, one.id)["id"] == one.id);
  one.server.clock().advance(std::stoi(limited.header("retry-after")));
  CHECK(post_twilio_receipt(one.server, one.client, "msg-1", "delivered", kTwilioToken).status ==
        200);
  CHECK(wait_for_event(one.client, one.server, one.id, "delivered")["id"] == one.id);
}
