// The USSD menu as a pure state machine: a fake view of codes and a fixed clock, no storage.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>

#include "menus/catalog.hpp"
#include "menus/menu.hpp"
#include "otp/gsm7.hpp"

namespace ussd_otp {
namespace {

constexpr UnixSeconds kNow = 1'800'000'000;

// Codes held in memory; counts lookups and can be told to refuse them.
class FakeCodes final : public SubscriberCodes {
 public:
  struct Entry {
    std::string phone;
    RevealedCode code;
  };
  std::vector<Entry> entries;  // newest first
  int lookups = 0;
  std::optional<std::int64_t> refuse_for;
  UnixSeconds now = kNow;

  void add(const std::string& phone, std::string id, std::string sender, std::string code,
           UnixSeconds expires_at) {
    entries.push_back({phone, {std::move(id), std::move(sender), std::move(code), expires_at}});
  }
  std::optional<std::int64_t> charge_lookup(const PhoneNumber&) override {
    ++lookups;
    return refuse_for;
  }
  std::vector<ActiveCodeSummary> active_codes(const PhoneNumber& owner) override {
    std::vector<ActiveCodeSummary> out;
    for (const Entry& e : entries) {
      if (e.phone == owner.e164_digits() && e.code.expires_at > now) {
        out.push_back({e.code.otp_id, e.code.sender, e.code.expires_at});
      }
    }
    return out;
  }
  std::optional<RevealedCode> reveal(const PhoneNumber& owner, std::string_view id) override {
    for (const Entry& e : entries) {
      if (e.code.otp_id == id && e.phone == owner.e164_digits() && e.code.expires_at > now) {
        return e.code;
      }
    }
    return std::nullopt;
  }
};

struct Fixture {
  MessageCatalog catalog = MessageCatalog::builtin();
  MenuSettings settings;
  FakeCodes codes;
  PhoneNumber dialer = *PhoneNumber::parse("233241234567", PhoneRules{});
  std::string language = "en";

