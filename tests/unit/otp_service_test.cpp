// Tests for the OTP policy (OtpService) over a real SQLite file, a manual clock and a fake channel.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/sms_sender.hpp"
#include "otp/clock.hpp"
#include "otp/codes.hpp"
#include "otp/crypto.hpp"
#include "otp/delivery.hpp"
#include "otp/errors.hpp"
#include "otp/otp_service.hpp"
#include "otp/send_budget.hpp"
#include "otp/types.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/temp_dir.hpp"

namespace ussd_otp {
namespace {

constexpr std::int64_t kKey = 1;
constexpr std::int64_t kOtherKey = 2;
constexpr std::string_view kLocalPhone = "0241234567";
constexpr std::string_view kPhone = "233241234567";

// Records what it is asked to deliver; when `fail` is set, refuses like a gateway that is down.
class RecordingChannel final : public DeliveryChannel {
 public:
  std::string_view name() const override { return "fake"; }
  SendResult deliver(const OutgoingMessage& message) override {
    ++attempts;
    if (fail) return SendResult{SendOutcome::Transient, "", "gateway down", "", ""};
    sent.push_back(message);
    return SendResult{SendOutcome::Accepted, "fake-1", "", "", ""};
  }

  bool fail = false;
  int attempts = 0;
  std::vector<OutgoingMessage> sent;
};

// The code in a message rendered from a template containing "code is {code}.".
std::string code_in(const std::string& text) {
  const std::string_view marker = "code is ";
  const std::size_t start = text.find(marker);
  if (start == std::string::npos) return {};
  const std::size_t from = start + marker.size();
  const std::size_t end = text.find('.', from);
  return text.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

// A code of the same shape that is certainly not `code`.
std::string wrong_code(std::string code, PinType type = PinType::Numeric) {
  const std::string_view alphabet = alphabet_for(type);
  const std::size_t at = alphabet.find(code[0]);
  code[0] = alphabet[(at + 1) % alphabet.size()];
  return code;
}

// The error of a call that must be refused.
template <class T>
Error refusal(const Result<T>& result) {
  REQUIRE_FALSE(result);
  return result.error();
}

// Appends piece by piece: GCC 12 reports a false -Werror=restrict on "literal" + std::string&&.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> event_types(const std::vector<OtpEvent>& events) {
  std::vector<std::string> types;
  for (const OtpEvent& e : events) types.push_back(e.type);
  return types;
}

bool has_event(const std::vector<OtpEvent>& events, std::string_view type) {
  return std::any_of(events.begin(), events.end(),
                     [&](const OtpEvent& e) { return e.type == type; });
}

OtpRequestInput input_for(std::string_view phone = kLocalPhone) {
  OtpRequestInput input;
  input.phone = std::string(phone);
  return input;
}

// A distinct valid Ghanaian number per index.
std::string phone_number(int index) {
  std::string phone = "02412345";
  phone += static_cast<char>('0' + index / 10);
  phone += static_cast<char>('0' + index % 10);
  return phone;
}

RequestContext context_for(std::int64_t key = kKey, std::string ip = "198.51.100.7") {
  RequestContext context;
  context.api_key_id = key;
  context.client_ip = std::move(ip);
  return context;
}

RequestContext idempotent(std::string idempotency_key, std::string fingerprint,
                          std::int64_t key = kKey) {
  RequestContext context = context_for(key);
  context.idempotency_key = std::move(idempotency_key);
  context.body_fingerprint = std::move(fingerprint);
  return context;
}

// Only the rule under test is enabled.
OtpPolicy rate_policy(RateLimitRule per_phone, RateLimitRule per_api_key,
                      RateLimitRule per_client_ip) {
  OtpPolicy policy;
  policy.per_phone = per_phone;
  policy.per_api_key = per_api_key;
  policy.per_client_ip = per_client_ip;
  return policy;
}

// One service over a real SQLite file; restart() reopens both on the same file.
struct Harness {
  explicit Harness(OtpPolicy p = {}) : policy(std::move(p)) { open(); }

  void open() {
    store.emplace(SqliteOptions{dir.file("t.db")});
    service.emplace(*store, clock, vault, policy);
    // The real sender loop, driven by hand, with the recording channel as its one provider.
    SmsSenderSettings settings;
    settings.planner.max_attempts = policy.max_delivery_attempts;
    sender.emplace(*store, *service, clock, RouteTable::parse("*=fake"),
                   std::map<std::string, std::unique_ptr<SmsProvider>, std::less<>>{},
                   std::map<std::string, TransferTimeouts, std::less<>>{},
                   std::map<std::string, DeliveryChannel*, std::less<>>{{"fake", &channel}},
                   settings, nullptr);
  }
  void restart() {
    sender.reset();
    service.reset();
    store.reset();
    open();
  }

  // Runs the sender over what is due and returns only the messages sent by this call.
  std::vector<OutgoingMessage> deliver() {
    const std::size_t before = channel.sent.size();
    sender->run_once(std::chrono::milliseconds(0));
    return std::vector<OutgoingMessage>(channel.sent.begin() + static_cast<std::ptrdiff_t>(before),
                                        channel.sent.end());
  }

  struct Issued {
    std::string id;
    std::string code;
    std::string text;
    UnixSeconds expires_at = 0;
  };
  // Requests an OTP that must succeed and reads its code from the delivered message.
  Issued issue(const OtpRequestInput& input = input_for(),
               const RequestContext& context = context_for()) {
    auto created = service->request(input, context);
    if (!created) FAIL("request failed: " << created.error().message);
    const auto messages = deliver();
    REQUIRE(messages.size() == 1);
    return {created->id, code_in(messages[0].text), messages[0].text, created->expires_at};
  }

  OtpView view(const std::string& id, std::int64_t key = kKey) {
    auto got = service->get(key, id);
    REQUIRE(got);
    return got.value();
  }

