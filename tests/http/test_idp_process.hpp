// The test identity provider (tests/idp/test_idp.py) as a child process, and a small client
// for its control API. A test starts one, points a verifier (or the CLI) at it, injects
// faults and reads back exactly which requests reached it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_fetch.hpp"

namespace oidcore::testing {

// One request as the server logged it (see tests/idp/README.md).
struct LoggedRequest {
  std::string path, method, host, x_forwarded_proto, x_forwarded_host, target;
  int64_t conn = 0;
  bool tls = false;
};

struct RequestLog {
  int jwks = 0, discovery = 0, token = 0, other = 0, total = 0;
  std::vector<LoggedRequest> log;
};

class TestIdp {
 public:
  TestIdp() = default;
  ~TestIdp();
  TestIdp(const TestIdp&) = delete;
  TestIdp& operator=(const TestIdp&) = delete;

  // Starts the server with these extra command-line arguments and waits for its READY line.
  // On failure returns false with `error` set (and no process left behind).
  [[nodiscard]] bool start(const std::vector<std::string>& args, std::string& error);
  // Closes its stdin (the server's signal to exit) and reaps it; returns the exit status
  // (-1 when it had to be killed). Idempotent.
  int stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  // http://127.0.0.1:PORT, or https:// when started with a certificate.
  std::string origin() const;
  // The default issuer: origin() + "/application/o/test/".
  std::string issuer() const { return origin() + "/application/o/test/"; }
  std::string jwks_url() const { return origin() + "/jwks"; }

  // POST /_control/NAME with a JSON body; a failed test assertion unless it answers 200.
  void control(std::string_view name, std::string_view body = "{}") const;
  // Same, returning the HTTP status instead of asserting (0 when the request failed).
  long control_status(std::string_view name, std::string_view body) const;

  void reset() const { control("reset"); }
  void reset_counts() const { control("reset_counts"); }
  void set_jwks(std::string_view jwks) const { control("jwks", jwks); }
  // `members`: a JSON object merged over the generated discovery document.
  void set_discovery(std::string_view members) const { control("discovery", members); }
  // `spec`: the members after "path" of a /_control/mode request, e.g. "\"mode\":\"hang\"".
  void set_mode(std::string_view path, std::string_view spec) const;
  void set_headers(std::string_view path, std::string_view headers_object) const;
  void set_delay(std::string_view path, double seconds) const;
  void set_token_answer(long status, std::string_view body_json) const;

  RequestLog requests() const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  bool tls_ = false;
  std::unique_ptr<http::HttpClient> control_client_;
};

// The folder holding test_idp.py and make_test_ca.sh.
std::string idp_dir();
// The Python interpreter found at configure time.
std::string python_path();

// Runs `argv` (argv[0] looked up in PATH) to completion with stdin from /dev/null; collects
// stdout and stderr. Returns the exit status (128 + signal when killed by one, -1 when it
// could not start).
int run_process(const std::vector<std::string>& argv, std::string& out, std::string& err, double timeout_seconds = 30);

// A temporary directory, removed (with its files) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace oidcore::testing
