#include "support/fake_gateway.hpp"

#include "otp/text.hpp"
#include "support/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace ussd_otp::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSlice = std::chrono::milliseconds(20);
constexpr auto kIdleLimit = std::chrono::seconds(15);  // keep-alive connections, requests
constexpr auto kHangLimit = std::chrono::seconds(60);  // a hang ends by itself after this

const char* reason_phrase(int status) {
  static constexpr std::pair<int, const char*> kPhrases[] = {{200, "OK"},
                                                             {201, "Created"},
                                                             {400, "Bad Request"},
                                                             {401, "Unauthorized"},
                                                             {402, "Payment Required"},
                                                             {403, "Forbidden"},
                                                             {404, "Not Found"},
                                                             {422, "Unprocessable Entity"},
                                                             {429, "Too Many Requests"},
                                                             {500, "Internal Server Error"},
                                                             {503, "Service Unavailable"}};
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "Status";
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

GatewayBehaviour GatewayBehaviour::respond(int status, std::string body, std::string content_type) {
  GatewayBehaviour b;
  b.status = status;
  b.body = std::move(body);
  if (!content_type.empty()) b.headers.emplace_back("Content-Type", std::move(content_type));
  return b;
}

GatewayBehaviour GatewayBehaviour::slow(std::chrono::milliseconds delay, int status,
                                        std::string body) {
  GatewayBehaviour b = respond(status, std::move(body));
  b.delay = delay;
  return b;
}

GatewayBehaviour GatewayBehaviour::hang() {
  GatewayBehaviour b;
  b.kind = Kind::Hang;
  return b;
}

GatewayBehaviour GatewayBehaviour::close() {
  GatewayBehaviour b;
  b.kind = Kind::Close;
  return b;
}

FakeGateway::FakeGateway() {
  const LoopbackListener listener = listen_on_loopback(128, "fake gateway: ");
  listen_fd_ = listener.fd;
  port_ = listener.port;
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeGateway::~FakeGateway() {
  stopping_ = true;
  changed_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(connections_);
  }
  for (std::thread& t : threads) t.join();
  ::close(listen_fd_);
}

void FakeGateway::accept_loop() {
  while (!stopping_) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(kSlice.count())) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeGateway::serve(int fd) {
  std::string buffer;
  auto idle_deadline = Clock::now() + kIdleLimit;
  // Reads until `buffer` holds `want` bytes or the peer closes / the fake stops / time is up.
  const auto read_more = [&]() -> bool {
    while (!stopping_ && Clock::now() < idle_deadline) {
      pollfd ready{fd, POLLIN, 0};
      const int n = ::poll(&ready, 1, static_cast<int>(kSlice.count()));
      if (n < 0) return false;
      if (n == 0) continue;
      char chunk[8192];
      const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(got));
      return true;
    }
    return false;
  };
  bool open = true;
  while (open && !stopping_) {
    std::size_t header_end;
    while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    GatewayRequest request;
    const std::string head = buffer.substr(0, header_end);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const std::size_t sp1 = request_line.find(' ');
    const std::size_t sp2 = request_line.find(' ', sp1 + 1);
    request.method = request_line.substr(0, sp1);
    request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      std::size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      const std::string line = head.substr(pos, end - pos);
      const std::size_t colon = line.find(':');
      if (colon != std::string::npos) {
        request.headers[text::ascii_lower(line.substr(0, colon))] = std::string(
            text::trim(std::string_view(line).substr(colon + 1), text::kBlanksAndNewlines));
      }
      pos = end + 2;
    }
    std::size_t length = 0;
    if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
      length = static_cast<std::size_t>(std::stoul(it->second));
    }
    while (buffer.size() < header_end + 4 + length) {
      if (!read_more()) {
        open = false;
        break;
      }
    }
    if (!open) break;
    request.body = buffer.substr(header_end + 4, length);
    buffer.erase(0, header_end + 4 + length);
    const bool client_closes = text::ascii_lower(request.header("connection")) == "close";

    GatewayBehaviour behaviour = next_behaviour(request);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    changed_.notify_all();

    if (behaviour.kind == GatewayBehaviour::Kind::Close) break;
    if (behaviour.kind == GatewayBehaviour::Kind::Hang) {
      const std::uint64_t generation = hang_generation_.load();
      const auto hang_deadline = Clock::now() + kHangLimit;
      while (!stopping_ && hang_generation_.load() == generation && Clock::now() < hang_deadline) {
        pollfd ready{fd, POLLIN, 0};
        if (::poll(&ready, 1, static_cast<int>(kSlice.count())) > 0) {
          char chunk[1024];
          if (::recv(fd, chunk, sizeof chunk, MSG_PEEK) <= 0) break;  // the client gave up
          std::this_thread::sleep_for(kSlice);
        }
      }
      break;
    }
    const auto answer_at = Clock::now() + behaviour.delay;
    while (!stopping_ && Clock::now() < answer_at) std::this_thread::sleep_for(kSlice / 4);
    if (stopping_) break;
    std::string response = "HTTP/1.1 " + std::to_string(behaviour.status) + " " +
                           reason_phrase(behaviour.status) + "\r\n";
    for (const auto& [name, value] : behaviour.headers) response += name + ": " + value + "\r\n";
    response += "Content-Length: " + std::to_string(behaviour.body.size()) + "\r\n";
    if (client_closes) response += "Connection: close\r\n";
    response += "\r\n" + behaviour.body;
    if (!send_all(fd, response) || client_closes || behaviour.close_after) break;
    idle_deadline = Clock::now() + kIdleLimit;
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

