// The Redis store against a real redis-server started by the tests themselves (see
// redis_server.hpp). Without redis-server these tests fail, with a message saying so.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "store/redis_store.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::status_name;
using oidcore::store::create_redis_store;
using oidcore::store::PutResult;
using oidcore::store::RedisStoreConfig;
using oidcore::store::Store;
using oidcore::test::raw_command;
using oidcore::test::raw_connect;
using oidcore::test::RawConnection;
using oidcore::test::RedisServer;
using oidcore::test::RedisServerOptions;
using oidcore::test::Reply;
namespace hooks = oidcore::store::test_hooks;
using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

std::string describe(const Error& e) {
  return std::string(status_name(e.status)) + ": " + e.message;
}

RedisStoreConfig config_for(const std::string& url, double command_timeout = 2.0, int pool_size = 4,
                            const std::string& prefix = "t:") {
  RedisStoreConfig c;
  c.url = url;
  c.key_prefix = prefix;
  c.pool_size = pool_size;
  c.connect_timeout = 1.0;
  c.command_timeout = command_timeout;
  return c;
}

std::unique_ptr<Store> make_store(const RedisStoreConfig& config) {
  Error e;
  auto store = create_redis_store(config, e);
  EXPECT_TRUE(e.ok()) << describe(e);
  EXPECT_TRUE(store != nullptr);
  return store;
}

Error put(Store& s, std::string_view key, std::string_view value, int64_t ttl = 60,
          bool nx = false, PutResult* out = nullptr) {
  PutResult r = PutResult::exists;
  Error e = s.put(key, value, ttl, nx, r);
  if (out != nullptr) *out = r;
  return e;
}

// Sends a command on a raw connection without waiting for its reply (DEBUG SLEEP).
void send_only(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  ASSERT_EQ(redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()),
            REDIS_OK);
  int done = 0;
  while (!done) ASSERT_EQ(redisBufferWrite(c, &done), REDIS_OK);
}

long long integer_of(redisContext* c, const std::vector<std::string>& args) {
  Reply r = raw_command(c, args);
  if (!r || r->type != REDIS_REPLY_INTEGER) return -999;
  return r->integer;
}

// `calls=` of one command in INFO commandstats (0 when never called).
long long command_calls(redisContext* c, const std::string& name) {
  Reply r = raw_command(c, {"INFO", "commandstats"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  const std::string text(r->str, r->len);
  const std::string field = "cmdstat_" + name + ":calls=";
  const size_t at = text.find(field);
  if (at == std::string::npos) return 0;
  return std::atoll(text.c_str() + at + field.size());
}

// Watches the server with MONITOR and returns the commands other clients sent, as argument
// lists (the command name upper-cased). Commands run inside Lua scripts are left out.
class Monitor {
 public:
  explicit Monitor(int port) : side_(raw_connect(port)), mon_(raw_connect(port)) {
    if (!side_ || !mon_) return;
    Reply ok = raw_command(mon_.get(), {"MONITOR"});
    ok_ = ok && ok->type == REDIS_REPLY_STATUS;
  }
  bool ok() const { return ok_; }
  // "db address" of each command the last commands() returned.
  const std::vector<std::string>& clients() const { return clients_; }

  // Everything seen since the previous call (or the start).
  std::vector<std::vector<std::string>> commands() {
    std::vector<std::vector<std::string>> out;
    clients_.clear();
    const std::string tag = "oidcore-monitor-sentinel-" + std::to_string(++sentinel_);
    Reply echo = raw_command(side_.get(), {"ECHO", tag});
    while (true) {
      void* raw = nullptr;
      if (redisGetReply(mon_.get(), &raw) != REDIS_OK || raw == nullptr) {
        ADD_FAILURE() << "MONITOR stopped: " << mon_->errstr;
        return out;
      }
      Reply line(static_cast<redisReply*>(raw));
      const std::string text(line->str, line->len);
      if (text.find(tag) != std::string::npos) return out;
      // 1700000000.123456 [0 127.0.0.1:5555] "SET" "key" ...   (or [0 lua] inside scripts)
      const size_t open = text.find('[');
      const size_t close = text.find(']', open);
      if (open == std::string::npos || close == std::string::npos) continue;
      if (text.substr(open, close - open).find("lua") != std::string::npos) continue;
      out.push_back(parse_args(text.substr(close + 1)));
      clients_.push_back(text.substr(open + 1, close - open - 1));
    }
  }

 private:
  static std::vector<std::string> parse_args(const std::string& s) {
    std::vector<std::string> args;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] != '"') {
        ++i;
        continue;
      }
      std::string a;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) {
          const char n = s[i + 1];
          if (n == 'x' && i + 3 < s.size()) {
            a += static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16));
            i += 4;
            continue;
          }
          a += n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : n;
          i += 2;
          continue;
        }
        a += s[i++];
      }
      ++i;
      args.push_back(a);
    }
    if (!args.empty()) {
      std::transform(args[0].begin(), args[0].end(), args[0].begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    }
    return args;
  }

  RawConnection side_;
  RawConnection mon_;
  bool ok_ = false;
  int sentinel_ = 0;
  std::vector<std::string> clients_;
};

// ---------------------------------------------------------------------------------------
// Configuration (no server needed)

