// A real redis-server for tests and the benchmark: started on 127.0.0.1 with a free port
// (and a unix socket) in a fresh temporary directory, without persistence, and stopped
// again. The binary is `redis-server` from PATH, or $OIDCORE_REDIS_SERVER.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace oidcore::test {

struct RedisServerOptions {
  int port = 0;                          // 0: a free port
  std::string requirepass;               // empty: no password
  std::vector<std::string> extra_args;   // more "--name value" arguments
};

class RedisServer {
 public:
  RedisServer() = default;
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts the server and waits until it answers PING. False with error() set otherwise.
  bool start(const RedisServerOptions& options = {});
  // Starts it again on the same port, socket and directory (after stop() or kill()).
  bool restart();
  // SIGKILL, then waits for the process: the port is free when this returns.
  void kill();
  // SIGTERM, waiting up to 5 s, then SIGKILL.
  void stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  const std::string& unix_path() const { return unix_path_; }
  const std::string& error() const { return error_; }
  std::string tcp_url(int db = -1) const;  // redis://127.0.0.1:PORT[/db]
  std::string version() const { return version_; }  // "7.0.15"
  int major_version() const;

 private:
  bool spawn();
  bool wait_ready();

  RedisServerOptions options_;
  std::string binary_;
  std::string dir_;
  std::string unix_path_;
  std::string version_;
  std::string error_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A raw hiredis connection for checking what the store did (blocking, 5 s timeouts).
struct ContextDeleter {
  void operator()(redisContext* c) const noexcept {
    if (c != nullptr) redisFree(c);
  }
};
using RawConnection = std::unique_ptr<redisContext, ContextDeleter>;
RawConnection raw_connect(int port, const std::string& password = {});

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
// Runs one command given as arguments (binary safe). Null on a connection failure.
Reply raw_command(redisContext* c, const std::vector<std::string>& args);

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// True when an executable of that name is found in PATH.
bool in_path(const std::string& name);

}  // namespace oidcore::test
