#include "support/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <thread>

namespace ussd_otp::testing {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::vector<std::string>& env, const std::filesystem::path& out,
            const std::filesystem::path& err) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // The child is a copy of the test process until exec: drop its signal handlers and mask.
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int out_fd = ::open(out.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    const int err_fd = ::open(err.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    dup2(null_fd, 0);
    for (const std::string& assignment : env) putenv(const_cast<char*>(assignment.c_str()));
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int next_id() {
  static int counter = 0;
  return ++counter;
}

int wait_exit(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::vector<std::string> serve_on_a_free_port(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"serve", "--listen", "127.0.0.1:0"};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

}  // namespace

CommandResult run_server_command(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env) {
  return run_command(USSD_OTP_SERVER_BINARY, args, env);
}

CommandResult run_command(const std::string& binary, const std::vector<std::string>& args,
                          const std::vector<std::string>& env, std::chrono::seconds limit) {
  char dir_template[] = "/tmp/ussd-otp-cmd-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  const pid_t pid = spawn(binary, args, env, dir / "out", dir / "err");
  CommandResult result;
  result.exit_code = wait_exit(pid, limit);
  if (result.exit_code == -1) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  result.out = read_file(dir / "out");
  result.err = read_file(dir / "err");
  std::filesystem::remove_all(dir);
  return result;
}

ServerProcess::ServerProcess(const std::filesystem::path& work_dir,
                             const std::vector<std::string>& args)
    : ServerProcess(work_dir, USSD_OTP_SERVER_BINARY, serve_on_a_free_port(args), {}) {}

ServerProcess::ServerProcess(const std::filesystem::path& work_dir, const std::string& program,
                             const std::vector<std::string>& args,
                             const std::vector<std::string>& env)
    : out_path_(work_dir / ("server-" + std::to_string(next_id()) + ".out")),
      err_path_(work_dir / ("server-" + std::to_string(next_id()) + ".err")) {
  // Fresh, unique files: a URL left by an earlier server must never be read as this one's.
  std::ofstream(out_path_).close();
  std::ofstream(err_path_).close();
  pid_ = spawn(program, args, env, out_path_, err_path_);
  static const std::regex listening("listening on (http://[0-9.:]+)");
  for (int i = 0; i < 1000; ++i) {
    std::smatch match;
    const std::string out = stdout_text();
    if (std::regex_search(out, match, listening)) {
      url_ = match[1];
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("server exited early: " + stderr_text());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("server did not report its URL: " + stderr_text());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string ServerProcess::stdout_text() const {
  return read_file(out_path_);
}
std::string ServerProcess::stderr_text() const {
  return read_file(err_path_);
}

int ServerProcess::stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const int code = wait_exit(pid_, std::chrono::seconds(15));
  if (code != -1) pid_ = -1;
  return code;
}

}  // namespace ussd_otp::testing
