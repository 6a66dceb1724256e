// Black-box tests of the exact limits: per (key, phone) sends, the global per-phone ceiling, the
// verify attempt throttle on every verify route, and the per-IP limits.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http/api_calls.hpp"
#include "support/test_server.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

// The start of the next hour on the server's clock.
std::int64_t next_hour(TestServer& server) {
  return (server.clock().now() / 3600 + 1) * 3600;
}

HttpResponse arkesel_generate(HttpClient& client, const std::string& key) {
  return client.post_json("/api/otp/generate",
                          {{"expiry", 5},
                           {"length", 6},
                           {"medium", "sms"},
                           {"message", "Your code is %otp_code%."},
                           {"phone_number", kPhone},
                           {"sender_id", "MyApp"},
                           {"type", "numeric"}},
                          {"api-key: " + key});
}

HttpResponse arkesel_verify(HttpClient& client, const std::string& key, const std::string& code) {
  return client.post_json("/api/otp/verify", {{"phone_number", kPhone}, {"code", code}},
                          {"api-key: " + key});
}

}  // namespace

TEST_CASE("per-phone sends: three in 0:40-0:59 allow no fourth until 1:40", "[http][limits]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.per_phone.limit = 3; });
  HttpClient client = server.client();
  const std::int64_t hour = next_hour(server);
  for (const int minute : {40, 50, 59}) {
    server.clock().set(hour + minute * 60);
    REQUIRE(arkesel_generate(client, server.api_key()).json()["code"] == "1000");
  }
  // Past the fixed-window boundary the old estimate allowed more; exactly, it is 3 in an hour.
  server.clock().set(hour + 61 * 60);
  HttpResponse limited = arkesel_generate(client, server.api_key());
  CHECK(limited.json()["code"] == "1011");
  CHECK(limited.json()["message"] ==
        "Too many requests (phone limit). Retry after " + std::to_string(39 * 60) + " seconds.");
  CHECK(limited.header("retry-after") == std::to_string(39 * 60));
  // The native API answers the same limit for another code to the phone.
  server.clock().set(hour + 70 * 60);  // the 0:59 code has expired by now
  HttpResponse native = request_otp(client, server, {{"phone", "0241234567"}});
  CHECK(native.status == 429);
  CHECK(error_code(native) == "RATE_LIMIT_EXCEEDED");
  CHECK(native.json()["error"]["retryAfter"] == 30 * 60);
  CHECK(native.header("retry-after") == std::to_string(30 * 60));
  server.clock().set(hour + 100 * 60 - 1);
  CHECK(arkesel_generate(client, server.api_key()).json()["code"] == "1011");
  server.clock().set(hour + 100 * 60);
  CHECK(arkesel_generate(client, server.api_key()).json()["code"] == "1000");
}

TEST_CASE("per-phone sends are per API key, under a global per-phone ceiling", "[http][limits]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.per_phone.limit = 2;
    config.policy.per_phone_global.limit = 3;
  });
  HttpClient client = server.client();
  const std::string other_key = server.create_api_key("tenant-b");
  CHECK(arkesel_generate(client, server.api_key()).json()["code"] == "1000");
  CHECK(arkesel_generate(client, server.api_key()).json()["code"] == "1000");
  HttpResponse a_limited = arkesel_generate(client, server.api_key());
  CHECK(a_limited.json()["code"] == "1011");
  CHECK(a_limited.json()["message"].get<std::string>().find("(phone limit)") != std::string::npos);
  // Tenant A exhausting the phone does not block tenant B...
  CHECK(arkesel_generate(client, other_key).json()["code"] == "1000");
  // ... but the phone's fourth SMS in the hour, whichever key asks, passes the ceiling.
  HttpResponse ceiling = arkesel_generate(client, other_key);
  CHECK(ceiling.json()["code"] == "1011");
  CHECK(ceiling.json()["message"].get<std::string>().find("(phone_global limit)") !=
        std::string::npos);
  // A third tenant's first code to the phone too, on the native API.
  const std::string third_key = server.create_api_key("tenant-c");
  HttpResponse native = client.post_json("/v1/otp/request", {{"phone", "0241234567"}},
                                         {"Authorization: Bearer " + third_key});
  CHECK(native.status == 429);
  CHECK(error_code(native) == "RATE_LIMIT_EXCEEDED");
  CHECK(native.json()["error"]["message"] == "Too many requests (phone_global limit).");
}