GatewayBehaviour FakeGateway::next_behaviour(const GatewayRequest& request) {
  std::function<std::optional<GatewayBehaviour>(const GatewayRequest&)> responder;
  {
    std::lock_guard lock(mutex_);
    if (!queue_.empty()) {
      GatewayBehaviour b = std::move(queue_.front());
      queue_.pop_front();
      return b;
    }
    responder = responder_;
  }
  if (responder) {
    if (auto b = responder(request)) return *b;
  }
  std::lock_guard lock(mutex_);
  return default_;
}

void FakeGateway::set_default(GatewayBehaviour behaviour) {
  std::lock_guard lock(mutex_);
  default_ = std::move(behaviour);
}

void FakeGateway::push(GatewayBehaviour behaviour) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(behaviour));
}

void FakeGateway::push(GatewayBehaviour behaviour, int times) {
  for (int i = 0; i < times; ++i) push(behaviour);
}

void FakeGateway::set_responder(
    std::function<std::optional<GatewayBehaviour>(const GatewayRequest&)> fn) {
  std::lock_guard lock(mutex_);
  responder_ = std::move(fn);
}

void FakeGateway::release_hangs() {
  ++hang_generation_;
}

std::vector<GatewayRequest> FakeGateway::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeGateway::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::vector<GatewayRequest> FakeGateway::requests_to(const std::string& prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<GatewayRequest> out;
  for (const GatewayRequest& r : requests_) {
    if (r.path.rfind(prefix, 0) == 0) out.push_back(r);
  }
  return out;
}

bool FakeGateway::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool FakeGateway::stays_at(std::size_t n, std::chrono::milliseconds quiet) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, quiet, [&] { return requests_.size() > n; });
  return requests_.size() == n;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    for (const std::string* part : {&name, &value}) {
      for (const char c : *part) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
          out += c;
        } else if (c == ' ') {
          out += '+';
        } else {
          out += '%';
          out += hex[u >> 4];
          out += hex[u & 15];
        }
      }
      if (part == &name) out += '=';
    }
  }
  return out;
}

std::map<std::string, std::string> form_decode(const std::string& text) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('&', pos);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(pos, end - pos);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      out[percent_decode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return out;
}

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const std::uint16_t port = bind_loopback(fd);
  ::close(fd);  // bound, never listened: nothing accepts on it now
  return port;
}

}  // namespace ussd_otp::testing
