// Black-box tests of how deliveries fail and what the app hears: every failure queues the
// otp.failed webhook, a late failed receipt is acted on, an unknown outcome holds its provider
// even with receipt failover off, and a polled message (Hubtel) is not resent before a poll
// reached it. Fake gateways and a receiving app on loopback; the server clock is advanced.
#include <catch2/catch.hpp>

#include "http/delivery_support.hpp"
#include "http/webhook_receiver.hpp"
#include "otp/webhook_events.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

// The receiving app for webhooks, made before the server and gone after it.
struct WebhookApp {
  WebhookReceiver app;
};

// Arkesel first, Africa's Talking second (each on its own fake), a receiving app for webhooks.
struct Setup : WebhookApp, TwoGatewayChain {
  Setup(const std::string& routes, const std::function<void(ussd_otp::Config&)>& more)
      : TwoGatewayChain(routes, more) {
    point_webhook_at(server, app);
  }
};

}  // namespace

TEST_CASE("delivery failures: a backoff past the expiry fails the delivery with otp.failed",
          "[http][delivery][webhooks]") {
  Setup s("233=arkesel", [](ussd_otp::Config& c) {
    c.delivery.retry_base_seconds = 1000;  // any retry would come after the code's expiry
    c.delivery.retry_max_seconds = 1000;
  });
  s.ark.set_default(provider_case("arkesel").transient);
  const std::string id = new_otp(s.client, s.server);
  const json view = wait_for_event(s.client, s.server, id, "delivery_failed");
  CHECK(s.ark.count() == 1);
  const ReceivedWebhook failed = s.app.wait_for_type("otp.failed");
  INFO(failed.body);
  CHECK(failed.type() == "otp.failed");
  CHECK(failed.json()["data"]["otpId"] == id);
  CHECK(count_events(view, "delivery_failed") == 1);
}

TEST_CASE(
    "delivery failures: a failed receipt after the delivery was settled goes to the next "
    "provider",
    "[http][delivery]") {
  // Receipt failover off: an accepted SMS settles its delivery at once.
  Setup s("233=arkesel,africastalking",
          [](ussd_otp::Config& c) { c.delivery.receipt_window_seconds = 0; });
  const std::string id = new_otp(s.client, s.server);
  wait_for_event(s.client, s.server, id, "sent");
  REQUIRE(rows_in(s.server.db_path(), "outbox") == 0);  // settled
  const HttpResponse late = s.client.get("/delivery/arkesel?sms_id=ark-id&status=NOT_DELIVERED");
  REQUIRE(late.status == 200);
  CHECK(late.json()["data"]["matched"] == 1);
  REQUIRE(s.at.wait_for(1));
  const json view = wait_for_event(s.client, s.server, id, "sent", 2);
  CHECK(count_events(view, "undelivered") == 1);
  check_delivery(view, 1, {{"provider", "africastalking"}, {"reason", "failover"}});
  CHECK(s.ark.stays_at(1));
  CHECK(count_events(otp_view(s.client, s.server, id), "delivery_failed") == 0);
}

TEST_CASE("delivery failures: a late failed receipt with no provider left sends otp.failed once",
          "[http][delivery][webhooks]") {
  Setup s("233=arkesel", [](ussd_otp::Config& c) { c.delivery.receipt_window_seconds = 0; });
  const std::string id = new_otp(s.client, s.server);
  wait_for_event(s.client, s.server, id, "sent");
  REQUIRE(s.client.get("/delivery/arkesel?sms_id=ark-id&status=NOT_DELIVERED").status == 200);
  json view = wait_for_event(s.client, s.server, id, "delivery_failed");
  const ReceivedWebhook failed = s.app.wait_for_type("otp.failed");
  CHECK(failed.json()["data"]["otpId"] == id);
  CHECK(s.ark.stays_at(1));  // nothing resent through the provider that failed
  // The same report again changes nothing.
  REQUIRE(s.client.get("/delivery/arkesel?sms_id=ark-id&status=NOT_DELIVERED").status == 200);
  CHECK(s.ark.stays_at(1));
  view = otp_view(s.client, s.server, id);
  CHECK(count_events(view, "delivery_failed") == 1);
  const std::vector<std::string> types = types_of(s.app.wait_for(2));
  CHECK(std::count(types.begin(), types.end(), "otp.failed") == 1);
}

TEST_CASE(
    "delivery failures: with receipt failover off an unknown outcome is still not resent at "
    "once through the same provider",
    "[http][delivery]") {
  Setup s("233=arkesel", [](ussd_otp::Config& c) {
    c.delivery.receipt_window_seconds = 0;
    c.delivery.providers["arkesel"].settings.total_timeout = std::chrono::milliseconds(300);
  });
  s.ark.push(GatewayBehaviour::hang());
  const std::string id = new_otp(s.client, s.server);
  REQUIRE(s.ark.wait_for(1));
  const json view = wait_settled(s.client, s.server, id, 1);
  CHECK(view["deliveries"][0]["outcome"] == "unknown");
  CHECK(s.ark.stays_at(1));
  s.server.clock().advance(29);  // inside delivery-unknown-hold-seconds (30)
  CHECK(s.ark.stays_at(1));
  s.server.clock().advance(2);
  REQUIRE(s.ark.wait_for(2));
}

TEST_CASE(
    "delivery failures: a Hubtel message no poll has reached is not resent when the receipt "
    "window passes",
    "[http][delivery]") {
  FakeGateway hub;
  FakeGateway ark;
  TestServer server([&](ussd_otp::Config& c) {
    c.delivery.routes = "233=hubtel,arkesel";
    configure_provider(c, "hubtel", hub.url());
    configure_provider(c, "arkesel", ark.url());
    c.delivery.status_polls_per_minute = 1;  // the first poll is a minute of real time away
  });
  hub.set_default(provider_case("hubtel").accepted("hub-id"));
  ark.set_default(provider_case("arkesel").accepted("ark-id"));
  HttpClient client(server.url());
  const std::string id = new_otp(client, server);
  wait_for_event(client, server, id, "sent");
  server.clock().advance(31);  // past the 30 s receipt window
  CHECK(ark.stays_at(0, std::chrono::milliseconds(800)));
  server.clock().advance(60);
  CHECK(ark.stays_at(0, std::chrono::milliseconds(500)));
  CHECK(hub.requests_to("/v1/messages/hub-id").empty());  // indeed never polled
  const json view = otp_view(client, server, id);
  CHECK(view["deliveries"].size() == 1);
}
