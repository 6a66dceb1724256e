// What the black-box delivery tests share: each SMS provider's configuration, the documented
// request it must send and the documented answers and receipts of its gateway (from
// /work/shared/reference/sms-gateways.md), plus views of an OTP's events and deliveries.
#pragma once

#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "delivery/signature.hpp"
#include "http/api_calls.hpp"
#include "support/fake_gateway.hpp"
#include "support/test_server.hpp"

namespace ussd_otp::testing {

inline constexpr const char* kTwilioToken = "twilio-auth-token";
inline constexpr const char* kWebhookSecret = "webhook-signing-secret";

// One provider's side of the tests: how it is configured and what its gateway says.
struct ProviderCase {
  std::string name;
  std::string send_path;  // the path the send must reach
  // Checks the documented request (auth header, body fields) and returns the SMS text.
  std::function<std::string(const GatewayRequest&)> check_send;
  std::function<GatewayBehaviour(const std::string& message_id)> accepted;
  GatewayBehaviour transient;
  GatewayBehaviour permanent;
  GatewayBehaviour account;
  // Posts "delivered" for `message_id` in the gateway's own format; empty: the server polls.
  std::function<HttpResponse(TestServer&, HttpClient&, const std::string& message_id)> receipt;
  // Answers a status poll (Hubtel) with "Delivered".
  std::function<std::optional<GatewayBehaviour>(const GatewayRequest&)> poll_responder;
};

inline std::string basic(const std::string& encoded) {
  return "Basic " + encoded;
}

// Sets `provider`'s credentials and points it at `base_url` (the fake gateway).
inline void configure_provider(Config& c, const std::string& provider,
                               const std::string& base_url) {
  SmsProviderConfig& p = c.delivery.providers[provider];
  ProviderSettings& s = p.settings;
  s.base_url = base_url;
  if (provider == "africastalking") {
    s.username = "sandbox";
    s.api_key = "at-api-key";
    s.sender = "MyShop";
  } else if (provider == "arkesel") {
    s.api_key = "arkesel-api-key";
    s.sender = "MyShop";
  } else if (provider == "hubtel") {
    s.client_id = "hub-id";
    s.client_secret = "hub-secret";
    s.sender = "MyShop";
  } else if (provider == "twilio") {
    s.account_sid = "AC123";
    s.auth_token = kTwilioToken;
    s.sender = "+15005550006";
  } else if (provider == "webhook") {
    s.url = base_url + "/sms";
    s.secret = kWebhookSecret;
    s.sender = "MyShop";
  }
  c.delivery.status_polls_per_minute = 6000;  // Hubtel polls every 10 ms of real time
}

inline nlohmann::json json_of(const GatewayRequest& r) {
  return nlohmann::json::parse(r.body);
}

inline GatewayBehaviour at_recipient(int status_code, const std::string& status,
                                     const std::string& message_id, const std::string& cost) {
  nlohmann::json body = {
      {"SMSMessageData",
       {{"Message", status_code < 200 ? "Sent to 1/1 Total Cost: KES 0.8000" : "Sent to 0/1"},
        {"Recipients",
         {{{"statusCode", status_code},
           {"number", "+233241234567"},
           {"status", status},
           {"cost", cost},
           {"messageId", message_id}}}}}}};
  return GatewayBehaviour::respond(201, body.dump());
}

inline HttpResponse post_form(HttpClient& client, const std::string& path,
                              const std::vector<std::pair<std::string, std::string>>& fields,
                              std::vector<std::string> headers = {}) {
  headers.push_back("Content-Type: application/x-www-form-urlencoded");
  return client.post_raw(path, form_encode(fields), headers);
}

// A Twilio status callback for `sid`, signed over the URL the server sees.
inline HttpResponse post_twilio_receipt(TestServer& server, HttpClient& client,
                                        const std::string& sid, const std::string& status,
                                        const std::string& token = kTwilioToken) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"MessageSid", sid},     {"MessageStatus", status}, {"AccountSid", "AC123"},
      {"To", "+233241234567"}, {"From", "+15005550006"},  {"ApiVersion", "2010-04-01"},
      {"SmsSid", sid},         {"SmsStatus", status}};
  const std::string signature = twilio_signature(token, server.url() + "/delivery/twilio", fields);
  return post_form(client, "/delivery/twilio", fields, {"X-Twilio-Signature: " + signature});
}

