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
