// The dev inbox's per-phone rules: drop, delay on the given clock, normal; and what it lists.
#include <catch2/catch.hpp>

#include <thread>

#include "delivery/dev_inbox.hpp"

using namespace ussd_otp;

namespace {

OutgoingMessage message_to(const std::string& phone, UnixSeconds at, const std::string& id) {
  return OutgoingMessage{id, phone, "MyApp", "Your code is 123456.", "initial", at};
}

}  // namespace

TEST_CASE("dev inbox: without a rule a message is there at once, newest first", "[delivery]") {
  DevInbox inbox;
  CHECK(inbox.deliver(message_to("233241234567", 100, "otp_a")).message_id == "dev-1");
  CHECK(inbox.deliver(message_to("233241234567", 101, "otp_b")).message_id == "dev-2");
  inbox.deliver(message_to("233201112222", 101, "otp_c"));
  const auto found = inbox.messages_for("233241234567", 101);
  REQUIRE(found.size() == 2);
  CHECK(found[0].otp_id == "otp_b");
  CHECK(found[0].message_id == "dev-2");
  CHECK(found[0].visible_at == 101);
  CHECK(found[1].otp_id == "otp_a");
}

TEST_CASE("dev inbox: drop is accepted and counted but never shown", "[delivery]") {
  DevInbox inbox;
  inbox.set_rule("233241234567", DeliveryMode::Drop);
  const SendResult sent = inbox.deliver(message_to("233241234567", 100, "otp_a"));
  CHECK(sent.outcome == SendOutcome::Accepted);
  CHECK_FALSE(sent.message_id.empty());
  CHECK(inbox.messages_for("233241234567", 1'000'000).empty());
  const auto rules = inbox.rules();
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].mode == DeliveryMode::Drop);
  CHECK(rules[0].dropped == 1);
  // Another phone is not affected; switching to delay keeps the count.
  inbox.deliver(message_to("233201112222", 100, "otp_b"));
  CHECK(inbox.messages_for("233201112222", 100).size() == 1);
  inbox.set_rule("233241234567", DeliveryMode::Delay, 30);
  CHECK(inbox.rules()[0].dropped == 1);
  CHECK(inbox.rules()[0].delay_seconds == 30);
}

TEST_CASE("dev inbox: delay shows a message delaySeconds after it was sent", "[delivery]") {
  DevInbox inbox;
  inbox.set_rule("233241234567", DeliveryMode::Delay, 60);
  inbox.deliver(message_to("233241234567", 100, "otp_late"));
  CHECK(inbox.messages_for("233241234567", 159).empty());
  const auto found = inbox.messages_for("233241234567", 160);
  REQUIRE(found.size() == 1);
  CHECK(found[0].at == 100);
  CHECK(found[0].visible_at == 160);
  // normal removes the rule; a message sent after it is there at once, and lands after the
  // delayed one only when the delayed one is still on its way.
  inbox.set_rule("233241234567", DeliveryMode::Normal);
  CHECK(inbox.rules().empty());
  inbox.deliver(message_to("233241234567", 120, "otp_now"));
  CHECK(inbox.messages_for("233241234567", 120).size() == 1);
  const auto both = inbox.messages_for("233241234567", 160);
  REQUIRE(both.size() == 2);
  CHECK(both[0].otp_id == "otp_late");  // newest as the phone saw them
}

TEST_CASE("dev inbox: mode names round-trip", "[delivery]") {
  for (DeliveryMode mode : {DeliveryMode::Normal, DeliveryMode::Drop, DeliveryMode::Delay}) {
    CHECK(delivery_mode_from_string(to_string(mode)) == mode);
  }
  CHECK_FALSE(delivery_mode_from_string("Drop"));
}

TEST_CASE("dev inbox: rules and deliveries from several threads", "[delivery]") {
  DevInbox inbox(100'000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&inbox, t] {
      for (int i = 0; i < 500; ++i) {
        inbox.set_rule("23324123456" + std::to_string(t),
                       i % 2 ? DeliveryMode::Drop : DeliveryMode::Normal);
        inbox.deliver(message_to("23324123456" + std::to_string(t), 100, "otp"));
        (void)inbox.messages_for("23324123456" + std::to_string(t), 100);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(inbox.rules().size() == 4);
  std::uint64_t shown = 0;
  for (int t = 0; t < 4; ++t)
    shown += inbox.messages_for("23324123456" + std::to_string(t), 100).size();
  CHECK(shown == 1000);  // every message sent while its phone had no rule
}
