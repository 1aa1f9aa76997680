#include "redis_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace oidcore::test {
namespace {

std::string read_file_tail(const std::string& path, size_t max = 2000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max) s = s.substr(s.size() - max);
  return s;
}

std::string command_output(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

}  // namespace

bool in_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    if (::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

RawConnection raw_connect(int port, const std::string& password) {
  timeval tv{5, 0};
  RawConnection c(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (!c || c->err != 0) return nullptr;
  redisSetTimeout(c.get(), tv);
  if (!password.empty()) {
    Reply r = raw_command(c.get(), {"AUTH", password});
    if (!r || r->type == REDIS_REPLY_ERROR) return nullptr;
  }
  return c;
}

Reply raw_command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

RedisServer::~RedisServer() {
  if (pid_ > 0) kill();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string RedisServer::tcp_url(int db) const {
  std::string url = "redis://127.0.0.1:" + std::to_string(port_);
  if (db >= 0) url += "/" + std::to_string(db);
  return url;
}

int RedisServer::major_version() const { return std::atoi(version_.c_str()); }

bool RedisServer::start(const RedisServerOptions& options) {
  options_ = options;
  const char* env = std::getenv("OIDCORE_REDIS_SERVER");
  binary_ = env != nullptr && *env != '\0' ? env : "redis-server";
  if (!in_path(binary_)) {
    error_ = "redis-server was not found (looked for \"" + binary_ +
             "\" in PATH; set OIDCORE_REDIS_SERVER or install the redis-server package, e.g. "
             "with scripts/install-deps.sh). The Redis store tests need a real server.";
    return false;
  }
  // "Redis server v=7.0.15 sha=..."
  const std::string v = command_output("'" + binary_ + "' --version 2>/dev/null");
  const size_t at = v.find("v=");
  if (at != std::string::npos) version_ = v.substr(at + 2, v.find(' ', at) - at - 2);

  std::error_code ec;
  std::string templ = (std::filesystem::temp_directory_path(ec) / "oidcore-redis-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    error_ = "cannot create a temporary directory: " + std::string(std::strerror(errno));
    return false;
  }
  dir_ = templ;
  unix_path_ = dir_ + "/redis.sock";
  // The port may be taken between free_port() and the server's bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = options_.port != 0 ? options_.port : free_port();
    if (port_ == 0) continue;
    if (spawn() && wait_ready()) return true;
    if (pid_ > 0) kill();
  }
  if (error_.empty()) error_ = "redis-server did not start";
  return false;
}

bool RedisServer::restart() {
  if (pid_ > 0) kill();
  if (spawn() && wait_ready()) return true;
  if (pid_ > 0) kill();
  return false;
}

bool RedisServer::spawn() {
  std::vector<std::string> args = {
      binary_,
      "--port", std::to_string(port_),
      "--bind", "127.0.0.1",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir_,
      "--daemonize", "no",
      "--unixsocket", unix_path_,
      "--unixsocketperm", "700",
      "--logfile", dir_ + "/redis.log",
  };
  // DEBUG (used to make the server slow) is off by default from Redis 7 on.
  if (major_version() >= 7) {
    args.push_back("--enable-debug-command");
    args.push_back("local");
  }
  if (!options_.requirepass.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.requirepass);
  }
  for (const auto& a : options_.extra_args) args.push_back(a);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const std::string err_path = dir_ + "/stderr.log";
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error_ = "cannot run " + binary_ + ": " + std::strerror(rc);
    return false;
  }
  pid_ = pid;
  return true;
}

bool RedisServer::wait_ready() {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "redis-server exited at startup: " + read_file_tail(dir_ + "/redis.log") +
               read_file_tail(dir_ + "/stderr.log");
      return false;
    }
    timeval tv{0, 200000};
    RawConnection c(redisConnectWithTimeout("127.0.0.1", port_, tv));
    if (c && c->err == 0) {
      redisSetTimeout(c.get(), tv);
      Reply r = raw_command(c.get(), {"PING"});
      // With requirepass, PING answers NOAUTH: the server is up all the same.
      if (r) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error_ = "redis-server did not answer within 15 s: " + read_file_tail(dir_ + "/redis.log");
  return false;
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
}

}  // namespace oidcore::test