TEST(RedisStoreConfig, BadUrlsAreInvalidConfigNamingUrl) {
  const std::string too_long_socket = "unix:///" + std::string(120, 's');
  const std::vector<std::string> bad = {
      "",
      "localhost:6379",
      "http://127.0.0.1:6379",
      "rediss://127.0.0.1:6380",
      "redis://",
      "redis:///0",
      "redis://:6379",
      "redis://127.0.0.1:0",
      "redis://127.0.0.1:65536",
      "redis://127.0.0.1:port",
      "redis://127.0.0.1:",
      "redis://127.0.0.1/abc",
      "redis://127.0.0.1/-1",
      "redis://127.0.0.1/1/2",
      "redis://127.0.0.1/99999999999",
      "redis://127.0.0.1:6379?db=1",
      "redis://127.0.0.1#x",
      "redis://ho st:6379",
      "redis://host\n:6379",
      "redis://h%41st",
      "redis://[::1",
      "redis://[::1]x",
      "redis://[zz::1]:6379",
      "redis://user@127.0.0.1",
      "redis://user:@127.0.0.1",
      "redis://:@127.0.0.1",
      "redis://:%zz@127.0.0.1",
      "redis://:pass%4@127.0.0.1",
      "unix://",
      "unix://relative/path",
      "unix://host/path.sock",
      "unix:///",
      "unix:///x.sock?db=abc",
      "unix:///x.sock?db=",
      "unix:///x.sock?db=1&db=2",
      "unix:///x.sock?timeout=1",
      "unix:///x.sock#frag",
      "unix:///x%00.sock",
      too_long_socket,
  };
  for (const auto& url : bad) {
    Error e;
    auto store = create_redis_store(config_for(url), e);
    EXPECT_EQ(store, nullptr) << url;
    EXPECT_EQ(e.status, Status::invalid_config) << url << " -> " << describe(e);
    EXPECT_EQ(e.message.rfind("url:", 0), 0u) << url << " -> " << e.message;
  }
}

TEST(RedisStoreConfig, GoodUrlsAreAccepted) {
  const std::vector<std::string> good = {
      "redis://127.0.0.1",
      "redis://127.0.0.1/",
      "redis://localhost:6379/0",
      "REDIS://LOCALHOST:6379/15",
      "redis://redis.internal-net_1:1/2147483647",
      "redis://:pass@127.0.0.1",
      "redis://:p%40ss%3A%2F%25@127.0.0.1:6379/1",
      "redis://user:pass@127.0.0.1:6379/0",
      "redis://us%65r:pa@ss@127.0.0.1",  // the last @ ends the credentials
      "redis://[::1]:6379/3",
      "redis://[::1]",
      "unix:///var/run/redis/redis.sock",
      "unix:///var/run/redis/redis.sock?db=4",
      "unix://:pass@/var/run/redis.sock?db=1",
      "unix://user:pass@/var/run/redis.sock",
      "unix:///with%20space.sock",
  };
  for (const auto& url : good) {
    Error e;
    auto store = create_redis_store(config_for(url), e);
    EXPECT_TRUE(e.ok()) << url << " -> " << describe(e);
    ASSERT_NE(store, nullptr) << url;
    EXPECT_EQ(store->kind(), "redis");
  }
}

