// Black-box tests of gateway outages: a gateway that never answers must not slow
// POST /v1/otp/request, and a server killed with -9 while gateway requests hang loses no code
// after a restart (the real binary as a child process).
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>

#include "http/delivery_support.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using nlohmann::json;
using namespace ussd_otp::testing;

TEST_CASE("delivery: a gateway that never answers leaves /v1/otp/request fast",
          "[http][delivery]") {
  FakeGateway fake;
  fake.set_default(GatewayBehaviour::hang());
  TestServer server([&](ussd_otp::Config& c) {
    c.delivery.routes = "233=arkesel";
    configure_provider(c, "arkesel", fake.url());
  });
  HttpClient client(server.url());
  constexpr int kRequests = 50;
  std::vector<double> ms;
  for (int n = 0; n < kRequests; ++n) {
    const std::string phone = "0241" + std::to_string(100000 + n);
    const auto started = std::chrono::steady_clock::now();
    HttpResponse created = request_otp(client, server, {{"phone", phone}});
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
    REQUIRE(created.status == 201);
  }
  REQUIRE(fake.wait_for(kRequests));  // every SMS did go out to the hanging gateway
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const double p50 = sorted[sorted.size() / 2];
  const double p99 = sorted[sorted.size() * 99 / 100];
  const double worst = sorted.back();
  WARN("POST /v1/otp/request with a never-answering gateway: p50 "
       << p50 << " ms, p99 " << p99 << " ms, max " << worst << " ms over " << kRequests);
  CHECK(worst < 1000.0);
}

namespace {

std::string create_key(const std::string& db) {
  CommandResult created = run_server_command({"keys", "create", "--name", "kill9", "--db", db});
  REQUIRE(created.exit_code == 0);
  std::string key = created.out;
  key.erase(key.find_last_not_of(" \r\n") + 1);
  return key;
}

std::vector<std::string> server_args(const std::string& db, const std::string& gateway) {
  return {"--db",
          db,
          "--sms-routes",
          "233=arkesel",
          "--sms-arkesel-api-key",
          "arkesel-api-key",
          "--sms-arkesel-sender",
          "MyShop",
          "--sms-arkesel-base-url",
          gateway,
          "--sms-arkesel-timeout-ms",
          "1000",
          "--delivery-lease-seconds",
          "2",
          "--delivery-receipt-window-seconds",
          "1",
          "--delivery-unknown-hold-seconds",  // the shortest hold: unknown sends retried soon
          "5",
          "--log-level",
          "warn"};
}

}  // namespace

TEST_CASE(
    "delivery: kill -9 with gateway requests in flight loses no code after a restart, "
    "and only unknown outcomes are sent twice",
    "[http][delivery][binary]") {
  TempDir dir;
  const std::string db = dir.file("otp.db").string();
  const std::string key = create_key(db);
  const std::string auth = "Authorization: Bearer " + key;
  FakeGateway fake;
  constexpr int kOtps = 5;
  constexpr int kHung = 3;
  fake.push(GatewayBehaviour::hang(), kHung);
  int next_id = 0;
  std::mutex ids_mutex;
  fake.set_responder([&](const GatewayRequest&) -> std::optional<GatewayBehaviour> {
    std::lock_guard lock(ids_mutex);
    return provider_case("arkesel").accepted("ark-" + std::to_string(++next_id));
  });

  std::vector<std::string> ids;
  std::vector<std::string> phones;
  {
    ServerProcess first(dir.path(), server_args(db, fake.url()));
    HttpClient client(first.url());
    for (int n = 0; n < kOtps; ++n) {
      HttpResponse created =
          client.post_json("/v1/otp/request", {{"phone", ghana_phone(n)}}, {auth});
      REQUIRE(created.status == 201);
      ids.push_back(created.json()["data"]["id"]);
      phones.push_back(ghana_e164(n));
    }
    REQUIRE(fake.wait_for(kOtps));
    CHECK(first.stop(SIGKILL) == 128 + SIGKILL);
  }
  fake.release_hangs();

  ServerProcess second(dir.path(), server_args(db, fake.url()));
  HttpClient client(second.url());
  std::vector<json> views(kOtps);
  const bool all_sent = eventually(
      [&] {
        for (int n = 0; n < kOtps; ++n) {
          HttpResponse r = client.get("/v1/otp/" + ids[static_cast<std::size_t>(n)], {auth});
          if (r.status != 200) return false;
          views[static_cast<std::size_t>(n)] = r.json()["data"];
          if (count_events(views[static_cast<std::size_t>(n)], "sent") < 1) return false;
        }
        return true;
      },
      std::chrono::milliseconds(15000));
  for (const json& v : views) INFO(v.dump());
  REQUIRE(all_sent);

  const std::vector<GatewayRequest> sends = fake.requests();
  int duplicated = 0;
  for (int n = 0; n < kOtps; ++n) {
    const json& view = views[static_cast<std::size_t>(n)];
    INFO(view.dump());
    std::vector<std::string> texts;
    for (const GatewayRequest& r : sends) {
      if (json_of(r)["recipients"][0] == phones[static_cast<std::size_t>(n)])
        texts.push_back(json_of(r)["message"]);
    }
    REQUIRE_FALSE(texts.empty());
    int unknown = 0;
    for (const json& d : view["deliveries"]) unknown += d["outcome"] == "unknown" ? 1 : 0;
    // Each extra SMS is explained by an attempt recorded unknown.
    CHECK(static_cast<int>(texts.size()) - 1 <= unknown);
    CHECK(view["deliveries"].size() == texts.size());
    duplicated += static_cast<int>(texts.size()) - 1;
    // No code lost: the newest SMS carries a code that verifies.
    HttpResponse verified = client.post_json(
        "/v1/otp/verify", {{"id", view["id"]}, {"pin", code_in(texts.back())}}, {auth});
    CHECK(verified.status == 200);
  }
  CHECK(duplicated >= kHung);  // the hung ones were resent (their outcome was unknown)
  CHECK(second.stop(SIGTERM) == 0);
}