// A webhook receipt, signed like our own sends (the operator's gateway uses its wall clock).
inline HttpResponse post_webhook_receipt(HttpClient& client, const std::string& id,
                                         const std::string& status,
                                         const std::string& secret = kWebhookSecret) {
  const std::int64_t now = std::time(nullptr);
  const std::string body = nlohmann::json{{"id", id}, {"status", status}}.dump();
  return client.post_raw(
      "/delivery/webhook", body,
      {"Content-Type: application/json",
       std::string(kSignatureTimestampHeader) + ": " + std::to_string(now),
       std::string(kSignatureHeader) + ": " + webhook_signature(secret, now, body)});
}

inline std::vector<ProviderCase> provider_cases() {
  std::vector<ProviderCase> cases;

  cases.push_back(ProviderCase{
      "africastalking", "/version1/messaging",
      [](const GatewayRequest& r) {
        CHECK(r.method == "POST");
        CHECK(r.header("apikey") == "at-api-key");
        CHECK(r.header("accept") == "application/json");
        CHECK(r.header("content-type") == "application/x-www-form-urlencoded");
        auto form = form_decode(r.body);
        CHECK(form["username"] == "sandbox");
        CHECK(form["to"] == "+233241234567");
        CHECK(form["from"] == "MyShop");
        return form["message"];
      },
      [](const std::string& id) { return at_recipient(101, "Success", id, "KES 0.8000"); },
      GatewayBehaviour::respond(503, "Service Unavailable", "text/plain"),
      at_recipient(403, "InvalidPhoneNumber", "None", "0"),
      at_recipient(405, "InsufficientBalance", "None", "0"),
      [](TestServer&, HttpClient& client, const std::string& id) {
        return post_form(client, "/delivery/africastalking",
                         {{"id", id},
                          {"status", "Success"},
                          {"phoneNumber", "+233241234567"},
                          {"networkCode", "62001"},
                          {"retryCount", "0"}});
      },
      nullptr});

  cases.push_back(ProviderCase{
      "arkesel", "/api/v2/sms/send",
      [](const GatewayRequest& r) {
        CHECK(r.method == "POST");
        CHECK(r.header("api-key") == "arkesel-api-key");
        const nlohmann::json body = json_of(r);
        CHECK(body["sender"] == "MyShop");
        CHECK(body["recipients"] == nlohmann::json::array({"233241234567"}));
        return body["message"].get<std::string>();
      },
      [](const std::string& id) {
        return GatewayBehaviour::respond(
            200, nlohmann::json{{"status", "success"},
                                {"data", {{{"recipient", "233241234567"}, {"id", id}}}}}
                     .dump());
      },
      GatewayBehaviour::respond(503, R"({"message":"Service unavailable"})"),
      GatewayBehaviour::respond(
          422, R"({"status":"error","message":"The given data was invalid.","errors":{}})"),
      GatewayBehaviour::respond(401, R"({"status":"error","message":"Invalid API key"})"),
      [](TestServer&, HttpClient& client, const std::string& id) {
        return client.get("/delivery/arkesel?sms_id=" + id + "&status=DELIVERED");
      },
      nullptr});

  cases.push_back(ProviderCase{
      "hubtel", "/v1/messages/send",
      [](const GatewayRequest& r) {
        CHECK(r.method == "POST");
        CHECK(r.header("authorization") == basic("aHViLWlkOmh1Yi1zZWNyZXQ="));
        const nlohmann::json body = json_of(r);
        CHECK(body["From"] == "MyShop");
        CHECK(body["To"] == "233241234567");
        return body["Content"].get<std::string>();
      },
      [](const std::string& id) {
        return GatewayBehaviour::respond(
            201, nlohmann::json{{"rate", 0.0309},
                                {"messageId", id},
                                {"status", 0},
                                {"networkId", "62001"},
                                {"clientReference", nullptr},
                                {"statusDescription", "request submitted successfully"}}
                     .dump());
      },
      GatewayBehaviour::respond(503, R"({"message":"Service unavailable"})"),
      GatewayBehaviour::respond(400, R"({"status":1,"statusDescription":"invalid destination"})"),
      GatewayBehaviour::respond(401, R"({"message":"Authorization failed"})"), nullptr,
      [](const GatewayRequest& r) -> std::optional<GatewayBehaviour> {
        if (r.method != "GET" || r.path.rfind("/v1/messages/", 0) != 0) return std::nullopt;
        if (r.header("authorization") != basic("aHViLWlkOmh1Yi1zZWNyZXQ=")) {
          return GatewayBehaviour::respond(401, R"({"message":"Authorization failed"})");
        }
        const std::string id = r.path.substr(std::string("/v1/messages/").size());
        return GatewayBehaviour::respond(200, nlohmann::json{{"messageId", id},
                                                             {"status", "Delivered"},
                                                             {"updateTime", "2026-12-01T10:00:05Z"}}
                                                  .dump());
      }});

  cases.push_back(ProviderCase{
      "twilio", "/2010-04-01/Accounts/AC123/Messages.json",
      [](const GatewayRequest& r) {
        CHECK(r.method == "POST");
        // base64("AC123:twilio-auth-token")
        CHECK(r.header("authorization") == basic("QUMxMjM6dHdpbGlvLWF1dGgtdG9rZW4="));
        auto form = form_decode(r.body);
        CHECK(form["To"] == "+233241234567");
        CHECK(form["From"] == "+15005550006");
        return form["Body"];
      },
      [](const std::string& sid) {
        return GatewayBehaviour::respond(201, nlohmann::json{{"sid", sid},
                                                             {"status", "queued"},
                                                             {"to", "+233241234567"},
                                                             {"from", "+15005550006"},
                                                             {"price", nullptr},
                                                             {"error_code", nullptr}}
                                                  .dump());
      },
      GatewayBehaviour::respond(503,
                                R"({"code":20500,"message":"Internal Server Error","status":503})"),
      GatewayBehaviour::respond(
          400,
          R"({"code":21211,"message":"The 'To' number is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400})"),
      GatewayBehaviour::respond(
          401,
          R"({"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401})"),
      [](TestServer& server, HttpClient& client, const std::string& sid) {
        return post_twilio_receipt(server, client, sid, "delivered");
      },
      nullptr});

  cases.push_back(
      ProviderCase{"webhook", "/sms",
                   [](const GatewayRequest& r) {
                     CHECK(r.method == "POST");
                     const std::string timestamp = r.header("x-ussd-otp-timestamp");
                     REQUIRE_FALSE(timestamp.empty());
                     CHECK(r.header("x-ussd-otp-signature") ==
                           webhook_signature(kWebhookSecret, std::stoll(timestamp), r.body));
                     const nlohmann::json body = json_of(r);
                     CHECK(body["to"] == "+233241234567");
                     CHECK(body["phone"] == "233241234567");
                     CHECK(body["from"] == "MyShop");
                     CHECK(body["timestamp"] == std::stoll(timestamp));
                     CHECK_FALSE(body["reference"].get<std::string>().empty());
                     return body["text"].get<std::string>();
                   },
                   [](const std::string& id) {
                     return GatewayBehaviour::respond(
                         200, nlohmann::json{{"id", id}, {"status", "queued"}}.dump());
                   },
                   GatewayBehaviour::respond(503, R"({"error":"busy"})"),
                   GatewayBehaviour::respond(400, R"({"error":"bad number"})"),
                   GatewayBehaviour::respond(401, R"({"error":"bad credentials"})"),
                   [](TestServer&, HttpClient& client, const std::string& id) {
                     return post_webhook_receipt(client, id, "delivered");
                   },
                   nullptr});
  return cases;
}

