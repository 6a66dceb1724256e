// A USSD session as stored between an aggregator's callbacks.
#pragma once

#include <optional>
#include <string>

#include "otp/clock.hpp"

namespace ussd_otp {

namespace ussd_end {
inline constexpr std::string_view kMenu = "menu";           // we sent a final screen
inline constexpr std::string_view kReleased = "released";   // the aggregator said the user left
inline constexpr std::string_view kTimedOut = "timed_out";  // the aggregator said it timed out
inline constexpr std::string_view kIdle = "idle";           // no step within the idle timeout
// The aggregator's MSISDN did not parse as a phone number: the menu has no one to show codes to.
inline constexpr std::string_view kInvalidMsisdn = "invalid_msisdn";
}  // namespace ussd_end

struct UssdSession {
  std::string dialect;  // with `id`, the key: ids are only unique per aggregator
  std::string id;
  std::string msisdn;  // digits-only E.164
  std::string service_code;
  std::string language;
  std::string network;
  std::string state;  // MenuState::encode(); empty once ended
  int tries = 0;      // invalid entries so far
  int steps = 0;      // callbacks answered
  UnixSeconds created_at = 0;
  UnixSeconds last_seen_at = 0;
  std::optional<UnixSeconds> ended_at;
  std::string end_reason;  // ussd_end::*
  std::string report;      // the aggregator's end-of-session notification, as JSON
};

}  // namespace ussd_otp
