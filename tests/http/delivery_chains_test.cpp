// Black-box delivery tests of the rules across a chain of providers (sms-routes
// "233=arkesel,africastalking"): unknown outcomes held, failover, breakers, the receipt window,
// and numbers no route covers. Two fake gateways on loopback; the server clock is advanced
// instead of sleeping.
#include <catch2/catch.hpp>

#include "http/delivery_support.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

using Chain = TwoGatewayChain;

namespace {

// A chain whose Arkesel answers 503 and whose breaker opens after `failures` failures (with
// no receipt failover to take a probe), after `failures` OTPs failed over to Africa's Talking.
struct FailingArkesel : Chain {
  explicit FailingArkesel(int failures,
                          const std::function<void(ussd_otp::Config&)>& more = nullptr)
      : Chain("233=arkesel,africastalking", [&](ussd_otp::Config& c) {
          c.delivery.breaker_failures = failures;
          c.delivery.breaker_cooldown_seconds = 30;
          c.delivery.receipt_window_seconds = 600;
          if (more) more(c);
        }) {
    ark.set_default(GatewayBehaviour::respond(503, R"({"message":"busy"})"));
    for (int n = 1; n <= failures; ++n) send_to(n);
  }
};

}  // namespace

TEST_CASE(
    "delivery: a timeout after the request was sent is unknown and not resent to that "
    "provider before the receipt window",
    "[http][delivery]") {
  Chain chain("233=arkesel", [](ussd_otp::Config& c) {
    c.delivery.providers["arkesel"].settings.total_timeout = std::chrono::milliseconds(300);
  });
  chain.ark.push(GatewayBehaviour::hang());
  const std::string id = new_otp(chain.client, chain.server);
  REQUIRE(chain.ark.wait_for(1));
  json view = wait_settled(chain.client, chain.server, id, 1);
  CHECK(view["deliveries"][0]["outcome"] == "unknown");
  CHECK(count_events(view, "sent") == 0);
  CHECK(chain.ark.stays_at(1));
  chain.server.clock().advance(29);  // still inside the 30 s receipt window
  CHECK(chain.ark.stays_at(1));
  chain.server.clock().advance(2);
  REQUIRE(chain.ark.wait_for(2));
  view = wait_for_event(chain.client, chain.server, id, "sent");
  CHECK(view["deliveries"].size() == 2);
  CHECK(view["deliveries"][1]["reason"] == "retry");
  CHECK(code_in(provider_case("arkesel").check_send(chain.ark.requests()[0])) ==
        code_in(provider_case("arkesel").check_send(chain.ark.requests()[1])));
}

TEST_CASE("delivery: after an unknown outcome the next provider in the chain gets it at once",
          "[http][delivery]") {
  Chain chain("233=arkesel,africastalking", [](ussd_otp::Config& c) {
    c.delivery.providers["arkesel"].settings.total_timeout = std::chrono::milliseconds(300);
  });
  chain.ark.push(GatewayBehaviour::hang());
  const std::string id = new_otp(chain.client, chain.server);
  REQUIRE(chain.at.wait_for(1));  // no clock advance needed
  json view = wait_for_event(chain.client, chain.server, id, "sent");
  REQUIRE(view["deliveries"].size() == 2);
  CHECK(view["deliveries"][0]["outcome"] == "unknown");
  check_delivery(view, 1,
                 {{"provider", "africastalking"}, {"reason", "failover"}, {"messageId", "at-id"}});
  CHECK(chain.ark.stays_at(1));
}

TEST_CASE("delivery: a 500 from the first provider fails over along the chain",
          "[http][delivery]") {
  Chain chain;
  chain.ark.set_default(GatewayBehaviour::respond(500, R"({"message":"Server Error"})"));
  const std::string id = new_otp(chain.client, chain.server);
  json view = wait_for_event(chain.client, chain.server, id, "sent");
  REQUIRE(view["deliveries"].size() == 2);
  check_delivery(view, 0, {{"provider", "arkesel"}, {"outcome", "transient"}});
  check_delivery(view, 1, {{"provider", "africastalking"}, {"reason", "failover"}});
  const std::string code =
      code_in(provider_case("africastalking").check_send(chain.at.requests().at(0)));
  CHECK(verify(chain.client, chain.server, id, code).status == 200);
  CHECK(chain.ark.count() == 1);
  CHECK(chain.at.count() == 1);
}

