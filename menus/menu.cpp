// The menu's screens and transitions. Pure: everything it knows arrives in MenuContext.
#include "menus/menu.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "otp/gsm7.hpp"
#include "otp/text.hpp"

namespace ussd_otp {
namespace {

constexpr std::string_view kBack = "0";
constexpr std::string_view kHome = "00";

long long minutes_left(UnixSeconds expires_at, UnixSeconds now) {
  const long long seconds = expires_at - now;
  return seconds <= 60 ? 1 : (seconds + 59) / 60;
}

MessageValues base_values(const MenuContext& ctx) {
  MessageValues v;
  v.service_code = ctx.settings.service_code;
  v.example = ctx.settings.example_number;
  return v;
}

MenuReply ask(std::string text, MenuState next) {
  return MenuReply{std::move(text), false, std::move(next), std::nullopt};
}

MenuReply finish(std::string text, MenuState next = {}) {
  return MenuReply{std::move(text), true, std::move(next), std::nullopt};
}

MenuReply enter_number_screen(const MenuContext& ctx, int invalid_entries) {
  MenuState next;
  next.invalid_entries = invalid_entries;
  return ask(ctx.messages.render(MessageId::EnterNumber, base_values(ctx)), std::move(next));
}

MenuReply no_active_code(const MenuContext& ctx, const PhoneNumber& phone) {
  MessageValues v = base_values(ctx);
  v.phone = phone.display(ctx.settings.phone_rules);
  return finish(ctx.messages.render(MessageId::NoActiveCode, v));
}

MenuReply too_many_invalid(const MenuContext& ctx) {
  return finish(ctx.messages.render(MessageId::TooManyInvalid, base_values(ctx)));
}

MenuReply show_code(const MenuContext& ctx, const RevealedCode& code) {
  MessageValues v = base_values(ctx);
  v.sender = to_gsm7(code.sender);
  v.code = code.code;
  v.minutes = minutes_left(code.expires_at, ctx.now);
  v.time_left = format_time_left(code.expires_at - ctx.now);
  const MessageId id = code.sender.empty() ? MessageId::Code : MessageId::CodeFromSender;
  MenuReply reply = finish(ctx.messages.render(id, v));
  reply.revealed_otp_id = code.otp_id;
  return reply;
}

// "Codes for 024 123 4567. Choose one:\n1. ACME\n2. Bank\n0 Back 00 Home", with as many senders as
// fit the screen.
MenuReply choose_sender_screen(const MenuContext& ctx, const PhoneNumber& phone,
                               const std::vector<ActiveCodeSummary>& codes, int invalid_entries,
                               bool after_invalid_choice) {
  MessageValues v = base_values(ctx);
  v.phone = phone.display(ctx.settings.phone_rules);
  std::string text = ctx.messages.render(
      after_invalid_choice ? MessageId::InvalidChoice : MessageId::ChooseSender, v);
  const std::string hint = "\n" + ctx.messages.render(MessageId::NavigationHint, v);
  MenuState next;
  next.screen = MenuScreen::ChooseSender;
  next.invalid_entries = invalid_entries;
  // With its '+': on_choice parses it again, and bare digits as long as a national number
  // ("299123456" under Ghana's 9) would read as a local number, another one than the dialler's.
  next.phone = phone.e164();
  for (const ActiveCodeSummary& code : codes) {
    if (next.choices.size() >= ctx.settings.max_choices) break;
    const std::string sender = code.sender.empty()
                                   ? ctx.messages.render(MessageId::UnnamedSender, v)
                                   : to_gsm7(code.sender);
    std::string line = "\n" + std::to_string(next.choices.size() + 1) + ". " + sender;
    if (!next.choices.empty() &&
        measure_screen(text + line + hint).septets > ctx.settings.screen_limit) {
      break;
    }
    text += line;
    next.choices.push_back(code.otp_id);
  }
  return ask(text + hint, std::move(next));
}

MenuReply on_number(const MenuContext& ctx, const MenuState& state, std::string_view input) {
  const auto phone = PhoneNumber::parse(input, ctx.settings.phone_rules);
  if (!phone) {
    const int invalid = state.invalid_entries + 1;
    if (invalid >= ctx.settings.max_invalid_entries) return too_many_invalid(ctx);
    MenuState next = state;
    next.invalid_entries = invalid;
    return ask(ctx.messages.render(MessageId::InvalidNumber, base_values(ctx)), std::move(next));
  }
  // Every valid entry costs a lookup, whoever's number it is, so guessing is just as limited.
  if (const auto wait = ctx.codes.charge_lookup(ctx.dialer)) {
    MessageValues v = base_values(ctx);
    v.minutes = (*wait + 59) / 60;
    if (v.minutes < 1) v.minutes = 1;
    v.time_left = format_time_left(*wait);
    return finish(ctx.messages.render(MessageId::RateLimited, v));
  }
  // The aggregator's MSISDN is the trust anchor: another number gets the same neutral answer as
  // a number without codes, so the menu reveals nothing about it.
  if (!(*phone == ctx.dialer)) return no_active_code(ctx, *phone);
  const auto codes = ctx.codes.active_codes(*phone);
  if (codes.empty()) return no_active_code(ctx, *phone);
  if (codes.size() == 1) {
    const auto code = ctx.codes.reveal(*phone, codes.front().otp_id);
    return code ? show_code(ctx, *code) : no_active_code(ctx, *phone);
  }
  return choose_sender_screen(ctx, *phone, codes, state.invalid_entries, false);
}

std::optional<std::size_t> parse_choice(std::string_view input, std::size_t count) {
  std::size_t value = 0;
  const auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), value);
  if (ec != std::errc() || end != input.data() + input.size() || value < 1 || value > count) {
    return std::nullopt;
  }
  return value - 1;
}

