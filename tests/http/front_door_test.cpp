// The HTTP front door on raw sockets (RFC 9112 strictness): pipelining, smuggling forms,
// declared sizes, garbage. Each case states the attack or the client it stands for.
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/raw_http.hpp"
#include "support/test_server.hpp"

using namespace ussd_otp::testing;
using Clock = std::chrono::steady_clock;

namespace {

// The status codes of every response in `received`, in order.
std::vector<int> statuses(const std::string& received) {
  static const std::regex status_line("HTTP/1\\.[01] ([0-9]{3}) ");
  std::vector<int> found;
  for (auto it = std::sregex_iterator(received.begin(), received.end(), status_line);
       it != std::sregex_iterator(); ++it) {
    found.push_back(std::stoi((*it)[1]));
  }
  return found;
}

std::string otp_request(const TestServer& server, const std::string& phone,
                        const std::string& extra_headers = "") {
  const std::string body = R"({"phone":")" + phone + R"("})";
  return "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server.api_key() +
         "\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// How many codes the dev inbox got for `phone` (a local 0XXXXXXXXX number), after giving the
// sender a moment.
std::size_t messages_for(TestServer& server, const std::string& phone) {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::string e164 = "233" + phone.substr(1);
  return server.app().dev_inbox()->messages_for(e164, server.clock().now()).size();
}

}  // namespace

TEST_CASE("pipelined requests on one connection are all answered, in order", "[http][front]") {
  TestServer server;
  const std::string stream = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n" +
                             otp_request(server, "0241110001", "X-Request-Id: second\r\n") +
                             "GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\n\r\n" +
                             "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: fourth\r\n"
                             "Connection: close\r\n\r\n";
  const auto started = Clock::now();
  const RawExchange reply = raw_exchange(port_of(server.url()), stream);
  // All four answers arrive at once; nobody waits for a keep-alive timeout.
  CHECK(Clock::now() - started < std::chrono::seconds(2));
  CHECK(statuses(reply.received) == std::vector<int>{200, 201, 404, 200});
  const auto first = reply.received.find("first");
  const auto second = reply.received.find("second");
  const auto third = reply.received.find("third");
  const auto fourth = reply.received.find("fourth");
  CHECK(first < second);
  CHECK(second < third);
  CHECK(third < fourth);
  CHECK(fourth != std::string::npos);
  CHECK(reply.closed_by_server);
}

TEST_CASE("a hundred pipelined requests in one write get a hundred answers", "[http][front]") {
  TestServer server;
  std::string stream;
  for (int i = 0; i < 99; ++i) stream += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  stream += "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const RawExchange reply = raw_exchange(port_of(server.url()), stream);
  CHECK(statuses(reply.received) == std::vector<int>(100, 200));
  CHECK(reply.closed_by_server);
}

TEST_CASE("smuggling forms get 400 and a close, and the hidden request never runs",
          "[http][front][security]") {
  TestServer server;
  // Each form hides a second request (which would create an OTP) in what a lenient parser
  // reads as the body or as the next request.
  int n = 0;
  for (const std::string& form : {
           std::string("X-Broken-Line-Without-Colon\r\n"),
           std::string("X-Folded: a\r\n  b\r\n"),
           std::string("Content-Length : 0\r\n"),
           std::string("Content-Length: 0\r\nContent-Length: 0\r\n"),
           std::string("Content-Length: 0, 0\r\n"),
           std::string("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"),
       }) {
    INFO(form);
    const std::string phone = "024222000" + std::to_string(n++);
    const std::string hidden = otp_request(server, phone, "X-Request-Id: smuggled\r\n");
    const std::string outer = "GET /healthz HTTP/1.1\r\nHost: x\r\n" + form + "\r\n" + hidden;
    const RawExchange reply = raw_exchange(port_of(server.url()), outer);
    CHECK(statuses(reply.received) == std::vector<int>{400});
    CHECK(reply.received.find("MALFORMED_REQUEST") != std::string::npos);
    CHECK(reply.received.find("smuggled") == std::string::npos);
    CHECK(reply.closed_by_server);
    CHECK(messages_for(server, phone) == 0);
  }
}

TEST_CASE("declared sizes over the limit get 413 and a close before anything is reserved",
          "[http][front]") {
  TestServer server;
  for (const std::string& head : {
           std::string("Content-Length: 99999999999\r\n\r\n"),
           std::string("Content-Length: 18446744073709551616\r\n\r\n"),
           std::string("Transfer-Encoding: chunked\r\n\r\nfffffff\r\n"),
       }) {
    INFO(head);
    const auto started = Clock::now();
    const RawExchange reply = raw_exchange(
        port_of(server.url()),
        "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + head);
    CHECK(Clock::now() - started < std::chrono::seconds(2));
    CHECK(statuses(reply.received) == std::vector<int>{413});
    CHECK(reply.received.find("PAYLOAD_TOO_LARGE") != std::string::npos);
    CHECK(reply.closed_by_server);
  }
  // A negative length is not a size at all.
  const RawExchange negative =
      raw_exchange(port_of(server.url()),
                   "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
  CHECK(statuses(negative.received) == std::vector<int>{400});
}

TEST_CASE("garbage gets 400 at once, not an empty 408 after the header timeout", "[http][front]") {
  TestServer server;
  for (const std::string& garbage : {
           std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 11),  // TLS ClientHello
           std::string("GARBAGE\r\n\r\n"),
           std::string("GET /healthz\r\n"),  // HTTP/0.9
           std::string("GET /healthz HTTP/1.1\nHost: x\n\n"),
           std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
       }) {
    INFO(garbage);
    const auto started = Clock::now();
    const RawExchange reply = raw_exchange(port_of(server.url()), garbage);
    CHECK(Clock::now() - started < std::chrono::seconds(2));
    CHECK(statuses(reply.received) == std::vector<int>{400});
    CHECK(reply.received.find("MALFORMED_REQUEST") != std::string::npos);
    CHECK(reply.closed_by_server);
  }
}

TEST_CASE("a chunked body is accepted and read whole", "[http][front]") {
  TestServer server;
  const std::string body = R"({"phone":"0241110009"})";
  const std::string stream =
      "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server.api_key() +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: "
      "close\r\n\r\n"
      "a\r\n" +
      body.substr(0, 10) + "\r\n" + "c\r\n" + body.substr(10) + "\r\n0\r\n\r\n";
  const RawExchange reply = raw_exchange(port_of(server.url()), stream);
  CHECK(statuses(reply.received) == std::vector<int>{201});
  CHECK(messages_for(server, "0241110009") == 1);
}

TEST_CASE("a request that arrives in pieces is answered once it is whole", "[http][front]") {
  TestServer server;
  // Stands for a slow mobile link: the head and the body in separate packets.
  const std::string whole = otp_request(server, "0241110010", "Connection: close\r\n");
  const RawExchange reply = raw_exchange_in_pieces(
      port_of(server.url()), {whole.substr(0, 20), whole.substr(20, 100), whole.substr(120)},
      std::chrono::milliseconds(100));
  CHECK(statuses(reply.received) == std::vector<int>{201});
}