  testing::TempDir dir;
  ManualClock clock;
  CodeVault vault{ServerKey::generate()};
  OtpPolicy policy;
  RecordingChannel channel;  // before the sender, which points at it
  std::optional<SqliteStore> store;
  std::optional<OtpService> service;
  std::optional<SmsSender> sender;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// request: defaults and validation

TEST_CASE("request applies the defaults and normalises the phone", "[policy]") {
  Harness h;
  const UnixSeconds t0 = h.clock.now();
  auto created = h.service->request(input_for(), context_for());
  REQUIRE(created);
  CHECK(created->phone == kPhone);
  CHECK(created->expires_at == t0 + 5 * 60);
  CHECK_FALSE(created->replayed);
  CHECK(created->id.rfind("otp_", 0) == 0);
  CHECK(created->id.size() == 4 + 32);

  const OtpView view = h.view(created->id);
  CHECK(view.status == OtpStatus::Pending);
  CHECK(view.attempts_remaining == 3);
  CHECK(view.record.phone == kPhone);
  CHECK(view.record.pin_type == PinType::Numeric);
  CHECK(view.record.pin_length == 6);
  CHECK(view.record.max_attempts == 3);
  CHECK(view.record.failed_attempts == 0);
  CHECK(view.record.send_count == 1);
  CHECK(view.record.expiry_amount == 5);
  CHECK(view.record.expiry_unit == "minutes");
  CHECK(view.record.created_at == t0);
  CHECK(view.record.sender.empty());
  CHECK(view.record.metadata_json.empty());
  CHECK(event_types(view.events) == std::vector<std::string>{"requested"});

  const auto messages = h.deliver();
  REQUIRE(messages.size() == 1);
  const std::string code = code_in(messages[0].text);
  REQUIRE(code.size() == 6);
  CHECK(std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }));
  CHECK(messages[0].text == cat("Your code is ", code, ". Valid for 5 minutes."));
  CHECK(messages[0].phone == kPhone);
  CHECK(messages[0].otp_id == created->id);
  CHECK(messages[0].reason == "initial");
  CHECK(messages[0].sender.empty());
  CHECK(h.vault.open(created->id, view.record.code_ciphertext) == code);
}

TEST_CASE("request stores sender and metadata and renders templates", "[policy]") {
  Harness h;
  const UnixSeconds t0 = h.clock.now();
  // Issues `input`: it expires `seconds` from t0 and its SMS is `before`, the code, `after`.
  auto check_issued = [&](const OtpRequestInput& input, UnixSeconds seconds,
                          const std::string& before, const std::string& after) {
    const auto issued = h.issue(input);
    CHECK(issued.expires_at == t0 + seconds);
    CHECK(issued.text == cat(before, issued.code, after));
    return issued;
  };

  SECTION("{amount} 1 with hours renders the singular") {
    OtpRequestInput input = input_for();
    input.expiry_amount = 1;
    input.expiry_duration = "hours";
    input.sender = "MyBank";
    input.metadata_json = R"({"order":42})";
    const auto issued = check_issued(input, 3600, "Your code is ", ". Valid for 1 hour.");
    CHECK(h.channel.sent.back().sender == "MyBank");
    const OtpView view = h.view(issued.id);
    CHECK(view.record.sender == "MyBank");
    CHECK(view.record.metadata_json == R"({"order":42})");
    CHECK(view.record.expiry_amount == 1);
    CHECK(view.record.expiry_unit == "hours");
  }
  SECTION("hours without an amount means one hour") {
    OtpRequestInput input = input_for();
    input.expiry_duration = "hours";
    check_issued(input, 3600, "Your code is ", ". Valid for 1 hour.");
  }
  SECTION("a custom template with every placeholder") {
    OtpRequestInput input = input_for();
    input.message = "Hi, your code is {code}. It lasts {amount} {duration}!";
    input.expiry_amount = 2;
    input.expiry_duration = "hours";
    check_issued(input, 2 * 3600, "Hi, your code is ", ". It lasts 2 hours!");
  }
  SECTION("one minute is singular too") {
    OtpRequestInput input = input_for();
    input.expiry_amount = 1;
    check_issued(input, 60, "Your code is ", ". Valid for 1 minute.");
  }
  SECTION("a template without {code} is rejected") {
    OtpRequestInput input = input_for();
    input.message = "Hello {amount} {duration}";
    auto created = h.service->request(input, context_for());
    REQUIRE_FALSE(created);
    CHECK(created.error().code == ErrorCode::ValidationError);
    CHECK(created.error().fields.at("message") == "must contain {code}");
  }
  SECTION("a template with an unknown placeholder is rejected") {
    OtpRequestInput input = input_for();
    input.message = "code is {code} for {name}";
    auto created = h.service->request(input, context_for());
    REQUIRE_FALSE(created);
    CHECK(created.error().fields.at("message") == "unknown placeholder {name}");
  }
}

TEST_CASE("request validates pinType and pinLength per type", "[policy]") {
  struct Case {
    std::string type;
    int min;
    int max;
    int fallback;
    std::string_view alphabet;
  };
  const Case c = GENERATE(Case{"NUMERIC", 4, 8, 6, kNumericAlphabet},
                          Case{"ALPHANUMERIC", 6, 12, 8, kAlphanumericAlphabet},
                          Case{"ALPHABETIC", 5, 10, 6, kAlphabeticAlphabet});
  CAPTURE(c.type);
  Harness h;
  const std::string expected_message =
      cat("must be ", std::to_string(c.min), "-", std::to_string(c.max), " for ", c.type);

  SECTION("the fallback length") {
    OtpRequestInput input = input_for();
    input.pin_type = c.type;
    const auto issued = h.issue(input);
    CHECK(static_cast<int>(issued.code.size()) == c.fallback);
    CHECK(issued.code.find_first_not_of(c.alphabet) == std::string::npos);
  }
  SECTION("min and max are accepted") {
    for (const int length : {c.min, c.max}) {
      OtpRequestInput input = input_for(phone_number(length));
      input.pin_type = c.type;
      input.pin_length = length;
      const auto issued = h.issue(input);
      CHECK(static_cast<int>(issued.code.size()) == length);
      CHECK(issued.code.find_first_not_of(c.alphabet) == std::string::npos);
    }
  }
  SECTION("min-1 and max+1 are rejected with the exact message") {
    for (const int length : {c.min - 1, c.max + 1}) {
      OtpRequestInput input = input_for();
      input.pin_type = c.type;
      input.pin_length = length;
      auto created = h.service->request(input, context_for());
      REQUIRE_FALSE(created);
      CHECK(created.error().code == ErrorCode::ValidationError);
      CHECK(created.error().fields.size() == 1);
      CHECK(created.error().fields.at("pinLength") == expected_message);
    }
    CHECK(h.deliver().empty());
  }
}

TEST_CASE("request validation errors", "[policy]") {
  // Several sections create more than three OTPs for one phone; only validation is under test.
  Harness h(rate_policy({0, 3600}, {0, 60}, {0, 60}));
  auto rejected = [&](const OtpRequestInput& input) {
    auto created = h.service->request(input, context_for());
    REQUIRE_FALSE(created);
    return created.error();
  };
  // Refused with a validation error that names `field` with `problem`.
  auto invalid = [&](const OtpRequestInput& input, const std::string& field,
                     const std::string& problem) {
    const Error e = rejected(input);
    CHECK(e.code == ErrorCode::ValidationError);
    CHECK(e.fields.at(field) == problem);
  };
  auto accepted = [&](const OtpRequestInput& input) {
    auto created = h.service->request(input, context_for());
    if (!created) FAIL("rejected: " << created.error().message);
    // Free the phone for the next accepted request.
    REQUIRE(h.service->cancel(kKey, created->id));
  };

  SECTION("pinLength names NUMERIC exactly") {
    OtpRequestInput input = input_for();
    input.pin_length = 9;
    invalid(input, "pinLength", "must be 4-8 for NUMERIC");
  }
  SECTION("unknown pinType") {
    OtpRequestInput input = input_for();
    input.pin_type = "HEX";
    invalid(input, "pinType", "must be NUMERIC, ALPHANUMERIC or ALPHABETIC");
  }
  SECTION("invalid phone") {
    for (const char* phone : {"12345", "not-a-phone", "+2332412345678", "024123456"}) {
      CAPTURE(phone);
      const Error e = rejected(input_for(phone));
      CHECK(e.code == ErrorCode::InvalidPhone);
      CHECK(e.fields.empty());
    }
  }
  SECTION("missing phone is a validation error") {
    invalid(input_for(""), "phone", "is required");
  }
  SECTION("other forms of the same number normalise alike") {
    for (const char* phone : {"+233241234567", "233241234567", "00233241234567", "024 123 4567"}) {
      CAPTURE(phone);
      auto created = h.service->request(input_for(phone), context_for());
      if (!created) FAIL("rejected: " << created.error().message);
      CHECK(created->phone == kPhone);
      REQUIRE(h.service->cancel(kKey, created->id));
    }
  }
  SECTION("expiry bounds") {
    OtpRequestInput input = input_for();
    input.expiry_amount = 1440;
    accepted(input);
    input.expiry_duration = "hours";
    input.expiry_amount = 24;
    accepted(input);
    input.expiry_duration = "minutes";
    input.expiry_amount = 1;
    accepted(input);

    input.expiry_amount = 1441;
    Error e = rejected(input);
    CHECK(e.code == ErrorCode::ValidationError);
    CHECK(e.fields.at("expiry.amount") == "must give 1-1440 minutes in total");

    input.expiry_duration = "hours";
    input.expiry_amount = 25;
    e = rejected(input);
    CHECK(e.code == ErrorCode::ValidationError);
    CHECK(e.fields.at("expiry.amount") == "must give 1-1440 minutes in total");

    input.expiry_duration = "minutes";
    input.expiry_amount = 0;
    e = rejected(input);
    CHECK(e.fields.at("expiry.amount") == "must give 1-1440 minutes in total");

    input.expiry_amount = -5;
    e = rejected(input);
    CHECK(e.fields.at("expiry.amount") == "must give 1-1440 minutes in total");

    input.expiry_amount = 5;
    input.expiry_duration = "days";
    e = rejected(input);
    CHECK(e.fields.at("expiry.duration") == "must be \"minutes\" or \"hours\"");
  }
  SECTION("maxAttempts bounds") {
    OtpRequestInput input = input_for();
    input.max_attempts = 1;
    accepted(input);
    input.max_attempts = 10;
    accepted(input);
    for (const int bad : {0, -1, 11}) {
      input.max_attempts = bad;
      invalid(input, "maxAttempts", "must be 1-10");
    }
  }
  SECTION("metadata size limit") {
    OtpRequestInput input = input_for();
    std::string metadata = R"({"k":")";
    metadata.append(2048 - metadata.size() - 2, 'x');
    metadata.append("\"}");
    REQUIRE(metadata.size() == 2048);
    input.metadata_json = metadata;
    accepted(input);
    metadata.insert(7, "x");
    input.metadata_json = metadata;
    invalid(input, "metadata", "must be at most 2048 bytes as compact JSON");
  }
  SECTION("sender length and characters") {
    OtpRequestInput input = input_for();
    input.sender = "ABCDEFGHIJK";  // 11
    accepted(input);
    input.sender = "A";
    accepted(input);
    for (const char* bad : {"ABCDEFGHIJKL", "", "Tab\tBank", "Caf\xc3\xa9"}) {
      input.sender = bad;
      invalid(input, "from", "must be 1-11 printable ASCII characters");
    }
  }
  SECTION("several problems are reported together, before the phone") {
    OtpRequestInput input = input_for("12345");
    input.pin_length = 3;
    input.max_attempts = 0;
    input.sender = "";
    const Error e = rejected(input);
    CHECK(e.code == ErrorCode::ValidationError);
    CHECK(e.fields.size() == 3);
    CHECK(e.fields.count("pinLength") == 1);
    CHECK(e.fields.count("maxAttempts") == 1);
    CHECK(e.fields.count("from") == 1);
  }
}