  MenuContext ctx() {
    return MenuContext{catalog.language(language), settings, codes, dialer, codes.now};
  }
  MenuReply begin(std::vector<std::string> prefilled = {}) { return begin_menu(ctx(), prefilled); }
  MenuReply step(const MenuReply& previous, std::string_view input) {
    REQUIRE_FALSE(previous.end);
    // Through the encoded form, as it travels between two callbacks.
    const auto state = MenuState::decode(previous.next.encode());
    REQUIRE(state);
    REQUIRE(*state == previous.next);
    return continue_menu(ctx(), *state, input);
  }
};

}  // namespace

TEST_CASE("menu: dial asks for the number", "[menu]") {
  Fixture f;
  const MenuReply first = f.begin();
  CHECK_FALSE(first.end);
  CHECK(first.text == "Enter the phone number your code was sent to:");
  CHECK(f.codes.lookups == 0);
}

TEST_CASE("menu: own number with one active code shows it without consuming it", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_1", "ACME", "482910", kNow + 4 * 60);
  for (const char* typed : {"0241234567", "233241234567", "+233241234567", "+233 24 123 4567"}) {
    const MenuReply shown = f.step(f.begin(), typed);
    CHECK(shown.end);
    CHECK(shown.text == "Your ACME code is 482910. It expires in 4 min.");
    CHECK(shown.revealed_otp_id == std::optional<std::string>("otp_1"));
  }
}

TEST_CASE("menu: a code without a sender name says Your code is", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_1", "", "482910", kNow + 30);
  CHECK(f.step(f.begin(), "0241234567").text == "Your code is 482910. It expires in 1 min.");
}

TEST_CASE("menu: minutes left round up", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_1", "ACME", "482910", kNow + 4 * 60 + 1);
  CHECK(f.step(f.begin(), "0241234567").text == "Your ACME code is 482910. It expires in 5 min.");
}

TEST_CASE("menu: a long expiry reads in hours and minutes, not 1360 min", "[menu]") {
  Fixture f;
  // A 24-hour code looked up 80 minutes after it was issued.
  f.codes.add("233241234567", "otp_1", "ACME", "482910", kNow + 24 * 3600 - 80 * 60);
  CHECK(f.step(f.begin(), "0241234567").text ==
        "Your ACME code is 482910. It expires in 22 h 40 min.");
  f.language = "fr";
  CHECK(f.step(f.begin(), "0241234567").text ==
        "Votre code ACME est 482910. Il expire dans 22 h 40 min.");
}

TEST_CASE("menu: time left is rounded up to the minute and shown in hours past 59 min", "[menu]") {
  CHECK(format_time_left(1) == "1 min");
  CHECK(format_time_left(60) == "1 min");
  CHECK(format_time_left(61) == "2 min");
  CHECK(format_time_left(59 * 60) == "59 min");
  CHECK(format_time_left(59 * 60 + 1) == "1 h");
  CHECK(format_time_left(3600) == "1 h");
  CHECK(format_time_left(3601) == "1 h 1 min");
  CHECK(format_time_left(1440 * 60) == "24 h");
}

TEST_CASE("menu: another number and no code give the same neutral answer", "[menu]") {
  Fixture f;
  f.codes.add("233241234568", "otp_other", "ACME", "111111", kNow + 300);
  const MenuReply other = f.step(f.begin(), "0241234568");
  CHECK(other.end);
  CHECK(other.text == "No active code for 024 123 4568.");
  CHECK_FALSE(other.revealed_otp_id);
  const MenuReply none = f.step(f.begin(), "0241234567");
  CHECK(none.text == "No active code for 024 123 4567.");
  CHECK(f.codes.lookups == 2);  // both cost a lookup: guessing is limited the same way
}

TEST_CASE("menu: invalid entries re-prompt with an example then end after three", "[menu]") {
  Fixture f;
  MenuReply reply = f.begin();
  reply = f.step(reply, "12");
  CHECK_FALSE(reply.end);
  CHECK(reply.text == "That number is not valid. Enter it like 0241234567:");
  reply = f.step(reply, "hello");
  CHECK_FALSE(reply.end);
  CHECK(reply.next.invalid_entries == 2);
  reply = f.step(reply, "+1");
  CHECK(reply.end);
  CHECK(reply.text == "Too many invalid entries. Dial *889*142# to try again.");
  CHECK(f.codes.lookups == 0);
}

TEST_CASE("menu: several senders are listed newest first and the choice is shown", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_new", "BANK", "222222", kNow + 600);
  f.codes.add("233241234567", "otp_old", "ACME", "111111", kNow + 300);
  const MenuReply list = f.step(f.begin(), "0241234567");
  CHECK_FALSE(list.end);
  CHECK(list.text == "Codes for 024 123 4567. Choose one:\n1. BANK\n2. ACME\n0 Back 00 Home");
  const MenuReply chosen = f.step(list, "2");
  CHECK(chosen.text == "Your ACME code is 111111. It expires in 5 min.");
  CHECK(chosen.revealed_otp_id == std::optional<std::string>("otp_old"));
  CHECK(f.codes.lookups == 1);  // choosing is not another lookup
}

TEST_CASE("menu: an invalid choice re-lists and counts as an invalid entry", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_a", "BANK", "222222", kNow + 600);
  f.codes.add("233241234567", "otp_b", "ACME", "111111", kNow + 300);
  MenuReply reply = f.step(f.begin(), "0241234567");
  reply = f.step(reply, "7");
  CHECK_FALSE(reply.end);
  CHECK(reply.text.rfind("Invalid choice. Choose one:\n1. BANK\n2. ACME", 0) == 0);
  reply = f.step(reply, "x");
  reply = f.step(reply, "3");
  CHECK(reply.end);
  CHECK(reply.text == "Too many invalid entries. Dial *889*142# to try again.");
}

TEST_CASE("menu: a code that expires between two steps is not shown", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_a", "BANK", "222222", kNow + 600);
  f.codes.add("233241234567", "otp_b", "ACME", "111111", kNow + 60);
  const MenuReply list = f.step(f.begin(), "0241234567");
  f.codes.now = kNow + 61;  // the subscriber took a minute to choose
  const MenuReply chosen = f.step(list, "2");
  CHECK(chosen.end);
  CHECK(chosen.text == "No active code for 024 123 4567.");
  CHECK_FALSE(chosen.revealed_otp_id);
}

// Found by tests/fuzz/fuzz_menu.cpp: the list kept the number as bare digits, and "299123456"
// parsed again under Ghana's rules is the local 0299123456, so the choice led back to the start.
TEST_CASE("menu: a foreign number as long as a national one can choose a sender", "[menu]") {
  Fixture f;
  f.dialer = *PhoneNumber::parse("+299123456", PhoneRules{});
  f.codes.add("299123456", "otp_a", "BANK", "222222", kNow + 600);
  f.codes.add("299123456", "otp_b", "ACME", "111111", kNow + 300);
  const MenuReply list = f.step(f.begin(), "+299 123456");
  REQUIRE(list.next.screen == MenuScreen::ChooseSender);
  const MenuReply chosen = f.step(list, "2");
  CHECK(chosen.end);
  CHECK(chosen.revealed_otp_id == std::optional<std::string>("otp_b"));
}

TEST_CASE("menu: 0 goes back one screen and 00 to the start", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_a", "BANK", "222222", kNow + 600);
  f.codes.add("233241234567", "otp_b", "ACME", "111111", kNow + 300);
  const MenuReply list = f.step(f.begin(), "0241234567");
  const MenuReply back = f.step(list, "0");
  CHECK_FALSE(back.end);
  CHECK(back.text == "Enter the phone number your code was sent to:");
  CHECK(back.next.screen == MenuScreen::EnterNumber);
  const MenuReply again = f.step(back, "0241234567");
  CHECK(again.next.screen == MenuScreen::ChooseSender);

  MenuReply reply = f.step(f.begin(), "bad");
  reply = f.step(reply, "0");  // back on the first screen stays there, the count too
  CHECK(reply.text == "Enter the phone number your code was sent to:");
  CHECK(reply.next.invalid_entries == 1);
  reply = f.step(reply, "00");  // home starts over
  CHECK(reply.next == MenuState{});
  const MenuReply home_from_list = f.step(list, " 00 ");
  CHECK(home_from_list.next == MenuState{});
}

TEST_CASE("menu: pre-filled digits go straight to the answer", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_a", "BANK", "222222", kNow + 600);
  CHECK(f.begin({"0241234567"}).text == "Your BANK code is 222222. It expires in 10 min.");
  f.codes.add("233241234567", "otp_b", "ACME", "111111", kNow + 300);
  CHECK(f.begin({"0241234567", "2"}).text == "Your ACME code is 111111. It expires in 5 min.");
  CHECK(f.begin({"0241234568"}).text == "No active code for 024 123 4568.");
  CHECK(f.begin({"99"}).text == "That number is not valid. Enter it like 0241234567:");
}

TEST_CASE("menu: over the lookup limit says when to come back", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_a", "BANK", "222222", kNow + 600);
  f.codes.refuse_for = 421;
  const MenuReply refused = f.step(f.begin(), "0241234567");
  CHECK(refused.end);
  CHECK(refused.text == "Too many requests. Try again in 8 min.");
  CHECK_FALSE(refused.revealed_otp_id);
  f.codes.refuse_for = 5;
  CHECK(f.step(f.begin(), "0241234567").text == "Too many requests. Try again in 1 min.");
}

TEST_CASE("menu: French screens", "[menu]") {
  Fixture f;
  f.language = "fr";
  f.codes.add("233241234567", "otp_a", "BANK", "222222", kNow + 600);
  CHECK(f.begin().text == "Entrez le numero de telephone qui a recu votre code:");
  CHECK(f.begin({"0241234567"}).text == "Votre code BANK est 222222. Il expire dans 10 min.");
}

TEST_CASE("menu: a forged state cannot list another number's codes", "[menu]") {
  Fixture f;
  f.codes.add("233241234568", "otp_x", "BANK", "222222", kNow + 600);
  MenuState forged;
  forged.screen = MenuScreen::ChooseSender;
  forged.phone = "233241234568";
  forged.choices = {"otp_x"};
  const MenuReply reply = continue_menu(f.ctx(), forged, "1");
  CHECK_FALSE(reply.revealed_otp_id);
  CHECK(reply.text.find("222222") == std::string::npos);
}

TEST_CASE("menu: state decoding rejects garbage", "[menu]") {
  CHECK_FALSE(MenuState::decode(""));
  CHECK_FALSE(MenuState::decode("{"));
  CHECK_FALSE(MenuState::decode("[]"));
  CHECK_FALSE(MenuState::decode(R"({"s":"choose","i":0})"));
  CHECK_FALSE(MenuState::decode(R"({"s":"other","i":0})"));
  CHECK_FALSE(MenuState::decode(R"({"s":"choose","i":0,"p":"1","c":[1]})"));
}

// Every screen of every language, rendered with the longest values configuration allows, fits the
// smallest limit we ship (Nalo's 120) and is GSM-7.
TEST_CASE("menu: every screen of every language fits 120 GSM-7 characters", "[menu]") {
  const MessageCatalog catalog = MessageCatalog::builtin();
  REQUIRE(catalog.languages().size() >= 2);
  MessageValues longest;
  longest.service_code = "*999*999*999*999*999*999*999*99#";  // 32: ussd-service-codes max
  longest.example = std::string(15, '9');                     // the longest E.164 number
  longest.sender = std::string(11, '{');  // max-sender-length, each costing two septets //
                                          // max-sender-length
  longest.code = std::string(12, 'W');    // the longest pin
  longest.phone = "+999 9999 9999 9999";  // display of a 15-digit foreign number
  longest.minutes = 1440;                 // the longest expiry
  longest.time_left = format_time_left(1440 * 60 - 1);  // "23 h 59 min", the longest text
  for (const std::string& language : catalog.languages()) {
    const Messages& messages = catalog.language(language);
    for (std::size_t i = 0; i < kMessageCount; ++i) {
      const auto id = static_cast<MessageId>(i);
      const std::string text = messages.render(id, longest);
      INFO(language << " " << message_key(id) << ": " << text);
      const ScreenMeasure m = measure_screen(text);
      CHECK(m.gsm7);
      CHECK(m.septets <= 120);
    }
  }
}

TEST_CASE("menu: the sender list stops where the screen ends", "[menu]") {
  Fixture f;
  f.settings.screen_limit = 120;
  for (int i = 0; i < 9; ++i) {
    f.codes.add("233241234567", "otp_" + std::to_string(i), std::string(11, 'A' + i), "123456",
                kNow + 600);
  }
  const MenuReply list = f.step(f.begin(), "0241234567");
  CHECK(measure_screen(list.text).septets <= 120);
  CHECK(list.next.choices.size() >= 2);
  CHECK(list.next.choices.size() < 9);
  CHECK(list.text.find("0 Back 00 Home") != std::string::npos);
  // The last listed one can be chosen; one past it is an invalid choice.
  const auto n = list.next.choices.size();
  CHECK(f.step(list, std::to_string(n)).end);
  CHECK_FALSE(f.step(list, std::to_string(n + 1)).end);
}

TEST_CASE("catalog: a broken catalog is refused with the language and key", "[menu]") {
  CHECK_THROWS_WITH(Messages::from_json("[]"), Catch::Contains("not a JSON object"));
  CHECK_THROWS_WITH(Messages::from_json(R"({"language":"xx"})"),
                    Catch::Contains("\"xx\" lacks the text \"enter_number\""));
  nlohmann::json doc = nlohmann::json::parse(R"({"language":"xx"})");
  for (std::size_t i = 0; i < kMessageCount; ++i) {
    doc[std::string(message_key(static_cast<MessageId>(i)))] = "ok";
  }
  CHECK_NOTHROW(Messages::from_json(doc.dump()));
  doc["code"] = "Your code is {pin}";
  CHECK_THROWS_WITH(Messages::from_json(doc.dump()), Catch::Contains("\"code\""));
  CHECK_THROWS_AS(MessageCatalog::builtin().language("xx"), CatalogError);
}

}  // namespace ussd_otp

namespace ussd_otp {

TEST_CASE("menu: a sender outside GSM-7 cannot force the screen into UCS-2", "[menu]") {
  Fixture f;
  f.codes.add("233241234567", "otp_1", "A`B", "482910", kNow + 240);
  const MenuReply shown = f.step(f.begin(), "0241234567");
  CHECK(shown.text == "Your A?B code is 482910. It expires in 4 min.");
  CHECK(measure_screen(shown.text).gsm7);
  f.codes.add("233241234567", "otp_2", "X`Y", "111111", kNow + 300);
  const MenuReply list = f.step(f.begin(), "0241234567");
  CHECK(measure_screen(list.text).gsm7);
  CHECK(list.text.find("X?Y") != std::string::npos);
}

}  // namespace ussd_otp
