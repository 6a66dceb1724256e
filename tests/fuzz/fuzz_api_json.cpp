// Fuzzes the JSON request validation of every OTP API: the native /v1/otp/request, verify and
// resend bodies, Arkesel's /api/otp/generate and verify, GetOTP's /api/verify/ and verify by
// user's /otp/verify, each body through every parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "server/api/arkesel_api.hpp"
#include "server/api/getotp_api.hpp"
#include "server/api/native_api.hpp"
#include "server/api/user_verify_api.hpp"
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
      const OtpRequestInput& input = std::get<ArkeselGenerateRequest>(generate).input;
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

  const auto getotp = parse_getotp_request(body, 2048);
  if (const auto* refusal = std::get_if<GetOtpRefusal>(&getotp)) {
    bool known = false;
    for (const GetOtpCode& code : kGetOtpCodes) known = known || code.code == refusal->code;
    FUZZ_CHECK(known);
  } else {
    // Exactly one of the two, in range; a template is a UUID or text with {code}.
    const GetOtpRequest& input = std::get<GetOtpRequest>(getotp);
    FUZZ_CHECK(input.code.has_value() != input.code_length.has_value());
    FUZZ_CHECK(!input.code || (input.code->size() >= 4 && input.code->size() <= 8));
    FUZZ_CHECK(!input.code_length || (*input.code_length >= 4 && *input.code_length <= 8));
    FUZZ_CHECK(input.template_ref.uuid.empty() !=
               (input.template_ref.text.find("{code}") == std::string::npos));
    FUZZ_CHECK(!input.payload || input.payload->size() <= 2048);
    FUZZ_CHECK(!input.phone.empty() && !input.sender.empty());
  }

  const auto user_verify = parse_user_verify(body, PhoneRules{});
  if (const auto* refusal = std::get_if<ApiResponse>(&user_verify)) {
    FUZZ_CHECK(refusal->status == 400 || refusal->status == 403 || refusal->status == 422);
    FUZZ_CHECK(!refusal->body.empty());
  } else {
    const UserVerifyInput& input = std::get<UserVerifyInput>(user_verify);
    FUZZ_CHECK(!input.client_id.empty() && !input.user_id.empty() && !input.code.empty());
  }
  return 0;
}