// ---------------------------------------------------------------------------------------------
// verify

TEST_CASE("verify", "[policy]") {
  Harness h;
  const auto issued = h.issue();
  REQUIRE(issued.code.size() == 6);
  const std::string wrong = wrong_code(issued.code);

  SECTION("correct once, then single use") {
    auto verified = h.service->verify(kKey, issued.id, issued.code);
    REQUIRE(verified);
    CHECK(verified->id == issued.id);
    CHECK(h.view(issued.id).status == OtpStatus::Verified);
    auto again = h.service->verify(kKey, issued.id, issued.code);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == ErrorCode::OtpNotFound);
  }
  SECTION("spaces inside a numeric code are ignored") {
    const std::string spaced = cat(" ", issued.code.substr(0, 3), " ", issued.code.substr(3), " ");
    CHECK(h.service->verify(kKey, issued.id, spaced));
  }
  SECTION("wrong pins count down, then lock; the right pin cannot unlock") {
    auto first = h.service->verify(kKey, issued.id, wrong);
    REQUIRE_FALSE(first);
    CHECK(first.error().code == ErrorCode::InvalidPin);
    CHECK(first.error().attempts_remaining == 2);

    auto second = h.service->verify(kKey, issued.id, wrong);
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ErrorCode::InvalidPin);
    CHECK(second.error().attempts_remaining == 1);

    // Empty or only spaces is no pin: refused without spending the last attempt.
    for (const char* blank : {"", " ", "  \t "}) {
      auto refused = h.service->verify(kKey, issued.id, blank);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code == ErrorCode::ValidationError);
      CHECK(refused.error().fields.contains("pin"));
    }
    CHECK(h.view(issued.id).attempts_remaining == 1);

    // The wrong pin that uses the last attempt is still INVALID_PIN (Sendexa), with 0 left.
    auto third = h.service->verify(kKey, issued.id, wrong);
    REQUIRE_FALSE(third);
    CHECK(third.error().code == ErrorCode::InvalidPin);
    CHECK(third.error().attempts_remaining == 0);

    auto after = h.service->verify(kKey, issued.id, issued.code);
    REQUIRE_FALSE(after);
    CHECK(after.error().code == ErrorCode::OtpLocked);
    CHECK(after.error().attempts_remaining == 0);

    const OtpView view = h.view(issued.id);
    CHECK(view.status == OtpStatus::Locked);
    CHECK(view.record.status == OtpStatus::Locked);
    CHECK(view.attempts_remaining == 0);
    CHECK(view.record.failed_attempts == 3);
    CHECK(has_event(view.events, "locked"));
  }
  SECTION("expired: correct pin at expires_at is refused and the status becomes expired") {
    h.clock.set(issued.expires_at - 1);
    CHECK(h.view(issued.id).status == OtpStatus::Pending);
    h.clock.set(issued.expires_at);
    auto late = h.service->verify(kKey, issued.id, issued.code);
    REQUIRE_FALSE(late);
    CHECK(late.error().code == ErrorCode::OtpExpired);
    const OtpView view = h.view(issued.id);
    CHECK(view.status == OtpStatus::Expired);
    CHECK(view.record.status == OtpStatus::Expired);  // written back by verify
    CHECK(view.events.back().type == "expired");
    h.clock.advance(10);
    auto later = h.service->verify(kKey, issued.id, issued.code);
    REQUIRE_FALSE(later);
    CHECK(later.error().code == ErrorCode::OtpExpired);
  }
  SECTION("the last second before expiry still verifies") {
    h.clock.set(issued.expires_at - 1);
    CHECK(h.service->verify(kKey, issued.id, issued.code));
  }
  SECTION("unknown id") {
    for (const char* id : {"otp_00000000000000000000000000000000", "otp_nope", ""}) {
      auto result = h.service->verify(kKey, id, issued.code);
      REQUIRE_FALSE(result);
      CHECK(result.error().code == ErrorCode::OtpNotFound);
    }
  }
  SECTION("another API key cannot see or spend the OTP") {
    auto result = h.service->verify(kOtherKey, issued.id, issued.code);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::OtpNotFound);
    auto wrong_other = h.service->verify(kOtherKey, issued.id, wrong);
    REQUIRE_FALSE(wrong_other);
    CHECK(wrong_other.error().code == ErrorCode::OtpNotFound);
    auto seen = h.service->get(kOtherKey, issued.id);
    REQUIRE_FALSE(seen);
    CHECK(seen.error().code == ErrorCode::OtpNotFound);
    const OtpView view = h.view(issued.id);
    CHECK(view.status == OtpStatus::Pending);
    CHECK(view.attempts_remaining == 3);
    CHECK(h.service->verify(kKey, issued.id, issued.code));
  }
  SECTION("a cancelled OTP is not found") {
    REQUIRE(h.service->cancel(kKey, issued.id));
    auto result = h.service->verify(kKey, issued.id, issued.code);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::OtpNotFound);
  }
}

TEST_CASE("letter codes verify case-insensitively with spaces ignored", "[policy]") {
  Harness h;
  const std::string type = GENERATE(std::string("ALPHANUMERIC"), std::string("ALPHABETIC"));
  CAPTURE(type);
  OtpRequestInput input = input_for();
  input.pin_type = type;
  input.pin_length = 8;
  const auto issued = h.issue(input);
  REQUIRE(issued.code.size() == 8);
  const std::string typed =
      cat(" ", lower(issued.code.substr(0, 4)), " ", lower(issued.code.substr(4)), " ");
  auto verified = h.service->verify(kKey, issued.id, typed);
  if (!verified) FAIL("verify failed: " << verified.error().message);
}

// ---------------------------------------------------------------------------------------------
// resend

TEST_CASE("resend", "[policy]") {
  Harness h;
  const UnixSeconds t0 = h.clock.now();
  const auto issued = h.issue();

  SECTION("within the cooldown: RESEND_COOLDOWN with the remaining seconds") {
    h.clock.advance(20);
    auto early = h.service->resend(kKey, issued.id);
    REQUIRE_FALSE(early);
    CHECK(early.error().code == ErrorCode::ResendCooldown);
    CHECK(early.error().retry_after == 40);
    h.clock.advance(39);
    auto still = h.service->resend(kKey, issued.id);
    REQUIRE_FALSE(still);
    CHECK(still.error().retry_after == 1);
    CHECK(h.deliver().empty());
  }
  SECTION("after the cooldown: the same code again, same expiry") {
    h.clock.advance(60);
    auto resent = h.service->resend(kKey, issued.id);
    REQUIRE(resent);
    CHECK(resent->id == issued.id);
    CHECK(resent->send_count == 2);
    CHECK(resent->expires_at == issued.expires_at);
    CHECK(resent->expires_at == t0 + 300);
    CHECK(resent->next_resend_at == h.clock.now() + 60);
    const auto messages = h.deliver();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].reason == "resend");
    CHECK(code_in(messages[0].text) == issued.code);
    // The same code; the validity is what is left (4 of the 5 minutes).
    CHECK(messages[0].text == "Your code is " + issued.code + ". Valid for 4 minutes.");
    const OtpView view = h.view(issued.id);
    CHECK(view.record.send_count == 2);
    CHECK(view.record.expires_at == issued.expires_at);
    CHECK(view.record.last_sent_at == h.clock.now());
    CHECK(h.vault.open(issued.id, view.record.code_ciphertext) == issued.code);
    CHECK(h.service->verify(kKey, issued.id, code_in(messages[0].text)));
  }
  SECTION("resend does not reset the wrong-pin counter") {
    auto first = h.service->verify(kKey, issued.id, wrong_code(issued.code));
    REQUIRE_FALSE(first);
    CHECK(first.error().attempts_remaining == 2);
    h.clock.advance(60);
    REQUIRE(h.service->resend(kKey, issued.id));
    CHECK(h.view(issued.id).attempts_remaining == 2);
    auto second = h.service->verify(kKey, issued.id, wrong_code(issued.code));
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ErrorCode::InvalidPin);
    CHECK(second.error().attempts_remaining == 1);
  }
  SECTION("locked") {
    const std::string wrong = wrong_code(issued.code);
    for (int i = 0; i < 3; ++i) (void)h.service->verify(kKey, issued.id, wrong);
    h.clock.advance(60);
    auto resent = h.service->resend(kKey, issued.id);
    REQUIRE_FALSE(resent);
    CHECK(resent.error().code == ErrorCode::OtpLocked);
    CHECK(resent.error().attempts_remaining == 0);
  }
  SECTION("expired") {
    h.clock.set(issued.expires_at);
    auto resent = h.service->resend(kKey, issued.id);
    REQUIRE_FALSE(resent);
    CHECK(resent.error().code == ErrorCode::OtpExpired);
  }
  SECTION("verified or cancelled, unknown, or another key: not found") {
    REQUIRE(h.service->verify(kKey, issued.id, issued.code));
    h.clock.advance(60);
    for (const auto& [key, id] : std::vector<std::pair<std::int64_t, std::string>>{
             {kKey, issued.id}, {kKey, "otp_00000000000000000000000000000000"}}) {
      auto resent = h.service->resend(key, id);
      REQUIRE_FALSE(resent);
      CHECK(resent.error().code == ErrorCode::OtpNotFound);
    }
  }
  SECTION("another API key: not found") {
    h.clock.advance(60);
    auto resent = h.service->resend(kOtherKey, issued.id);
    REQUIRE_FALSE(resent);
    CHECK(resent.error().code == ErrorCode::OtpNotFound);
  }
}

