// The HTTP API's routes. Handlers translate JSON to the OTP policy's calls and back; they decide
// nothing themselves.
#pragma once

#include "delivery/dev_inbox.hpp"
#include "otp/otp_service.hpp"
#include "otp/store.hpp"
#include "server/http/server.hpp"

namespace ussd_otp {

struct ApiDependencies {
  OtpService& otp;
  OtpStore& store;
  const Clock& clock;
  DevInbox* dev_inbox = nullptr;  // set only in --dev mode: enables /dev/inbox, /dev/delivery
  AdjustableClock* dev_clock = nullptr;  // set only in --dev mode: enables GET/POST /dev/clock
  // Whether the per-IP limit counts the peer's address when a request names no end-user IP.
  bool count_peer_ip = false;
};

void add_api_routes(HttpServer& server, const ApiDependencies& deps);

// The request bodies of /v1/otp/*, typed and checked: pure functions of the body (no Pistache
// types), so the handlers and the fuzzer (tests/fuzz/fuzz_api_json.cpp) run the same code.
// Each answers INVALID_JSON or VALIDATION_ERROR the way the handler reports it.

// POST /v1/otp/request. Typing problems come back in `problems` rather than as an error: the
// handler adds the policy's range checks for `input` so the client sees every problem at once.
struct OtpRequestBody {
  nlohmann::json json;  // as parsed; its canonical dump is the idempotency fingerprint
  OtpRequestInput input;
  std::optional<Error> problems;
  std::optional<std::string> end_user_ip;  // `clientIp` or `metadata.ip`, checked
};
Result<OtpRequestBody> parse_otp_request_body(std::string_view body);

// POST /v1/otp/verify.
struct OtpVerifyBody {
  std::string id;
  std::string pin;
};
Result<OtpVerifyBody> parse_otp_verify_body(std::string_view body);

// POST /v1/otp/resend: a body that holds only {"id": "..."}.
Result<std::string> parse_otp_id_body(std::string_view body);

// Reads an `Idempotency-Key` header value into `context` for a creating route: the key, and a
// fingerprint of `route` plus the canonical body (so one key reused on another route, or with
// another body, conflicts). VALIDATION_ERROR when the value is empty or over 255 characters.
std::optional<Error> apply_idempotency_key(const std::optional<std::string>& header,
                                           std::string_view route, const nlohmann::json& body,
                                           RequestContext& context);
// The request's `Idempotency-Key` header value, if any.
std::optional<std::string> idempotency_header(const Pistache::Rest::Request& request);

}  // namespace ussd_otp
