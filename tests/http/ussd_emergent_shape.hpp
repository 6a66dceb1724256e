// The checks Emergent and Cross-Switch share (same wire shape, different routes and fixtures):
// each test file calls these from its own TEST_CASEs.
#pragma once

#include <catch2/catch.hpp>

#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"

namespace ussd_otp::testing::emergent_shape {

inline HttpResponse post(HttpClient& client, const std::string& dialect, const std::string& body) {
  return JsonDialect{dialect}.post(client, body);
}

inline void full_session(const std::string& dialect) {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first =
      post(client, dialect, fixture(dialect, "dial.json", {{"session_id", "S-1"}}));
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type").find("application/json") == 0);
  CHECK(first.body == fixture(dialect, "dial.reply"));

  const HttpResponse second =
      post(client, dialect,
           fixture(dialect, "answer.json", {{"session_id", "S-1"}, {"text", "0241234567"}}));
  REQUIRE(second.status == 200);
  CHECK(second.body == fixture(dialect, "code.reply", {{"code", otp.code}}));
  const nlohmann::json reply = second.json();
  CHECK(reply["Type"] == "Release");
  CHECK(!reply.contains("MaskNextRoute"));

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

inline void shortcut(const std::string& dialect) {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse answer =
      post(client, dialect, fixture(dialect, "shortcut.json", {{"session_id", "S-2"}}));
  REQUIRE(answer.status == 200);
  CHECK(answer.body == fixture(dialect, "code.reply", {{"code", otp.code}}));
  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
}

inline void wrong_number(const std::string& dialect) {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  post(client, dialect, fixture(dialect, "dial.json", {{"session_id", "S-3"}}));
  const HttpResponse answer =
      post(client, dialect,
           fixture(dialect, "answer.json", {{"session_id", "S-3"}, {"text", "0241234568"}}));
  CHECK(answer.body ==
        fixture(dialect, "end.reply", {{"text", "No active code for 024 123 4568."}}));
}

inline void release_and_timeout(const std::string& dialect) {
  TestServer server;
  auto client = server.client();
  for (const auto& [file, id, reason] : {std::tuple{"release.json", "S-4", "released"},
                                         std::tuple{"timeout.json", "S-5", "timed_out"}}) {
    INFO(file);
    post(client, dialect, fixture(dialect, "dial.json", {{"session_id", id}}));
    REQUIRE(session_row(server, dialect, id).has_value());
    CHECK_FALSE(session_row(server, dialect, id)->ended);
    const HttpResponse ended = post(client, dialect, fixture(dialect, file, {{"session_id", id}}));
    CHECK(ended.status == 200);
    CHECK(ended.body == fixture(dialect, "end.reply", {{"text", ""}}));
    const auto row = session_row(server, dialect, id);
    REQUIRE(row.has_value());
    CHECK(row->ended);
    CHECK(row->end_reason == reason);
  }
  // An answer for a session we never saw (or that ended) gets the expiry screen.
  const HttpResponse late =
      post(client, dialect,
           fixture(dialect, "answer.json", {{"session_id", "S-unknown"}, {"text", "0241234567"}}));
  CHECK(late.status == 200);
  CHECK(late.body ==
        fixture(dialect, "end.reply",
                {{"text", "Your session has expired. Dial *889*142# to start again."}}));
}

inline void malformed(const std::string& dialect) {
  TestServer server;
  auto client = server.client();
  const nlohmann::json good = nlohmann::json::parse(
      fixture(dialect, "answer.json", {{"session_id", "S-6"}, {"text", "1"}}));
  auto without = [&](const char* field) {
    nlohmann::json body = good;
    body.erase(field);
    return post(client, dialect, body.dump());
  };
  auto with = [&](const char* field, nlohmann::json value) {
    nlohmann::json body = good;
    body[field] = std::move(value);
    return post(client, dialect, body.dump());
  };
  check_400(without("SessionId"), "VALIDATION_ERROR", "SessionId");
  check_400(without("Mobile"), "VALIDATION_ERROR", "Mobile");
  check_400(without("Type"), "VALIDATION_ERROR", "Type");
  check_400(without("Message"), "VALIDATION_ERROR", "Message");  // an answer needs one
  check_400(with("SessionId", nlohmann::json::object()), "VALIDATION_ERROR", "SessionId");
  check_400(with("Mobile", true), "VALIDATION_ERROR", "Mobile");
  check_400(with("Type", "AddToCart"), "VALIDATION_ERROR", "Type");
  check_400(with("Message", std::string(2000, '1')), "VALIDATION_ERROR", "Message");
  check_400(post(client, dialect, "{\"SessionId\":"), "INVALID_JSON");
  check_400(post(client, dialect, "[1,2]"), "INVALID_JSON");
  CHECK(client.get("/ussd/" + dialect).status == 405);
  // Numbers where strings are expected are fine (aggregators mix them).
  CHECK(with("SessionId", 12345).status == 200);
}

}  // namespace ussd_otp::testing::emergent_shape