TEST_CASE("resend stops at max_sends_per_otp", "[policy]") {
  OtpPolicy policy;
  policy.per_phone = {10, 3600};  // resends count against the per-phone limit (3 by default)
  Harness h(policy);
  OtpRequestInput input = input_for();
  input.expiry_amount = 30;
  const auto issued = h.issue(input);
  for (int send = 2; send <= 5; ++send) {
    h.clock.advance(60);
    auto resent = h.service->resend(kKey, issued.id);
    REQUIRE(resent);
    CHECK(resent->send_count == send);
    const auto messages = h.deliver();
    REQUIRE(messages.size() == 1);
    CHECK(code_in(messages[0].text) == issued.code);
  }
  h.clock.advance(60);
  auto limited = h.service->resend(kKey, issued.id);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code == ErrorCode::ResendLimitReached);
  CHECK(h.view(issued.id).record.send_count == 5);
  CHECK(h.deliver().empty());
  // The code itself still works.
  CHECK(h.service->verify(kKey, issued.id, issued.code));
}

// ---------------------------------------------------------------------------------------------
// ACTIVE_OTP_EXISTS

TEST_CASE("one active OTP per phone and API key", "[policy]") {
  Harness h;
  const auto first = h.issue();

  SECTION("a second request is refused with the first id and the seconds to expiry") {
    h.clock.advance(100);
    auto second = h.service->request(input_for("+233 24 123 4567"), context_for());
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ErrorCode::ActiveOtpExists);
    CHECK(second.error().otp_id == first.id);
    CHECK(second.error().retry_after == 200);
    CHECK(h.deliver().empty());
  }
  SECTION("another API key may request for the same phone") {
    auto other = h.service->request(input_for(), context_for(kOtherKey));
    REQUIRE(other);
    CHECK(other->id != first.id);
  }
  SECTION("after cancel") {
    REQUIRE(h.service->cancel(kKey, first.id));
    CHECK(h.service->request(input_for(), context_for()));
  }
  SECTION("after verify") {
    REQUIRE(h.service->verify(kKey, first.id, first.code));
    CHECK(h.service->request(input_for(), context_for()));
  }
  SECTION("after lock") {
    for (int i = 0; i < 3; ++i) (void)h.service->verify(kKey, first.id, wrong_code(first.code));
    CHECK(h.service->request(input_for(), context_for()));
  }
  SECTION("after expiry (at expires_at exactly), without a sweep") {
    h.clock.set(first.expires_at - 1);
    auto before = h.service->request(input_for(), context_for());
    REQUIRE_FALSE(before);
    CHECK(before.error().retry_after == 1);
    h.clock.set(first.expires_at);
    auto created = h.service->request(input_for(), context_for());
    REQUIRE(created);
    CHECK(created->id != first.id);
  }
}

// ---------------------------------------------------------------------------------------------
// cancel

TEST_CASE("cancel", "[policy]") {
  Harness h;
  const auto issued = h.issue();

  SECTION("pending -> cancelled, and again is harmless") {
    auto cancelled = h.service->cancel(kKey, issued.id);
    REQUIRE(cancelled);
    CHECK(cancelled->status == OtpStatus::Cancelled);
    CHECK(cancelled->record.status == OtpStatus::Cancelled);
    CHECK(has_event(cancelled->events, "cancelled"));
    CHECK(h.view(issued.id).status == OtpStatus::Cancelled);

    h.clock.advance(5);
    auto again = h.service->cancel(kKey, issued.id);
    REQUIRE(again);
    CHECK(again->status == OtpStatus::Cancelled);
    const auto types = event_types(again->events);
    CHECK(std::count(types.begin(), types.end(), "cancelled") == 1);
  }
  SECTION("verified -> OTP_NOT_PENDING with the status") {
    REQUIRE(h.service->verify(kKey, issued.id, issued.code));
    auto cancelled = h.service->cancel(kKey, issued.id);
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::OtpNotPending);
    CHECK(cancelled.error().status == std::string("verified"));
  }
  SECTION("expired -> OTP_NOT_PENDING expired") {
    h.clock.set(issued.expires_at);
    auto cancelled = h.service->cancel(kKey, issued.id);
    REQUIRE_FALSE(cancelled);
    CHECK(cancelled.error().code == ErrorCode::OtpNotPending);
    CHECK(cancelled.error().status == std::string("expired"));
  }
  SECTION("unknown id or another key -> OTP_NOT_FOUND") {
    auto unknown = h.service->cancel(kKey, "otp_00000000000000000000000000000000");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == ErrorCode::OtpNotFound);
    auto other = h.service->cancel(kOtherKey, issued.id);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == ErrorCode::OtpNotFound);
    CHECK(h.view(issued.id).status == OtpStatus::Pending);
  }
}

// ---------------------------------------------------------------------------------------------
// rate limits

TEST_CASE("per-phone rate limit", "[policy]") {
  Harness h(rate_policy({3, 3600}, {0, 60}, {0, 60}));
  for (int i = 0; i < 3; ++i) {
    auto created = h.service->request(input_for(), context_for());
    REQUIRE(created);
    REQUIRE(h.service->cancel(kKey, created->id));
    h.clock.advance(1);
  }
  auto fourth = h.service->request(input_for("+233241234567"), context_for(kKey, "10.0.0.9"));
  REQUIRE_FALSE(fourth);
  CHECK(fourth.error().code == ErrorCode::RateLimitExceeded);
  CHECK(fourth.error().retry_after == 3600 - 3);  // exact: the first send leaves the hour
  // The limit is per API key: another key may still send to the phone.
  CHECK(h.service->request(input_for("+233241234567"), context_for(kOtherKey, "10.0.0.9")));

  // Another phone is unaffected.
  CHECK(h.service->request(input_for(phone_number(0)), context_for()));

  h.clock.advance(2 * 3600);
  CHECK(h.service->request(input_for(), context_for()));
}

TEST_CASE("per-phone limit counts only created OTPs", "[policy]") {
  Harness h(rate_policy({3, 3600}, {0, 60}, {0, 60}));
  const auto first = h.issue();
  // Refused as ACTIVE_OTP_EXISTS many times: none of these create a code.
  for (int i = 0; i < 5; ++i) {
    auto refused = h.service->request(input_for(), context_for());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::ActiveOtpExists);
  }
  REQUIRE(h.service->cancel(kKey, first.id));
  auto second = h.service->request(input_for(), context_for());
  REQUIRE(second);
  REQUIRE(h.service->cancel(kKey, second->id));
  CHECK(h.service->request(input_for(), context_for()));
}