TEST_CASE("verify throttle: the sixth attempt in a minute is 429 RATE_LIMIT_EXCEEDED",
          "[http][limits]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.verify_throttle = {5, 60, 300};
    config.policy.default_max_attempts = 10;
  });
  HttpClient client = server.client();
  // Valid for 10 minutes: still verifiable when the 5-minute block ends.
  const std::string id =
      new_otp(client, server, {{"expiry", {{"amount", 10}, {"duration", "minutes"}}}});
  const std::string code = code_in(server.wait_for_message(kPhone));
  for (int i = 0; i < 5; ++i) {
    HttpResponse wrong = verify(client, server, id, wrong_pin_for(code));
    CHECK(wrong.status == 400);
    CHECK(error_code(wrong) == "INVALID_PIN");
  }
  HttpResponse blocked = verify(client, server, id, code);
  CHECK(blocked.status == 429);
  // Sendexa's one 429 code; the message names the verify limit.
  CHECK(error_code(blocked) == "RATE_LIMIT_EXCEEDED");
  CHECK(blocked.json()["error"]["message"].get<std::string>().find("verification attempts") !=
        std::string::npos);
  CHECK(blocked.json()["error"]["retryAfter"] == 300);
  CHECK(blocked.header("retry-after") == "300");
  // Arkesel's verify of the same phone is blocked too, in Arkesel's shape.
  HttpResponse arkesel = arkesel_verify(client, server.api_key(), code);
  CHECK(arkesel.status == 429);
  CHECK(arkesel.json()["code"] == "1106");
  CHECK(arkesel.header("retry-after") == "300");

  server.clock().advance(120);
  HttpResponse later = verify(client, server, id, code);
  CHECK(later.status == 429);
  CHECK(later.header("retry-after") == "180");
  server.clock().advance(180);
  HttpResponse verified = verify(client, server, id, code);
  CHECK(verified.status == 200);
  CHECK(verified.json()["data"]["verified"] == true);
}

TEST_CASE("verify throttle on Arkesel's verify: 5 pass, the 6th is 429 with 1106",
          "[http][limits][arkesel]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.verify_throttle = {5, 60, 300}; });
  HttpClient client = server.client();
  REQUIRE(arkesel_generate(client, server.api_key()).json()["code"] == "1000");
  const std::string code = code_in(server.wait_for_message(kPhone));
  // Right or wrong, every attempt counts: 4 wrong (the OTP allows 3, then it is locked) and one
  // right one (refused as used up: 1104), all answered normally.
  for (int i = 0; i < 5; ++i) {
    HttpResponse answered = arkesel_verify(client, server.api_key(), wrong_pin_for(code));
    CHECK(answered.status == 200);
    CHECK(answered.json()["code"] == "1104");
  }
  HttpResponse sixth = arkesel_verify(client, server.api_key(), code);
  CHECK(sixth.status == 429);
  CHECK(sixth.json()["code"] == "1106");
  CHECK(sixth.json()["message"].get<std::string>().find("Retry after 300 seconds") !=
        std::string::npos);
  CHECK(sixth.header("retry-after") == "300");
  server.clock().advance(300);
  REQUIRE(arkesel_generate(client, server.api_key()).json()["code"] == "1000");
  const std::string fresh = code_in(server.wait_for_message(kPhone, 2));
  CHECK(arkesel_verify(client, server.api_key(), fresh).json()["code"] == "1100");
}

TEST_CASE("per-IP limit: counts the end user's clientIp or metadata.ip, not the backend's",
          "[http][limits]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.per_client_ip.limit = 2; });
  HttpClient client = server.client();
  auto request_from = [&](const std::string& phone, json extra) {
    extra["phone"] = phone;
    return request_otp(client, server, extra);
  };
  CHECK(request_from("0201000001", {{"clientIp", "203.0.113.7"}}).status == 201);
  CHECK(request_from("0201000002", {{"metadata", {{"ip", "203.0.113.7"}}}}).status == 201);
  HttpResponse limited = request_from("0201000003", {{"clientIp", "203.0.113.7"}});
  CHECK(limited.status == 429);
  CHECK(error_code(limited) == "RATE_LIMIT_EXCEEDED");
  CHECK(limited.json()["error"]["message"] == "Too many requests (client_ip limit).");
  CHECK(!limited.header("retry-after").empty());
  // Another user behind the same backend has a limit of their own (IPv6 too).
  CHECK(request_from("0201000004", {{"clientIp", "2001:db8::1"}}).status == 201);
  // Without an end-user address the backend's own (the peer, 127.0.0.1) is not counted.
  for (int i = 5; i < 10; ++i) {
    CHECK(request_from("020100000" + std::to_string(i), json::object()).status == 201);
  }
}

