// RequestFramer on bytes: where each request starts and ends, and what is refused (RFC 9112).
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "server/http/framer.hpp"

using ussd_otp::FramedRequest;
using ussd_otp::FrameResult;
using ussd_otp::FramingError;
using ussd_otp::FramingLimits;
using ussd_otp::NeedMoreBytes;
using ussd_otp::RequestFramer;

namespace {

constexpr FramingLimits kLimits{1024, 4096};

// Feeds `bytes` (in pieces of `piece` bytes) and collects every result until bytes run out.
struct Framed {
  std::vector<FramedRequest> requests;
  std::optional<FramingError> error;
  bool waiting = false;  // the last answer was "need more bytes"
};

Framed frame(const std::string& bytes, std::size_t piece = std::string::npos,
             FramingLimits limits = kLimits) {
  RequestFramer framer(limits);
  Framed out;
  for (std::size_t at = 0; at < bytes.size() && !out.error;) {
    const std::size_t take = std::min(piece, bytes.size() - at);
    framer.append(std::string_view(bytes).substr(at, take));
    at += take;
    for (;;) {
      FrameResult result = framer.next();
      if (std::holds_alternative<NeedMoreBytes>(result)) {
        out.waiting = true;
        break;
      }
      out.waiting = false;
      if (auto* error = std::get_if<FramingError>(&result)) {
        out.error = *error;
        break;
      }
      out.requests.push_back(std::get<FramedRequest>(result));
    }
  }
  return out;
}

const std::string kGet = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

std::string post(const std::string& body, const std::string& extra = "") {
  return "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("framer: pipelined requests come out one by one, whole and in order", "[framer]") {
  const std::string stream = kGet + post(R"({"phone":"1"})") + kGet;
  for (std::size_t piece : {std::string::npos, std::size_t{1}, std::size_t{7}}) {
    const Framed out = frame(stream, piece);
    REQUIRE_FALSE(out.error);
    REQUIRE(out.requests.size() == 3);
    CHECK(out.requests[0].message == kGet);
    CHECK(out.requests[1].message == post(R"({"phone":"1"})"));
    CHECK(out.requests[2].message == kGet);
    CHECK(out.waiting);
  }
}

TEST_CASE("framer: a partial request waits for more bytes", "[framer]") {
  const Framed out = frame(post("0123456789").substr(0, 60));
  CHECK(out.requests.empty());
  CHECK_FALSE(out.error);
  CHECK(out.waiting);
}

TEST_CASE("framer: smuggling forms are refused with 400", "[framer][security]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no colon", "GET / HTTP/1.1\r\nHost: x\r\nX-Broken\r\n\r\n"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n"},
      {"space before colon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"},
      {"tab before colon", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length\t: 5\r\n\r\nhello"},
      {"two Content-Length", post("hi", "Content-Length: 2\r\n")},
      {"Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 24\r\n\r\nhi"},
      {"signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nhi"},
      {"TE and CL",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 3\r\n\r\n0\r\n\r\n"},
      {"TE not chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"},
      {"TE twice",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
      {"no Host in HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"},
      {"control character in a value",
       std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n")},
      {"bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
      {"chunk without CRLF",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabcGET / HTTP/1.1\r\n\r\n"},
      {"Content-Length in a trailer",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
       "\r\n0\r\nContent-Length: 5\r\n\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    INFO(name);
    const Framed out = frame(bytes);
    REQUIRE(out.error);
    CHECK(out.error->status == 400);
    CHECK(out.error->reason.rfind("Malformed HTTP request: ", 0) == 0);
    CHECK(out.requests.empty());
  }
}

TEST_CASE("framer: garbage is refused from its first bytes, not after a timeout", "[framer]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"TLS ClientHello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
      {"no spaces", "GARBAGE\r\n\r\n"},
      {"HTTP/0.9", "GET /\r\n"},
      {"bare LF", "GET / HTTP/1.1\nHost: x\n\n"},
      {"bare LF in a header", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n"},
      {"CR inside a line", "GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"},
      {"a long token and no space", std::string(40, 'A')},
      {"leading space", " GET / HTTP/1.1\r\n"},
      {"three spaces", "GET / x HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"unknown version", "GET / HTTP/1.2\r\nHost: x\r\n\r\n"},
  };
  for (const auto& [name, bytes] : cases) {
    INFO(name);
    const Framed out = frame(bytes);
    REQUIRE(out.error);
    CHECK(out.error->status == 400);
  }
  // A TLS record is refused on its very first byte.
  CHECK(frame(std::string("\x16", 1)).error);
}

TEST_CASE("framer: declared sizes over the limit are 413 before the body arrives", "[framer]") {
  const Framed declared =
      frame("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n");
  REQUIRE(declared.error);
  CHECK(declared.error->status == 413);
  CHECK(frame("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n").error->status == 413);
  CHECK_FALSE(frame("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n").error);
  const Framed huge_digits =
      frame("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 184467440737095516160000\r\n\r\n");
  CHECK(huge_digits.error->status == 413);
  const Framed chunk =
      frame("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n");
  CHECK(chunk.error->status == 413);
  const Framed chunks =
      frame("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
            std::string(0x800, 'a') + "\r\n801\r\n");
  CHECK(chunks.error->status == 413);
  const Framed headers = frame("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a'));
  CHECK(headers.error->status == 413);
}

TEST_CASE("framer: a chunked body is decoded and re-framed with a Content-Length", "[framer]") {
  const std::string stream =
      "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: application/json\r\n\r\n"
      "5;name=value\r\n{\"pho\r\n8\r\nne\":\"1\"}\r\n0\r\nX-Trailer: yes\r\n\r\n" +
      kGet;
  for (std::size_t piece : {std::string::npos, std::size_t{1}, std::size_t{5}}) {
    const Framed out = frame(stream, piece);
    REQUIRE_FALSE(out.error);
    REQUIRE(out.requests.size() == 2);
    CHECK(out.requests[0].message ==
          "POST /v1/otp/request HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Content-Length: 13\r\n\r\n{\"phone\":\"1\"}");
    CHECK(out.requests[1].message == kGet);
  }
}

TEST_CASE("framer: Connection decides whether the connection closes after a request", "[framer]") {
  CHECK_FALSE(frame(kGet).requests.at(0).close_after);
  CHECK(frame("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").requests.at(0).close_after);
  CHECK(frame("GET / HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\n\r\n")
            .requests.at(0)
            .close_after);
  CHECK(frame("GET / HTTP/1.0\r\n\r\n").requests.at(0).close_after);
  CHECK_FALSE(frame("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").requests.at(0).close_after);
}

TEST_CASE("framer: empty lines before a request line are ignored", "[framer]") {
  const Framed out = frame("\r\n\r\n" + kGet);
  REQUIRE(out.requests.size() == 1);
  CHECK(out.requests[0].message == kGet);
}

TEST_CASE("framer: after an error nothing more is framed", "[framer]") {
  RequestFramer framer(kLimits);
  framer.append("GET / HTTP/1.1\nHost: x\r\n\r\n" + kGet);
  CHECK(std::holds_alternative<FramingError>(framer.next()));
  CHECK(std::holds_alternative<FramingError>(framer.next()));
}