TEST_CASE("per-API-key rate limit", "[policy]") {
  Harness h(rate_policy({0, 3600}, {5, 60}, {0, 60}));
  for (int i = 0; i < 5; ++i)
    REQUIRE(h.service->request(input_for(phone_number(i)), context_for()));
  auto sixth = h.service->request(input_for(phone_number(5)), context_for());
  REQUIRE_FALSE(sixth);
  CHECK(sixth.error().code == ErrorCode::RateLimitExceeded);
  CHECK(sixth.error().retry_after > 0);
  // Another key has its own budget.
  CHECK(h.service->request(input_for(phone_number(6)), context_for(kOtherKey)));

  h.clock.advance(120);
  CHECK(h.service->request(input_for(phone_number(5)), context_for()));
}

TEST_CASE("per-client-IP rate limit", "[policy]") {
  Harness h(rate_policy({0, 3600}, {0, 60}, {4, 60}));
  for (int i = 0; i < 4; ++i) {
    REQUIRE(h.service->request(input_for(phone_number(i)), context_for(kKey, "203.0.113.5")));
  }
  auto fifth =
      h.service->request(input_for(phone_number(4)), context_for(kOtherKey, "203.0.113.5"));
  REQUIRE_FALSE(fifth);
  CHECK(fifth.error().code == ErrorCode::RateLimitExceeded);
  CHECK(fifth.error().retry_after > 0);
  CHECK(h.service->request(input_for(phone_number(4)), context_for(kKey, "203.0.113.6")));

  h.clock.advance(120);
  CHECK(h.service->request(input_for(phone_number(5)), context_for(kKey, "203.0.113.5")));
}

// The start of the hour after the harness clock's start, so the sends below sit at 0:40-0:59.
UnixSeconds next_hour(const ManualClock& clock) {
  return (clock.now() / 3600 + 1) * 3600;
}

OtpRequestInput replacing(std::string_view phone = kLocalPhone) {
  OtpRequestInput input = input_for(phone);
  input.replace_active = true;  // like Arkesel's generate: each request is a new send
  return input;
}

TEST_CASE("the per-phone limit is exact over a rolling hour, across the hour boundary",
          "[policy][limits]") {
  OtpPolicy policy = rate_policy({3, 3600}, {0, 60}, {0, 60});
  policy.per_phone_global = {0, 3600};
  Harness h(policy);
  const UnixSeconds hour = next_hour(h.clock);
  for (const int minute : {40, 50, 59}) {
    h.clock.set(hour + minute * 60);
    REQUIRE(h.service->request(replacing(), context_for()));
  }
  // 1:01: a new fixed window has started, and the two-window estimate (3 x 59/60 < 3) would let
  // a fourth SMS through, and more after it. Exactly, three were sent in the last hour.
  h.clock.set(hour + 61 * 60);
  auto fourth = h.service->request(replacing(), context_for());
  REQUIRE_FALSE(fourth);
  CHECK(fourth.error().code == ErrorCode::RateLimitExceeded);
  CHECK(fourth.error().message == "Too many requests (phone limit).");
  CHECK(fourth.error().retry_after == 39 * 60);  // until 1:40, an hour after the first send
  // One second before the first send leaves the window: still refused.
  h.clock.set(hour + 100 * 60 - 1);
  auto early = h.service->request(replacing(), context_for());
  REQUIRE_FALSE(early);
  CHECK(early.error().retry_after == 1);
  // 1:40: the 0:40 send is an hour old; one slot, and only one, is free.
  h.clock.set(hour + 100 * 60);
  REQUIRE(h.service->request(replacing(), context_for()));
  auto fifth = h.service->request(replacing(), context_for());
  REQUIRE_FALSE(fifth);
  CHECK(fifth.error().retry_after == 10 * 60);  // the 0:50 send leaves at 1:50
}

TEST_CASE("resends count against the per-phone limit", "[policy][limits]") {
  OtpPolicy policy = rate_policy({3, 3600}, {0, 60}, {0, 60});
  policy.resend_cooldown_seconds = 60;
  Harness h(policy);
  const auto issued = h.issue();
  for (int i = 0; i < 2; ++i) {
    h.clock.advance(60);
    REQUIRE(h.service->resend(kKey, issued.id));
  }
  h.clock.advance(60);
  auto third = h.service->resend(kKey, issued.id);
  REQUIRE_FALSE(third);
  CHECK(third.error().code == ErrorCode::RateLimitExceeded);
  CHECK(third.error().retry_after == 3600 - 3 * 60);
  CHECK(h.view(issued.id).record.send_count == 3);  // the refused resend sent nothing
}

TEST_CASE("the per-phone limit is per API key, under a global ceiling across keys",
          "[policy][limits]") {
  OtpPolicy policy = rate_policy({3, 3600}, {0, 60}, {0, 60});
  policy.per_phone_global = {5, 3600};
  Harness h(policy);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(h.service->request(replacing(), context_for(kKey)));
    h.clock.advance(10);
  }
  auto exhausted = h.service->request(replacing(), context_for(kKey));
  REQUIRE_FALSE(exhausted);
  CHECK(exhausted.error().code == ErrorCode::RateLimitExceeded);
  CHECK(exhausted.error().message == "Too many requests (phone limit).");

  // Key A's abuse does not block key B's codes to the same phone...
  REQUIRE(h.service->request(replacing(), context_for(kOtherKey)));
  h.clock.advance(10);
  REQUIRE(h.service->request(replacing(), context_for(kOtherKey)));
  // ... until the phone's sends under every key reach the global ceiling.
  auto ceiling = h.service->request(replacing(), context_for(kOtherKey));
  REQUIRE_FALSE(ceiling);
  CHECK(ceiling.error().code == ErrorCode::RateLimitExceeded);
  CHECK(ceiling.error().message == "Too many requests (phone_global limit).");
  CHECK(ceiling.error().retry_after == 3600 - 40);  // the first of the five left at t0+3600
  // Refusals are not sends: a third key is refused too, and nothing more was logged.
  auto third_key = h.service->request(replacing(), context_for(3));
  REQUIRE_FALSE(third_key);
  CHECK(third_key.error().message == "Too many requests (phone_global limit).");
  // Other phones are unaffected.
  CHECK(h.service->request(replacing(phone_number(1)), context_for(kOtherKey)));
}

TEST_CASE("the sweep deletes send-log and verify-throttle rows outside their windows",
          "[policy][limits]") {
  Harness h;
  h.issue();
  const auto issued = h.issue(input_for(phone_number(1)));
  REQUIRE_FALSE(h.service->verify(kKey, issued.id, wrong_code(issued.code)));
  SweepReport early = h.service->sweep();
  CHECK(early.purged_phone_sends == 0);
  CHECK(early.purged_verify_throttle == 0);
  h.clock.advance(3600);
  SweepReport late = h.service->sweep();
  CHECK(late.purged_phone_sends == 2);
  CHECK(late.purged_verify_throttle == 1);
}

TEST_CASE("verify attempts per phone are throttled, right or wrong", "[policy][limits]") {
  Harness h;  // the defaults: 5 attempts in 60 s, then a 300 s block
  OtpRequestInput input = input_for();
  input.max_attempts = 10;
  input.expiry_amount = 10;  // still valid when the block ends
  const auto issued = h.issue(input);
  for (int i = 0; i < 5; ++i) {
    CHECK(refusal(h.service->verify(kKey, issued.id, wrong_code(issued.code))).code ==
          ErrorCode::InvalidPin);
    h.clock.advance(5);
  }
  // The sixth within the minute is refused before the pin is checked: the right code too.
  const Error sixth = refusal(h.service->verify(kKey, issued.id, issued.code));
  CHECK(sixth.code == ErrorCode::VerifyAttemptsExceeded);
  CHECK(sixth.retry_after == 300);
  CHECK(h.view(issued.id).record.failed_attempts == 5);
  // The Arkesel-style verify of the same phone under the same key is blocked as well.
  CHECK(refusal(h.service->verify_latest(kKey, kLocalPhone, issued.code)).code ==
        ErrorCode::VerifyAttemptsExceeded);
  // Another key's verifies of that phone are its own.
  CHECK(refusal(h.service->verify_latest(kOtherKey, kLocalPhone, issued.code)).code ==
        ErrorCode::OtpNotFound);

  h.clock.advance(299);
  const Error still = refusal(h.service->verify(kKey, issued.id, issued.code));
  CHECK(still.code == ErrorCode::VerifyAttemptsExceeded);
  CHECK(still.retry_after == 1);
  h.clock.advance(1);
  CHECK(h.service->verify(kKey, issued.id, issued.code));
}

