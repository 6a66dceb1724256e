// Black-box delivery tests per SMS provider: the real server sends through a fake gateway on
// loopback that speaks the provider's documented wire format (africastalking, arkesel, hubtel,
// twilio, webhook), and receipts come back in each gateway's own format.
#include <catch2/catch.hpp>

#include "http/delivery_support.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

namespace {

struct Setup {
  ProviderCase provider;
  FakeGateway fake;
  TestServer server;
  HttpClient client;

  explicit Setup(ProviderCase p, const std::function<void(ussd_otp::Config&)>& more = nullptr)
      : provider(std::move(p)),
        server([&](ussd_otp::Config& c) {
          c.delivery.routes = "233=" + provider.name;
          configure_provider(c, provider.name, fake.url());
          if (more) more(c);
        }),
        client(server.url()) {
    if (provider.poll_responder) fake.set_responder(provider.poll_responder);
  }

  std::vector<GatewayRequest> sends() const { return fake.requests_to(provider.send_path); }
  bool sends_stay_at(std::size_t n) const {
    fake.stays_at(fake.count());
    return sends().size() == n;
  }
  bool wait_sends(std::size_t n) const {
    return eventually([&] { return sends().size() >= n; });
  }
};

// Runs `test` once per provider (each run of the test case takes the next), on a fresh server
// and fake gateway, with the provider's name on every failure.
void with_each_provider(const std::function<void(Setup&)>& test,
                        const std::function<void(ussd_otp::Config&)>& more = nullptr) {
  const std::vector<ProviderCase> cases = provider_cases();
  const auto index = GENERATE(range(0, 5));
  Setup s(cases.at(static_cast<std::size_t>(index)), more);
  INFO("provider " << s.provider.name);
  test(s);
}

}  // namespace

TEST_CASE(
    "delivery per provider: the documented request goes out, its code verifies, and the "
    "gateway's receipt is matched",
    "[http][delivery]") {
  with_each_provider([](Setup& s) {
    s.fake.set_default(s.provider.accepted("gw-msg-1"));
    const std::string id = new_otp(s.client, s.server, {{"phone", "0241234567"}});
    REQUIRE(s.wait_sends(1));
    const std::string text = s.provider.check_send(s.sends().front());
    const std::string code = code_in(text);

    json view = wait_for_event(s.client, s.server, id, "sent");
    REQUIRE(view["deliveries"].size() == 1);
    const json attempt = view["deliveries"][0];
    CHECK(attempt["provider"] == s.provider.name);
    CHECK(attempt["reason"] == "initial");
    CHECK(attempt["outcome"] == "accepted");
    CHECK(attempt["messageId"] == "gw-msg-1");
    CHECK_FALSE(view.dump().find(code) != std::string::npos);  // the code is never shown

    if (s.provider.receipt) {
      HttpResponse posted = s.provider.receipt(s.server, s.client, "gw-msg-1");
      INFO(posted.body);
      REQUIRE(posted.status == 200);
      CHECK(posted.json()["data"]["matched"] == 1);
      CHECK(posted.json()["data"]["unmatched"] == 0);
    }
    view = wait_for_event(s.client, s.server, id, "delivered");
    CHECK(view["deliveries"][0]["receipt"]["state"] == "delivered");
    if (s.provider.name == "hubtel") {
      const auto polls = s.fake.requests_to("/v1/messages/gw-msg-1");
      REQUIRE_FALSE(polls.empty());
      CHECK(polls.front().method == "GET");
      CHECK(view["deliveries"][0]["receipt"]["status"] == "Delivered");
    }

    CHECK(verify(s.client, s.server, id, code).status == 200);
    // Delivered: nothing more is sent, even after the receipt window.
    s.server.clock().advance(31);
    CHECK(s.sends_stay_at(1));
  });
}

TEST_CASE(
    "delivery per provider: a transient failure is retried after the backoff and then "
    "succeeds",
    "[http][delivery]") {
  with_each_provider([](Setup& s) {
    s.fake.push(s.provider.transient);
    s.fake.set_default(s.provider.accepted("gw-msg-2"));
    const std::string id = new_otp(s.client, s.server);
    REQUIRE(s.wait_sends(1));
    json view = wait_settled(s.client, s.server, id, 1);
    check_delivery(view, 0, {{"outcome", "transient"}, {"httpStatus", 503}});
    // The backoff (1 s, on the server clock) has not passed: no retry yet.
    CHECK(s.sends_stay_at(1));
    s.server.clock().advance(1);
    REQUIRE(s.wait_sends(2));
    view = wait_for_event(s.client, s.server, id, "sent");
    REQUIRE(view["deliveries"].size() == 2);
    check_delivery(view, 1,
                   {{"reason", "retry"}, {"outcome", "accepted"}, {"messageId", "gw-msg-2"}});
    // Both texts carry the same code, and it verifies.
    const std::string code = code_in(s.provider.check_send(s.sends()[1]));
    CHECK(code_in(s.provider.check_send(s.sends()[0])) == code);
    CHECK(verify(s.client, s.server, id, code).status == 200);
  });
}

TEST_CASE("delivery per provider: a permanent refusal is never retried", "[http][delivery]") {
  with_each_provider([](Setup& s) {
    s.fake.push(s.provider.permanent);
    s.fake.set_default(s.provider.accepted("never"));
    const std::string id = new_otp(s.client, s.server);
    json view = wait_for_event(s.client, s.server, id, "delivery_failed");
    REQUIRE(view["deliveries"].size() == 1);
    CHECK(view["deliveries"][0]["outcome"] == "permanent");
    CHECK(count_events(view, "sent") == 0);
    s.server.clock().advance(120);  // past any backoff and the receipt window
    CHECK(s.sends_stay_at(1));
    view = otp_view(s.client, s.server, id);
    CHECK(view["deliveries"].size() == 1);
    CHECK(count_events(view, "delivery_failed") == 1);
  });
}

TEST_CASE(
    "delivery per provider: an account-level refusal pauses the provider for every OTP "
    "until the pause ends",
    "[http][delivery]") {
  with_each_provider(
      [](Setup& s) {
        s.fake.push(s.provider.account);
        s.fake.set_default(s.provider.accepted("after-pause"));
        const std::string first = new_otp(s.client, s.server, {{"phone", ghana_phone(1)}});
        json view = wait_settled(s.client, s.server, first, 1);
        CHECK(view["deliveries"][0]["outcome"] == "account");
        const std::string second = new_otp(s.client, s.server, {{"phone", ghana_phone(2)}});
        s.server.clock().advance(60);
        CHECK(s.sends_stay_at(1));  // neither OTP reaches the paused provider
        CHECK(otp_view(s.client, s.server, second)["deliveries"].empty());

        s.server.clock().advance(61);  // the pause is over: one probe goes first
        REQUIRE(s.wait_sends(2));
        s.server.clock().advance(1);  // the other row waited a second for the probe's outcome
        REQUIRE(s.wait_sends(3));
        wait_for_event(s.client, s.server, first, "sent");
        view = wait_for_event(s.client, s.server, second, "sent");
        CHECK(view["deliveries"].size() == 1);
        CHECK(s.sends_stay_at(3));
      },
      [](ussd_otp::Config& c) { c.delivery.account_pause_seconds = 120; });
}