TEST_CASE(
    "delivery: when every provider in the chain failed transiently it backs off instead "
    "of burning its attempts at once",
    "[http][delivery]") {
  Chain chain;
  chain.ark.set_default(GatewayBehaviour::respond(503, R"({"message":"busy"})"));
  chain.at.set_default(GatewayBehaviour::respond(503, "Service Unavailable", "text/plain"));
  const std::string id = new_otp(chain.client, chain.server);
  REQUIRE(chain.at.wait_for(1));
  // Both failed once: the next attempt waits for the backoff (1 s on the server clock).
  CHECK(chain.ark.stays_at(1));
  CHECK(chain.at.count() == 1);
  json view = wait_settled(chain.client, chain.server, id, 2);
  CHECK(view["deliveries"].size() == 2);
  CHECK(count_events(view, "delivery_failed") == 0);

  chain.server.clock().advance(1);  // the second round: Arkesel again, then Africa's Talking
  REQUIRE(chain.at.wait_for(2));
  CHECK(chain.ark.count() == 2);
  CHECK(chain.at.stays_at(2));

  chain.ark.set_default(provider_case("arkesel").accepted("ark-id"));
  chain.server.clock().advance(2);  // the longest second backoff
  view = wait_for_event(chain.client, chain.server, id, "sent");
  REQUIRE(view["deliveries"].size() == 5);
  check_delivery(view, 4, {{"provider", "arkesel"}, {"outcome", "accepted"}});
}

TEST_CASE(
    "delivery: a provider's breaker opens after repeated failures, then one probe after "
    "the cool-down closes it",
    "[http][delivery]") {
  FailingArkesel chain(3, [](ussd_otp::Config& c) { c.delivery.breaker_window_seconds = 60; });
  CHECK(chain.ark.count() == 3);
  CHECK(chain.at.count() == 3);
  CHECK(chain.server.app().sms_sender()->breaker_state("arkesel") == ussd_otp::BreakerState::Open);

  // Open: the next OTPs go straight to Africa's Talking.
  for (int n = 4; n <= 5; ++n) {
    const json view = chain.send_to(n);
    REQUIRE(view["deliveries"].size() == 1);
    CHECK(view["deliveries"][0]["provider"] == "africastalking");
  }
  CHECK(chain.ark.count() == 3);

  // After the cool-down one probe goes to Arkesel; it succeeds and closes the breaker.
  chain.server.clock().advance(30);
  chain.ark.set_default(provider_case("arkesel").accepted("ark-probe"));
  json view = chain.send_to(6);
  REQUIRE(view["deliveries"].size() == 1);
  CHECK(view["deliveries"][0]["provider"] == "arkesel");
  CHECK(chain.server.app().sms_sender()->breaker_state("arkesel") ==
        ussd_otp::BreakerState::Closed);
  view = chain.send_to(7);
  CHECK(view["deliveries"][0]["provider"] == "arkesel");
  CHECK(chain.ark.count() == 5);
  CHECK(chain.at.count() == 5);
}

TEST_CASE("delivery: a failed breaker probe keeps the provider skipped for another cool-down",
          "[http][delivery]") {
  FailingArkesel chain(2);
  chain.server.clock().advance(30);
  json view = chain.send_to(3);
  CHECK(view["deliveries"][0]["provider"] == "arkesel");  // the probe, which fails
  CHECK(view["deliveries"][1]["provider"] == "africastalking");
  CHECK(chain.ark.count() == 3);
  view = chain.send_to(4);
  REQUIRE(view["deliveries"].size() == 1);
  CHECK(view["deliveries"][0]["provider"] == "africastalking");
  CHECK(chain.ark.count() == 3);
}

TEST_CASE(
    "delivery: an accepted SMS with no receipt in the window is sent once more through "
    "the next provider, and only once",
    "[http][delivery]") {
  Chain chain;
  const std::string id = new_otp(chain.client, chain.server);
  wait_for_event(chain.client, chain.server, id, "sent");
  CHECK(chain.ark.stays_at(1));
  CHECK(chain.at.count() == 0);
  chain.server.clock().advance(29);
  CHECK(chain.at.stays_at(0));
  chain.server.clock().advance(2);
  REQUIRE(chain.at.wait_for(1));
  json view = wait_for_event(chain.client, chain.server, id, "sent", 2);
  REQUIRE(view["deliveries"].size() == 2);
  check_delivery(view, 1, {{"provider", "africastalking"}, {"reason", "receipt_failover"}});
  const std::string code =
      code_in(provider_case("africastalking").check_send(chain.at.requests()[0]));
  CHECK(code == code_in(provider_case("arkesel").check_send(chain.ark.requests()[0])));

  // No receipt for the second one either: nothing more, however long we wait.
  for (int i = 0; i < 3; ++i)
    chain.server.clock().advance(31), chain.at.stays_at(1, std::chrono::milliseconds(300));
  CHECK(chain.ark.count() == 1);
  CHECK(chain.at.count() == 1);
  CHECK(otp_view(chain.client, chain.server, id)["deliveries"].size() == 2);
  CHECK(verify(chain.client, chain.server, id, code).status == 200);
}

