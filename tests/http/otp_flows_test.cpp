// Black-box tests of whole OTP lifecycles: resend, cancel, status, limits, idempotency, restarts.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <thread>

#include "http/api_calls.hpp"
#include "support/test_server.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

TEST_CASE_METHOD(ServerWithClient, "wrong pins count down, then lock - resend keeps the counter",
                 "[http]") {
  const auto [id, code] = sent_otp(client, server, {{"maxAttempts", 3}});

  HttpResponse first = verify(client, server, id, wrong_pin_for(code));
  check_error(first, 400, "INVALID_PIN");
  CHECK(first.json()["error"]["attemptsRemaining"] == 2);

  server.clock().advance(61);
  HttpResponse resent = resend(client, server, id);
  REQUIRE(resent.status == 200);
  CHECK(resent.json()["data"]["sendCount"] == 2);
  CHECK(code_in(server.wait_for_message(kPhone, 2)) == code);  // the same code, sent again

  HttpResponse second = verify(client, server, id, wrong_pin_for(code));
  CHECK(second.json()["error"]["attemptsRemaining"] == 1);
  // Sendexa: the wrong pin that uses the last attempt answers INVALID_PIN with 0 remaining;
  // only later tries get OTP_LOCKED.
  HttpResponse third = verify(client, server, id, wrong_pin_for(code));
  check_error(third, 400, "INVALID_PIN");
  CHECK(third.json()["error"]["attemptsRemaining"] == 0);
  check_error(verify(client, server, id, code), 423, "OTP_LOCKED");  // correct, but locked
  CHECK(resend(client, server, id).status == 423);

  HttpResponse status = client.get("/v1/otp/" + id, {server.auth()});
  CHECK(status.json()["data"]["status"] == "locked");
  CHECK(status.json()["data"]["attemptsRemaining"] == 0);
}

TEST_CASE("the wrong-pin counter survives a restart", "[http]") {
  TestServer server;
  std::string id;
  std::string code;
  {
    HttpClient client = server.client();
    id = new_otp(client, server, {{"maxAttempts", 2}});
    code = code_in(server.wait_for_message(kPhone));
    CHECK(verify(client, server, id, wrong_pin_for(code)).json()["error"]["attemptsRemaining"] ==
          1);
  }
  server.restart();
  HttpClient client = server.client();
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["attemptsRemaining"] == 1);
  CHECK(verify(client, server, id, wrong_pin_for(code)).json()["error"]["attemptsRemaining"] == 0);
  CHECK(verify(client, server, id, wrong_pin_for(code)).status == 423);
}

TEST_CASE_METHOD(ServerWithClient,
                 "resend: cooldown with retryAfter, then the same code, at most 5 sends",
                 "[http]") {
  const auto [id, code] =
      sent_otp(client, server, {{"expiry", {{"amount", 10}, {"duration", "minutes"}}}});
  const std::string expires =
      client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["expiresAt"];

  server.clock().advance(20);
  HttpResponse early = resend(client, server, id);
  CHECK(early.status == 429);
  CHECK(error_code(early) == "RESEND_COOLDOWN");
  CHECK(early.json()["error"]["retryAfter"] == 40);
  CHECK(early.header("retry-after") == "40");

  for (int send = 2; send <= 5; ++send) {
    server.clock().advance(60);
    HttpResponse ok = resend(client, server, id);
    REQUIRE(ok.status == 200);
    CHECK(ok.json()["data"]["sendCount"] == send);
    CHECK(ok.json()["data"]["expiresAt"] == expires);  // expiry unchanged
  }
  server.clock().advance(60);
  HttpResponse sixth = resend(client, server, id);
  CHECK(sixth.status == 429);
  CHECK(error_code(sixth) == "RESEND_LIMIT_REACHED");
  server.wait_for_message(kPhone, 5);
  for (const auto& message : server.app().dev_inbox()->messages_for(kPhone, server.clock().now())) {
    CHECK(code_in(message.text) == code);
  }
  CHECK(verify(client, server, id, code).status == 200);
}

TEST_CASE_METHOD(ServerWithClient,
                 "expiry: verify and resend answer OTP_EXPIRED - status says expired", "[http]") {
  const auto [id, code] =
      sent_otp(client, server, {{"expiry", {{"amount", 2}, {"duration", "minutes"}}}});
  CHECK(server.wait_for_message(kPhone).find("Valid for 2 minutes.") != std::string::npos);
  server.clock().advance(120);
  HttpResponse late = verify(client, server, id, code);
  CHECK(late.status == 400);
  CHECK(error_code(late) == "OTP_EXPIRED");
  CHECK(error_code(resend(client, server, id)) == "OTP_EXPIRED");
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["status"] == "expired");
  // An expired OTP no longer blocks a new request for the phone.
  new_otp(client, server);
}