// The case of the provider called `name`.
inline const ProviderCase& provider_case(const std::string& name) {
  static const std::vector<ProviderCase> cases = provider_cases();
  for (const ProviderCase& c : cases) {
    if (c.name == name) return c;
  }
  FAIL("no provider case " << name);
  return cases.front();
}

inline int count_events(const nlohmann::json& view, const std::string& type) {
  int n = 0;
  for (const auto& e : view["events"]) n += e["type"] == type ? 1 : 0;
  return n;
}

// Polls `predicate` every 10 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& predicate,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

// Waits until the OTP has `n` events of `type`; returns the view.
inline nlohmann::json wait_for_event(HttpClient& client, const TestServer& server,
                                     const std::string& id, const std::string& type, int n = 1) {
  nlohmann::json view;
  const bool seen = eventually([&] {
    view = otp_view(client, server, id);
    return count_events(view, type) >= n;
  });
  INFO(view.dump());
  REQUIRE(seen);
  return view;
}

// Waits until no attempt of the OTP is still "sending"; returns the view.
inline nlohmann::json wait_settled(HttpClient& client, const TestServer& server,
                                   const std::string& id, std::size_t attempts) {
  nlohmann::json view;
  const bool settled = eventually([&] {
    view = otp_view(client, server, id);
    if (view["deliveries"].size() < attempts) return false;
    for (const auto& d : view["deliveries"]) {
      if (d["outcome"] == "sending") return false;
    }
    return true;
  });
  INFO(view.dump());
  REQUIRE(settled);
  return view;
}

