// Hubtel: the Basic-auth JSON POST we build, its answers and sub-codes, and status polls.
#include "gateway_test_support.hpp"

using namespace ussd_otp;
using namespace ussd_otp::testing;

namespace {

SendResult judge(long status, const std::string& body) {
  return judge_answer(hubtel_settings(), status, body);
}

std::optional<Receipt> poll(long status, const std::string& body) {
  return provider(hubtel_settings())
      ->parse_status_poll("0f1e2d3c-aaaa-bbbb-cccc-123456789abc", answer(status, body));
}

}  // namespace

TEST_CASE("hubtel posts json From, To and Content with basic auth", "[delivery][hubtel]") {
  const OutboundRequest request = built_send(hubtel_settings());
  const auto body = nlohmann::json::parse(request.body);
  CHECK(body ==
        nlohmann::json{{"From", "ACME"}, {"To", "233241234567"}, {"Content", otp_message().text}});
  CHECK_FALSE(provider(hubtel_settings())->accepts_receipts());
}

TEST_CASE("hubtel 200 with status 0 and a message id is accepted with its rate",
          "[delivery][hubtel]") {
  const auto result = judge(
      200,
      R"({"rate":0.0309,"messageId":"0f1e2d3c-aaaa-bbbb-cccc-123456789abc","status":0,"networkId":"62001","clientReference":null,"statusDescription":"request submitted successfully"})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "0f1e2d3c-aaaa-bbbb-cccc-123456789abc");
  CHECK(result.cost == "0.0309");
  CHECK(result.gateway_status == "0");
}

TEST_CASE("hubtel 201 and the older pascal case answer are accepted too", "[delivery][hubtel]") {
  const auto result =
      judge(201, R"({"Status":0,"NetworkId":"62002","MessageId":"3f20fe72","Rate":1})");
  CHECK(result.outcome == SendOutcome::Accepted);
  CHECK(result.message_id == "3f20fe72");
  CHECK(result.cost == "1");
}

TEST_CASE("hubtel 400 sub-codes map to permanent and account level", "[delivery][hubtel]") {
  const std::vector<std::pair<int, SendOutcome>> table = {
      {1, SendOutcome::Permanent},  {2, SendOutcome::Permanent}, {3, SendOutcome::Permanent},
      {4, SendOutcome::Permanent},  {5, SendOutcome::Permanent}, {6, SendOutcome::Permanent},
      {7, SendOutcome::Permanent},  {8, SendOutcome::Permanent}, {12, SendOutcome::AccountLevel},
      {99, SendOutcome::Permanent},
  };
  for (const auto& [code, outcome] : table) {
    INFO("sub-code " << code);
    const auto result =
        judge(400, R"({"status":)" + std::to_string(code) + R"(,"statusDescription":"rejected"})");
    CHECK(result.outcome == outcome);
    CHECK(result.gateway_status == std::to_string(code));
  }
}

TEST_CASE("hubtel http statuses map to their outcome classes", "[delivery][hubtel]") {
  check_status_classes(*provider(hubtel_settings()),
                       {{SendOutcome::AccountLevel, {401, 402}},
                        {SendOutcome::Permanent, {403, 404, 400}},
                        {SendOutcome::Transient, {429, 500, 502, 504}}});
}

TEST_CASE("hubtel 2xx with a non-zero sub-code is judged by it and without one is unknown",
          "[delivery][hubtel]") {
  CHECK(judge(200, R"({"status":12})").outcome == SendOutcome::AccountLevel);
  CHECK(judge(200, R"({"status":"1"})").outcome == SendOutcome::Permanent);
  CHECK(judge(200, "").outcome == SendOutcome::Unknown);
  CHECK(judge(200, R"({"messageId":"x"})").outcome == SendOutcome::Unknown);
}

TEST_CASE("hubtel garbage answers never throw", "[delivery][hubtel]") {
  const auto hubtel = provider(hubtel_settings());
  check_garbage_and_incomplete_answers(*hubtel, {0, 200, 201, 400, 403, 500});
  for (const auto& body : garbage_bodies()) {
    for (const long status : {0L, 200L, 201L, 400L, 403L, 500L}) {
      CHECK_NOTHROW(hubtel->parse_status_poll("id", answer(status, body)));
    }
  }
}

TEST_CASE("hubtel status poll is a get of the message with basic auth", "[delivery][hubtel]") {
  const auto request =
      provider(hubtel_settings())->build_status_poll("0f1e2d3c-aaaa-bbbb-cccc-123456789abc");
  REQUIRE(request.has_value());
  CHECK(request->method == "GET");
  CHECK(request->url == "https://sms.hubtel.com/v1/messages/0f1e2d3c-aaaa-bbbb-cccc-123456789abc");
  CHECK(request_header(*request, "Authorization") == "Basic YWJjZGVmZzpoaWprbG1u");
  CHECK(request->body.empty());
  // An id cannot step out of the path.
  const auto odd = provider(hubtel_settings())->build_status_poll("../x?y");
  REQUIRE(odd.has_value());
  CHECK(odd->url == "https://sms.hubtel.com/v1/messages/..%2Fx%3Fy");
}

TEST_CASE("hubtel status poll maps delivered, failed words and the rest to pending",
          "[delivery][hubtel]") {
  check_receipt_states(
      {{ReceiptState::Delivered, {"Delivered", "delivered"}},
       {ReceiptState::Failed, {"Failed", "Undelivered", "Rejected", "Expired"}},
       {ReceiptState::Pending, {"Sent", "Submitted", "Pending"}}},
      [](const std::string& status) {
        const auto receipt = poll(200, R"({"messageId":"0f1e2d3c","status":")" + status +
                                           R"(","updateTime":"2026-12-01T10:00:00"})");
        REQUIRE(receipt.has_value());
        return std::vector<Receipt>{*receipt};
      },
      "0f1e2d3c-aaaa-bbbb-cccc-123456789abc");
}

TEST_CASE("hubtel status poll reads Status or a status nested under data", "[delivery][hubtel]") {
  auto receipt = poll(200, R"({"Status":"Delivered"})");
  REQUIRE(receipt.has_value());
  CHECK(receipt->state == ReceiptState::Delivered);
  receipt = poll(200, R"({"message":"Success","responseCode":"0000","data":{"status":"Failed"}})");
  REQUIRE(receipt.has_value());
  CHECK(receipt->state == ReceiptState::Failed);
  receipt = poll(200, R"({"status":0,"data":{"Status":"Sent"}})");
  REQUIRE(receipt.has_value());
  CHECK(receipt->state == ReceiptState::Pending);
}

TEST_CASE("hubtel status poll gives nothing for non-200 answers or no status",
          "[delivery][hubtel]") {
  CHECK_FALSE(poll(404, R"({"status":"Delivered"})").has_value());
  CHECK_FALSE(poll(500, "").has_value());
  CHECK_FALSE(poll(200, "").has_value());
  CHECK_FALSE(poll(200, R"({"status":7})").has_value());
  CHECK_FALSE(provider(hubtel_settings())
                  ->parse_status_poll("x", incomplete(TransferResult::TimedOutAfterSend))
                  .has_value());
}

TEST_CASE("hubtel needs a client id and a client secret", "[delivery][hubtel]") {
  check_required_settings(
      hubtel_settings(),
      {{&ProviderSettings::client_id, "sms-hubtel-client-id is required"},
       {&ProviderSettings::client_secret, "sms-hubtel-client-secret is required"}});
}