TEST(RedisStoreConfig, UrlMessagesNeverShowThePassword) {
  Error e;
  auto store = create_redis_store(config_for("redis://admin:hunter2secret@127.0.0.1:notaport"), e);
  EXPECT_EQ(e.status, Status::invalid_config);
  EXPECT_EQ(e.message.find("hunter2secret"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("admin"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("***"), std::string::npos) << e.message;
}

TEST(RedisStoreConfig, BadSettingsAreInvalidConfigNamingTheKey) {
  struct Case {
    std::function<void(RedisStoreConfig&)> change;
    std::string key;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {[](RedisStoreConfig& c) { c.pool_size = 0; }, "pool_size"},
      {[](RedisStoreConfig& c) { c.pool_size = -3; }, "pool_size"},
      {[](RedisStoreConfig& c) { c.pool_size = 1000000; }, "pool_size"},
      {[](RedisStoreConfig& c) { c.connect_timeout = 0; }, "connect_timeout"},
      {[](RedisStoreConfig& c) { c.connect_timeout = -1; }, "connect_timeout"},
      {[nan](RedisStoreConfig& c) { c.connect_timeout = nan; }, "connect_timeout"},
      {[inf](RedisStoreConfig& c) { c.connect_timeout = inf; }, "connect_timeout"},
      {[](RedisStoreConfig& c) { c.command_timeout = 0; }, "command_timeout"},
      {[nan](RedisStoreConfig& c) { c.command_timeout = nan; }, "command_timeout"},
      {[](RedisStoreConfig& c) { c.command_timeout = 1e9; }, "command_timeout"},
  };
  for (const auto& c : cases) {
    RedisStoreConfig config = config_for("redis://127.0.0.1:6379");
    c.change(config);
    Error e;
    auto store = create_redis_store(config, e);
    EXPECT_EQ(store, nullptr);
    EXPECT_EQ(e.status, Status::invalid_config) << c.key;
    EXPECT_EQ(e.message.rfind(c.key + ":", 0), 0u) << e.message;
  }
}

TEST(RedisStoreConfig, TtlOutOfRangeIsInvalidArgument) {
  auto store = make_store(config_for("redis://127.0.0.1:" + std::to_string(oidcore::test::free_port())));
  ASSERT_TRUE(store);
  for (int64_t ttl : {int64_t{0}, int64_t{-5}, int64_t{1} << 50}) {
    Error e = put(*store, "k", "v", ttl);
    EXPECT_EQ(e.status, Status::invalid_argument) << ttl;
    EXPECT_NE(e.message.find("ttl_seconds"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------
// Against one server shared by the suite

class RedisStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RedisServer;
    started_ = server_->start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << server_->error();
    if (!server_->running()) {
      ASSERT_TRUE(server_->restart()) << server_->error();
    }
    raw_ = raw_connect(server_->port());
    ASSERT_TRUE(raw_) << "cannot connect to the test redis-server";
    Reply r = raw_command(raw_.get(), {"FLUSHALL"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  }

  static std::string url(int db = -1) { return server_->tcp_url(db); }
  static int port() { return server_->port(); }

  static RedisServer* server_;
  static bool started_;
  RawConnection raw_;
};
RedisServer* RedisStoreTest::server_ = nullptr;
bool RedisStoreTest::started_ = false;

TEST_F(RedisStoreTest, PutTakeRoundTrip) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  PutResult r = PutResult::exists;
  Error e = put(*store, "key-1", "value-1", 60, false, &r);
  ASSERT_TRUE(e.ok()) << describe(e);
  EXPECT_EQ(r, PutResult::stored);
  std::string value = "garbage";
  e = store->take("key-1", value);
  ASSERT_TRUE(e.ok()) << describe(e);
  EXPECT_EQ(value, "value-1");
  // Empty values are values.
  ASSERT_TRUE(put(*store, "empty", "").ok());
  value = "x";
  ASSERT_TRUE(store->take("empty", value).ok());
  EXPECT_EQ(value, "");
}

TEST_F(RedisStoreTest, TakeOfAnAbsentKeyIsNotFound) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  std::string value;
  Error e = store->take("never-stored", value);
  EXPECT_EQ(e.status, Status::not_found) << describe(e);
}

TEST_F(RedisStoreTest, OnlyIfAbsent) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  PutResult r = PutResult::exists;
  ASSERT_TRUE(put(*store, "nx", "first", 60, true, &r).ok());
  EXPECT_EQ(r, PutResult::stored);
  r = PutResult::stored;
  Error e = put(*store, "nx", "second", 60, true, &r);
  ASSERT_TRUE(e.ok()) << describe(e);
  EXPECT_EQ(r, PutResult::exists);
  std::string value;
  ASSERT_TRUE(store->take("nx", value).ok());
  EXPECT_EQ(value, "first");  // left alone
  // Once taken, the key is free again.
  ASSERT_TRUE(put(*store, "nx", "third", 60, true, &r).ok());
  EXPECT_EQ(r, PutResult::stored);
  // Without only_if_absent, put overwrites.
  ASSERT_TRUE(put(*store, "nx", "fourth", 60, false, &r).ok());
  EXPECT_EQ(r, PutResult::stored);
  ASSERT_TRUE(store->take("nx", value).ok());
  EXPECT_EQ(value, "fourth");
}

TEST_F(RedisStoreTest, TtlIsSetAndEntriesExpire) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "ttl-600", "v", 600).ok());
  const long long ttl = integer_of(raw_.get(), {"TTL", "t:ttl-600"});
  EXPECT_GE(ttl, 598);
  EXPECT_LE(ttl, 600);

  ASSERT_TRUE(put(*store, "short", "v", 1).ok());
  ASSERT_TRUE(put(*store, "short-nx", "v", 1, true).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  std::string value;
  EXPECT_EQ(store->take("short", value).status, Status::not_found);
  EXPECT_EQ(value, "");
  // An expired entry does not block only_if_absent.
  PutResult r = PutResult::exists;
  ASSERT_TRUE(put(*store, "short-nx", "again", 60, true, &r).ok());
  EXPECT_EQ(r, PutResult::stored);
}

TEST_F(RedisStoreTest, TakeTwiceSecondIsNotFound) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "once", "v").ok());
  std::string value;
  ASSERT_TRUE(store->take("once", value).ok());
  EXPECT_EQ(value, "v");
  Error e = store->take("once", value);
  EXPECT_EQ(e.status, Status::not_found) << describe(e);
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "t:once"}), 0);
}

TEST_F(RedisStoreTest, BinaryKeysAndValues) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  const std::string value = std::string("a\0b\r\n$3\r\n*1\r\n\0", 15) + all_bytes + all_bytes;
  const std::string key = std::string("k\0e\r\ny", 6) + all_bytes;
  ASSERT_TRUE(put(*store, key, value).ok());
  Reply raw = raw_command(raw_.get(), {"GET", "t:" + key});
  ASSERT_TRUE(raw && raw->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(raw->str, raw->len), value);
  std::string got;
  ASSERT_TRUE(store->take(key, got).ok());
  EXPECT_EQ(got, value);
  // The key is not cut at the NUL.
  ASSERT_TRUE(put(*store, std::string("k\0", 2), "with-nul").ok());
  EXPECT_EQ(store->take("k", got).status, Status::not_found);
  ASSERT_TRUE(store->take(std::string("k\0", 2), got).ok());
  EXPECT_EQ(got, "with-nul");
}

