#include "test_idp_process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

extern char** environ;

namespace oidcore::testing {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Waits for `pid` up to `timeout` seconds; kills it after that. Returns the exit status,
// 128 + signal for a signalled child, or -1 when it had to be killed.
int reap(pid_t pid, double timeout) {
  const auto start = Clock::now();
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (seconds_since(start) > timeout) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string member(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "";
  return std::string(s);
}

}  // namespace

std::string idp_dir() {
  return OIDCORE_IDP_DIR;
}
std::string python_path() {
  return OIDCORE_PYTHON;
}

TestIdp::~TestIdp() {
  stop();
}

bool TestIdp::start(const std::vector<std::string>& args, std::string& error) {
  stop();
  tls_ = false;
  for (const auto& a : args)
    if (a == "--tls-cert") tls_ = true;
  // Both pipes close-on-exec: the server gets only the ends dup2'ed onto 0 and 1, and no
  // other child (the CLI runs, a second server) inherits the write end of this one's stdin,
  // which would keep it alive after stop().
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return false;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    ::close(in[0]);
    ::close(in[1]);
    return false;
  }
  std::vector<std::string> argv = {python_path(), idp_dir() + "/test_idp.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto cargv = c_argv(argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    error = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];

  // "READY <port>\n", and nothing else, ever.
  std::string line;
  const auto start = Clock::now();
  while (line.empty() || line.back() != '\n') {
    const double left = 20.0 - seconds_since(start);
    pollfd p{stdout_fd_, POLLIN, 0};
    const int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left * 1000) + 1) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "test_idp.py printed no READY line within 20 s";
      stop();
      return false;
    }
    char c;
    const ssize_t r = ::read(stdout_fd_, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int status = stop();
      error = "test_idp.py exited before READY (status " + std::to_string(status) + ")";
      return false;
    }
    line += c;
  }
  if (line.rfind("READY ", 0) != 0 || (port_ = std::atoi(line.c_str() + 6)) <= 0) {
    error = "unexpected first line from test_idp.py: " + line;
    stop();
    return false;
  }
  // The control API is plain HTTP on the same port, TLS or not.
  http::HttpOptions o;
  o.connect_timeout_ms = 5000;
  o.total_timeout_ms = 10000;
  o.max_response_bytes = size_t{32} << 20;
  control_client_ = std::make_unique<http::HttpClient>(o);
  return true;
}

int TestIdp::stop() {
  if (pid_ <= 0) return 0;
  control_client_.reset();
  close_fd(stdin_fd_);  // EOF on its stdin: the server exits at once
  const int status = reap(pid_, 10.0);
  close_fd(stdout_fd_);
  pid_ = -1;
  port_ = 0;
  return status;
}

std::string TestIdp::origin() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

long TestIdp::control_status(std::string_view name, std::string_view body) const {
  if (!control_client_) return 0;
  http::HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port_) + "/_control/" + std::string(name);
  req.method = "POST";
  req.body.assign(body);
  req.headers = {"Content-Type: application/json"};
  http::HttpResponse resp;
  if (auto err = control_client_->fetch(req, resp)) return 0;
  return resp.status;
}

void TestIdp::control(std::string_view name, std::string_view body) const {
  const long status = control_status(name, body);
  EXPECT_EQ(status, 200) << "/_control/" << name << " " << body;
}

void TestIdp::set_mode(std::string_view path, std::string_view spec) const {
  control("mode", "{\"path\":\"" + std::string(path) + "\"," + std::string(spec) + "}");
}

void TestIdp::set_headers(std::string_view path, std::string_view headers_object) const {
  control("headers", "{\"path\":\"" + std::string(path) + "\",\"headers\":" + std::string(headers_object) + "}");
}

void TestIdp::set_delay(std::string_view path, double seconds) const {
  control("delay", "{\"path\":\"" + std::string(path) + "\",\"seconds\":" + std::to_string(seconds) + "}");
}

void TestIdp::set_token_answer(long status, std::string_view body_json) const {
  control("token", "{\"status\":" + std::to_string(status) + ",\"body\":" + std::string(body_json) + "}");
}

RequestLog TestIdp::requests() const {
  RequestLog out;
  if (!control_client_) {
    ADD_FAILURE() << "the test identity provider is not running";
    return out;
  }
  http::HttpResponse resp;
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/_control/requests";
  if (auto err = control_client_->fetch({url, "GET", "", {}}, resp)) {
    ADD_FAILURE() << "GET /_control/requests: " << err.message;
    return out;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (resp.status != 200 || parser.parse(resp.body).get(root)) {
    ADD_FAILURE() << "GET /_control/requests answered " << resp.status << ": " << resp.body.substr(0, 200);
    return out;
  }
  auto count = [&](const char* key) {
    int64_t n = 0;
    if (root[key].get_int64().get(n)) n = -1;
    return static_cast<int>(n);
  };
  out.jwks = count("/jwks");
  out.discovery = count("discovery");
  out.token = count("token");
  out.other = count("other");
  out.total = count("total");
  simdjson::dom::array log;
  if (!root["log"].get_array().get(log)) {
    for (auto e : log) {
      LoggedRequest r;
      r.path = member(e, "path");
      r.method = member(e, "method");
      r.host = member(e, "host");
      r.x_forwarded_proto = member(e, "x_forwarded_proto");
      r.x_forwarded_host = member(e, "x_forwarded_host");
      r.target = member(e, "target");
      if (e["conn"].get_int64().get(r.conn)) r.conn = -1;
      if (e["tls"].get_bool().get(r.tls)) r.tls = false;
      out.log.push_back(std::move(r));
    }
  }
  return out;
}

int run_process(const std::vector<std::string>& argv, std::string& out, std::string& err, double timeout_seconds) {
  out.clear();
  err.clear();
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return -1;
  if (::pipe2(e, O_CLOEXEC) != 0) {
    ::close(o[0]);
    ::close(o[1]);
    return -1;
  }
  auto cargv = c_argv(argv);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, o[1], 1);
  posix_spawn_file_actions_adddup2(&actions, e[1], 2);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(o[1]);
  ::close(e[1]);
  if (rc != 0) {
    ::close(o[0]);
    ::close(e[0]);
    err = std::string("cannot start: ") + std::strerror(rc);
    return -1;
  }
  const auto start = Clock::now();
  pollfd fds[2] = {{o[0], POLLIN, 0}, {e[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const double left = timeout_seconds - seconds_since(start);
    if (left <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const int n = ::poll(fds, 2, static_cast<int>(left * 1000) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? out : err).append(buf, static_cast<size_t>(r));
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  const int status = reap(pid, timed_out ? 0 : 10.0);
  if (timed_out) err += "\n(killed after " + std::to_string(timeout_seconds) + " s)";
  return status;
}

TempDir::TempDir() {
  std::error_code ec;
  std::string tmpl = (std::filesystem::temp_directory_path(ec) / "oidcore_http_tests.XXXXXX").string();
  if (!ec && ::mkdtemp(tmpl.data())) path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace oidcore::testing