TEST_CASE_METHOD(ServerWithClient,
                 "GET shows status, counters, events and metadata, never the code", "[http]") {
  const json metadata = {{"orderId", "A-17"}, {"nested", {{"n", 1}}}};
  const std::string id = new_otp(client, server, {{"metadata", metadata}, {"from", "Shop"}});
  const std::string code = code_in(server.wait_for_message(kPhone));
  CHECK(verify(client, server, id, wrong_pin_for(code)).status == 400);

  HttpResponse status = client.get("/v1/otp/" + id, {server.auth()});
  REQUIRE(status.status == 200);
  const json data = status.json()["data"];
  CHECK(data["status"] == "pending");
  CHECK(data["attemptsRemaining"] == 2);
  CHECK(data["sendCount"] == 1);
  CHECK(data["metadata"] == metadata);
  CHECK(data["from"] == "Shop");
  std::vector<std::string> types;
  for (const auto& event : data["events"]) types.push_back(event["type"]);
  CHECK(types == std::vector<std::string>{"requested", "sent", "verify_failed"});
  CHECK(status.body.find(code) == std::string::npos);

  HttpResponse unknown =
      client.get("/v1/otp/otp_0123456789abcdef0123456789abcdef", {server.auth()});
  CHECK(unknown.status == 404);
  CHECK(error_code(unknown) == "OTP_NOT_FOUND");
}

TEST_CASE_METHOD(ServerWithClient, "cancel: pending becomes cancelled - verify then says not found",
                 "[http]") {
  const auto [id, code] = sent_otp(client, server);
  HttpResponse cancelled =
      client.post_json("/v1/otp/" + id + "/cancel", json::object(), {server.auth()});
  REQUIRE(cancelled.status == 200);
  CHECK(cancelled.json()["data"]["status"] == "cancelled");
  CHECK(client.request("POST", "/v1/otp/" + id + "/cancel", nullptr, {server.auth()}).status ==
        200);
  CHECK(error_code(verify(client, server, id, code)) == "OTP_NOT_FOUND");

  const std::string second = new_otp(client, server);  // cancel freed the phone
  CHECK(verify(client, server, second, code_in(server.wait_for_message(kPhone, 2))).status == 200);
  HttpResponse after_verify =
      client.post_json("/v1/otp/" + second + "/cancel", json::object(), {server.auth()});
  CHECK(after_verify.status == 409);
  CHECK(error_code(after_verify) == "OTP_NOT_PENDING");
}

TEST_CASE_METHOD(
    ServerWithClient,
    "a second request while one is active: 400 ACTIVE_OTP_EXISTS with id, retryAfter and "
    "expiresIn",
    "[http]") {
  const std::string id = new_otp(client, server);
  server.clock().advance(100);
  HttpResponse again =
      client.post_json("/v1/otp/request", {{"phone", "+233241234567"}}, {server.auth()});
  CHECK(again.status == 400);  // Sendexa's status
  CHECK(error_code(again) == "ACTIVE_OTP_EXISTS");
  CHECK(again.json()["error"]["id"] == id);
  CHECK(again.json()["error"]["retryAfter"] == 200);
  CHECK(again.json()["error"]["expiresIn"] == 200);  // the countdown to show the user
  CHECK(again.header("retry-after") == "200");
}

TEST_CASE("rate limits answer 429 with Retry-After and survive a restart", "[http]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.per_phone.limit = 3;
    config.policy.per_api_key.limit = 6;
    config.policy.per_client_ip.limit = 0;
  });
  HttpClient client = server.client();
  for (int i = 0; i < 3; ++i) {
    const std::string id = new_otp(client, server);
    client.post_json("/v1/otp/" + id + "/cancel", json::object(), {server.auth()});
  }
  HttpResponse limited =
      client.post_json("/v1/otp/request", {{"phone", "0241234567"}}, {server.auth()});
  CHECK(limited.status == 429);
  CHECK(error_code(limited) == "RATE_LIMIT_EXCEEDED");
  CHECK(limited.json()["error"]["retryAfter"].get<int>() > 0);
  CHECK(std::stoi(limited.header("retry-after")) ==
        limited.json()["error"]["retryAfter"].get<int>());

  server.restart();
  HttpClient after = server.client();
  CHECK(after.post_json("/v1/otp/request", {{"phone", "0241234567"}}, {server.auth()}).status ==
        429);
  // The key's limit (6 a minute) is reached by now: 3 created + 2 refused count; 1 more is allowed.
  CHECK(after.post_json("/v1/otp/request", {{"phone", "0201111111"}}, {server.auth()}).status ==
        201);
  HttpResponse key_limited =
      after.post_json("/v1/otp/request", {{"phone", "0202222222"}}, {server.auth()});
  CHECK(key_limited.status == 429);
  server.clock().advance(3600 * 2);
  CHECK(after.post_json("/v1/otp/request", {{"phone", "0241234567"}}, {server.auth()}).status ==
        201);
}

