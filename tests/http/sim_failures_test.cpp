// How the simulator shows an aggregator-level failure when the server misbehaves: a stand-in
// server on a loopback port answers every request with one canned reply.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "http/sim_calls.hpp"

using namespace ussd_otp::testing;

namespace {

class CannedServer {
 public:
  explicit CannedServer(std::string reply) : reply_(std::move(reply)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(listen(listener_, 8) == 0);
    socklen_t length = sizeof address;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    while (!stopping_) {
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      char request[65536];
      [[maybe_unused]] const auto received = recv(client, request, sizeof request, 0);
      for (std::size_t sent = 0; sent < reply_.size();) {
        const auto n = send(client, reply_.data() + sent, reply_.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      close(client);
    }
  }
  std::string reply_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string http_reply(const std::string& status, const std::string& body,
                       const std::string& type = "text/plain") {
  return "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
         "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

CommandResult dial(const CannedServer& server, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--url", server.url(), "run", "--dial", "*889*142#"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_command(kSimBinary, args);
}

}  // namespace

TEST_CASE("sim failures: a runaway reply is cut at 64 KiB and named, not read to the end",
          "[sim][http]") {
  const CannedServer server(http_reply("200 OK", "CON " + std::string(1'000'000, 'x')));
  const CommandResult run = dial(server);
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("malformed") != std::string::npos);
  CHECK(run.out.find("over 65536 bytes") != std::string::npos);
  CHECK(run.out.size() < 4000);  // the terminal is not flooded
}

TEST_CASE("sim failures: a long screen is not matched with a regex that could overflow the stack",
          "[sim][http]") {
  const CannedServer server(http_reply("200 OK", "END " + std::string(60'000, 'x')));
  const CommandResult run = dial(server, {"--expect", "x.*y"});
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("not tried: the screen has 60000 bytes") != std::string::npos);
  CHECK(run.out.find("fits the 160-character GSM-7 screen (has 60000)") != std::string::npos);
  CHECK(run.out.find("more characters)") != std::string::npos);
}

TEST_CASE("sim failures: bytes that are not UTF-8 in a screen give a diff, not an abort",
          "[sim][http]") {
  const CannedServer server(http_reply("200 OK", "END Caf\xe9 menu"));
  const CommandResult run = dial(server, {"--expect", "nomatch"});
  INFO(run.out << run.err);
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("- expected: matches /nomatch/") != std::string::npos);
}

TEST_CASE("sim failures: a malformed reply and an error page are shown briefly", "[sim][http]") {
  const CannedServer wrong(http_reply("200 OK", "{\"Message\":\"Hi\"}", "application/json"));
  const CommandResult malformed = dial(wrong, {"--dialect", "hubtel"});
  CHECK(malformed.exit_code == 1);
  CHECK(malformed.out.find("malformed hubtel reply (the reply has no string \"Type\")") !=
        std::string::npos);

  const CannedServer broken(http_reply("500 Internal Server Error",
                                       "<html>" + std::string(5000, '-') + "</html>", "text/html"));
  const CommandResult error = dial(broken);
  CHECK(error.exit_code == 1);
  CHECK(error.out.find("http_500") == std::string::npos);  // the diff names the status itself
  CHECK(error.out.find("HTTP 500: <html>") != std::string::npos);
  CHECK(error.out.find("more characters)") != std::string::npos);
  CHECK(error.out.size() < 2000);
}

TEST_CASE("sim failures: escape sequences from a server never reach the terminal", "[sim][http]") {
  // A window title, a colour and a C1 control, inside a malformed reply and an error message.
  const std::string hostile = "XX\x1b]0;PWNED\x07\x1b[41mRED\xc2\x9b" + std::string(3000, 'Z');
  const CannedServer malformed(http_reply("200 OK", hostile));
  const CommandResult run = dial(malformed, {"--transcript"});
  INFO(run.out);
  CHECK(run.exit_code == 1);
  CHECK(run.out.find('\x1b') == std::string::npos);
  CHECK(run.out.find('\x07') == std::string::npos);
  CHECK(run.out.find("\xc2\x9b") == std::string::npos);
  CHECK(run.out.find("XX\\x1b]0;PWNED\\x07\\x1b[41mRED\\u009b") != std::string::npos);
  CHECK(run.out.size() < 6000);

  const std::string message = "\\u001b[41m" + std::string(5000, 'A');  // JSON-escaped ESC
  const CannedServer error(http_reply("500 Internal Server Error",
                                      "{\"error\":{\"code\":7,\"message\":\"" + message + "\"}}",
                                      "application/json"));
  const CommandResult failed = dial(error);
  INFO(failed.out);
  CHECK(failed.exit_code == 1);  // a number where the code should be is no crash either
  CHECK(failed.out.find('\x1b') == std::string::npos);
  CHECK(failed.out.find("HTTP 500 : \\x1b[41mAAA") != std::string::npos);
  CHECK(failed.out.size() < 1500);
}
