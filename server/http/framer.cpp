// Strict HTTP/1.1 request framing (RFC 9112 sections 2-7); see server/http/framer.hpp for why.
#include "server/http/framer.hpp"

#include <algorithm>
#include <array>

#include "otp/text.hpp"

namespace ussd_otp {
namespace {

constexpr std::size_t kMaxMethodLength = 16;
constexpr std::size_t kMaxChunkLineBytes = 1024;
constexpr std::size_t kMaxChunkSizeDigits = 8;

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (unsigned char c : std::string_view("!#$%&'*+-.^_`|~")) table[c] = true;
  return table;
}();

bool is_token_char(char c) {
  return kTokenChars[static_cast<unsigned char>(c)];
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// Field values: HTAB, SP, VCHAR and obs-text; never CTLs or DEL.
bool is_field_value_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == '\t' || (byte >= 0x20 && byte != 0x7f);
}

using text::equals_ignoring_case;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

FramingError malformed(std::string reason) {
  return {400, "Malformed HTTP request: " + std::move(reason)};
}

FramingError too_large(std::string reason) {
  return {413, std::move(reason)};
}

}  // namespace

FrameResult RequestFramer::next() {
  if (failed_) return FramingError{400, "Malformed HTTP request: the connection is closing."};
  for (;;) {
    const Phase phase_before = phase_;
    const std::size_t pos_before = pos_;
    if (std::optional<FramingError> error = step()) {
      failed_ = true;
      return *error;
    }
    if (complete_) return take_request();
    if (phase_ == phase_before && pos_ == pos_before) return NeedMoreBytes{};
  }
}

std::optional<std::string_view> RequestFramer::next_line(std::optional<FramingError>& error) {
  const std::size_t lf = buffer_.find('\n', pos_);
  // A CR must be followed by LF; find it in what has arrived so far.
  const std::size_t scan_end = lf == std::string::npos ? buffer_.size() : lf;
  const std::size_t cr = buffer_.find('\r', pos_);
  if (cr != std::string::npos && cr + 1 < scan_end) {
    error = malformed("a CR not followed by LF.");
    return std::nullopt;
  }
  if (lf == std::string::npos) return std::nullopt;
  if (lf == pos_ || buffer_[lf - 1] != '\r') {
    error = malformed("line endings must be CRLF (a bare LF was sent).");
    return std::nullopt;
  }
  std::string_view line(buffer_.data() + pos_, lf - 1 - pos_);
  pos_ = lf + 1;
  return line;
}

std::optional<FramingError> RequestFramer::check_method_prefix() const {
  // What has arrived of the request line must start like one: a method token, then a space.
  // A TLS ClientHello, HTTP/2's preface or binary noise fails on its first bytes.
  const std::size_t scanned = std::min(buffer_.size(), kMaxMethodLength + 1);
  for (std::size_t i = 0; i < scanned; ++i) {
    const char c = buffer_[i];
    if (c == ' ')
      return i == 0 ? std::optional(malformed("the request line starts with a space."))
                    : std::nullopt;
    if (c == '\r' || c == '\n') return malformed("the request line has no method and target.");
    if (!is_token_char(c)) return malformed("the request does not start with an HTTP method.");
  }
  if (scanned > kMaxMethodLength)
    return malformed("the request does not start with an HTTP method.");
  return std::nullopt;
}

