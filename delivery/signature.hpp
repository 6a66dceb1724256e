// Signatures on the webhooks we send (the `webhook` provider and app event webhooks), and the
// Twilio signature on the receipts Twilio sends us.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ussd_otp {

// Header names of our signed webhooks (docs/delivery.md, "Checking a signature").
inline constexpr std::string_view kSignatureTimestampHeader = "X-Ussd-Otp-Timestamp";
inline constexpr std::string_view kSignatureHeader = "X-Ussd-Otp-Signature";

// "v1=" + lowercase hex of HMAC-SHA256(secret, timestamp + "." + body).
std::string webhook_signature(std::string_view secret, std::int64_t timestamp,
                              std::string_view body);
// Constant-time check of a signature header value; false when `timestamp` is further than
// `tolerance_seconds` from `now` (replays).
bool webhook_signature_valid(std::string_view secret, std::int64_t timestamp, std::string_view body,
                             std::string_view signature_header, std::int64_t now,
                             std::int64_t tolerance_seconds = 300);

// base64(HMAC-SHA1(auth_token, url + each POST parameter's name and value, sorted by name)),
// Twilio's X-Twilio-Signature.
std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             std::vector<std::pair<std::string, std::string>> params);
// Constant-time. Also accepts the URL with the default port added or removed, as Twilio's
// own validators do.
bool twilio_signature_valid(std::string_view auth_token, std::string_view url,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            std::string_view signature);

}  // namespace ussd_otp
