// Black-box tests of the OTP API: the real server on an ephemeral port, spoken to over HTTP.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <thread>

#include "http/api_calls.hpp"
#include "support/raw_http.hpp"
#include "support/test_server.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

using nlohmann::json;
using namespace ussd_otp::testing;

TEST_CASE("request, read from the dev inbox, verify once", "[http]") {
  TestServer server;
  HttpClient client = server.client();

  HttpResponse created =
      request_otp(client, server, {{"phone", "+233 24 123-4567"}, {"from", "MyApp"}});
  REQUIRE(created.status == 201);
  const json data = created.json()["data"];
  CHECK(created.json()["success"] == true);
  CHECK(data["phone"] == kPhone);
  CHECK(std::regex_match(data["expiresAt"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z)")));
  const std::string id = data["id"];

  const std::string message = server.wait_for_message(kPhone);
  CHECK(message.find("Valid for 5 minutes.") != std::string::npos);
  const std::string code = code_in(message);
  CHECK(code.size() == 6);

  CHECK(client.get("/dev/inbox?phone=%2B233%2024%20123%204567").json()["data"]["messages"].size() ==
        1);
  HttpResponse inbox = client.get("/dev/inbox?phone=0241234567");
  REQUIRE(inbox.status == 200);
  CHECK(inbox.json()["data"]["messages"][0]["otpId"] == id);
  CHECK(inbox.json()["data"]["messages"][0]["from"] == "MyApp");

  HttpResponse ok = verify(client, server, id, code);
  REQUIRE(ok.status == 200);
  CHECK(ok.json()["data"]["verified"] == true);
  CHECK(ok.json()["message"] == "OTP verified successfully");

  HttpResponse again = verify(client, server, id, code);
  CHECK(again.status == 404);
  CHECK(error_code(again) == "OTP_NOT_FOUND");
}

TEST_CASE("API keys: Bearer and api-key headers - missing, wrong or revoked keys get 401",
          "[http]") {
  // Without the key cache a revocation takes effect at once (it is tested on its own below).
  TestServer server([](ussd_otp::Config& c) { c.api_key_cache_seconds = 0; });
  HttpClient client = server.client();
  const json body = {{"phone", "0241234567"}};

  CHECK(client.post_json("/v1/otp/request", body, {"api-key: " + server.api_key()}).status == 201);

  HttpResponse none = client.post_json("/v1/otp/request", body);
  CHECK(none.status == 401);
  CHECK(error_code(none) == "UNAUTHORIZED");
  CHECK(client.post_json("/v1/otp/request", body, {"Authorization: Bearer uok_wrong"}).status ==
        401);
  CHECK(client.get("/v1/otp/otp_x", {"api-key: " + server.api_key() + "x"}).status == 401);

  const std::string other = server.create_api_key("other");
  CHECK(client.post_json("/v1/otp/request", {{"phone", "0201234567"}}, {"api-key: " + other})
            .status == 201);
  REQUIRE(server.app().store().revoke_api_key("other", server.clock().now()));
  CHECK(client.post_json("/v1/otp/request", {{"phone", "0201234568"}}, {"api-key: " + other})
            .status == 401);
}

TEST_CASE("OTPs are scoped to the API key that created them", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  const std::string id = new_otp(client, server);
  const std::string other = "Authorization: Bearer " + server.create_api_key("other");
  CHECK(client.get("/v1/otp/" + id, {other}).status == 404);
  CHECK(client.post_json("/v1/otp/verify", {{"id", id}, {"pin", "123456"}}, {other}).status == 404);
  CHECK(client.post_json("/v1/otp/" + id + "/cancel", json::object(), {other}).status == 404);
  // The other key may have its own active OTP for the same phone.
  CHECK(client.post_json("/v1/otp/request", {{"phone", "0241234567"}}, {other}).status == 201);
}

TEST_CASE("bad input gets its own documented error", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  const std::vector<std::string> json_auth = {server.auth(), "Content-Type: application/json"};

  SECTION("INVALID_JSON") {
    HttpResponse broken = client.post_raw("/v1/otp/request", "{\"phone\": ", json_auth);
    CHECK(broken.status == 400);
    CHECK(error_code(broken) == "INVALID_JSON");
    HttpResponse array = client.post_raw("/v1/otp/request", "[1,2]", json_auth);
    CHECK(error_code(array) == "INVALID_JSON");
    HttpResponse empty = client.post_raw("/v1/otp/verify", "", json_auth);
    CHECK(error_code(empty) == "INVALID_JSON");
    HttpResponse deep = client.post_raw("/v1/otp/request",
                                        std::string(5000, '[') + std::string(5000, ']'), json_auth);
    CHECK(deep.status == 400);
  }
  SECTION("VALIDATION_ERROR with a per-field map") {
    HttpResponse response = request_otp(client, server,
                                        {{"pinLength", 3},
                                         {"pinType", "NUMERIC"},
                                         {"maxAttempts", 11},
                                         {"from", "ABCDEFGHIJKL"},
                                         {"message", "no placeholder"},
                                         {"expiry", {{"amount", 2000}, {"duration", "minutes"}}},
                                         {"colour", "blue"}});
    REQUIRE(response.status == 400);
    const json fields = response.json()["error"]["fields"];
    CHECK(error_code(response) == "VALIDATION_ERROR");
    CHECK(fields["pinLength"] == "must be 4-8 for NUMERIC");
    CHECK(fields.contains("maxAttempts"));
    CHECK(fields.contains("from"));
    CHECK(fields.contains("message"));
    CHECK(fields.contains("expiry.amount"));
    CHECK(fields["colour"] == "unknown field");

    HttpResponse types =
        request_otp(client, server, {{"pinLength", "6"}, {"metadata", "x"}, {"expiry", 5}});
    CHECK(types.json()["error"]["fields"]["pinLength"] == "must be a whole number");
    CHECK(types.json()["error"]["fields"]["metadata"] == "must be a JSON object");
    CHECK(types.json()["error"]["fields"]["expiry"] == "must be a JSON object");
    HttpResponse huge = request_otp(client, server, {{"pinLength", 18446744073709551615ULL}});
    CHECK(huge.json()["error"]["fields"]["pinLength"] == "is out of range");

    HttpResponse missing = client.post_json("/v1/otp/request", json::object(), {server.auth()});
    CHECK(missing.json()["error"]["fields"]["phone"] == "is required");

    json big_metadata = {{"blob", std::string(3000, 'x')}};
    HttpResponse metadata = request_otp(client, server, {{"metadata", big_metadata}});
    CHECK(metadata.json()["error"]["fields"].contains("metadata"));
  }
  SECTION("INVALID_PHONE") {
    for (const char* phone : {"12", "024123456a", "+", "phone", "0241234567890123"}) {
      HttpResponse response = request_otp(client, server, {{"phone", phone}});
      CHECK(response.status == 400);
      CHECK(error_code(response) == "INVALID_PHONE");
    }
  }
  SECTION("NOT_FOUND and METHOD_NOT_ALLOWED are JSON too") {
    HttpResponse missing = client.get("/nope");
    CHECK(missing.status == 404);
    CHECK(error_code(missing) == "NOT_FOUND");
    HttpResponse wrong_method = client.get("/v1/otp/verify", {server.auth()});
    CHECK(wrong_method.status == 405);
    CHECK(error_code(wrong_method) == "METHOD_NOT_ALLOWED");
    CHECK(wrong_method.header("allow") == "POST");
    HttpResponse delete_health = client.request("DELETE", "/healthz");
    CHECK(delete_health.status == 405);
    CHECK(delete_health.header("allow") == "GET");
  }
  SECTION("PAYLOAD_TOO_LARGE for a big body and for an absurd Content-Length") {
    const std::string big =
        "{\"phone\":\"0241234567\",\"message\":\"" + std::string(17000, 'x') + "\"}";
    HttpResponse large = client.post_raw("/v1/otp/request", big, json_auth);
    CHECK(large.status == 413);
    CHECK(error_code(large) == "PAYLOAD_TOO_LARGE");
    HttpResponse huge = client.post_raw("/v1/otp/request", std::string(40000, ' '), json_auth);
    CHECK(huge.status == 413);
    CHECK(error_code(huge) == "PAYLOAD_TOO_LARGE");
  }
  SECTION("UNSUPPORTED_MEDIA_TYPE") {
    HttpResponse response =
        client.post_raw("/v1/otp/request", "phone=0241234567",
                        {server.auth(), "Content-Type: application/x-www-form-urlencoded"});
    CHECK(response.status == 415);
    CHECK(error_code(response) == "UNSUPPORTED_MEDIA_TYPE");
  }
  // Whatever went wrong, the server is still answering.
  CHECK(client.get("/healthz").status == 200);
}

TEST_CASE("an absurd Content-Length gets a JSON 413, not a 500, and the connection closes",
          "[http]") {
  TestServer server;
  const RawExchange reply =
      raw_exchange(port_of(server.url()),
                   "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: 99999999999\r\n\r\n{}");
  CHECK(reply.received.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(reply.received.find("PAYLOAD_TOO_LARGE") != std::string::npos);
  CHECK(reply.closed_by_server);
}

TEST_CASE("bytes after a rejected request are never run as a request", "[http][security]") {
  TestServer server;
  // A body over the limit; what follows it on the connection must not be parsed as a request.
  const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: smuggled\r\n\r\n";
  const RawExchange reply =
      raw_exchange(port_of(server.url()),
                   "POST /v1/otp/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: 30000\r\n\r\n" +
                       smuggled);
  CHECK(reply.received.find("PAYLOAD_TOO_LARGE") != std::string::npos);
  CHECK(reply.received.find("smuggled") == std::string::npos);
  CHECK(reply.closed_by_server);
}

TEST_CASE("a request that is not HTTP gets 400 MALFORMED_REQUEST and a closed connection",
          "[http]") {
  TestServer server;
  const RawExchange reply =
      raw_exchange(port_of(server.url()), "BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(reply.received.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(reply.received.find("MALFORMED_REQUEST") != std::string::npos);
  CHECK(reply.closed_by_server);
}

TEST_CASE("Connection: close and HTTP/1.0 requests are answered, then the socket is closed",
          "[http]") {
  TestServer server;
  const RawExchange closing = raw_exchange(
      port_of(server.url()), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(closing.received.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(closing.closed_by_server);
  const RawExchange old = raw_exchange(port_of(server.url()), "GET /healthz HTTP/1.0\r\n\r\n");
  CHECK(old.received.find(" 200 ") != std::string::npos);
  CHECK(old.closed_by_server);
  // Without either, the connection stays open for the next request.
  const RawExchange kept =
      raw_exchange(port_of(server.url()), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                   std::chrono::milliseconds(300));
  CHECK(kept.received.rfind("HTTP/1.1 200", 0) == 0);
  CHECK_FALSE(kept.closed_by_server);
}

TEST_CASE("HEAD on a GET route answers like GET without a body", "[http]") {
  TestServer server;
  const RawExchange reply = raw_exchange(
      port_of(server.url()), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(reply.received.rfind("HTTP/1.1 200", 0) == 0);
  const auto body_start = reply.received.find("\r\n\r\n");
  REQUIRE(body_start != std::string::npos);
  CHECK(reply.received.substr(body_start + 4).empty());
}

TEST_CASE("API keys with surrounding whitespace are accepted", "[http]") {
  TestServer server;
  HttpClient client = server.client();
  CHECK(client
            .post_json("/v1/otp/request", {{"phone", "0241234567"}},
                       {"Authorization: bearer   " + server.api_key() + "  "})
            .status == 201);
  CHECK(client.get("/v1/otp/otp_x", {"api-key:  " + server.api_key() + " "}).status == 404);
}

TEST_CASE("a locked database gives 503 SERVICE_UNAVAILABLE to writes - reads and probes go on",
          "[http]") {
  TestServer server([](ussd_otp::Config& config) { config.sqlite_busy_timeout_ms = 200; });
  HttpClient client = server.client();
  const std::string id = new_otp(client, server);
  // Another process's write transaction holds the database's write lock.
  SQLite::Database other(server.db_path().string(), SQLite::OPEN_READWRITE);
  other.setBusyTimeout(5000);  // the dispatcher may be writing this very moment
  other.exec("BEGIN IMMEDIATE");
  HttpResponse refused = request_otp(client, server, {{"phone", "0201234567"}});
  CHECK(refused.status == 503);
  CHECK(error_code(refused) == "SERVICE_UNAVAILABLE");
  CHECK(refused.header("retry-after") == "1");
  CHECK(client.get("/readyz").status == 503);
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.get("/v1/otp/" + id, {server.auth()}).status == 200);  // reads are not blocked
  other.exec("ROLLBACK");
  CHECK(request_otp(client, server, {{"phone", "0201234567"}}).status == 201);
  CHECK(client.get("/readyz").status == 200);
}

TEST_CASE("clients that hang up before the answer do not disturb the server", "[http]") {
  TestServer server;
  const std::string body = R"({"phone":"0201234567"})";
  for (int i = 0; i < 50; ++i) {
    const std::string request =
        "POST /v1/otp/verify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server.api_key() +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    raw_exchange(port_of(server.url()), request, std::chrono::milliseconds(0));
  }
  HttpClient client = server.client();
  const HttpResponse health = client.get("/healthz");
  INFO(health.body);
  CHECK(health.status == 200);
  CHECK(request_otp(client, server).status == 201);
}
