// Fuzzes the JSON request validation of every OTP API: the native /v1/otp/request, verify and
// resend bodies and Arkesel's /api/otp/generate and verify, each body through all five parsers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "server/api_routes.hpp"
#include "server/arkesel_api.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ussd_otp;

namespace {

// A refusal is a complete answer: a status a client can act on and a body naming the problem.
void check_refusal(const ApiResponse& response) {
  FUZZ_CHECK(response.status >= 200 && response.status < 500);
  FUZZ_CHECK(!response.body.empty());
}

void check_error(const Error& error) {
  FUZZ_CHECK(error.code == ErrorCode::InvalidJson || error.code == ErrorCode::ValidationError);
  FUZZ_CHECK(error.code != ErrorCode::ValidationError || !error.fields.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = fuzz::as_text(data, size);

  if (const auto request = parse_otp_request_body(body); !request) {
    check_error(request.error());
  } else if (request->problems) {
    check_error(*request->problems);
  } else {
    // The idempotency fingerprint is the body's canonical dump: it must not throw.
    request->json.dump();
  }

  if (const auto verify = parse_otp_verify_body(body); !verify) {
    check_error(verify.error());
  } else {
    FUZZ_CHECK(!verify->pin.empty() && verify->pin.size() <= 64);
  }

  if (const auto id = parse_otp_id_body(body); !id) check_error(id.error());

  for (const bool voice : {false, true}) {
    const auto generate = parse_arkesel_generate(body, voice);
    if (const auto* refusal = std::get_if<ApiResponse>(&generate)) {
      check_refusal(*refusal);
    } else {
      // The core's template placeholder replaced Arkesel's: every code is in the SMS.
      const OtpRequestInput& input = std::get<OtpRequestInput>(generate);
      FUZZ_CHECK(input.message && input.message->find("{code}") != std::string::npos);
      FUZZ_CHECK(!input.phone.empty() && input.sender && !input.sender->empty());
    }
  }

  const auto verify = parse_arkesel_verify(body);
  if (const auto* refusal = std::get_if<ApiResponse>(&verify)) {
    check_refusal(*refusal);
  } else {
    const ArkeselVerifyInput& input = std::get<ArkeselVerifyInput>(verify);
    FUZZ_CHECK(!input.phone.empty() && !input.code.empty() && input.code.size() <= 64);
  }
  return 0;
}