std::optional<FramingError> RequestFramer::step() {
  std::optional<FramingError> error;
  switch (phase_) {
    case Phase::RequestLine: {
      // RFC 9112 2.2: empty lines before a request line are ignored.
      while (pos_ == 0 && buffer_.size() >= 2 && buffer_.compare(0, 2, "\r\n") == 0) {
        buffer_.erase(0, 2);
      }
      if (buffer_.empty() || buffer_ == "\r") return std::nullopt;
      if ((error = check_method_prefix())) return error;
      std::optional<std::string_view> line = next_line(error);
      if (error) return error;
      if (!line) {
        if (buffer_.size() > limits_.max_header_bytes) {
          return too_large("The request line is longer than max-header-bytes (" +
                           std::to_string(limits_.max_header_bytes) + ").");
        }
        return std::nullopt;
      }
      return on_request_line(*line);
    }
    case Phase::Headers:
    case Phase::Trailers: {
      const bool trailer = phase_ == Phase::Trailers;
      while (true) {
        std::optional<std::string_view> line = next_line(error);
        if (error) return error;
        const std::size_t head_bytes = trailer ? body_start_ + trailer_bytes_ : pos_;
        if (!line) {
          const std::size_t pending = buffer_.size() - pos_;
          if ((trailer ? trailer_bytes_ + pending : pos_ + pending) > limits_.max_header_bytes) {
            return too_large("The request's headers are larger than max-header-bytes (" +
                             std::to_string(limits_.max_header_bytes) + ").");
          }
          return std::nullopt;
        }
        if (trailer) trailer_bytes_ += line->size() + 2;
        if ((trailer ? trailer_bytes_ : head_bytes) > limits_.max_header_bytes) {
          return too_large("The request's headers are larger than max-header-bytes (" +
                           std::to_string(limits_.max_header_bytes) + ").");
        }
        if (line->empty()) {
          if (trailer) {
            complete_ = true;
            return std::nullopt;
          }
          body_start_ = pos_;
          return on_head_end();
        }
        if ((error = on_field_line(*line, trailer))) return error;
      }
    }
    case Phase::FixedBody:
      if (buffer_.size() - body_start_ >= content_length_) complete_ = true;
      return std::nullopt;
    case Phase::ChunkSize: {
      std::optional<std::string_view> line = next_line(error);
      if (error) return error;
      if (!line) {
        if (buffer_.size() - pos_ > kMaxChunkLineBytes)
          return malformed("a chunk size line is too long.");
        return std::nullopt;
      }
      if (line->size() > kMaxChunkLineBytes) return malformed("a chunk size line is too long.");
      return on_chunk_size_line(*line);
    }
    case Phase::ChunkData: {
      if (buffer_.size() - pos_ < chunk_remaining_ + 2) return std::nullopt;
      decoded_body_.append(buffer_, pos_, chunk_remaining_);
      pos_ += chunk_remaining_;
      if (buffer_.compare(pos_, 2, "\r\n") != 0)
        return malformed("chunk data not followed by CRLF.");
      pos_ += 2;
      phase_ = Phase::ChunkSize;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<FramingError> RequestFramer::on_request_line(std::string_view line) {
  // request-line = method SP request-target SP HTTP-version: exactly two single spaces.
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos ||
      line.find(' ', second + 1) != std::string_view::npos) {
    return malformed("the request line must be METHOD SP TARGET SP HTTP-VERSION.");
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_token(method)) return malformed("invalid method.");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte > 0x20 && byte < 0x7f;
      })) {
    return malformed("invalid request target.");
  }
  if (version == "HTTP/1.0") {
    http10_ = true;
  } else if (version != "HTTP/1.1") {
    return malformed("only HTTP/1.1 and HTTP/1.0 are spoken here.");
  }
  request_line_.assign(line);
  target_.assign(target);
  phase_ = Phase::Headers;
  return std::nullopt;
}

