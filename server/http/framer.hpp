// Frames HTTP/1.1 requests out of a connection's byte stream, strictly (RFC 9112), before
// Pistache's lenient parser sees them: one complete, unambiguous request at a time.
//
// Why: Pistache 0.0.5 drops pipelined bytes, accepts header lines without a colon, obs-folds,
// several Content-Length headers and lists, reserves whatever Content-Length declares, and waits
// for the header timeout on garbage. Each of those lets a request's "body" run as a second
// request or costs memory. The framer decides where every request starts and ends; Pistache only
// ever parses exactly one whole request (chunked bodies re-framed with a Content-Length).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ussd_otp {

struct FramingLimits {
  std::size_t max_header_bytes = 8 * 1024;  // request line + header fields (+ chunk trailers)
  std::size_t max_body_bytes = 16 * 1024;   // the declared or decoded body
};

// A complete request, ready for Pistache's parser.
struct FramedRequest {
  std::string message;       // the request; a chunked body is decoded, with a Content-Length
  std::string target;        // the request-target exactly as sent (path and raw query)
  bool close_after = false;  // Connection: close, or HTTP/1.0 without keep-alive
};

// The request cannot be framed: answer `status` and close the connection (the rest of the
// stream has no trustworthy boundary).
struct FramingError {
  int status = 400;  // 400 malformed, 413 over a size limit
  std::string reason;
};

// More bytes are needed before the next request is complete.
struct NeedMoreBytes {};

using FrameResult = std::variant<NeedMoreBytes, FramedRequest, FramingError>;

class RequestFramer {
 public:
  explicit RequestFramer(FramingLimits limits) : limits_(limits) {}

  // Appends bytes read from the connection.
  void append(std::string_view bytes) { buffer_.append(bytes); }

  // The next request in the stream. Garbage is reported as soon as a byte shows it (a TLS
  // ClientHello, a bare LF, a request line without spaces), not after a timeout.
  FrameResult next();

  // Bytes of a request that has started but is not complete (for the header timeout).
  bool has_partial_request() const { return !buffer_.empty(); }
  std::size_t buffered_bytes() const { return buffer_.size(); }

 private:
  enum class Phase { RequestLine, Headers, FixedBody, ChunkSize, ChunkData, Trailers };

  // Each step moves through the buffer as far as it can; an error ends the connection.
  std::optional<FramingError> step();
  // The next complete line from pos_ (without its CRLF), or nullopt when it has not arrived.
  // A bare LF or a CR without LF is an error.
  std::optional<std::string_view> next_line(std::optional<FramingError>& error);
  std::optional<FramingError> on_request_line(std::string_view line);
  std::optional<FramingError> on_field_line(std::string_view line, bool trailer);
  std::optional<FramingError> on_head_end();
  std::optional<FramingError> on_chunk_size_line(std::string_view line);
  std::optional<FramingError> check_method_prefix() const;
  FramedRequest take_request();
  void reset_message();

  FramingLimits limits_;
  std::string buffer_;
  std::size_t pos_ = 0;  // how far buffer_ has been checked
  Phase phase_ = Phase::RequestLine;
  bool complete_ = false;
  bool failed_ = false;

  // The message being framed.
  std::size_t body_start_ = 0;  // offset just past the empty line that ends the head
  std::string request_line_;
  std::string target_;
  bool http10_ = false;
  int content_length_headers_ = 0;
  std::uint64_t content_length_ = 0;
  int transfer_encoding_headers_ = 0;
  bool chunked_ = false;
  int host_headers_ = 0;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  std::string kept_fields_;  // the header lines passed on (without Transfer-Encoding), CRLF each
  std::string decoded_body_;
  std::uint64_t chunk_remaining_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace ussd_otp