MenuReply on_choice(const MenuContext& ctx, const MenuState& state, std::string_view input) {
  const auto phone = PhoneNumber::parse(state.phone, ctx.settings.phone_rules);
  if (!phone || !(*phone == ctx.dialer)) return enter_number_screen(ctx, state.invalid_entries);
  if (const auto index = parse_choice(input, state.choices.size())) {
    const auto code = ctx.codes.reveal(*phone, state.choices[*index]);
    return code ? show_code(ctx, *code) : no_active_code(ctx, *phone);
  }
  const int invalid = state.invalid_entries + 1;
  if (invalid >= ctx.settings.max_invalid_entries) return too_many_invalid(ctx);
  // Re-list what is still active; codes may have expired or been used since the last screen.
  auto codes = ctx.codes.active_codes(*phone);
  if (codes.empty()) return no_active_code(ctx, *phone);
  return choose_sender_screen(ctx, *phone, codes, invalid, true);
}

}  // namespace

std::string MenuState::encode() const {
  nlohmann::json j{{"s", screen == MenuScreen::ChooseSender ? "choose" : "number"},
                   {"i", invalid_entries}};
  if (screen == MenuScreen::ChooseSender) {
    j["p"] = phone;
    j["c"] = choices;
  }
  return j.dump();
}

std::optional<MenuState> MenuState::decode(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  MenuState state;
  const auto screen = j.find("s");
  const auto invalid = j.find("i");
  if (screen == j.end() || !screen->is_string() || invalid == j.end() ||
      !invalid->is_number_integer()) {
    return std::nullopt;
  }
  state.invalid_entries = invalid->get<int>();
  if (*screen == "number") return state;
  if (*screen != "choose") return std::nullopt;
  state.screen = MenuScreen::ChooseSender;
  const auto phone = j.find("p");
  const auto choices = j.find("c");
  if (phone == j.end() || !phone->is_string() || choices == j.end() || !choices->is_array()) {
    return std::nullopt;
  }
  state.phone = phone->get<std::string>();
  for (const auto& c : *choices) {
    if (!c.is_string()) return std::nullopt;
    state.choices.push_back(c.get<std::string>());
  }
  return state;
}

MenuReply begin_menu(const MenuContext& ctx, std::span<const std::string> prefilled) {
  MenuReply reply = enter_number_screen(ctx, 0);
  for (const std::string& answer : prefilled) {
    if (reply.end) break;
    reply = continue_menu(ctx, reply.next, answer);
  }
  return reply;
}

MenuReply continue_menu(const MenuContext& ctx, const MenuState& state, std::string_view input) {
  input = text::trim(input);
  if (input == kHome) return enter_number_screen(ctx, 0);
  if (input == kBack) return enter_number_screen(ctx, state.invalid_entries);
  switch (state.screen) {
    case MenuScreen::EnterNumber:
      return on_number(ctx, state, input);
    case MenuScreen::ChooseSender:
      return on_choice(ctx, state, input);
  }
  return enter_number_screen(ctx, state.invalid_entries);
}

std::string final_screen(const Messages& messages, const MenuSettings& settings, MessageId id) {
  MessageValues v;
  v.service_code = settings.service_code;
  v.example = settings.example_number;
  return messages.render(id, v);
}

}  // namespace ussd_otp