TEST_CASE("verify attempts are counted over a rolling window", "[policy][limits]") {
  OtpPolicy policy;
  policy.verify_throttle = {3, 60, 120};
  Harness h(policy);
  const UnixSeconds t0 = h.clock.now();
  for (int i = 0; i < 3; ++i) {
    h.clock.set(t0 + 20 * i);  // 0, 20, 40
    CHECK(h.service->verify_latest(kKey, kLocalPhone, "123456").error().code ==
          ErrorCode::OtpNotFound);
  }
  // At 60 the attempt at 0 has left the window (now - 60, now]: one more is allowed.
  h.clock.set(t0 + 60);
  CHECK(h.service->verify_latest(kKey, kLocalPhone, "123456").error().code ==
        ErrorCode::OtpNotFound);
  auto blocked = h.service->verify_latest(kKey, kLocalPhone, "123456");
  CHECK(blocked.error().code == ErrorCode::VerifyAttemptsExceeded);
  CHECK(blocked.error().retry_after == 120);
}

TEST_CASE("rate limits survive a restart on the same file", "[policy]") {
  SECTION("per phone") {
    Harness h(rate_policy({3, 3600}, {0, 60}, {0, 60}));
    for (int i = 0; i < 3; ++i) {
      auto created = h.service->request(input_for(), context_for());
      REQUIRE(created);
      REQUIRE(h.service->cancel(kKey, created->id));
    }
    h.restart();
    auto fourth = h.service->request(input_for(), context_for());
    REQUIRE_FALSE(fourth);
    CHECK(fourth.error().code == ErrorCode::RateLimitExceeded);
  }
  SECTION("per API key") {
    Harness h(rate_policy({0, 3600}, {5, 60}, {0, 60}));
    for (int i = 0; i < 5; ++i) {
      REQUIRE(h.service->request(input_for(phone_number(i)), context_for()));
    }
    h.restart();
    auto sixth = h.service->request(input_for(phone_number(5)), context_for());
    REQUIRE_FALSE(sixth);
    CHECK(sixth.error().code == ErrorCode::RateLimitExceeded);
  }
}

TEST_CASE("invalid requests count toward the API-key limit", "[policy]") {
  Harness h(rate_policy({0, 3600}, {5, 60}, {0, 60}));
  for (int i = 0; i < 3; ++i) {
    auto bad = h.service->request(input_for("12345"), context_for());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == ErrorCode::InvalidPhone);
  }
  REQUIRE(h.service->request(input_for(phone_number(0)), context_for()));
  REQUIRE(h.service->request(input_for(phone_number(1)), context_for()));
  auto limited = h.service->request(input_for(phone_number(2)), context_for());
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code == ErrorCode::RateLimitExceeded);
  // Once limited, even a bad request is answered with the limit, not the validation error.
  auto bad = h.service->request(input_for("12345"), context_for());
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::RateLimitExceeded);
}

TEST_CASE("an idempotent replay does not count toward the API-key limit", "[policy]") {
  Harness h(rate_policy({0, 3600}, {5, 60}, {0, 60}));
  auto first = h.service->request(input_for(phone_number(0)), idempotent("k-1", "fp-1"));
  REQUIRE(first);
  for (int i = 0; i < 6; ++i) {
    auto replay = h.service->request(input_for(phone_number(0)), idempotent("k-1", "fp-1"));
    REQUIRE(replay);
    CHECK(replay->replayed);
    CHECK(replay->id == first->id);
  }
  for (int i = 1; i < 5; ++i) {
    REQUIRE(h.service->request(input_for(phone_number(i)), context_for()));
  }
  auto limited = h.service->request(input_for(phone_number(5)), context_for());
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code == ErrorCode::RateLimitExceeded);
}

// ---------------------------------------------------------------------------------------------
// idempotency

TEST_CASE("idempotency keys", "[policy]") {
  Harness h;

  SECTION("same key and body: same OTP, replayed, one delivery") {
    auto first = h.service->request(input_for(), idempotent("abc", "fp"));
    REQUIRE(first);
    CHECK_FALSE(first->replayed);
    h.clock.advance(3);
    auto second = h.service->request(input_for(), idempotent("abc", "fp"));
    REQUIRE(second);
    CHECK(second->replayed);
    CHECK(second->id == first->id);
    CHECK(second->expires_at == first->expires_at);
    CHECK(second->phone == first->phone);
    const auto messages = h.deliver();
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].otp_id == first->id);
  }
  SECTION("same key, different body: IDEMPOTENCY_KEY_REUSED") {
    REQUIRE(h.service->request(input_for(), idempotent("abc", "fp")));
    auto reused = h.service->request(input_for(phone_number(1)), idempotent("abc", "fp-other"));
    REQUIRE_FALSE(reused);
    CHECK(reused.error().code == ErrorCode::IdempotencyKeyReused);
  }
  SECTION("a replay answers even after the OTP was verified") {
    const auto first = h.issue(input_for(), idempotent("abc", "fp"));
    REQUIRE(h.service->verify(kKey, first.id, first.code));
    auto replay = h.service->request(input_for(), idempotent("abc", "fp"));
    REQUIRE(replay);
    CHECK(replay->replayed);
    CHECK(replay->id == first.id);
    CHECK(h.deliver().empty());
  }
  SECTION("API keys do not share idempotency keys") {
    auto mine = h.service->request(input_for(), idempotent("abc", "fp", kKey));
    REQUIRE(mine);
    auto theirs = h.service->request(input_for(), idempotent("abc", "fp-2", kOtherKey));
    REQUIRE(theirs);
    CHECK_FALSE(theirs->replayed);
    CHECK(theirs->id != mine->id);
    CHECK(h.deliver().size() == 2);
  }
}

TEST_CASE("after the idempotency TTL a still-active OTP blocks the reused key", "[policy]") {
  OtpPolicy policy;
  policy.idempotency_ttl_seconds = 60;
  Harness h(policy);
  auto first = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE(first);
  h.clock.advance(59);
  auto replay = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE(replay);
  CHECK(replay->replayed);
  h.clock.advance(1);  // created_at + ttl == now: forgotten
  auto after = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE_FALSE(after);
  CHECK(after.error().code == ErrorCode::ActiveOtpExists);
  CHECK(after.error().otp_id == first->id);
}

TEST_CASE("after the idempotency TTL and a sweep the key creates a new OTP", "[policy]") {
  Harness h;
  auto first = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE(first);
  h.clock.advance(24 * 3600 + 1);
  h.service->sweep();
  auto second = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE(second);
  CHECK_FALSE(second->replayed);
  CHECK(second->id != first->id);
}

// Bug: the expired idempotency row is ignored but not replaced, so save_idempotency hits the
// (api_key_id, key) primary key and the request throws instead of creating the new OTP.
TEST_CASE("after the idempotency TTL the key creates a new OTP even before a sweep", "[policy]") {
  Harness h;
  auto first = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE(first);
  h.clock.advance(24 * 3600 + 1);
  std::optional<Result<OtpCreated>> second;
  REQUIRE_NOTHROW(second.emplace(h.service->request(input_for(), idempotent("abc", "fp"))));
  REQUIRE(*second);
  CHECK_FALSE((*second)->replayed);
  CHECK((*second)->id != first->id);
  // And the key now answers with the new OTP.
  auto replay = h.service->request(input_for(), idempotent("abc", "fp"));
  REQUIRE(replay);
  CHECK(replay->replayed);
  CHECK(replay->id == (*second)->id);
}

// ---------------------------------------------------------------------------------------------
// events, sweep, dispatch

TEST_CASE("events record the life of an OTP without the code", "[policy]") {
  Harness h;
  const auto issued = h.issue();
  h.clock.advance(1);
  REQUIRE_FALSE(h.service->verify(kKey, issued.id, wrong_code(issued.code)));
  h.clock.advance(1);
  REQUIRE(h.service->verify(kKey, issued.id, issued.code));
  const OtpView view = h.view(issued.id);
  CHECK(event_types(view.events) ==
        std::vector<std::string>{"requested", "sent", "verify_failed", "verified"});
  for (std::size_t i = 1; i < view.events.size(); ++i) {
    CHECK(view.events[i - 1].at <= view.events[i].at);
  }
  CHECK(view.events[1].detail == "fake:initial id=fake-1");
  for (const OtpEvent& e : view.events) {
    CHECK(e.detail.find(issued.code) == std::string::npos);
  }
}