TEST_F(RedisStoreTest, PrefixIsApplied) {
  auto store = make_store(config_for(url(), 2.0, 4, "oidcore:xc:"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "abc", "v").ok());
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "oidcore:xc:abc"}), 1);
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "abc"}), 0);
  EXPECT_EQ(integer_of(raw_.get(), {"DBSIZE"}), 1);
  // A value written by someone else under the prefixed key is what take returns.
  ASSERT_TRUE(raw_command(raw_.get(), {"SET", "oidcore:xc:other", "from-outside"}));
  std::string value;
  ASSERT_TRUE(store->take("other", value).ok());
  EXPECT_EQ(value, "from-outside");
  // Two stores with different prefixes do not see each other's entries.
  auto other = make_store(config_for(url(), 2.0, 4, "another:"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->take("abc", value).status, Status::not_found);
  // An empty prefix uses the key as is.
  auto bare = make_store(config_for(url(), 2.0, 4, ""));
  ASSERT_TRUE(bare);
  ASSERT_TRUE(put(*bare, "bare-key", "v").ok());
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "bare-key"}), 1);
}

TEST_F(RedisStoreTest, DatabaseFromTheUrl) {
  auto store = make_store(config_for(url(5)));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "in-db5", "v").ok());
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "t:in-db5"}), 0);  // raw_ is on db 0
  ASSERT_TRUE(raw_command(raw_.get(), {"SELECT", "5"}));
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "t:in-db5"}), 1);
  std::string value;
  ASSERT_TRUE(store->take("in-db5", value).ok());
  // A database the server does not have: store_unavailable naming SELECT.
  auto bad = make_store(config_for(url(999)));
  ASSERT_TRUE(bad);
  Error e = put(*bad, "k", "v");
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("SELECT 999"), std::string::npos) << e.message;
}

TEST_F(RedisStoreTest, UnixSocketUrl) {
  auto store = make_store(config_for("unix://" + server_->unix_path() + "?db=3"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "over-unix", "v").ok()) << describe(put(*store, "over-unix", "v"));
  ASSERT_TRUE(raw_command(raw_.get(), {"SELECT", "3"}));
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "t:over-unix"}), 1);
  std::string value;
  ASSERT_TRUE(store->take("over-unix", value).ok());
  EXPECT_EQ(value, "v");
  EXPECT_EQ(store->take("over-unix", value).status, Status::not_found);
  // A socket that does not exist.
  auto missing = make_store(config_for("unix://" + server_->unix_path() + ".missing"));
  ASSERT_TRUE(missing);
  Error e = missing->take("k", value);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("cannot connect"), std::string::npos) << e.message;
}

TEST_F(RedisStoreTest, OneCommandPerPutAndPerTake) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  // The first call connects (and probes the version once); count from the second on.
  ASSERT_TRUE(put(*store, "warm", "v").ok());
  Monitor monitor(port());
  ASSERT_TRUE(monitor.ok());

  ASSERT_TRUE(put(*store, "k", "v", 30).ok());
  auto cmds = monitor.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SET", "t:k", "v", "EX", "30"}));

  PutResult r = PutResult::stored;
  ASSERT_TRUE(put(*store, "k", "w", 30, true, &r).ok());
  EXPECT_EQ(r, PutResult::exists);
  cmds = monitor.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SET", "t:k", "w", "EX", "30", "NX"}));

  std::string value;
  ASSERT_TRUE(store->take("k", value).ok());
  cmds = monitor.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"GETDEL", "t:k"}));

  EXPECT_EQ(store->take("k", value).status, Status::not_found);
  cmds = monitor.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0][0], "GETDEL");
}

TEST_F(RedisStoreTest, GetIsOneGetAndLeavesTheEntry) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->remote());
  ASSERT_TRUE(put(*store, "g", std::string("v\0w", 3), 30).ok());
  Monitor monitor(port());
  ASSERT_TRUE(monitor.ok());
  std::string value;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(store->get("g", value).ok());
    EXPECT_EQ(value, std::string("v\0w", 3));
    auto cmds = monitor.commands();
    ASSERT_EQ(cmds.size(), 1u);
    EXPECT_EQ(cmds[0], (std::vector<std::string>{"GET", "t:g"}));
  }
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "t:g"}), 1);
  value = "x";
  Error e = store->get("absent", value);
  EXPECT_EQ(e.status, Status::not_found) << describe(e);
  EXPECT_TRUE(value.empty());
  // Expired: not found, as with take.
  ASSERT_TRUE(put(*store, "short", "v", 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(store->get("short", value).status, Status::not_found);
  // A key of another type answers with an error reply: store_unavailable, never a value.
  ASSERT_TRUE(raw_command(raw_.get(), {"LPUSH", "t:list", "a"}));
  e = store->get("list", value);
  EXPECT_EQ(e.status, Status::store_unavailable) << describe(e);
  EXPECT_TRUE(value.empty());
}

TEST_F(RedisStoreTest, OneCommandPerTakeWithTheFallback) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(hooks::redis_force_take_fallback(*store));
  ASSERT_TRUE(put(*store, "warm", "v").ok());
  Monitor monitor(port());
  ASSERT_TRUE(monitor.ok());

  ASSERT_TRUE(put(*store, "k", "v").ok());
  auto cmds = monitor.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0][0], "SET");

  std::string value;
  ASSERT_TRUE(store->take("k", value).ok());
  EXPECT_EQ(value, "v");
  cmds = monitor.commands();  // the GET and DEL inside the script are not client commands
  ASSERT_EQ(cmds.size(), 1u);
  ASSERT_EQ(cmds[0].size(), 4u);
  EXPECT_EQ(cmds[0][0], "EVAL");
  EXPECT_EQ(cmds[0][2], "1");
  EXPECT_EQ(cmds[0][3], "t:k");
}