TEST_CASE("client IP limit, taken from a trusted proxy header when configured", "[http]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.per_client_ip.limit = 2;
    config.trusted_proxy_header = "X-Forwarded-For";
    config.rate_limit_ip_count_peer = true;  // requests name no clientIp: count the address
  });
  HttpClient client = server.client();
  // The proxy appends the address it saw; what the client wrote to its left is ignored.
  auto from = [&](const std::string& ip, const std::string& phone) {
    return client.post_json("/v1/otp/request", {{"phone", phone}},
                            {server.auth(), "X-Forwarded-For: " + phone + ", " + ip});
  };
  CHECK(from("203.0.113.7", "0201000001").status == 201);
  CHECK(from("203.0.113.7", "0201000002").status == 201);
  CHECK(from("203.0.113.7", "0201000003").status == 429);
  CHECK(from("198.51.100.9", "0201000004").status == 201);
}

TEST_CASE_METHOD(ServerWithClient, "Idempotency-Key: same body replays, different body conflicts",
                 "[http]") {
  const json body = {{"phone", "0241234567"}, {"from", "Shop"}};
  HttpResponse first =
      client.post_json("/v1/otp/request", body, {server.auth(), "Idempotency-Key: order-17"});
  REQUIRE(first.status == 201);
  server.wait_for_message(kPhone);
  HttpResponse replay =
      client.post_json("/v1/otp/request", body, {server.auth(), "Idempotency-Key: order-17"});
  CHECK(replay.status == 201);
  CHECK(replay.json()["data"] == first.json()["data"]);
  CHECK(replay.header("idempotent-replayed") == "true");
  HttpResponse conflict =
      client.post_json("/v1/otp/request", {{"phone", "0241234567"}, {"from", "Other"}},
                       {server.auth(), "Idempotency-Key: order-17"});
  CHECK(conflict.status == 409);
  CHECK(error_code(conflict) == "IDEMPOTENCY_KEY_REUSED");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(server.app().dev_inbox()->messages_for(kPhone, server.clock().now()).size() ==
        1);  // nothing new was sent
}

TEST_CASE_METHOD(ServerWithClient, "HTTP/1.1 connections stay alive without a Connection header",
                 "[http]") {
  for (int i = 0; i < 20; ++i) {
    HttpResponse health = client.get("/healthz");
    REQUIRE(health.status == 200);
    CHECK(health.header("connection") == "Keep-Alive");
  }
  CHECK(client.connections_opened() == 1);
  CHECK(client.get("/healthz", {"Connection: close"}).status == 200);
}

TEST_CASE_METHOD(ServerWithClient, "request ids: echoed when sent, generated otherwise", "[http]") {
  CHECK(client.get("/healthz", {"X-Request-Id: trace-42"}).header("x-request-id") == "trace-42");
  const std::string a = client.get("/healthz").header("x-request-id");
  const std::string b = client.get("/nope").header("x-request-id");
  CHECK(a.size() >= 12);
  CHECK(a != b);
  CHECK(client.get("/readyz").status == 200);
}