TEST_CASE("sweep expires due OTPs and purges old ones", "[policy]") {
  Harness h;
  const auto issued = h.issue();
  const auto fresh = h.issue(input_for(phone_number(1)));
  (void)fresh;
  h.clock.set(issued.expires_at);
  const SweepReport first = h.service->sweep();
  CHECK(first.expired == 2);
  CHECK(first.purged_otps == 0);
  const OtpView view = h.view(issued.id);
  CHECK(view.status == OtpStatus::Expired);
  CHECK(view.record.status == OtpStatus::Expired);
  CHECK(view.events.back().type == "expired");
  CHECK(h.service->sweep().expired == 0);  // not twice

  h.clock.advance(30LL * 24 * 3600);
  const SweepReport second = h.service->sweep();
  CHECK(second.purged_otps == 2);
  auto gone = h.service->get(kKey, issued.id);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == ErrorCode::OtpNotFound);
}

TEST_CASE("sweep keeps OTPs younger than the retention", "[policy]") {
  Harness h;
  const auto issued = h.issue();
  h.clock.advance(30LL * 24 * 3600 - 1);
  CHECK(h.service->sweep().purged_otps == 0);
  CHECK(h.service->get(kKey, issued.id));
  h.clock.advance(2);
  CHECK(h.service->sweep().purged_otps == 1);
  CHECK_FALSE(h.service->get(kKey, issued.id));
}

TEST_CASE("the sender retries a transient failure later, not at once", "[policy]") {
  Harness h;
  h.channel.fail = true;
  auto created = h.service->request(input_for(), context_for());
  REQUIRE(created);

  CHECK(h.deliver().empty());
  CHECK(h.channel.attempts == 1);
  OtpView view = h.view(created->id);
  REQUIRE(view.deliveries.size() == 1);
  CHECK(view.deliveries[0].provider == "fake");
  CHECK(view.deliveries[0].outcome == "transient");
  CHECK(view.deliveries[0].error == "gateway down");

  // One provider: the retry waits for the backoff (at least retry-base-seconds, 1 s).
  h.deliver();
  CHECK(h.channel.attempts == 1);

  h.channel.fail = false;
  h.clock.advance(PlannerSettings{}.retry_base_seconds * 2);  // the first delay is 1-2 s
  REQUIRE(h.deliver().size() == 1);
  CHECK(h.channel.attempts == 2);
  CHECK(h.channel.sent[0].reason == "initial");
  view = h.view(created->id);
  CHECK(event_types(view.events) == std::vector<std::string>{"requested", "sent"});
  REQUIRE(view.deliveries.size() == 2);
  CHECK(view.deliveries[1].reason == "retry");
  CHECK(view.deliveries[1].outcome == "accepted");
  CHECK(h.deliver().empty());  // settled: the dev channel needs no receipt
}

TEST_CASE("the sender backs off and gives up after max_delivery_attempts", "[policy]") {
  Harness h;
  h.channel.fail = true;
  OtpRequestInput input = input_for();
  input.expiry_amount = 1440;
  auto created = h.service->request(input, context_for());
  REQUIRE(created);
  for (int i = 0; i < 20 && h.channel.attempts < 5; ++i) {
    h.deliver();
    h.clock.advance(PlannerSettings{}.retry_max_seconds);
  }
  CHECK(h.channel.attempts == 5);
  h.deliver();  // plans the sixth: the delivery fails instead
  h.clock.advance(600);
  h.deliver();
  CHECK(h.channel.attempts == 5);
  const OtpView view = h.view(created->id);
  CHECK(view.events.back().type == "delivery_failed");
  CHECK(view.events.back().detail == "gave up after 5 attempts");
}

TEST_CASE("a cancelled OTP's queued delivery is dropped, not sent", "[policy]") {
  Harness h;
  auto created = h.service->request(input_for(), context_for());
  REQUIRE(created);
  REQUIRE(h.service->cancel(kKey, created->id));
  CHECK(h.deliver().empty());
  CHECK(h.channel.attempts == 0);
  std::size_t queued = 1;
  h.store->read(
      [&](OtpStoreTransaction& tx) { queued = tx.due_deliveries(h.clock.now(), 10).size(); });
  CHECK(queued == 0);  // removed from the outbox
  CHECK_FALSE(has_event(h.view(created->id).events, "sent"));
}

TEST_CASE("the database never holds the code or the rendered message", "[policy]") {
  Harness h;
  OtpRequestInput input = input_for();
  input.pin_type = "ALPHANUMERIC";
  input.pin_length = 12;
  input.message = "Bank: your code is {code}. Valid for {amount} {duration}.";
  const auto issued = h.issue(input);
  REQUIRE(issued.code.size() == 12);
  h.clock.advance(60);
  REQUIRE(h.service->resend(kKey, issued.id));
  REQUIRE(h.deliver().size() == 1);
  REQUIRE_FALSE(h.service->verify(kKey, issued.id, wrong_code(issued.code, PinType::Alphanumeric)));

  const auto db = h.dir.file("t.db");
  const auto wal = h.dir.file("t.db-wal");
  auto check_files = [&] {
    std::string bytes = file_bytes(db);
    REQUIRE_FALSE(bytes.empty());
    if (std::filesystem::exists(wal)) bytes += file_bytes(wal);
    // Sanity: the search works (the template and the id are stored).
    CHECK(bytes.find(issued.id) != std::string::npos);
    CHECK(bytes.find("Bank: your code is {code}.") != std::string::npos);
    CHECK(bytes.find(issued.code) == std::string::npos);
    CHECK(bytes.find(lower(issued.code)) == std::string::npos);
    CHECK(bytes.find(issued.text) == std::string::npos);
  };
  check_files();
  h.service.reset();
  h.store.reset();  // closing checkpoints the WAL into the main file
  check_files();
}

TEST_CASE("verify does the same hashing work for unknown ids as for known ones",
          "[policy][security]") {
  Harness h;
  const auto issued = h.issue();
  const std::string wrong = wrong_code(issued.code);

  auto before = h.vault.comparisons();
  CHECK(h.service->verify(kKey, issued.id, wrong).error().code == ErrorCode::InvalidPin);
  const auto known_id_work = h.vault.comparisons() - before;

  before = h.vault.comparisons();
  CHECK(h.service->verify(kKey, "otp_ffffffffffffffffffffffffffffffff", wrong).error().code ==
        ErrorCode::OtpNotFound);
  const auto unknown_id_work = h.vault.comparisons() - before;

  before = h.vault.comparisons();
  CHECK(h.service->verify(kKey + 1, issued.id, wrong).error().code == ErrorCode::OtpNotFound);
  const auto other_key_work = h.vault.comparisons() - before;

  CHECK(known_id_work == 1);
  CHECK(unknown_id_work == known_id_work);
  CHECK(other_key_work == known_id_work);
}

// ---------------------------------------------------------------------------------------------
// send budgets, sender block list, allowed prefixes, replacing, verify by phone

TEST_CASE("budgets are charged per gateway attempt, failed ones included", "[policy][budget]") {
  Harness h;
  update_send_budget(*h.store, kKey, {std::nullopt, SendLimit{3}}, h.clock.now());
  h.channel.fail = true;
  REQUIRE(h.service->request(input_for(), context_for()));
  h.deliver();
  CHECK(read_send_budget(*h.store, kKey)->balance == 2);
  h.clock.advance(5);  // the retry is due
  h.deliver();
  CHECK(h.channel.attempts == 2);
  CHECK(read_send_budget(*h.store, kKey)->balance == 1);
  CHECK(read_send_budget(*h.store, kKey)->sent_total == 2);
  // Another key's budget is untouched, and a key without one is never charged.
  CHECK_FALSE(read_send_budget(*h.store, kOtherKey));
}

TEST_CASE("queued sends are reserved against the budget", "[policy][budget]") {
  OtpPolicy reserving;
  reserving.reserve_queued_sends = true;  // as when a delivery channel drains the queue
  Harness h(reserving);
  update_send_budget(*h.store, kKey, {std::nullopt, SendLimit{1}}, h.clock.now());
  REQUIRE(h.service->request(input_for(phone_number(1)), context_for()));
  // Nothing is charged yet, but the one send the budget allows is taken.
  CHECK(h.service->request(input_for(phone_number(2)), context_for()).error().code ==
        ErrorCode::BudgetExhausted);
}