TEST_F(RedisStoreTest, FallbackTakeSemantics) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(hooks::redis_force_take_fallback(*store));
  const std::string value_in = std::string("bin\0ary\r\n", 9);
  ASSERT_TRUE(put(*store, "fb", value_in).ok());
  std::string value;
  ASSERT_TRUE(store->take("fb", value).ok());
  EXPECT_EQ(value, value_in);
  EXPECT_EQ(store->take("fb", value).status, Status::not_found);
  EXPECT_EQ(integer_of(raw_.get(), {"EXISTS", "t:fb"}), 0);
  // Expired entries are not returned by the script either.
  ASSERT_TRUE(put(*store, "fb-short", "v", 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(store->take("fb-short", value).status, Status::not_found);
  // Hooks only apply to Redis stores.
  struct NotRedis : Store {
    Error put(std::string_view, std::string_view, int64_t, bool, PutResult&) override { return {}; }
    Error take(std::string_view, std::string&) override { return {}; }
    Error get(std::string_view, std::string&) override { return {}; }
    std::string_view kind() const noexcept override { return "other"; }
  } other;
  EXPECT_FALSE(hooks::redis_force_take_fallback(other));
}

// 10,000 entries, each taken by 8 threads at once: every entry is taken exactly once.
void exactly_once(const std::string& url, bool fallback) {
  constexpr int kKeys = 10000;
  constexpr int kThreads = 8;
  // Fewer connections than threads: calls also wait for each other in the pool.
  auto store = make_store(config_for(url, 10.0, 4));
  ASSERT_TRUE(store);
  if (fallback) {
    ASSERT_TRUE(hooks::redis_force_take_fallback(*store));
  }
  for (int i = 0; i < kKeys; ++i) {
    Error e = put(*store, "c" + std::to_string(i), "value-" + std::to_string(i));
    ASSERT_TRUE(e.ok()) << describe(e);
  }
  std::vector<std::atomic<int>> taken(kKeys);
  std::atomic<int> wrong_value{0};
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      std::string value;
      for (int i = 0; i < kKeys; ++i) {
        Error e = store->take("c" + std::to_string(i), value);
        if (e.ok()) {
          taken[i].fetch_add(1);
          if (value != "value-" + std::to_string(i)) wrong_value.fetch_add(1);
        } else if (e.status != Status::not_found) {
          if (failures.fetch_add(1) == 0) {
            std::lock_guard<std::mutex> lock(failure_mu);
            first_failure = describe(e);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  EXPECT_EQ(wrong_value.load(), 0);
  int not_once = 0;
  for (int i = 0; i < kKeys; ++i) {
    if (taken[i].load() != 1) ++not_once;
  }
  EXPECT_EQ(not_once, 0) << "entries not taken exactly once";
}

TEST_F(RedisStoreTest, ExactlyOnceUnderContention) {
  exactly_once(url(), false);
  EXPECT_EQ(integer_of(raw_.get(), {"DBSIZE"}), 0);
}

TEST_F(RedisStoreTest, ExactlyOnceUnderContentionWithTheFallback) {
  exactly_once(url(), true);
  EXPECT_EQ(integer_of(raw_.get(), {"DBSIZE"}), 0);
}

TEST_F(RedisStoreTest, VersionIsProbedOncePerStoreAndEachCallIsOneCommand) {
  ASSERT_TRUE(raw_command(raw_.get(), {"CONFIG", "RESETSTAT"}));
  auto store = make_store(config_for(url(), 5.0, 8));
  ASSERT_TRUE(store);
  constexpr int kThreads = 8, kPairs = 50;
  std::barrier start(kThreads);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      std::string value;
      for (int i = 0; i < kPairs; ++i) {
        const std::string key = "p" + std::to_string(t) + "-" + std::to_string(i);
        if (!put(*store, key, "v").ok() || !store->take(key, value).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(command_calls(raw_.get(), "info"), 1);
  EXPECT_EQ(command_calls(raw_.get(), "set"), kThreads * kPairs);
  EXPECT_EQ(command_calls(raw_.get(), "getdel"), kThreads * kPairs);
  EXPECT_EQ(command_calls(raw_.get(), "eval"), 0);
}

// The store sends keys and values of any size as they are; limits are the caller's.
TEST_F(RedisStoreTest, OneMegabyteKeyAndValue) {
  auto store = make_store(config_for(url(), 10.0));
  ASSERT_TRUE(store);
  std::mt19937 rng(7);
  std::string big_value(1 << 20, '\0');
  for (auto& c : big_value) c = static_cast<char>(rng());
  const std::string big_key(1 << 20, 'k');
  ASSERT_TRUE(put(*store, "small-key", big_value).ok());
  ASSERT_TRUE(put(*store, big_key, "small-value").ok());
  ASSERT_TRUE(put(*store, big_key + "2", big_value).ok());
  std::string value;
  ASSERT_TRUE(store->take("small-key", value).ok());
  EXPECT_EQ(value, big_value);
  ASSERT_TRUE(store->take(big_key, value).ok());
  EXPECT_EQ(value, "small-value");
  ASSERT_TRUE(store->take(big_key + "2", value).ok());
  EXPECT_EQ(value, big_value);
  EXPECT_EQ(store->take(big_key, value).status, Status::not_found);
}

TEST_F(RedisStoreTest, ErrorRepliesAreStoreUnavailable) {
  auto store = make_store(config_for(url()));
  ASSERT_TRUE(store);
  // GETDEL on a list: WRONGTYPE.
  ASSERT_TRUE(raw_command(raw_.get(), {"RPUSH", "t:a-list", "x"}));
  std::string value;
  Error e = store->take("a-list", value);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("GETDEL failed: WRONGTYPE"), std::string::npos) << e.message;
  // Same through the script.
  auto fb = make_store(config_for(url()));
  ASSERT_TRUE(hooks::redis_force_take_fallback(*fb));
  e = fb->take("a-list", value);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("WRONGTYPE"), std::string::npos) << e.message;
  // SET refused by the server (out of memory).
  ASSERT_TRUE(raw_command(raw_.get(), {"CONFIG", "SET", "maxmemory-policy", "noeviction"}));
  ASSERT_TRUE(raw_command(raw_.get(), {"CONFIG", "SET", "maxmemory", "1"}));
  e = put(*store, "k", "v");
  ASSERT_TRUE(raw_command(raw_.get(), {"CONFIG", "SET", "maxmemory", "0"}));
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("SET failed: OOM"), std::string::npos) << e.message;
  // And the store keeps working.
  ASSERT_TRUE(put(*store, "k", "v").ok());
  ASSERT_TRUE(store->take("k", value).ok());
}

TEST_F(RedisStoreTest, SlowServerTimesOut) {
  auto store = make_store(config_for(url(), 0.3));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "before", "v").ok());
  RawConnection sleeper = raw_connect(port());
  ASSERT_TRUE(sleeper);
  send_only(sleeper.get(), {"DEBUG", "SLEEP", "2"});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  auto t0 = SteadyClock::now();
  Error e = put(*store, "during", "v");
  double took = seconds_since(t0);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("SET timed out"), std::string::npos) << e.message;
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 0.3 + 0.4);

  std::string value;
  t0 = SteadyClock::now();
  e = store->take("before", value);
  took = seconds_since(t0);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("timed out"), std::string::npos) << e.message;
  EXPECT_LT(took, 0.3 + 0.4);

  Reply done(static_cast<redisReply*>(nullptr));
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sleeper.get(), &raw), REDIS_OK);  // the server is back
  done.reset(static_cast<redisReply*>(raw));
  ASSERT_TRUE(put(*store, "after", "v").ok());
  ASSERT_TRUE(store->take("after", value).ok());
}