std::optional<FramingError> RequestFramer::on_field_line(std::string_view line, bool trailer) {
  if (line.front() == ' ' || line.front() == '\t') {
    return malformed("a header line starts with whitespace (obs-fold is not accepted).");
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return malformed("a header line has no colon.");
  const std::string_view name = line.substr(0, colon);
  if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
    return malformed("whitespace between a header name and its colon.");
  }
  if (!is_token(name)) return malformed("invalid header name.");
  const std::string_view value = text::trim(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), is_field_value_char)) {
    return malformed("a control character in header " + std::string(name) + ".");
  }
  const bool framing = equals_ignoring_case(name, "content-length") ||
                       equals_ignoring_case(name, "transfer-encoding") ||
                       equals_ignoring_case(name, "host");
  if (trailer) {
    if (framing) return malformed(std::string(name) + " is not allowed in a chunked trailer.");
    return std::nullopt;  // trailers are checked, then dropped
  }
  if (equals_ignoring_case(name, "content-length")) {
    if (++content_length_headers_ > 1) return malformed("several Content-Length headers.");
    if (value.empty() ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return malformed("Content-Length must be one decimal number.");
    }
    const std::string_view digits =
        value.substr(std::min(value.find_first_not_of('0'), value.size()));
    std::uint64_t declared = 0;
    if (digits.size() > 15) {
      declared = UINT64_MAX;
    } else {
      for (char c : digits) declared = declared * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (declared > limits_.max_body_bytes) {
      return too_large("Content-Length declares more than max-body-bytes (" +
                       std::to_string(limits_.max_body_bytes) + ").");
    }
    content_length_ = declared;
  } else if (equals_ignoring_case(name, "transfer-encoding")) {
    if (++transfer_encoding_headers_ > 1) return malformed("several Transfer-Encoding headers.");
    if (!equals_ignoring_case(value, "chunked")) {
      return malformed("the only transfer coding accepted is chunked.");
    }
    chunked_ = true;
    return std::nullopt;  // not passed on: the body is re-framed with a Content-Length
  } else if (equals_ignoring_case(name, "host")) {
    if (++host_headers_ > 1) return malformed("several Host headers.");
  } else if (equals_ignoring_case(name, "connection")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view option = text::trim(rest.substr(0, comma));
      if (equals_ignoring_case(option, "close")) connection_close_ = true;
      if (equals_ignoring_case(option, "keep-alive")) connection_keep_alive_ = true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  kept_fields_.append(line).append("\r\n");
  return std::nullopt;
}

std::optional<FramingError> RequestFramer::on_head_end() {
  if (transfer_encoding_headers_ > 0 && content_length_headers_ > 0) {
    return malformed("both Transfer-Encoding and Content-Length.");
  }
  if (chunked_ && http10_) return malformed("Transfer-Encoding in an HTTP/1.0 request.");
  if (!http10_ && host_headers_ == 0)
    return malformed("an HTTP/1.1 request without a Host header.");
  if (chunked_) {
    phase_ = Phase::ChunkSize;
  } else {
    phase_ = Phase::FixedBody;
  }
  return std::nullopt;
}

std::optional<FramingError> RequestFramer::on_chunk_size_line(std::string_view line) {
  // chunk = chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
  std::size_t digits = 0;
  std::uint64_t size = 0;
  while (digits < line.size() && hex_value(line[digits]) >= 0) {
    if (digits == kMaxChunkSizeDigits) {
      return too_large("A chunk is larger than max-body-bytes (" +
                       std::to_string(limits_.max_body_bytes) + ").");
    }
    size = size * 16 + static_cast<std::uint64_t>(hex_value(line[digits]));
    ++digits;
  }
  if (digits == 0) return malformed("invalid chunk size.");
  const std::string_view extension = text::trim(line.substr(digits));
  if (!extension.empty() &&
      (extension.front() != ';' ||
       !std::all_of(extension.begin(), extension.end(), is_field_value_char))) {
    return malformed("invalid chunk size.");
  }
  if (decoded_body_.size() + size > limits_.max_body_bytes) {
    return too_large("The chunked body is larger than max-body-bytes (" +
                     std::to_string(limits_.max_body_bytes) + ").");
  }
  // Tiny chunks cost framing bytes the body limit does not see; cap the whole message too.
  if (pos_ > limits_.max_header_bytes + 4 * limits_.max_body_bytes) {
    return too_large("The chunked request is too large with its framing.");
  }
  if (size == 0) {
    phase_ = Phase::Trailers;
  } else {
    chunk_remaining_ = size;
    phase_ = Phase::ChunkData;
  }
  return std::nullopt;
}

FramedRequest RequestFramer::take_request() {
  FramedRequest request;
  request.target = std::move(target_);
  request.close_after = http10_ ? !connection_keep_alive_ || connection_close_ : connection_close_;
  if (chunked_) {
    request.message.reserve(request_line_.size() + kept_fields_.size() + decoded_body_.size() + 40);
    request.message.append(request_line_).append("\r\n").append(kept_fields_);
    request.message.append("Content-Length: ")
        .append(std::to_string(decoded_body_.size()))
        .append("\r\n\r\n")
        .append(decoded_body_);
    buffer_.erase(0, pos_);
  } else {
    const std::size_t end = body_start_ + content_length_;
    request.message = buffer_.substr(0, end);
    buffer_.erase(0, end);
  }
  reset_message();
  return request;
}

void RequestFramer::reset_message() {
  pos_ = 0;
  phase_ = Phase::RequestLine;
  complete_ = false;
  body_start_ = 0;
  request_line_.clear();
  target_.clear();
  http10_ = false;
  content_length_headers_ = 0;
  content_length_ = 0;
  transfer_encoding_headers_ = 0;
  chunked_ = false;
  host_headers_ = 0;
  connection_close_ = false;
  connection_keep_alive_ = false;
  kept_fields_.clear();
  decoded_body_.clear();
  chunk_remaining_ = 0;
  trailer_bytes_ = 0;
}

}  // namespace ussd_otp
