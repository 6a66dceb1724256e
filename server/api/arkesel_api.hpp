// The Arkesel-compatible OTP endpoints: Arkesel's fields and result codes over the same OTP core.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "otp/otp_service.hpp"
#include "server/http/server.hpp"

namespace ussd_otp {

struct ArkeselDependencies {
  OtpService& otp;
  // No voice provider exists yet, so `"medium": "voice"` answers 1004; set it when one is wired.
  bool voice_delivery = false;
  // "medium": "sms" to a number no SMS route covers answers 1004 (NO_DELIVERY_CHANNEL from the
  // policy) instead of creating a code nobody will receive.
  // Whether the per-IP limit counts the peer's address when the body names no `clientIp`.
  bool count_peer_ip = false;
};

struct ArkeselCode {
  std::string_view code;
  std::string_view message;
};

// Every result code the Arkesel API answers with, with its message (Arkesel's published texts).
inline constexpr std::array<ArkeselCode, 18> kArkeselCodes{{
    {"1000", "Successful, Message delivered"},
    {"1001", "Validation error (Missing required field)"},
    {"1002", "Message must contain a slot for otp code, like %otp_code%"},
    {"1003", "This Sender ID have Blocked By Administrator"},
    {"1004", "SMS gateway not active or credential not found"},
    {"1005", "Invalid phone number"},
    {"1006", "OTP is not allowed in your Country"},
    {"1007", "Insufficient balance"},
    {"1008", "Insufficient balance"},
    {"1009", "You can not send more than 500 characters using voice medium"},
    {"1011", "Internal error"},
    {"1100", "Successful"},
    {"1101", "Validation error (Missing required field)"},
    {"1102", "Invalid phone number"},
    {"1103", "Invalid phone number"},
    {"1104", "Invalid code"},
    {"1105", "Code has expired"},
    {"1106", "Internal error"},
}};

// How an error (the policy's or the transport's) answers on an Arkesel route: Arkesel has no
// codes for most of ours, so each row names the code and message it answers with.
enum class ArkeselRoute { Generate, Verify, Both };
enum class ArkeselText {
  Table,          // the code's message in kArkeselCodes
  Fixed,          // the row's `text`
  ErrorMessage,   // the error's own message
  FieldProblems,  // "Validation error (sender_id ...; length ...)": the fields in Arkesel's names
  RetrySentence,  // the row's `text` (empty: the error's message) + " Retry after N seconds."
};
struct ArkeselError {
  AnyErrorCode error;
  ArkeselRoute route;
  int status;
  std::string_view code;  // a kArkeselCodes code, or the HTTP status as text ("401")
  ArkeselText message = ArkeselText::Table;
  std::string_view text = {};
  bool retry_after = false;  // sends Retry-After when the error has one
};

// Every error an Arkesel route translates; any other is the route's "Internal error" (1011 on
// generate, 1106 on verify), logged with the request id.
inline constexpr ArkeselError kArkeselErrors[] = {
    {.error = ErrorCode::ValidationError,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1001",
     .message = ArkeselText::FieldProblems},
    {.error = ErrorCode::SenderBlocked,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1003"},
    // "Message delivered" would be a lie: no SMS channel covers this number.
    {.error = ErrorCode::NoDeliveryChannel,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1004"},
    {.error = ErrorCode::InvalidPhone,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1005"},
    {.error = ErrorCode::CountryNotAllowed,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1006"},
    {.error = ErrorCode::BudgetExhausted,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1007",
     .retry_after = true},
    {.error = ErrorCode::BudgetDisabled,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1008"},
    // Arkesel has no such code: the native API's 409, in Arkesel's shape.
    {.error = ErrorCode::IdempotencyKeyReused,
     .route = ArkeselRoute::Generate,
     .status = 409,
     .code = "409",
     .message = ArkeselText::ErrorMessage},
    // Arkesel has no rate-limit code; 1011 with the core's reason and a Retry-After.
    {.error = ErrorCode::RateLimitExceeded,
     .route = ArkeselRoute::Generate,
     .status = 200,
     .code = "1011",
     .message = ArkeselText::RetrySentence,
     .retry_after = true},
    // A blank code past the parser.
    {.error = ErrorCode::ValidationError,
     .route = ArkeselRoute::Verify,
     .status = 200,
     .code = "1101"},
    {.error = ErrorCode::InvalidPhone,
     .route = ArkeselRoute::Verify,
     .status = 200,
     .code = "1102"},
    {.error = ErrorCode::OtpNotFound, .route = ArkeselRoute::Verify, .status = 200, .code = "1103"},
    {.error = ErrorCode::InvalidPin, .route = ArkeselRoute::Verify, .status = 200, .code = "1104"},
    {.error = ErrorCode::OtpLocked, .route = ArkeselRoute::Verify, .status = 200, .code = "1104"},
    {.error = ErrorCode::OtpNotPending,
     .route = ArkeselRoute::Verify,
     .status = 200,
     .code = "1104"},
    {.error = ErrorCode::OtpExpired, .route = ArkeselRoute::Verify, .status = 200, .code = "1105"},
    // Arkesel documents no rate-limit code for verify (1101-1106). 1104 would tell the app "wrong
    // code, let the user retype", which only spends the block; 1106 ("internal error") is the
    // documented code clients already treat as "retry later". HTTP 429 and Retry-After carry the
    // rest for clients and proxies that read the status.
    {.error = ErrorCode::VerifyAttemptsExceeded,
     .route = ArkeselRoute::Verify,
     .status = 429,
     .code = "1106",
     .message = ArkeselText::RetrySentence,
     .text = "Too many verification attempts for this phone.",
     .retry_after = true},
    {.error = TransportCode::Unauthorized,
     .route = ArkeselRoute::Both,
     .status = 401,
     .code = "401",
     .message = ArkeselText::Fixed,
     .text = "Authentication failed (Missing or Invalid API key)"},
    {.error = TransportCode::PayloadTooLarge,
     .route = ArkeselRoute::Both,
     .status = 413,
     .code = "413",
     .message = ArkeselText::ErrorMessage},
    {.error = ErrorCode::InvalidJson,
     .route = ArkeselRoute::Both,
     .status = 422,
     .code = "422",
     .message = ArkeselText::Fixed,
     .text = "Validation error (Missing required field)"},
    {.error = TransportCode::ShuttingDown,
     .route = ArkeselRoute::Both,
     .status = 503,
     .code = "503",
     .message = ArkeselText::ErrorMessage,
     .retry_after = true},
};

// The request bodies of /api/otp/*, checked: pure functions of the body (no Pistache types), so
// the handlers and the fuzzer (tests/fuzz/fuzz_api_json.cpp) run the same code. A refusal is the
// complete Arkesel answer (the 422 for a missing or malformed body, 1001, 1002, 1004, 1009,
// 1101, 1104).
struct ArkeselGenerateRequest {
  OtpRequestInput input;
  // The optional top-level `clientIp` (the end user's address, for the per-IP limit); a value
  // that is not an IP address is refused with 1001.
  std::optional<std::string> end_user_ip;
  nlohmann::json body;  // the parsed body, for the Idempotency-Key fingerprint
};
std::variant<ArkeselGenerateRequest, ApiResponse> parse_arkesel_generate(std::string_view body,
                                                                         bool voice_delivery);
struct ArkeselVerifyInput {
  std::string phone;
  std::string code;
  // `code` came as a JSON number: its lost leading zeros are restored to the OTP's length.
  bool code_was_integer = false;
};
std::variant<ArkeselVerifyInput, ApiResponse> parse_arkesel_verify(std::string_view body);

// POST /api/otp/generate and POST /api/otp/verify.
void add_arkesel_routes(HttpServer& server, const ArkeselDependencies& deps);

}  // namespace ussd_otp
