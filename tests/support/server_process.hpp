// Runs the real ussd-otp-server binary as a child process, for tests of the CLI, signals and logs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace ussd_otp::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the server binary with `args` to completion (keys commands, --help, bad config).
CommandResult run_server_command(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env = {});

// Runs any binary to completion (the simulator), stdin from /dev/null; exit_code -1 when it
// did not finish within `limit` (it is then killed).
CommandResult run_command(const std::string& binary, const std::vector<std::string>& args,
                          const std::vector<std::string>& env = {},
                          std::chrono::seconds limit = std::chrono::seconds(60));

class ServerProcess {
 public:
  // Starts `ussd-otp-server serve ARGS --listen 127.0.0.1:0` and waits for its URL.
  ServerProcess(const std::filesystem::path& work_dir, const std::vector<std::string>& args);
  // Runs `program ARGS` (e.g. a launcher script that execs the server) and waits for its URL.
  ServerProcess(const std::filesystem::path& work_dir, const std::string& program,
                const std::vector<std::string>& args, const std::vector<std::string>& env);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& url() const { return url_; }
  std::string stdout_text() const;
  std::string stderr_text() const;
  // Sends `signal` and waits for the exit status (-1 if it did not exit within 15 s).
  int stop(int signal);

 private:
  pid_t pid_ = -1;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  std::string url_;
};

}  // namespace ussd_otp::testing