TEST_F(RedisStoreTest, WaitingForAConnectionIsBounded) {
  auto store = make_store(config_for(url(), 0.4, 1));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "warm", "v").ok());
  RawConnection sleeper = raw_connect(port());
  ASSERT_TRUE(sleeper);
  send_only(sleeper.get(), {"DEBUG", "SLEEP", "1.5"});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  Error first;
  double first_took = 0;
  std::thread holder([&] {
    const auto t0 = SteadyClock::now();
    first = put(*store, "a", "v");
    first_took = seconds_since(t0);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = SteadyClock::now();
  Error second = put(*store, "b", "v");
  const double second_took = seconds_since(t0);
  holder.join();
  for (const auto& [e, took] : {std::pair{first, first_took}, std::pair{second, second_took}}) {
    EXPECT_EQ(e.status, Status::store_unavailable);
    EXPECT_NE(e.message.find("timed out"), std::string::npos) << e.message;
    EXPECT_LT(took, 0.4 + 0.4);
  }
  void* raw = nullptr;
  ASSERT_EQ(redisGetReply(sleeper.get(), &raw), REDIS_OK);
  freeReplyObject(raw);
  ASSERT_TRUE(put(*store, "after", "v").ok());
}

TEST_F(RedisStoreTest, KilledIdleConnectionsAreReplacedWithoutAFailedCall) {
  auto store = make_store(config_for(url(), 2.0, 4));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "k", "v").ok());  // leaves an idle pooled connection
  ASSERT_TRUE(raw_command(raw_.get(), {"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::string value;
  Error e = store->take("k", value);
  ASSERT_TRUE(e.ok()) << describe(e);
  EXPECT_EQ(value, "v");
}

// A child process does not talk over the connections it inherited from its parent.
TEST_F(RedisStoreTest, ForkedChildUsesItsOwnConnections) {
  auto store = make_store(config_for(url(), 2.0, 1));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "warm", "v").ok());  // the parent's pooled connection
  Monitor monitor(port());
  ASSERT_TRUE(monitor.ok());
  ASSERT_TRUE(put(*store, "parent-1", "v").ok());

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    PutResult r;
    std::string value;
    const bool ok = !store->put("child", "c", 60, false, r) && !store->take("warm", value) && value == "v";
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(put(*store, "parent-2", "v").ok());  // the parent's connection is intact

  const auto cmds = monitor.commands();
  const auto& clients = monitor.clients();
  ASSERT_EQ(cmds.size(), 4u);  // SET parent-1, SET child, GETDEL warm, SET parent-2
  EXPECT_EQ(cmds[0][1], "t:parent-1");
  EXPECT_EQ(cmds[1][1], "t:child");
  EXPECT_EQ(cmds[2][0], "GETDEL");
  EXPECT_EQ(cmds[3][1], "t:parent-2");
  EXPECT_EQ(clients[0], clients[3]);
  EXPECT_NE(clients[0], clients[1]);
  EXPECT_EQ(clients[1], clients[2]);
}