TEST_CASE("delivery: a failed receipt sends it through the next provider at once",
          "[http][delivery]") {
  Chain chain;
  const std::string id = new_otp(chain.client, chain.server);
  wait_for_event(chain.client, chain.server, id, "sent");
  HttpResponse posted = chain.client.get("/delivery/arkesel?sms_id=ark-id&status=NOT_DELIVERED");
  REQUIRE(posted.status == 200);
  CHECK(posted.json()["data"]["matched"] == 1);
  REQUIRE(chain.at.wait_for(1));
  json view = wait_for_event(chain.client, chain.server, id, "sent", 2);
  CHECK(count_events(view, "undelivered") == 1);
  CHECK(view["deliveries"][0]["receipt"]["state"] == "failed");
  CHECK(view["deliveries"][1]["provider"] == "africastalking");
  CHECK(chain.ark.stays_at(1));
}

TEST_CASE(
    "delivery: a number no route covers is refused with 503 NO_DELIVERY_CHANNEL and "
    "nothing is stored",
    "[http][delivery]") {
  Chain chain("234=africastalking", [](ussd_otp::Config& c) {
    c.policy.allowed_phone_prefixes = std::vector<std::string>{"233", "234"};
  });
  HttpResponse refused = request_otp(chain.client, chain.server, {{"phone", "0241234567"}});
  CHECK(refused.status == 503);
  CHECK(error_code(refused) == "NO_DELIVERY_CHANNEL");
  // Nothing stored: the same number could not be looked up, and no gateway was called.
  CHECK(chain.at.stays_at(0));
  CHECK(chain.ark.count() == 0);
  CHECK(rows_in(chain.server.db_path(), "otps") == 0);
  CHECK(rows_in(chain.server.db_path(), "outbox") == 0);
  CHECK(rows_in(chain.server.db_path(), "rate_counters") == 0);
  // A Nigerian number is covered.
  HttpResponse created = request_otp(chain.client, chain.server, {{"phone", "+2348031234567"}});
  CHECK(created.status == 201);
  CHECK(created.json()["data"]["delivery"] == "sms");
  CHECK(chain.at.wait_for(1));
}

TEST_CASE("delivery: with delivery-ussd-only a number no route covers gets a USSD-only code",
          "[http][delivery]") {
  Chain chain("234=africastalking", [](ussd_otp::Config& c) { c.delivery.ussd_only = true; });
  HttpResponse created = request_otp(chain.client, chain.server, {{"phone", "0241234567"}});
  REQUIRE(created.status == 201);
  CHECK(created.json()["data"]["delivery"] == "ussd");
  CHECK(chain.at.stays_at(0));
  const json view = otp_view(chain.client, chain.server, created.json()["data"]["id"]);
  CHECK(view["deliveries"].empty());
  CHECK(count_events(view, "sent") == 0);
}

TEST_CASE(
    "delivery: a provider that keeps failing gets max-delivery-attempts tries with "
    "growing backoff, then delivery_failed",
    "[http][delivery]") {
  Chain chain("233=arkesel", [](ussd_otp::Config& c) { c.policy.max_delivery_attempts = 3; });
  chain.ark.set_default(GatewayBehaviour::respond(503, R"({"message":"busy"})"));
  const std::string id = new_otp(chain.client, chain.server);
  REQUIRE(chain.ark.wait_for(1));
  for (std::size_t n = 2; n <= 3; ++n) {
    CHECK(chain.ark.stays_at(n - 1, std::chrono::milliseconds(300)));
    chain.server.clock().advance(4);  // past the backoff (1 s, then 1-2 s)
    REQUIRE(chain.ark.wait_for(n));
  }
  const json view = wait_for_event(chain.client, chain.server, id, "delivery_failed");
  CHECK(view["deliveries"].size() == 3);
  chain.server.clock().advance(60);
  CHECK(chain.ark.stays_at(3));
}
