// An in-memory view of active codes for the menu fuzzers: phone A and phone B each have codes,
// and the view answers for whichever owner the menu asks about, like the real one (it checks
// ownership of the code, not who is dialling). So only the menu stands between a dialler and
// another number's code, and check_screen asserts it never shows one.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "menus/catalog.hpp"
#include "menus/menu.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace ussd_otp::fuzz {

inline constexpr UnixSeconds kMenuNow = 1'800'000'000;

struct FuzzCode {
  std::string phone;  // e164 digits
  RevealedCode code;
};

// Letters no phone number display and no catalog text contains, so finding one on a screen
// means the code (or the sender naming it) was shown.
inline const std::vector<FuzzCode>& fuzz_codes() {
  static const std::vector<FuzzCode> codes = {
      {"233241234567", {"otp_a1", "ZEBRAPAY", "QXJ7KW", kMenuNow + 240}},
      {"233241234567", {"otp_a2", "", "VYQ3ZX", kMenuNow + 30}},
      {"233241234567", {"otp_a3", "ZEBRABANK", "JQZ8VX", kMenuNow - 1}},  // expired
      {"233201112222", {"otp_b1", "YAKBANK", "WQX5JZ", kMenuNow + 300}},
      {"447911123456", {"otp_c1", "XYLOPHONE", "ZJQW9Y", kMenuNow + 300}},
      // A foreign number exactly as long as a Ghanaian national number (Greenland, 9 digits).
      {"299123456", {"otp_g1", "YAWNING", "KJZQ4X", kMenuNow + 300}},
      {"299123456", {"otp_g2", "", "QKXZ2J", kMenuNow + 300}},
  };
  return codes;
}

class FuzzCodes final : public SubscriberCodes {
 public:
  int lookups = 0;
  int lookup_limit = 5;

  std::optional<std::int64_t> charge_lookup(const PhoneNumber&) override {
    if (++lookups > lookup_limit) return 60;
    return std::nullopt;
  }
  std::vector<ActiveCodeSummary> active_codes(const PhoneNumber& owner) override {
    std::vector<ActiveCodeSummary> out;
    for (const FuzzCode& c : fuzz_codes()) {
      if (c.phone == owner.e164_digits() && c.code.expires_at > kMenuNow) {
        out.push_back({c.code.otp_id, c.code.sender, c.code.expires_at});
      }
    }
    return out;
  }
  std::optional<RevealedCode> reveal(const PhoneNumber& owner, std::string_view otp_id) override {
    for (const FuzzCode& c : fuzz_codes()) {
      if (c.code.otp_id == otp_id && c.phone == owner.e164_digits() &&
          c.code.expires_at > kMenuNow) {
        return c.code;
      }
    }
    return std::nullopt;
  }
};

// The invariant: a screen shown to `dialer` holds no code (nor the sender of a code) issued to
// another number, and a reveal is only ever of the dialler's own code.
inline void check_screen(const MenuReply& reply, const PhoneNumber& dialer) {
  for (const FuzzCode& c : fuzz_codes()) {
    if (c.phone == dialer.e164_digits()) continue;
    FUZZ_CHECK(reply.text.find(c.code.code) == std::string::npos);
    if (!c.code.sender.empty()) FUZZ_CHECK(reply.text.find(c.code.sender) == std::string::npos);
    FUZZ_CHECK(reply.revealed_otp_id != c.code.otp_id);
  }
  if (reply.revealed_otp_id) {
    bool own = false;
    for (const FuzzCode& c : fuzz_codes()) {
      own = own || (c.code.otp_id == *reply.revealed_otp_id && c.phone == dialer.e164_digits());
    }
    FUZZ_CHECK(own);
  }
}

// Drives one session: begin (with `prefilled`), then each answer while the menu continues, the
// state travelling through its encoded form as it does between two callbacks.
inline void run_session(const Messages& messages, const MenuSettings& settings,
                        const PhoneNumber& dialer, std::span<const std::string> prefilled,
                        std::span<const std::string_view> answers) {
  FuzzCodes codes;
  const MenuContext ctx{messages, settings, codes, dialer, kMenuNow};
  MenuReply reply = begin_menu(ctx, prefilled);
  check_screen(reply, dialer);
  // Real sessions end long before this (idle timeouts, aggregators' step limits); longer inputs
  // ("0" back to the start, forever) would only slow the fuzzer down.
  constexpr std::size_t kMaxSteps = 40;
  for (const std::string_view answer : answers.first(std::min(answers.size(), kMaxSteps))) {
    if (reply.end) break;
    const auto state = MenuState::decode(reply.next.encode());
    FUZZ_CHECK(state.has_value());
    FUZZ_CHECK(*state == reply.next);
    // Choosing a listed sender shows that code: the fixture's codes stay active, so anything
    // else means the menu lost track of the dialler's own number between the two steps.
    const bool listed_choice = state->screen == MenuScreen::ChooseSender && answer.size() == 1 &&
                               answer[0] >= '1' &&
                               static_cast<std::size_t>(answer[0] - '0') <= state->choices.size();
    reply = continue_menu(ctx, *state, answer);
    check_screen(reply, dialer);
    if (listed_choice) FUZZ_CHECK(reply.revealed_otp_id.has_value());
  }
}

}  // namespace ussd_otp::fuzz
