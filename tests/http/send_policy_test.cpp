// Black-box tests of the native API's send policies: per-key budgets, blocked senders, countries.
#include <catch2/catch.hpp>

#include "http/api_calls.hpp"
#include "otp/send_budget.hpp"
#include "support/test_server.hpp"

using nlohmann::json;
using ussd_otp::BudgetChange;
using ussd_otp::SendLimit;
using namespace ussd_otp::testing;

namespace {

void set_budget(TestServer& server, BudgetChange change) {
  auto key = server.app().store().find_api_key_by_name("test");
  REQUIRE(key);
  ussd_otp::update_send_budget(server.app().store(), key->id, change, server.clock().now());
}

std::optional<ussd_otp::SendBudget> budget_of(TestServer& server) {
  auto key = server.app().store().find_api_key_by_name("test");
  REQUIRE(key);
  return ussd_otp::read_send_budget(server.app().store(), key->id);
}

}  // namespace

TEST_CASE("budget: the balance is charged per send and then 402 BUDGET_EXHAUSTED", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  set_budget(server, {std::nullopt, SendLimit{2}});
  const std::string id = new_otp(client, server);
  server.wait_for_message(kPhone);
  CHECK(budget_of(server)->balance == 1);

  server.clock().advance(61);
  REQUIRE(resend(client, server, id).status == 200);  // a resend is a send too
  server.wait_for_message(kPhone, 2);
  CHECK(budget_of(server)->balance == 0);

  server.clock().advance(61);
  HttpResponse refused_resend = resend(client, server, id);
  CHECK(refused_resend.status == 402);
  CHECK(error_code(refused_resend) == "BUDGET_EXHAUSTED");
  HttpResponse refused = request_otp(client, server, {{"phone", "0201234567"}});
  CHECK(refused.status == 402);
  CHECK(error_code(refused) == "BUDGET_EXHAUSTED");
  CHECK_FALSE(refused.json()["error"].contains("retryAfter"));  // only a top-up helps

  set_budget(server, {std::nullopt, SendLimit{5}});
  CHECK(request_otp(client, server, {{"phone", "0201234567"}}).status == 201);
}

TEST_CASE("budget: the daily cap resets at 00:00 UTC and says when", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  set_budget(server, {SendLimit{1}, std::nullopt});
  new_otp(client, server);
  server.wait_for_message(kPhone);
  HttpResponse refused = request_otp(client, server, {{"phone", "0201234567"}});
  CHECK(refused.status == 402);
  CHECK(error_code(refused) == "BUDGET_EXHAUSTED");
  const std::int64_t to_midnight = 86400 - server.clock().now() % 86400;
  CHECK(refused.json()["error"]["retryAfter"] == to_midnight);
  CHECK(refused.header("retry-after") == std::to_string(to_midnight));
  server.clock().advance(to_midnight);
  CHECK(request_otp(client, server, {{"phone", "0201234567"}}).status == 201);
}

TEST_CASE("budget: a zero cap or a zero balance is 402 BUDGET_DISABLED", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  set_budget(server, {SendLimit{0}, std::nullopt});
  HttpResponse capped = request_otp(client, server);
  CHECK(capped.status == 402);
  CHECK(error_code(capped) == "BUDGET_DISABLED");
  set_budget(server, {SendLimit{}, SendLimit{0}});
  CHECK(error_code(request_otp(client, server)) == "BUDGET_DISABLED");
  set_budget(server, {SendLimit{}, SendLimit{}});  // both unlimited again
  CHECK(request_otp(client, server).status == 201);
}

TEST_CASE("SENDER_BLOCKED and COUNTRY_NOT_ALLOWED are 403", "[http]") {
  TestServer server([](ussd_otp::Config& config) {
    config.policy.blocked_senders = {"MTN"};
    config.policy.allowed_phone_prefixes = std::vector<std::string>{"23324", "44"};
  });
  HttpClient client = server.client();
  HttpResponse blocked = request_otp(client, server, {{"from", "Mtn"}});
  CHECK(blocked.status == 403);
  CHECK(error_code(blocked) == "SENDER_BLOCKED");
  HttpResponse elsewhere = request_otp(client, server, {{"phone", "0201234567"}});  // 23320...
  CHECK(elsewhere.status == 403);
  CHECK(error_code(elsewhere) == "COUNTRY_NOT_ALLOWED");
  CHECK(request_otp(client, server, {{"phone", "+447911123456"}}).status == 201);
  CHECK(request_otp(client, server, {{"from", "MTN Ghana"}}).status == 201);
}

