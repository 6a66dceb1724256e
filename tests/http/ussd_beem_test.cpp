// Beem over HTTP against the real server: {session_id, command, payload{request_id, response}} in,
// {command continue|terminate, payload{request_id, request}} out.
#include <catch2/catch.hpp>

#include <functional>

#include "http/ussd_calls.hpp"
#include "http/ussd_session_row.hpp"

using namespace ussd_otp::testing;

namespace {

const JsonDialect kBeem{"beem"};

}  // namespace

TEST_CASE("ussd beem: dial then number shows the code and records the view", "[ussd][beem]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);

  const HttpResponse first = kBeem.post(
      client, fixture("beem", "dial.json", {{"session_id", "B-1"}, {"request_id", "501"}}));
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type").find("application/json") == 0);
  CHECK(first.body ==
        fixture("beem", "dial.reply", {{"session_id", "B-1"}, {"request_id", "501"}}));

  const HttpResponse second = kBeem.post(
      client, fixture("beem", "answer.json",
                      {{"session_id", "B-1"}, {"request_id", "502"}, {"text", "0241234567"}}));
  REQUIRE(second.status == 200);
  CHECK(second.body == fixture("beem", "code.reply",
                               {{"session_id", "B-1"}, {"request_id", "502"}, {"code", otp.code}}));
  const nlohmann::json reply = second.json();
  CHECK(reply["command"] == "terminate");
  CHECK(reply["payload"]["request_id"] == 502);  // a number stays a number

  CHECK(has_event(event_types(client, server, otp.id), "ussd_viewed"));
  CHECK(verify(client, server, otp.id, otp.code).status == 200);
}

TEST_CASE("ussd beem: the number in serviceCode or in the first response goes straight to the code",
          "[ussd][beem]") {
  TestServer server;
  auto client = server.client();
  const IssuedOtp otp = issue_otp(server, client);
  const HttpResponse in_code =
      kBeem.post(client, fixture("beem", "shortcut-in-service-code.json",
                                 {{"session_id", "B-2"}, {"request_id", "7"}}));
  CHECK(in_code.body == fixture("beem", "code.reply",
                                {{"session_id", "B-2"}, {"request_id", "7"}, {"code", otp.code}}));
  // A string request_id is echoed as a string.
  const HttpResponse in_response = kBeem.post(
      client,
      fixture("beem", "shortcut-in-response.json", {{"session_id", "B-3"}, {"request_id", "8"}}));
  CHECK(in_response.body ==
        fixture("beem", "code.reply",
                {{"session_id", "B-3"}, {"request_id", "\"8\""}, {"code", otp.code}}));
}

TEST_CASE("ussd beem: another number gets the neutral answer", "[ussd][beem]") {
  TestServer server;
  auto client = server.client();
  issue_otp(server, client, "233241234568");  // someone else's code
  kBeem.post(client, fixture("beem", "dial.json", {{"session_id", "B-4"}, {"request_id", "1"}}));
  const HttpResponse answer = kBeem.post(
      client, fixture("beem", "answer.json",
                      {{"session_id", "B-4"}, {"request_id", "2"}, {"text", "0241234568"}}));
  CHECK(answer.body == fixture("beem", "end.reply",
                               {{"session_id", "B-4"},
                                {"request_id", "2"},
                                {"text", "No active code for 024 123 4568."}}));
}

TEST_CASE("ussd beem: terminate ends the session and unknown sessions expire", "[ussd][beem]") {
  TestServer server;
  auto client = server.client();
  kBeem.post(client, fixture("beem", "dial.json", {{"session_id", "B-5"}, {"request_id", "1"}}));
  REQUIRE(session_row(server, "beem", "B-5").has_value());
  CHECK_FALSE(session_row(server, "beem", "B-5")->ended);
  const HttpResponse ended = kBeem.post(
      client, fixture("beem", "terminate.json", {{"session_id", "B-5"}, {"request_id", "2"}}));
  CHECK(ended.status == 200);
  CHECK(ended.body ==
        fixture("beem", "end.reply", {{"session_id", "B-5"}, {"request_id", "2"}, {"text", ""}}));
  const auto row = session_row(server, "beem", "B-5");
  REQUIRE(row.has_value());
  CHECK(row->ended);
  CHECK(row->end_reason == "released");

  const HttpResponse late = kBeem.post(
      client, fixture("beem", "answer.json",
                      {{"session_id", "B-unknown"}, {"request_id", "3"}, {"text", "1"}}));
  CHECK(late.status == 200);
  CHECK(late.body ==
        fixture("beem", "end.reply",
                {{"session_id", "B-unknown"},
                 {"request_id", "3"},
                 {"text", "Your session has expired. Dial *889*142# to start again."}}));
}

TEST_CASE("ussd beem: malformed requests get a 400 naming the field", "[ussd][beem]") {
  TestServer server;
  auto client = server.client();
  const nlohmann::json good = nlohmann::json::parse(
      fixture("beem", "answer.json", {{"session_id", "B-6"}, {"request_id", "1"}, {"text", "1"}}));
  auto edited = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json body = good;
    edit(body);
    return kBeem.post(client, body.dump());
  };
  check_400(edited([](auto& b) { b.erase("session_id"); }), "VALIDATION_ERROR", "session_id");
  check_400(edited([](auto& b) { b.erase("msisdn"); }), "VALIDATION_ERROR", "msisdn");
  check_400(edited([](auto& b) { b.erase("command"); }), "VALIDATION_ERROR", "command");
  check_400(edited([](auto& b) { b.erase("payload"); }), "VALIDATION_ERROR", "payload");
  check_400(edited([](auto& b) { b["payload"] = "x"; }), "VALIDATION_ERROR", "payload");
  check_400(edited([](auto& b) { b["payload"].erase("request_id"); }), "VALIDATION_ERROR",
            "payload.request_id");
  check_400(edited([](auto& b) { b["payload"].erase("response"); }), "VALIDATION_ERROR",
            "payload.response");
  check_400(edited([](auto& b) { b["payload"]["response"] = nlohmann::json::array(); }),
            "VALIDATION_ERROR", "payload.response");
  check_400(edited([](auto& b) { b["payload"]["response"] = std::string(2000, '1'); }),
            "VALIDATION_ERROR", "payload.response");
  check_400(edited([](auto& b) { b["command"] = "pause"; }), "VALIDATION_ERROR", "command");
  check_400(edited([](auto& b) { b["msisdn"] = false; }), "VALIDATION_ERROR", "msisdn");
  check_400(kBeem.post(client, "not json"), "INVALID_JSON");
  check_400(kBeem.post(client, "\"a string\""), "INVALID_JSON");
  CHECK(client.get("/ussd/beem").status == 405);
}
