// A stand-in SMS gateway for bench/run's `delivery` scenario: answers every POST after a fixed
// latency (the `webhook` provider's 2xx = accepted), or never (`--stall`), and counts what it
// took. GET /count answers the count. Loopback only; one thread per connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

std::atomic<long> g_accepted{0};
std::atomic<bool> g_stop{false};
int g_latency_ms = 100;
bool g_stall = false;

bool read_request(int fd, std::string& buffer, std::string& head, std::string& body) {
  while (true) {
    const std::size_t end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      head = buffer.substr(0, end);
      std::size_t length = 0;
      for (const char* name : {"Content-Length:", "content-length:"}) {
        const std::size_t at = head.find(name);
        if (at != std::string::npos) length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
      }
      while (buffer.size() < end + 4 + length) {
        char chunk[16384];
        const ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(got));
      }
      body = buffer.substr(end + 4, length);
      buffer.erase(0, end + 4 + length);
      return true;
    }
    char chunk[16384];
    const ssize_t got = recv(fd, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

void serve(int fd) {
  std::string buffer, head, body;
  while (!g_stop && read_request(fd, buffer, head, body)) {
    std::string reply;
    if (head.rfind("GET /count", 0) == 0) {
      reply = std::to_string(g_accepted.load());
    } else {
      if (g_stall) {
        while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(g_latency_ms));
      reply = "{\"id\":\"bench-" + std::to_string(++g_accepted) + "\"}";
    }
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(reply.size()) + "\r\n\r\n" + reply;
    if (send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc)
      port = std::atoi(argv[++i]);
    else if (arg == "--latency-ms" && i + 1 < argc)
      g_latency_ms = std::atoi(argv[++i]);
    else if (arg == "--stall")
      g_stall = true;
    else {
      std::fprintf(stderr, "usage: %s [--port N] [--latency-ms N] [--stall]\n", argv[0]);
      return 2;
    }
  }
  std::signal(SIGTERM, [](int) { g_stop = true; });
  std::signal(SIGINT, [](int) { g_stop = true; });
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 1024) != 0) {
    std::perror("bind/listen");
    return 1;
  }
  socklen_t size = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  std::printf("fake gateway on http://127.0.0.1:%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  timeval timeout{0, 200'000};  // accept() wakes up to notice SIGTERM
  setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  while (!g_stop) {
    const int fd = accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve, fd).detach();
  }
  std::printf("accepted %ld\n", g_accepted.load());
  return 0;
}