// ---------------------------------------------------------------------------------------
// Faults, each with its own server

TEST(RedisStoreFaults, ServerStoppedMidRunThenRestartedOnTheSamePort) {
  RedisServer server;
  ASSERT_TRUE(server.start()) << server.error();
  constexpr double kCommand = 0.5, kConnect = 0.5, kMargin = 0.5;
  RedisStoreConfig config = config_for(server.tcp_url(), kCommand, 4);
  config.connect_timeout = kConnect;
  auto store = make_store(config);
  ASSERT_TRUE(store);

  struct Call {
    Status status;
    double seconds;
    bool after_kill;
    std::string message;
  };
  std::atomic<bool> stop{false};
  std::atomic<bool> killed{false};
  std::vector<std::vector<Call>> calls(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::string value;
      for (int i = 0; !stop.load(); ++i) {
        const std::string key = "m" + std::to_string(t) + "-" + std::to_string(i);
        bool after = killed.load();
        auto t0 = SteadyClock::now();
        Error e = put(*store, key, "v");
        calls[t].push_back({e.status, seconds_since(t0), after, e.message});
        if (!e.ok()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        after = killed.load();
        t0 = SteadyClock::now();
        e = store->take(key, value);
        calls[t].push_back({e.status, seconds_since(t0), after, e.message});
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.kill();
  killed = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  stop = true;
  for (auto& t : threads) t.join();

  int ok_before = 0, unavailable_after = 0;
  double slowest = 0;
  for (const auto& per_thread : calls) {
    for (const auto& c : per_thread) {
      slowest = std::max(slowest, c.seconds);
      EXPECT_TRUE(c.status == Status::ok || c.status == Status::store_unavailable)
          << status_name(c.status) << ": " << c.message;
      if (c.status == Status::store_unavailable) {
        EXPECT_NE(c.message.find("redis (127.0.0.1:" + std::to_string(server.port()) + ")"),
                  std::string::npos)
            << c.message;
      }
      if (!c.after_kill && c.status == Status::ok) ++ok_before;
      if (c.after_kill) {
        EXPECT_EQ(c.status, Status::store_unavailable);
        ++unavailable_after;
      }
    }
  }
  EXPECT_GT(ok_before, 0);
  EXPECT_GT(unavailable_after, 0);
  EXPECT_LT(slowest, kCommand + kConnect + kMargin);

  // Nothing listens now: refused at once.
  std::string value;
  auto t0 = SteadyClock::now();
  Error e = store->take("x", value);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("cannot connect"), std::string::npos) << e.message;
  EXPECT_LT(seconds_since(t0), kCommand);

  ASSERT_TRUE(server.restart()) << server.error();
  e = put(*store, "back", "v");  // the same store object, no failed call first
  ASSERT_TRUE(e.ok()) << describe(e);
  ASSERT_TRUE(store->take("back", value).ok());
  EXPECT_EQ(value, "v");
}

TEST(RedisStoreFaults, RestartWhileIdleCostsNoFailedCall) {
  RedisServer server;
  ASSERT_TRUE(server.start()) << server.error();
  auto store = make_store(config_for(server.tcp_url(), 1.0, 4));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "a", "v").ok());
  server.kill();
  ASSERT_TRUE(server.restart()) << server.error();
  Error e = put(*store, "b", "v");
  ASSERT_TRUE(e.ok()) << describe(e);
  std::string value;
  EXPECT_EQ(store->take("a", value).status, Status::not_found);  // no persistence
  ASSERT_TRUE(store->take("b", value).ok());
}

TEST(RedisStoreFaults, ServerDownWhenTheStoreIsCreated) {
  const int port = oidcore::test::free_port();
  ASSERT_NE(port, 0);
  auto store = make_store(config_for("redis://127.0.0.1:" + std::to_string(port), 1.0));
  ASSERT_TRUE(store);
  const auto t0 = SteadyClock::now();
  Error e = put(*store, "k", "v");
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("cannot connect"), std::string::npos) << e.message;
  EXPECT_LT(seconds_since(t0), 1.0);
  std::string got = "x";
  e = store->get("k", got);
  EXPECT_EQ(e.status, Status::store_unavailable) << describe(e);
  EXPECT_TRUE(got.empty());

  RedisServer server;
  RedisServerOptions options;
  options.port = port;
  ASSERT_TRUE(server.start(options)) << server.error();
  ASSERT_TRUE(put(*store, "k", "v").ok());
  std::string value;
  ASSERT_TRUE(store->take("k", value).ok());
}

// A TCP listener that accepts (in the kernel) but never answers.
TEST(RedisStoreFaults, SilentServerTimesOut) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 64), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto store = make_store(config_for("redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 0.3));
  ASSERT_TRUE(store);
  for (int i = 0; i < 2; ++i) {
    const auto t0 = SteadyClock::now();
    std::string value;
    Error e = i == 0 ? put(*store, "k", "v") : store->take("k", value);
    const double took = seconds_since(t0);
    EXPECT_EQ(e.status, Status::store_unavailable);
    EXPECT_NE(e.message.find("timed out"), std::string::npos) << e.message;
    EXPECT_GE(took, 0.25);
    EXPECT_LT(took, 0.3 + 0.4);
  }
  ::close(fd);
}

// A listener whose accept queue is full: SYNs go unanswered and connect() hangs.
TEST(RedisStoreFaults, ConnectTimeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 0), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::vector<int> fillers;
  bool full = false;
  for (int i = 0; i < 16 && !full; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(c, 0);
    fillers.push_back(c);
    ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    pollfd p{c, POLLOUT, 0};
    full = ::poll(&p, 1, 200) == 0;  // still connecting: the queue is full
  }
  ASSERT_TRUE(full) << "could not fill the listen queue";
  RedisStoreConfig config = config_for("redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 0.3);
  config.connect_timeout = 0.3;
  auto store = make_store(config);
  ASSERT_TRUE(store);
  const auto t0 = SteadyClock::now();
  Error e = put(*store, "k", "v");
  const double took = seconds_since(t0);
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("connect timed out"), std::string::npos) << e.message;
  EXPECT_LT(took, 0.3 + 0.4);
  for (int c : fillers) ::close(c);
  ::close(fd);
}