TEST_CASE("the native API accepts X-API-Token too", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  CHECK(client
            .post_json("/v1/otp/request", {{"phone", "0241234567"}},
                       {"x-api-token: " + server.api_key()})
            .status == 201);
}

TEST_CASE("budget: sends still queued are reserved so requests cannot overspend", "[http]") {
  TestServer server;  // dev mode: the dev inbox drains the queue, so queued sends are reserved
  HttpClient client = server.client();
  set_budget(server, {std::nullopt, SendLimit{1}});
  CHECK(request_otp(client, server, {{"phone", "0201234567"}}).status == 201);
  // Whether that send is still queued (reserved) or already made (charged), the budget is used.
  HttpResponse second = request_otp(client, server, {{"phone", "0201234568"}});
  CHECK(second.status == 402);
  CHECK(error_code(second) == "BUDGET_EXHAUSTED");
}

TEST_CASE("budget: USSD-only codes send nothing and charge nothing", "[http]") {
  // No SMS route: codes are readable over USSD only, so no send is queued or charged.
  TestServer server([](ussd_otp::Config& c) {
    c.dev = false;
    c.delivery.ussd_only = true;
  });
  HttpClient client = server.client();
  set_budget(server, {SendLimit{1}, std::nullopt});
  const HttpResponse first = request_otp(client, server, {{"phone", "0201234567"}});
  CHECK(first.status == 201);
  CHECK(first.json()["data"]["delivery"] == "ussd");
  CHECK(request_otp(client, server, {{"phone", "0201234568"}}).status == 201);
  CHECK(budget_of(server)->sent_today == 0);  // nothing reached a gateway
}

TEST_CASE("default-sender: an OTP without from goes out under it and USSD names it", "[http]") {
  TestServer server([](ussd_otp::Config& c) { c.policy.default_sender = "MyBrand"; });
  HttpClient client = server.client();
  const std::string id = new_otp(client, server);
  server.wait_for_message(kPhone);
  const auto messages = server.app().dev_inbox()->messages_for(kPhone, server.clock().now());
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].sender == "MyBrand");
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).json()["data"]["from"] == "MyBrand");
  // A request's own from still wins.
  REQUIRE(client.post_json("/v1/otp/" + id + "/cancel", json::object(), {server.auth()}).status ==
          200);
  const std::string own = new_otp(client, server, {{"from", "Shop"}});
  CHECK(client.get("/v1/otp/" + own, {server.auth()}).json()["data"]["from"] == "Shop");
}

TEST_CASE("max-sms-segments: a template that costs too many SMS parts is refused", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  // 480 characters of GSM-7 with the code: 4 parts, within the default of 4.
  const std::string gsm7 = "{code} " + std::string(473, 'a');
  CHECK(request_otp(client, server, {{"message", gsm7}}).status == 201);
  // One curly quote makes the same length UCS-2: 8 parts.
  const std::string ucs2 = "{code} \u2019" + std::string(330, 'a');
  const HttpResponse refused =
      request_otp(client, server, {{"phone", "0241234568"}, {"message", ucs2}});
  CHECK(refused.status == 400);
  CHECK(error_code(refused) == "VALIDATION_ERROR");
  const std::string problem = refused.json()["error"]["fields"]["message"];
  CHECK(problem.find("6 SMS parts (UCS-2") != std::string::npos);
  // 60 UCS-2 characters fit one SMS.
  CHECK(request_otp(client, server,
                    {{"phone", "0241234569"}, {"message", "{code} \u2019" + std::string(40, 'a')}})
            .status == 201);
}