TEST_CASE_METHOD(ServerWithClient, "codes are not in the database file", "[http][security]") {
  new_otp(client, server, {{"pinType", "ALPHANUMERIC"}, {"pinLength", 12}});
  const std::string code = code_in(server.wait_for_message(kPhone));
  REQUIRE(code.size() == 12);
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream file(server.db_path().string() + suffix, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  REQUIRE(bytes.size() > 1000);
  CHECK(bytes.find(code) == std::string::npos);
  CHECK(bytes.find(server.api_key()) == std::string::npos);
}

TEST_CASE("/dev/inbox exists only in dev mode", "[http]") {
  TestServer server([](ussd_otp::Config& config) { config.dev = false; });
  HttpClient client = server.client();
  CHECK(client.get("/dev/inbox?phone=0241234567").status == 404);
}

TEST_CASE("graceful stop lets an in-flight request finish - new ones get SHUTTING_DOWN", "[http]") {
  using namespace ussd_otp;
  HttpServerOptions options;
  options.port = 0;
  HttpServer http(options,
                  [](std::string_view) -> std::optional<AuthenticatedKey> { return std::nullopt; });
  http.add_route({.method = Pistache::Http::Method::Get,
                  .path = "/slow",
                  .handler = [](const Pistache::Rest::Request&, HttpContext&) {
                    std::this_thread::sleep_for(
                        std::chrono::milliseconds(1500));  // room for a slow CI machine
                    return ApiResponse::json(200, {{"slow", true}});
                  }});
  http.add_route({.method = Pistache::Http::Method::Get,
                  .path = "/fast",
                  .handler = [](const Pistache::Rest::Request&, HttpContext&) {
                    return ApiResponse::json(200, {{"fast", true}});
                  }});
  http.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(http.port());
  HttpClient slow_client(url);
  HttpResponse slow;
  std::thread caller([&] { slow = slow_client.get("/slow"); });
  while (http.in_flight() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  bool drained = false;
  std::thread stopper([&] { drained = http.drain_and_stop(std::chrono::seconds(5)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // draining has begun
  HttpClient late_client(url);
  HttpResponse late = late_client.get("/fast");
  CHECK(late.status == 503);
  CHECK(error_code(late) == "SHUTTING_DOWN");
  CHECK(late.header("retry-after") == "1");
  caller.join();
  stopper.join();
  CHECK(drained);
  CHECK(slow.status == 200);
  CHECK(slow.json()["data"]["slow"] == true);
}

TEST_CASE("the background sweeper marks expired OTPs", "[http]") {
  TestServer server([](ussd_otp::Config& config) { config.sweep_interval_seconds = 1; });
  HttpClient client = server.client();
  const std::string id =
      new_otp(client, server, {{"expiry", {{"amount", 1}, {"duration", "minutes"}}}});
  server.clock().advance(61);
  bool swept = false;
  for (int i = 0; i < 60 && !swept; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json events = client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["events"];
    for (const auto& event : events) swept = swept || event["type"] == "expired";
  }
  CHECK(swept);
}

TEST_CASE("concurrent requests: each gets its own OTP, and parallel wrong pins lock exactly once",
          "[http]") {
  TestServer server;
  constexpr int kClients = 8;
  constexpr int kEach = 25;
  std::vector<std::vector<std::string>> ids(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpClient client = server.client();
      for (int i = 0; i < kEach; ++i) {
        const std::string phone = "020" + std::to_string(c) + std::to_string(100000 + i);
        HttpResponse created =
            client.post_json("/v1/otp/request", {{"phone", phone}}, {server.auth()});
        if (created.status == 201) ids[c].push_back(created.json()["data"]["id"]);
      }
    });
  }
  for (auto& client : clients) client.join();
  std::set<std::string> unique;
  for (const auto& list : ids) unique.insert(list.begin(), list.end());
  CHECK(unique.size() == kClients * kEach);

  // 30 wrong pins at once against maxAttempts 3: exactly three 400s (the last with 0 attempts
  // remaining), then locked for the rest.
  HttpClient setup = server.client();
  const std::string id = new_otp(setup, server, {{"phone", "0209999999"}, {"maxAttempts", 3}});
  // Read the SMS first: a code locked before the outbox reaches it is never sent (by design).
  const std::string code = code_in(server.wait_for_message("233209999999"));
  std::atomic<int> invalid{0}, locked{0}, other{0};
  std::vector<std::thread> guessers;
  for (int g = 0; g < 6; ++g) {
    guessers.emplace_back([&] {
      HttpClient client = server.client();
      for (int i = 0; i < 5; ++i) {
        const long status = verify(client, server, id, "00000" + std::to_string(i)).status;
        if (status == 400)
          ++invalid;
        else if (status == 423)
          ++locked;
        else
          ++other;
      }
    });
  }
  for (auto& guesser : guessers) guesser.join();
  const bool code_was_guessed = code.rfind("00000", 0) == 0;  // 1 in 200,000: then it verifies
  if (!code_was_guessed) {
    CHECK(invalid == 3);
    CHECK(locked == 27);
    CHECK(other == 0);
  }
}

TEST_CASE_METHOD(ServerWithClient, "a resend states the validity left, not the full expiry",
                 "[http]") {
  const std::string id = new_otp(client, server);  // 5 minutes
  CHECK(server.wait_for_message(kPhone).find("Valid for 5 minutes.") != std::string::npos);
  server.clock().advance(240);
  REQUIRE(resend(client, server, id).status == 200);
  const std::string resent = server.wait_for_message(kPhone, 2);
  INFO(resent);
  CHECK(resent.find("Valid for 1 minute.") != std::string::npos);
}
