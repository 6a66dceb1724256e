// The simulator's phone screen: wrapping, the GSM-7/UCS-2 count and the frame.
#include <catch2/catch.hpp>

#include <set>

#include "simulator/load.hpp"
#include "simulator/phone_screen.hpp"
#include "simulator/sms_poller.hpp"
#include "simulator/terminal_text.hpp"

using namespace ussd_otp::sim;

TEST_CASE("sim screen: text wraps at spaces inside the width", "[sim]") {
  CHECK(wrap_screen("Enter the phone number your code was sent to:", 24) ==
        std::vector<std::string>{"Enter the phone number", "your code was sent to:"});
  CHECK(wrap_screen("1. Yes\n2. No", 24) == std::vector<std::string>{"1. Yes", "2. No"});
  CHECK(wrap_screen("abcdefghij", 4) == std::vector<std::string>{"abcd", "efgh", "ij"});
  CHECK(wrap_screen("", 10) == std::vector<std::string>{""});
  // Characters, not bytes: four two-byte letters fit a width of four.
  CHECK(wrap_screen("éééé é", 4) == std::vector<std::string>{"éééé", "é"});
}

TEST_CASE("sim screen: the count says GSM-7 or which character forces UCS-2", "[sim]") {
  CHECK(describe_cost("Your code is 482910.", 160) == "20/160 GSM-7");
  CHECK(describe_cost("Code: 1€", 160) == "9/160 GSM-7");  // € costs two septets
  CHECK(describe_cost("Hello ✓", 160) == "7/80 UCS-2 (forced by '✓')");
  CHECK(describe_cost(std::string(121, 'x'), 120).find("TOO LONG") != std::string::npos);
  CHECK(describe_cost(std::string(120, 'x'), 120) == "120/120 GSM-7");
}

TEST_CASE("sim screen: a framed box of fixed width with the state and times", "[sim]") {
  PhoneView view;
  view.text = "Your ACME code is 482910. It expires in 5 min.";
  view.state = SessionState::Ended;
  view.step_seconds = 0.0123;
  view.session_seconds = 2.5;
  const std::string screen = render_phone(view, 24);
  CHECK(screen.find("+------------------------+\n|Your ACME code is       |\n") == 0);
  CHECK(screen.find("|482910. It expires in 5 |") != std::string::npos);
  CHECK(screen.find(" 46/160 GSM-7\n") != std::string::npos);
  CHECK(screen.find(" ended | step 0.012 s | session 2.5 s\n") != std::string::npos);
  view.state = SessionState::Failed;
  CHECK(render_phone(view, 24).find("aggregator failure") != std::string::npos);
}

TEST_CASE("sim screen: what the server sends cannot steer the terminal or flood it", "[sim]") {
  CHECK(printable("a\tb\rc\x1b[2Jd", 100) == "a\\tb\\rc\\x1b[2Jd");
  CHECK(printable("line\nnext", 100) == "line\nnext");
  CHECK(printable("caf\xe9 \xc2\x9b", 100) == "caf? \\u009b");  // a stray byte, a C1 control
  CHECK(printable("Caf\xc3\xa9", 100) == "Caf\xc3\xa9");        // valid UTF-8 stays
  CHECK(printable(std::string(500, 'x'), 320) ==
        std::string(320, 'x') + "... (180 more characters)");
  PhoneView view;
  view.text = std::string(1000, 'y');
  const std::string screen = render_phone(view, 24);
  CHECK(screen.find("180 more") == std::string::npos);
  CHECK(screen.find("(680 more") != std::string::npos);                // cut at twice the limit
  CHECK(screen.find("1000/160 GSM-7 TOO LONG") != std::string::npos);  // measured in full
}

TEST_CASE("sim load: nearest-rank percentiles", "[sim]") {
  const std::vector<double> values{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(percentile(values, 0.5) == 5);
  CHECK(percentile(values, 0.95) == 10);
  CHECK(percentile(values, 0.01) == 1);
  CHECK(percentile({}, 0.5) == 0);
}

TEST_CASE("sim sms: an arriving SMS is framed, titled with its sender and wrapped", "[sim]") {
  const std::string box = render_sms("MyApp", "Your code is 482910. Valid for 5 minutes.", 24);
  CHECK(box ==
        "+- \u2709 SMS from MyApp -----+\n"
        "|Your code is 482910.    |\n"
        "|Valid for 5 minutes.    |\n"
        "+------------------------+\n");
  CHECK(render_sms("", "Hi", 10).find("+- \u2709 SMS --+\n|Hi        |\n") == 0);
  // A long sender is cut to the frame; escapes from the server are shown, never obeyed.
  const std::string hostile = render_sms("A-very-long-sender-name", "\x1b]0;owned\x07 code", 16);
  CHECK(hostile.find("+- \u2709 SMS from A-v+\n") == 0);
  CHECK(hostile.find('\x1b') == std::string::npos);
  CHECK(hostile.find("\\x1b]0;owned\\x07") != std::string::npos);
}

TEST_CASE("sim sms: only messages not seen before are new, oldest first", "[sim]") {
  std::set<std::string> seen;
  const std::string two = R"({"success":true,"data":{"messages":[)"
                          R"({"messageId":"dev-2","from":"B","text":"second"},)"
                          R"({"messageId":"dev-1","from":"A","text":"first"}]}})";
  const std::vector<Sms> first = unseen_messages(two, seen);
  REQUIRE(first.size() == 2);
  CHECK(first[0].text == "first");
  CHECK(first[1].from == "B");
  CHECK(unseen_messages(two, seen).empty());
  CHECK(unseen_messages("not json", seen).empty());
  CHECK(unseen_messages(R"({"data":{"messages":"x"}})", seen).empty());
  CHECK(unseen_messages(R"({"data":{"messages":[1,{"text":7}]}})", seen).size() == 1);
}