TEST_CASE("a budget lowered under what is queued drops the extra sends with an event",
          "[policy][budget]") {
  Harness h;
  update_send_budget(*h.store, kKey, {std::nullopt, SendLimit{2}}, h.clock.now());
  auto first = h.service->request(input_for(phone_number(1)), context_for());
  auto second = h.service->request(input_for(phone_number(2)), context_for());
  REQUIRE(first);
  REQUIRE(second);
  update_send_budget(*h.store, kKey, {std::nullopt, SendLimit{1}}, h.clock.now());
  CHECK(h.deliver().size() == 1);
  CHECK(h.channel.attempts == 1);
  const std::string dropped = h.channel.sent[0].otp_id == first->id ? second->id : first->id;
  const auto events = h.view(dropped).events;
  REQUIRE(has_event(events, event::kDeliveryFailed));
  CHECK(events.back().detail == "send budget used up");
  CHECK(h.service->request(input_for(phone_number(3)), context_for()).error().code ==
        ErrorCode::BudgetExhausted);
}

TEST_CASE("a refused budget leaves the active OTP alone", "[policy][budget]") {
  Harness h;
  const auto issued = h.issue();
  update_send_budget(*h.store, kKey, {SendLimit{0}, std::nullopt}, h.clock.now());
  OtpRequestInput again = input_for();
  again.replace_active = true;
  CHECK(h.service->request(again, context_for()).error().code == ErrorCode::BudgetDisabled);
  CHECK(h.view(issued.id).status == OtpStatus::Pending);
  h.clock.advance(61);  // past the resend cooldown, which is checked first
  CHECK(h.service->resend(kKey, issued.id).error().code == ErrorCode::BudgetDisabled);
}

TEST_CASE("blocked senders and phone prefixes are policy", "[policy]") {
  OtpPolicy policy;
  policy.blocked_senders = {"Bank"};
  CHECK(policy.sender_blocked("BANK"));
  CHECK_FALSE(policy.sender_blocked("Banks"));
  CHECK(policy.phone_allowed("233241234567"));  // nullopt: the default country only
  CHECK_FALSE(policy.phone_allowed("447911123456"));
  policy.allowed_phone_prefixes = std::vector<std::string>{};
  CHECK(policy.phone_allowed("447911123456"));  // empty: anywhere
  policy.allowed_phone_prefixes = std::vector<std::string>{"23320", "44"};
  CHECK(policy.phone_allowed("447911123456"));
  CHECK_FALSE(policy.phone_allowed("233241234567"));

  Harness h(policy);
  OtpRequestInput blocked = input_for("0201234567");
  blocked.sender = "bank";
  CHECK(h.service->request(blocked, context_for()).error().code == ErrorCode::SenderBlocked);
  CHECK(h.service->request(input_for(), context_for()).error().code ==
        ErrorCode::CountryNotAllowed);
  // Field problems come first, then the sender, then the phone.
  blocked.pin_length = 99;
  CHECK(h.service->request(blocked, context_for()).error().code == ErrorCode::ValidationError);
}

TEST_CASE("replace_active cancels the active OTP and issues a new one", "[policy]") {
  Harness h;
  const auto first = h.issue();
  OtpRequestInput again = input_for();
  again.replace_active = true;
  const auto second = h.issue(again);
  CHECK(second.id != first.id);
  CHECK(h.view(first.id).status == OtpStatus::Cancelled);
  CHECK(h.view(first.id).events.back().detail == "replaced");
  CHECK(h.service->verify(kKey, first.id, first.code).error().code == ErrorCode::OtpNotFound);
  CHECK(h.service->request(input_for(), context_for()).error().code ==
        ErrorCode::ActiveOtpExists);  // without the flag the core rule holds
}

TEST_CASE("verify_latest checks the newest OTP for the phone under the key", "[policy]") {
  Harness h;
  CHECK(h.service->verify_latest(kKey, "02x", "123456").error().code == ErrorCode::InvalidPhone);
  CHECK(h.service->verify_latest(kKey, kLocalPhone, "123456").error().code ==
        ErrorCode::OtpNotFound);
  const auto issued = h.issue();
  CHECK(h.service->verify_latest(kOtherKey, kLocalPhone, issued.code).error().code ==
        ErrorCode::OtpNotFound);
  const Error wrong =
      h.service->verify_latest(kKey, "+233 24 123 4567", wrong_code(issued.code)).error();
  CHECK(wrong.code == ErrorCode::InvalidPin);
  CHECK(wrong.attempts_remaining == 2);
  REQUIRE(h.service->verify_latest(kKey, kPhone, issued.code));
  const Error used = h.service->verify_latest(kKey, kPhone, issued.code).error();
  CHECK(used.code == ErrorCode::OtpNotPending);
  CHECK(used.status == "verified");

  h.clock.advance(10);
  const auto next = h.issue();
  h.clock.advance(5 * 60);
  CHECK(h.service->verify_latest(kKey, kPhone, next.code).error().code == ErrorCode::OtpExpired);
}

TEST_CASE("verify_latest locks like verify and stays locked", "[policy]") {
  Harness h;
  const auto issued = h.issue();
  for (int i = 0; i < 2; ++i) {
    CHECK(h.service->verify_latest(kKey, kPhone, wrong_code(issued.code)).error().code ==
          ErrorCode::InvalidPin);
  }
  CHECK(h.service->verify_latest(kKey, kPhone, wrong_code(issued.code)).error().code ==
        ErrorCode::InvalidPin);  // the last attempt: still a wrong pin, and now locked
  CHECK(h.service->verify_latest(kKey, kPhone, issued.code).error().code == ErrorCode::OtpLocked);
  CHECK(h.view(issued.id).status == OtpStatus::Locked);
}

TEST_CASE("verify_latest puts back the leading zeros an integer code lost (issue 13 bug 1)",
          "[policy]") {
  OtpPolicy policy = rate_policy({0, 3600}, {0, 60}, {0, 60});
  policy.per_phone_global = {0, 3600};  // up to 300 codes for one phone
  Harness h(policy);
  OtpRequestInput input = input_for();
  input.replace_active = true;  // as Arkesel's generate: each issue replaces the last
  Harness::Issued issued;
  for (int i = 0; i < 300 && (issued.code.empty() || issued.code[0] != '0'); ++i) {
    issued = h.issue(input);
  }
  REQUIRE(issued.code[0] == '0');
  const std::string stripped = issued.code.substr(issued.code.find_first_not_of('0'));
  // Typed as a string, the short code is taken as typed: wrong, and it counts.
  CHECK(h.service->verify_latest(kKey, kPhone, stripped).error().code == ErrorCode::InvalidPin);
  CHECK(h.view(issued.id).attempts_remaining == 2);
  // Sent as a number, it is padded to the OTP's length.
  CHECK(h.service->verify_latest(kKey, kPhone, stripped, true));
  CHECK(h.view(issued.id).status == OtpStatus::Verified);
}

TEST_CASE("resend with an Idempotency-Key answers a retry from the first send (issue 13 bug 6)",
          "[policy]") {
  Harness h(rate_policy({0, 3600}, {0, 60}, {0, 60}));  // four sends to one phone below
  const auto issued = h.issue();
  h.clock.advance(61);
  const RequestContext keyed = idempotent("resend-1", "fp-a");
  auto first = h.service->resend(kKey, issued.id, keyed);
  REQUIRE(first);
  CHECK(first->send_count == 2);
  CHECK_FALSE(first->replayed);
  CHECK(h.deliver().size() == 1);

  h.clock.advance(61);  // past the cooldown: only the key stops a second send
  auto retried = h.service->resend(kKey, issued.id, keyed);
  REQUIRE(retried);
  CHECK(retried->replayed);
  CHECK(retried->send_count == 2);
  CHECK(retried->expires_at == first->expires_at);
  CHECK(retried->next_resend_at == first->next_resend_at);
  CHECK(h.deliver().empty());

  auto other_body = h.service->resend(kKey, issued.id, idempotent("resend-1", "fp-b"));
  REQUIRE_FALSE(other_body);
  CHECK(other_body.error().code == ErrorCode::IdempotencyKeyReused);
  // Another key's namespace is its own: the same Idempotency-Key there sees nothing.
  CHECK(h.service->resend(kOtherKey, issued.id, idempotent("resend-1", "fp-a", kOtherKey))
            .error()
            .code == ErrorCode::OtpNotFound);
  // Without a key nothing is deduplicated.
  REQUIRE(h.service->resend(kKey, issued.id));
  CHECK(h.deliver().size() == 1);
  // A failed resend is not remembered: a retry after the cooldown is evaluated afresh.
  const RequestContext early = idempotent("resend-2", "fp-a");
  CHECK(h.service->resend(kKey, issued.id, early).error().code == ErrorCode::ResendCooldown);
  h.clock.advance(61);
  auto later = h.service->resend(kKey, issued.id, early);
  REQUIRE(later);
  CHECK_FALSE(later->replayed);
  CHECK(later->send_count == 4);
}

}  // namespace ussd_otp