TEST_CASE("per-IP limit: clientIp and metadata.ip must be IP addresses", "[http][limits]") {
  TestServer server;
  HttpClient client = server.client();
  HttpResponse bad = request_otp(client, server, {{"clientIp", "not-an-ip"}});
  CHECK(bad.status == 400);
  CHECK(error_code(bad) == "VALIDATION_ERROR");
  CHECK(bad.json()["error"]["fields"].contains("clientIp"));
  HttpResponse bad_type = request_otp(client, server, {{"metadata", {{"ip", 12}}}});
  CHECK(bad_type.status == 400);
  CHECK(bad_type.json()["error"]["fields"].contains("metadata.ip"));
  HttpResponse trailing = request_otp(client, server, {{"clientIp", "203.0.113.7 "}});
  CHECK(trailing.status == 400);
  // Arkesel's generate answers 1001.
  HttpResponse arkesel = client.post_json("/api/otp/generate",
                                          {{"phone_number", kPhone},
                                           {"sender_id", "MyApp"},
                                           {"message", "Code %otp_code%"},
                                           {"clientIp", "300.1.2.3"}},
                                          {"api-key: " + server.api_key()});
  CHECK(arkesel.json()["code"] == "1001");
}

TEST_CASE("per-IP limit: rate-limit-ip-count-peer counts the connecting address",
          "[http][limits]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.per_client_ip.limit = 2;
    config.rate_limit_ip_count_peer = true;
  });
  HttpClient client = server.client();
  CHECK(request_otp(client, server, {{"phone", "0201000001"}}).status == 201);
  CHECK(request_otp(client, server, {{"phone", "0201000002"}}).status == 201);
  HttpResponse limited = request_otp(client, server, {{"phone", "0201000003"}});
  CHECK(limited.status == 429);
  CHECK(limited.json()["error"]["message"] == "Too many requests (client_ip limit).");
  // A named end user is counted instead of the peer.
  CHECK(
      request_otp(client, server, {{"phone", "0201000003"}, {"clientIp", "198.51.100.4"}}).status ==
      201);
}

TEST_CASE("routes without an API key are limited per peer address, probes are exempt",
          "[http][limits]") {
  TestServer server(
      [](ussd_otp::Config& config) { config.rate_limit_unauthenticated_ip_per_minute = 3; });
  HttpClient client = server.client();
  const std::vector<std::string> form{"Content-Type: application/x-www-form-urlencoded"};
  const std::string dial =
      "sessionId=ATUid_9&serviceCode=%2A889%2A142%23&phoneNumber=%2B233241234567&text=";
  for (int i = 0; i < 3; ++i) {
    CHECK(client.post_raw("/ussd/africastalking", dial, form).status == 200);
  }
  HttpResponse limited = client.post_raw("/ussd/africastalking", dial, form);
  CHECK(limited.status == 429);
  CHECK(error_code(limited) == "RATE_LIMIT_EXCEEDED");
  CHECK(limited.json()["error"]["message"] ==
        "Too many requests from this address (unauthenticated_ip limit).");
  const std::string retry_after = limited.header("retry-after");
  REQUIRE(!retry_after.empty());
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(std::stoi(retry_after) <= 120);
  CHECK(limited.json()["error"]["retryAfter"] == std::stoi(retry_after));
  // Delivery receipts and dev routes share the address's budget.
  CHECK(client.get("/dev/inbox?phone=0241234567").status == 429);
  // Health probes are never limited; API-key routes have their own limits.
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.get("/readyz").status == 200);
  CHECK(request_otp(client, server).status == 201);

  server.clock().advance(std::stoi(retry_after));
  CHECK(client.post_raw("/ussd/africastalking", dial, form).status == 200);
}

TEST_CASE("per-IP limit on Arkesel's generate: a clientIp is counted, the peer is not",
          "[http][limits][arkesel]") {
  TestServer server([](ussd_otp::Config& config) { config.policy.per_client_ip.limit = 1; });
  HttpClient client = server.client();
  auto generate_for = [&](const std::string& phone, const std::string& ip) {
    json body = {{"phone_number", phone}, {"sender_id", "MyApp"}, {"message", "Code %otp_code%"}};
    if (!ip.empty()) body["clientIp"] = ip;
    return client.post_json("/api/otp/generate", body, {"api-key: " + server.api_key()});
  };
  CHECK(generate_for("233201000001", "203.0.113.7").json()["code"] == "1000");
  HttpResponse limited = generate_for("233201000002", "203.0.113.7");
  CHECK(limited.json()["code"] == "1011");
  CHECK(limited.json()["message"].get<std::string>().find("(client_ip limit)") !=
        std::string::npos);
  CHECK(!limited.header("retry-after").empty());
  CHECK(generate_for("233201000003", "").json()["code"] == "1000");
  CHECK(generate_for("233201000004", "").json()["code"] == "1000");
}