// Something that is not Redis answers: a protocol error, not a crash.
TEST(RedisStoreFaults, NotARedisServer) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::atomic<bool> stop{false};
  std::thread http([&] {
    while (!stop.load()) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd, nullptr, nullptr);
      if (c < 0) continue;
      char buf[256];
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 1000) > 0) (void)::read(c, buf, sizeof buf);
      const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      (void)::send(c, reply, sizeof reply - 1, MSG_NOSIGNAL);
      ::close(c);
    }
  });
  auto store = make_store(config_for("redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), 1.0));
  ASSERT_TRUE(store);
  Error e = put(*store, "k", "v");
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("bad reply"), std::string::npos) << e.message;
  std::string value;
  e = store->take("k", value);
  EXPECT_EQ(e.status, Status::store_unavailable);
  stop = true;
  http.join();
  ::close(fd);
}

// A server without GETDEL that the version probe cannot tell (GETDEL renamed away): the
// store notices "unknown command" and switches to the script for good.
TEST(RedisStoreFaults, ServerWithoutGetdelUsesTheScript) {
  RedisServer server;
  RedisServerOptions options;
  options.extra_args = {"--rename-command", "GETDEL", ""};
  ASSERT_TRUE(server.start(options)) << server.error();
  auto store = make_store(config_for(server.tcp_url()));
  ASSERT_TRUE(store);
  ASSERT_TRUE(put(*store, "a", "1").ok());
  ASSERT_TRUE(put(*store, "b", "2").ok());
  std::string value;
  Error e = store->take("a", value);
  ASSERT_TRUE(e.ok()) << describe(e);
  EXPECT_EQ(value, "1");
  RawConnection raw = raw_connect(server.port());
  ASSERT_TRUE(raw);
  ASSERT_TRUE(raw_command(raw.get(), {"CONFIG", "RESETSTAT"}));
  ASSERT_TRUE(store->take("b", value).ok());
  EXPECT_EQ(value, "2");
  EXPECT_EQ(store->take("b", value).status, Status::not_found);
  EXPECT_EQ(command_calls(raw.get(), "eval"), 2);  // straight to the script: no GETDEL tried
}

// ---------------------------------------------------------------------------------------
// Authentication

TEST(RedisStoreAuth, PasswordAndAclUserFromTheUrl) {
  RedisServer server;
  RedisServerOptions options;
  options.requirepass = "s3cr@t:/%+word";
  ASSERT_TRUE(server.start(options)) << server.error();
  const std::string base = "127.0.0.1:" + std::to_string(server.port());
  const std::string encoded = "s3cr%40t%3A%2F%25%2Bword";
  std::string value;

  auto good = make_store(config_for("redis://:" + encoded + "@" + base + "/2"));
  ASSERT_TRUE(good);
  Error e = put(*good, "k", "v");
  ASSERT_TRUE(e.ok()) << describe(e);
  ASSERT_TRUE(good->take("k", value).ok());

  auto over_unix = make_store(config_for("unix://:" + encoded + "@" + server.unix_path()));
  ASSERT_TRUE(over_unix);
  e = put(*over_unix, "k", "v");
  ASSERT_TRUE(e.ok()) << describe(e);

  auto wrong = make_store(config_for("redis://:not-it@" + base));
  ASSERT_TRUE(wrong);
  e = put(*wrong, "k", "v");
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("AUTH failed"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("not-it"), std::string::npos) << e.message;
  e = wrong->take("k", value);  // and again: no credentials cached as "good"
  EXPECT_EQ(e.status, Status::store_unavailable);

  auto none = make_store(config_for("redis://" + base));
  ASSERT_TRUE(none);
  e = put(*none, "k", "v");
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("NOAUTH"), std::string::npos) << e.message;

  RawConnection raw = raw_connect(server.port(), options.requirepass);
  ASSERT_TRUE(raw);
  Reply acl = raw_command(raw.get(), {"ACL", "SETUSER", "app-user", "on", ">p@ss word", "~*", "+@all"});
  ASSERT_TRUE(acl && acl->type == REDIS_REPLY_STATUS);
  auto user = make_store(config_for("redis://app-user:p%40ss%20word@" + base));
  ASSERT_TRUE(user);
  e = put(*user, "u", "v");
  ASSERT_TRUE(e.ok()) << describe(e);
  ASSERT_TRUE(user->take("u", value).ok());
  auto bad_user = make_store(config_for("redis://app-user:wrong@" + base));
  e = put(*bad_user, "u", "v");
  EXPECT_EQ(e.status, Status::store_unavailable);
  EXPECT_NE(e.message.find("AUTH failed"), std::string::npos) << e.message;
}

}  // namespace
