// Black-box tests of how gateway connections fail: refused, closed without an answer (on a new
// or a kept-alive connection), slow answers. Whether anything could have reached the gateway
// decides between transient (send elsewhere at once) and unknown (hold, never resend blindly).
#include <catch2/catch.hpp>

#include "http/delivery_support.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

TEST_CASE("delivery: a refused connection is transient and fails over at once",
          "[http][delivery]") {
  FakeGateway at;
  at.set_default(provider_case("africastalking").accepted("at-id"));
  TestServer server([&](ussd_otp::Config& c) {
    c.delivery.routes = "233=arkesel,africastalking";
    configure_provider(c, "arkesel", "http://127.0.0.1:" + std::to_string(closed_port()));
    configure_provider(c, "africastalking", at.url());
  });
  HttpClient client(server.url());
  const std::string id = new_otp(client, server);
  const json view = wait_for_event(client, server, id, "sent");
  REQUIRE(view["deliveries"].size() == 2);
  CHECK(view["deliveries"][0]["outcome"] == "transient");
  check_delivery(view, 1, {{"provider", "africastalking"}, {"reason", "failover"}});
}

TEST_CASE(
    "delivery: a gateway that closes the connection after reading the request is unknown "
    "and gets exactly one request",
    "[http][delivery]") {
  FakeGateway fake;
  fake.set_default(provider_case("arkesel").accepted("ark-ok"));
  TestServer server([&](ussd_otp::Config& c) {
    c.delivery.routes = "233=arkesel";
    configure_provider(c, "arkesel", fake.url());
  });
  HttpClient client(server.url());

  SECTION("on a new connection") {}
  SECTION("on a kept-alive connection") {
    // A first SMS leaves a connection open in the sender's pool.
    const std::string warm = new_otp(client, server, {{"phone", ghana_phone(1)}});
    wait_for_event(client, server, warm, "sent");
    REQUIRE(fake.count() == 1);
  }
  const std::size_t before = fake.count();
  fake.push(GatewayBehaviour::close());
  const std::string id = new_otp(client, server);
  REQUIRE(fake.wait_for(before + 1));
  const json view = wait_settled(client, server, id, 1);
  INFO(view.dump());
  // The gateway read the whole request: the SMS may have gone. It must not be sent again
  // (not by curl on a fresh connection either) before the receipt window.
  CHECK(fake.stays_at(before + 1));
  CHECK(view["deliveries"].size() == 1);
  CHECK(view["deliveries"][0]["outcome"] == "unknown");
  CHECK(count_events(view, "sent") == 0);
}

TEST_CASE("delivery: a slow answer inside the timeout is accepted", "[http][delivery]") {
  FakeGateway fake;
  fake.push(GatewayBehaviour::slow(std::chrono::milliseconds(400), 200,
                                   R"({"status":"success","data":[{"recipient":"233241234567",)"
                                   R"("id":"slow-1"}]})"));
  TestServer server([&](ussd_otp::Config& c) {
    c.delivery.routes = "233=arkesel";
    configure_provider(c, "arkesel", fake.url());
    c.delivery.providers["arkesel"].settings.total_timeout = std::chrono::milliseconds(2000);
  });
  HttpClient client(server.url());
  const std::string id = new_otp(client, server);
  const json view = wait_for_event(client, server, id, "sent");
  CHECK(view["deliveries"][0]["messageId"] == "slow-1");
  CHECK(view["deliveries"][0]["latencyMs"].get<int>() >= 400);
}

TEST_CASE(
    "delivery: a connection the gateway closed after its answer is not mistaken for an "
    "unknown outcome on the next SMS",
    "[http][delivery]") {
  FakeGateway fake;
  GatewayBehaviour answer_and_close = provider_case("arkesel").accepted("ark-1");
  answer_and_close.close_after = true;
  fake.push(answer_and_close);
  fake.set_default(provider_case("arkesel").accepted("ark-2"));
  TestServer server([&](ussd_otp::Config& c) {
    c.delivery.routes = "233=arkesel";
    configure_provider(c, "arkesel", fake.url());
  });
  HttpClient client(server.url());
  const std::string first = new_otp(client, server, {{"phone", ghana_phone(1)}});
  wait_for_event(client, server, first, "sent");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the close reaches the sender
  const std::string second = new_otp(client, server, {{"phone", ghana_phone(2)}});
  const json view = wait_for_event(client, server, second, "sent");
  CHECK(view["deliveries"].size() == 1);
  CHECK(view["deliveries"][0]["messageId"] == "ark-2");
  CHECK(fake.stays_at(2));
}
