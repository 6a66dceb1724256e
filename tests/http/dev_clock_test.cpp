// GET/POST /dev/clock: the dev-mode clock testers move instead of sleeping, and its absence
// outside dev mode.
#include <catch2/catch.hpp>

#include <ctime>

#include "http/api_calls.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

using namespace ussd_otp::testing;
using nlohmann::json;

TEST_CASE("dev clock: moving it forward expires codes without sleeping", "[http][clock]") {
  TestServer server;
  HttpClient client = server.client();
  const auto start = server.clock().now();
  const HttpResponse shown = client.get("/dev/clock");
  REQUIRE(shown.status == 200);
  CHECK(shown.json()["data"]["unix"] == start);
  CHECK(shown.json()["data"]["advancedSeconds"] == 0);

  const std::string id = new_otp(client, server);  // expires in 5 minutes
  const HttpResponse moved = client.post_json("/dev/clock", {{"advanceSeconds", 301}});
  REQUIRE(moved.status == 200);
  CHECK(moved.json()["data"]["unix"] == start + 301);
  CHECK(moved.json()["data"]["advancedSeconds"] == 301);
  CHECK(server.clock().now() == start + 301);
  CHECK(error_code(verify(client, server, id, "000000")) == "OTP_EXPIRED");
}

TEST_CASE("dev clock: bad bodies get 400 naming advanceSeconds", "[http][clock]") {
  TestServer server;
  HttpClient client = server.client();
  const auto start = server.clock().now();
  for (const json& body :
       {json::object(), json{{"advanceSeconds", -1}}, json{{"advanceSeconds", "60"}},
        json{{"advanceSeconds", 31'622'401}}, json{{"advanceSeconds", 1.5}}}) {
    INFO(body.dump());
    const HttpResponse response = client.post_json("/dev/clock", body);
    CHECK(response.status == 400);
    CHECK(error_code(response) == "VALIDATION_ERROR");
    CHECK(response.json()["error"]["fields"].contains("advanceSeconds"));
  }
  const HttpResponse extra = client.post_json("/dev/clock", {{"advanceSeconds", 1}, {"back", 1}});
  CHECK(extra.status == 400);
  CHECK(extra.json()["error"]["fields"].contains("back"));
  CHECK(error_code(client.post_raw("/dev/clock", "{", {"Content-Type: application/json"})) ==
        "INVALID_JSON");
  CHECK(server.clock().now() == start);  // nothing moved
  CHECK(client.post_json("/dev/clock", {{"advanceSeconds", 31'622'400}}).status == 200);
}

TEST_CASE("dev clock: the route does not exist outside dev mode", "[http][clock]") {
  TestServer server([](ussd_otp::Config& config) { config.dev = false; });
  HttpClient client = server.client();
  CHECK(client.get("/dev/clock").status == 404);
  CHECK(client.post_json("/dev/clock", {{"advanceSeconds", 60}}).status == 404);
}

TEST_CASE("dev clock: the real binary in --dev runs on system time plus the offset",
          "[http][clock]") {
  TempDir dir;
  ServerProcess server(dir.path(), {"--dev", "--db", dir.file("otp.db").string()});
  HttpClient client(server.url());
  const HttpResponse moved = client.post_json("/dev/clock", {{"advanceSeconds", 3600}});
  REQUIRE(moved.status == 200);
  const auto system_now = static_cast<long long>(std::time(nullptr));
  const long long server_now = moved.json()["data"]["unix"];
  CHECK(server_now >= system_now + 3600 - 5);
  CHECK(server_now <= system_now + 3600 + 5);
  // The offset drives the rules, not only the reply: a 5-minute code expires after 301 s more.
  const std::string out = server.stdout_text();
  const std::size_t at = out.find("dev API key: ");
  REQUIRE(at != std::string::npos);
  const std::string key = out.substr(at + 13, out.find('\n', at) - at - 13);
  const std::vector<std::string> auth{"Authorization: Bearer " + key};
  const HttpResponse created = client.post_json("/v1/otp/request", {{"phone", "0241234567"}}, auth);
  REQUIRE(created.status == 201);
  REQUIRE(client.post_json("/dev/clock", {{"advanceSeconds", 301}}).status == 200);
  const HttpResponse shown = client.get("/dev/clock");
  CHECK(shown.json()["data"]["advancedSeconds"] == 3901);
  const HttpResponse verified = client.post_json(
      "/v1/otp/verify", {{"id", created.json()["data"]["id"]}, {"pin", "000000"}}, auth);
  CHECK(error_code(verified) == "OTP_EXPIRED");
  ServerProcess plain(dir.path(), {"--db", dir.file("plain.db").string()});
  CHECK(HttpClient(plain.url()).get("/dev/clock").status == 404);
}