// Rows of `table` in the server's database.
inline int rows_in(const std::filesystem::path& db_path, const std::string& table) {
  SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);
  return db.execAndGet("SELECT COUNT(*) FROM " + table).getInt();
}

// Ghana numbers 024123450N, distinct phones for distinct OTPs.
inline std::string ghana_phone(int n) {
  return "02412345" + std::to_string(10 + n);
}
inline std::string ghana_e164(int n) {
  return "2332412345" + std::to_string(10 + n);
}

// The `index`-th delivery attempt in an OTP's view has each of `fields` (name: value).
inline void check_delivery(const nlohmann::json& view, std::size_t index,
                           const nlohmann::json& fields) {
  INFO(view.dump());
  REQUIRE(view["deliveries"].size() > index);
  for (const auto& [name, value] : fields.items()) {
    INFO("delivery " << index << ": " << name);
    CHECK(view["deliveries"][index][name] == value);
  }
}

// Arkesel and Africa's Talking, each on its own fake gateway that accepts every send, behind a
// server that routes Ghana numbers by `routes` (Arkesel first, unless `routes` says otherwise).
struct TwoGatewayChain {
  FakeGateway ark;
  FakeGateway at;
  TestServer server;
  HttpClient client;

  explicit TwoGatewayChain(const std::string& routes = "233=arkesel,africastalking",
                           const std::function<void(Config&)>& more = nullptr)
      : server([&](Config& c) {
          c.delivery.routes = routes;
          configure_provider(c, "arkesel", ark.url());
          configure_provider(c, "africastalking", at.url());
          if (more) more(c);
        }),
        client(server.url()) {
    ark.set_default(provider_case("arkesel").accepted("ark-id"));
    at.set_default(provider_case("africastalking").accepted("at-id"));
  }

  // Requests an OTP for Ghana number `n` and waits until it is sent; returns the OTP's view.
  nlohmann::json send_to(int n) {
    const std::string id = new_otp(client, server, {{"phone", ghana_phone(n)}});
    return wait_for_event(client, server, id, "sent");
  }
};

}  // namespace ussd_otp::testing
