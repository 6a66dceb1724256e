// Fuzzes the HTTP request path as the server sees bytes: a connection's stream, arriving in
// reads of varying size, is framed by RequestFramer (strict RFC 9112 framing), and each framed
// request is parsed by Pistache's own RequestParser (Http::Private::ParserImpl<Request>), as
// KeepAliveHandler::onInput does. This exercises Pistache's parser on the framed bytes only, never
// on raw ones. The first input byte sets the read size; the rest is the stream.
#include <pistache/http.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "server/http/framer.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace ussd_otp;

namespace {

constexpr FramingLimits kLimits{8 * 1024, 16 * 1024};

// Parses one framed request with Pistache; exceptions are the 400/413 the handler answers.
void parse_with_pistache(const FramedRequest& framed) {
  // The parser's buffer holds one whole framed request; the framer bounded its size.
  static Pistache::Http::RequestParser parser(kLimits.max_header_bytes + kLimits.max_body_bytes +
                                              64);
  parser.reset();
  try {
    if (!parser.feed(framed.message.data(), framed.message.size())) return;
    if (parser.parse() != Pistache::Http::Private::State::Done) return;
    const auto& request = parser.request;
    // What the router then reads: the request line, headers and body.
    FUZZ_CHECK(request.body().size() <= kLimits.max_body_bytes);
    static_cast<void>(request.resource());
    static_cast<void>(request.query().as_str());
    for (const auto& [name, header] : request.headers().rawList()) {
      static_cast<void>(name);
      static_cast<void>(header.value());
    }
  } catch (const std::exception&) {
    // Pistache refused the request: the handler answers 400 (or 413) and closes.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t read_size = 1 + data[0];
  std::string_view stream = fuzz::as_text(data + 1, size - 1);
  RequestFramer framer(kLimits);
  while (!stream.empty()) {
    framer.append(stream.substr(0, read_size));
    stream.remove_prefix(std::min(read_size, stream.size()));
    for (;;) {
      FrameResult next = framer.next();
      if (std::holds_alternative<NeedMoreBytes>(next)) break;
      if (const auto* error = std::get_if<FramingError>(&next)) {
        // The connection is answered and closed: nothing after this is read.
        FUZZ_CHECK(error->status == 400 || error->status == 413);
        FUZZ_CHECK(!error->reason.empty());
        return 0;
      }
      const FramedRequest& framed = std::get<FramedRequest>(next);
      // Nothing the framer passes on is larger than its limits (plus the Content-Length line
      // it writes for a decoded chunked body).
      FUZZ_CHECK(framed.message.size() <= kLimits.max_header_bytes + kLimits.max_body_bytes + 64);
      parse_with_pistache(framed);
      if (framed.close_after) return 0;
    }
    // Bytes held for an unfinished request stay within the limits too.
    FUZZ_CHECK(framer.buffered_bytes() <=
               kLimits.max_header_bytes + kLimits.max_body_bytes + read_size + 1024);
  }
  return 0;
}
