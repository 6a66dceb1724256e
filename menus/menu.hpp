// The *889*142# menu as a pure state machine: state + input + a view of active codes -> screen.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "menus/catalog.hpp"
#include "otp/clock.hpp"
#include "otp/phone.hpp"

namespace ussd_otp {

struct ActiveCodeSummary {
  std::string otp_id;
  std::string sender;  // may be empty
  UnixSeconds expires_at = 0;
};

struct RevealedCode {
  std::string otp_id;
  std::string sender;
  std::string code;  // plaintext, for this one screen only
  UnixSeconds expires_at = 0;
};

// What the menu may ask about codes. Implementations decide nothing about who may see a code;
// the menu only asks about the dialer's own number.
class SubscriberCodes {
 public:
  virtual ~SubscriberCodes() = default;
  // Counts one lookup against the dialer's limit. Returns seconds to wait when over it.
  virtual std::optional<std::int64_t> charge_lookup(const PhoneNumber& dialer) = 0;
  // Active codes issued to `owner`, newest first.
  virtual std::vector<ActiveCodeSummary> active_codes(const PhoneNumber& owner) = 0;
  // The code of one of them, if it is still active and still `owner`'s.
  virtual std::optional<RevealedCode> reveal(const PhoneNumber& owner, std::string_view otp_id) = 0;
};

enum class MenuScreen : std::uint8_t { EnterNumber, ChooseSender };

// Everything the menu needs to remember between two steps; small and serialisable.
struct MenuState {
  MenuScreen screen = MenuScreen::EnterNumber;
  int invalid_entries = 0;
  std::string phone;                 // ChooseSender: the number whose codes are listed
  std::vector<std::string> choices;  // ChooseSender: OTP ids, in the order shown

  std::string encode() const;
  static std::optional<MenuState> decode(std::string_view text);
  bool operator==(const MenuState&) const = default;
};

struct MenuSettings {
  std::string service_code = "*889*142#";  // shown in "Dial ... to try again"
  std::string example_number = "0241234567";
  PhoneRules phone_rules;
  int max_invalid_entries = 3;
  std::size_t screen_limit = 160;  // GSM-7 characters per screen
  std::size_t max_choices = 9;     // senders listed at most (fewer if the screen is full)
};

struct MenuContext {
  const Messages& messages;
  const MenuSettings& settings;
  SubscriberCodes& codes;
  const PhoneNumber& dialer;
  UnixSeconds now = 0;
};

struct MenuReply {
  std::string text;
  bool end = false;
  MenuState next;
  std::optional<std::string> revealed_otp_id;  // set when this screen shows a code
};

// First screen. `prefilled` are digits dialled after the service code ("*889*142*024...#"):
// each is taken as the answer to the next screen, so the shortcut lands on the final answer.
MenuReply begin_menu(const MenuContext& ctx, std::span<const std::string> prefilled = {});

// One answer on the screen `state` describes.
MenuReply continue_menu(const MenuContext& ctx, const MenuState& state, std::string_view input);

// A screen that ends the session with `id` (e.g. Unavailable, SessionExpired).
std::string final_screen(const Messages& messages, const MenuSettings& settings, MessageId id);

}  // namespace ussd_otp
