// Redis store over hiredis (synchronous contexts).
//
// Wire usage: put is one `SET <prefix+key> <value> EX <ttl> [NX]`, take is one
// `GETDEL <prefix+key>`, get is one `GET <prefix+key>`; against servers older than 6.2 (no GETDEL) take is one
// `EVAL <GET+DEL script> 1 <prefix+key>`, which Redis runs atomically. Every call is one write
// and one read on one connection: no MULTI, no WATCH, no second round trip.
//
// Keys and Redis Cluster: keys are used exactly as given after the prefix (the caller already
// hashes them), and every command touches one single key. In a Redis Cluster each key
// therefore maps to its own hash slot (CRC16(key) mod 16384) and entries spread evenly over
// the shards; no command ever needs two keys in the same slot, so no hash tags are needed.
// (A prefix containing a `{...}` hash tag would pin every entry to one slot: don't.) The
// fallback EVAL names its one key in KEYS[1], as cluster routing requires. This store speaks
// to one endpoint and does not follow MOVED/ASK redirections itself: reach a cluster through
// a cluster-aware proxy or a managed single endpoint; a redirection reply surfaces as
// store_unavailable naming it.
//
// Connections: a pool of at most pool_size blocking hiredis contexts, made lazily. Connecting
// is bounded by connect_timeout; after connecting, AUTH (with the user when one is given) and
// SELECT (when db != 0) are sent pipelined in one round trip, together with a one-time
// `INFO server` that tells whether the server has GETDEL. A connection that fails in any way
// (I/O error, timeout, protocol error, error reply) is closed, and the next call makes a new
// one: the store reconnects by itself. An idle pooled connection is checked before use (the
// server closing it makes it readable), so a restarted server costs no failed call.
//
// Time: a call never takes longer than connect_timeout + command_timeout. The command
// budget (command_timeout, measured from the start of the call, not counting the time spent
// connecting) covers waiting for a free pooled connection, the connection handshake and the
// command itself. Requests are written with send(MSG_NOSIGNAL) (a closed peer never raises
// SIGPIPE in the host process) and replies are read through poll() against that deadline, so
// a slow or silent server ends in store_unavailable "... timed out", never in a hang.
//
// fork(): a child process never uses the connections it inherited (they belong to the
// parent's conversation with the server); its first call opens its own. Fork from a thread
// that is not inside a store call, as with any library that has locks.
//
// Sizes: the store sends keys and values of any size as they are (binary safe); bounding
// them is the caller's business. The server's own limit (proto-max-bulk-len, 512 MB by
// default) answers with an error reply, which becomes store_unavailable.
//
// Not done here: TLS (rediss://), Sentinel, cluster redirections, RESP3. Host names are
// resolved by getaddrinfo, which connect_timeout does not bound; use addresses where DNS may
// be slow.
#include "store/redis_store.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

namespace oidcore::store {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

constexpr int kMaxPoolSize = 1024;
constexpr double kMaxTimeoutSeconds = 3600.0;
constexpr int64_t kMaxTtlSeconds = int64_t{1} << 40;  // ~35,000 years; Redis accepts far more

// KEYS[1] is taken atomically: a script runs without any other command interleaving. Returns
// the value (a bulk string) or false (a nil reply) when absent.
constexpr std::string_view kTakeScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if v then redis.call('DEL', KEYS[1]) end "
    "return v";

// ---------------------------------------------------------------------------------------
// URL parsing

struct Endpoint {
  bool unix_socket = false;
  std::string host;  // TCP host name or address (IPv6 without brackets)
  int port = 6379;
  std::string path;  // unix socket path
  int db = 0;
  std::string user;  // empty: no user name (AUTH <password>)
  std::string password;
  bool has_password = false;

  // For messages: never contains the credentials.
  std::string describe() const {
    std::string out;
    if (unix_socket) {
      out = "unix:" + printable(path, 120);
    } else if (host.find(':') != std::string::npos) {
      out = "[" + host + "]:" + std::to_string(port);
    } else {
      out = host + ":" + std::to_string(port);
    }
    if (db != 0) out += " db " + std::to_string(db);
    return out;
  }
};

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding ('+' is not a space here). False on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;  // fewer than two characters follow
    const int hi = hex_digit(in[i + 1]);
    const int lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// A decimal number in [min, max], digits only.
bool parse_int(std::string_view s, long long min, long long max, long long& out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

// The URL as it may be shown: printable, credentials replaced by "***".
std::string redacted(std::string_view url) {
  std::string shown(url);
  const size_t scheme_end = shown.find("://");
  if (scheme_end != std::string::npos) {
    const size_t start = scheme_end + 3;
    const size_t at = shown.rfind('@');
    if (at != std::string::npos && at >= start) shown.replace(start, at - start, "***");
  }
  return printable(shown, 200);
}

Error bad_url(std::string_view url, std::string_view why) {
  return Error(Status::invalid_config,
               "url: " + std::string(why) +
                   " (expected redis://[user:password@]host[:port][/db] or "
                   "unix://[user:password@]/path/to/socket[?db=N]; got \"" +
                   redacted(url) + "\")");
}

// userinfo = [user] ":" password, both percent-encoded.
bool parse_userinfo(std::string_view info, Endpoint& ep, std::string& why) {
  const size_t colon = info.find(':');
  if (colon == std::string_view::npos) {
    why = "a user name needs a password (user:password@; password only: :password@)";
    return false;
  }
  if (!percent_decode(info.substr(0, colon), ep.user) ||
      !percent_decode(info.substr(colon + 1), ep.password)) {
    why = "bad percent-encoding in the credentials";
    return false;
  }
  if (ep.password.empty()) {
    why = "empty password";
    return false;
  }
  ep.has_password = true;
  return true;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

Error parse_tcp_url(std::string_view url, std::string_view rest, Endpoint& ep) {
  const size_t auth_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, auth_end);
  const std::string_view tail =
      auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  std::string why;

  std::string_view hostport = authority;
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (!parse_userinfo(authority.substr(0, at), ep, why)) return bad_url(url, why);
    hostport = authority.substr(at + 1);
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return bad_url(url, "unterminated [IPv6] host");
    host = hostport.substr(1, close - 1);
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url(url, "unexpected text after the [IPv6] host");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty()) return bad_url(url, "empty host");
    for (char c : host) {
      if (hex_digit(c) < 0 && c != ':' && c != '.') return bad_url(url, "bad IPv6 address");
    }
  } else {
    const size_t colon = hostport.rfind(':');
    host = hostport.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return bad_url(url, "missing host");
    for (char c : host) {
      if (!host_char(c)) return bad_url(url, "bad character in the host");
    }
  }
  ep.host = std::string(host);

  long long n = 0;
  if (has_port) {
    if (!parse_int(port, 1, 65535, n)) return bad_url(url, "port must be a number from 1 to 65535");
    ep.port = static_cast<int>(n);
  }

  if (tail.empty() || tail == "/") {
    ep.db = 0;
  } else if (tail.front() == '/') {
    if (!parse_int(tail.substr(1), 0, INT_MAX, n)) {
      return bad_url(url, "the path must be a database number (/0, /1, ...)");
    }
    ep.db = static_cast<int>(n);
  } else {
    return bad_url(url, "query parameters and fragments are not supported in redis:// URLs");
  }
  return {};
}

Error parse_unix_url(std::string_view url, std::string_view rest, Endpoint& ep) {
  ep.unix_socket = true;
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return bad_url(url, "missing the absolute socket path");
  const std::string_view authority = rest.substr(0, slash);
  std::string why;
  if (!authority.empty()) {
    if (authority.back() != '@') {
      return bad_url(url, "a unix URL names no host: use unix:///path (three slashes)");
    }
    if (!parse_userinfo(authority.substr(0, authority.size() - 1), ep, why)) {
      return bad_url(url, why);
    }
  }
  std::string_view path_query = rest.substr(slash);
  if (path_query.find('#') != std::string_view::npos) return bad_url(url, "fragments are not supported");
  const size_t q = path_query.find('?');
  const std::string_view path = path_query.substr(0, q);
  if (!percent_decode(path, ep.path)) return bad_url(url, "bad percent-encoding in the path");
  if (ep.path.size() < 2 || ep.path.find('\0') != std::string::npos) {
    return bad_url(url, "missing the socket path");
  }
  if (ep.path.size() >= sizeof(sockaddr_un::sun_path)) {
    return bad_url(url, "the socket path is longer than " +
                            std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  if (q != std::string_view::npos) {
    std::string_view query = path_query.substr(q + 1);
    bool seen_db = false;
    while (true) {
      const size_t amp = query.find('&');
      const std::string_view param = query.substr(0, amp);
      const size_t eq = param.find('=');
      const std::string_view name = param.substr(0, eq);
      if (name != "db" || eq == std::string_view::npos) {
        return bad_url(url, "unknown query parameter \"" + printable(name, 32) +
                                "\" (only db=N is supported)");
      }
      if (seen_db) return bad_url(url, "db given twice");
      long long n = 0;
      if (!parse_int(param.substr(eq + 1), 0, INT_MAX, n)) {
        return bad_url(url, "db must be a database number");
      }
      ep.db = static_cast<int>(n);
      seen_db = true;
      if (amp == std::string_view::npos) break;
      query = query.substr(amp + 1);
    }
  }
  return {};
}

Error parse_url(std::string_view url, Endpoint& ep) {
  ep = Endpoint{};
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return bad_url(url, "spaces, control and non-ASCII characters must be percent-encoded");
  }
  if (iequals_prefix(url, "redis://")) return parse_tcp_url(url, url.substr(8), ep);
  if (iequals_prefix(url, "unix://")) return parse_unix_url(url, url.substr(7), ep);
  if (iequals_prefix(url, "rediss://")) return bad_url(url, "TLS (rediss://) is not supported");
  return bad_url(url, "unsupported scheme");
}

// ---------------------------------------------------------------------------------------
// Small helpers

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

timeval to_timeval(double seconds) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(seconds);
  long usec = std::lround((seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  if (usec >= 1000000) {
    tv.tv_sec += 1;
    usec -= 1000000;
  }
  if (tv.tv_sec == 0 && usec == 0) usec = 1;
  tv.tv_usec = usec;
  return tv;
}

std::chrono::nanoseconds to_duration(double seconds) {
  return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
}

// RESP encoding of one command; binary safe. Arguments are appended as bulk strings.
class CommandWriter {
 public:
  explicit CommandWriter(std::string& out) : out_(out) {}
  void begin(size_t argc) {
    out_ += '*';
    number(argc);
  }
  void arg(std::string_view a) { arg2(a, {}); }
  // One argument made of two parts (the key prefix and the key) without joining them first.
  void arg2(std::string_view a, std::string_view b) {
    out_ += '$';
    number(a.size() + b.size());
    out_.append(a);
    out_.append(b);
    out_ += "\r\n";
  }

 private:
  void number(uint64_t n) {
    char buf[24];
    const auto res = std::to_chars(buf, buf + sizeof buf, n);
    out_.append(buf, res.ptr);
    out_ += "\r\n";
  }
  std::string& out_;
};

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

std::string_view reply_text(const redisReply* r) {
  if (r == nullptr || r->str == nullptr) return {};
  return std::string_view(r->str, r->len);
}

std::string_view reply_type_name(int type) {
  switch (type) {
    case REDIS_REPLY_STRING: return "bulk string";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "unknown";
  }
}

// Waits until fd is ready for `events` or the deadline passes. 1: ready (or in error: the
// next read/send reports it), 0: deadline passed, -1: poll failed (errno set).
int wait_ready(int fd, short events, TimePoint deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - SteadyClock::now() + std::chrono::microseconds(999));
    const int timeout_ms =
        left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), INT_MAX));
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r > 0) return 1;
    if (r == 0) {
      if (SteadyClock::now() >= deadline) return 0;
      continue;  // woke a little early: poll rounds to milliseconds
    }
    if (errno != EINTR) return -1;
  }
}

// Counts fork()s in this process's ancestry, so that a pool made before a fork knows its
// connections are shared with the parent. Bumped in the child by a pthread_atfork handler.
std::atomic<uint64_t> g_fork_generation{0};

void on_fork_in_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

void watch_forks() {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, on_fork_in_child); });
}

// ---------------------------------------------------------------------------------------
// The store

class RedisStore final : public Store {
 public:
  RedisStore(const RedisStoreConfig& config, Endpoint endpoint)
      : prefix_(config.key_prefix),
        endpoint_(std::move(endpoint)),
        where_("redis (" + endpoint_.describe() + "): "),
        pool_size_(config.pool_size),
        connect_timeout_(config.connect_timeout),
        command_timeout_(config.command_timeout) {
    watch_forks();
    fork_generation_ = g_fork_generation.load(std::memory_order_relaxed);
  }

  ~RedisStore() override {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.clear();
  }

  Error put(std::string_view key, std::string_view value, int64_t ttl_seconds, bool only_if_absent,
            PutResult& result) override {
    if (ttl_seconds < 1 || ttl_seconds > kMaxTtlSeconds) {
      return Error(Status::invalid_argument,
                   "ttl_seconds: must be from 1 to " + std::to_string(kMaxTtlSeconds));
    }
    std::string wire;
    wire.reserve(prefix_.size() + key.size() + value.size() + 64);
    CommandWriter w(wire);
    char ttl_buf[24];
    const auto ttl_end = std::to_chars(ttl_buf, ttl_buf + sizeof ttl_buf, ttl_seconds).ptr;
    w.begin(only_if_absent ? 6 : 5);
    w.arg("SET");
    w.arg2(prefix_, key);
    w.arg(value);
    w.arg("EX");
    w.arg(std::string_view(ttl_buf, static_cast<size_t>(ttl_end - ttl_buf)));
    if (only_if_absent) w.arg("NX");

    const TimePoint deadline = SteadyClock::now() + to_duration(command_timeout_);
    Lease lease(*this);
    if (Error e = acquire(lease, deadline)) return e;
    ReplyPtr reply;
    if (Error e = command(lease, wire, reply, "SET")) return e;
    const redisReply* r = reply.get();
    if (r->type == REDIS_REPLY_STATUS && reply_text(r) == "OK") {
      result = PutResult::stored;
      lease.healthy = true;
      return {};
    }
    if (r->type == REDIS_REPLY_NIL && only_if_absent) {
      result = PutResult::exists;
      lease.healthy = true;
      return {};
    }
    return reply_failure(r, "SET");
  }

  Error take(std::string_view key, std::string& value) override {
    value.clear();
    const TimePoint deadline = SteadyClock::now() + to_duration(command_timeout_);
    Lease lease(*this);
    if (Error e = acquire(lease, deadline)) return e;

    bool fallback = take_mode_.load(std::memory_order_acquire) == TakeMode::fallback;
    ReplyPtr reply;
    std::string wire;
    if (!fallback) {
      wire.reserve(prefix_.size() + key.size() + 32);
      CommandWriter w(wire);
      w.begin(2);
      w.arg("GETDEL");
      w.arg2(prefix_, key);
      if (Error e = command(lease, wire, reply, "GETDEL")) return e;
      // A server without GETDEL (an old one that the version probe did not catch, or one
      // where it is renamed away) rejects it unexecuted: switch to the script for good and
      // run it right away. Only this one call pays a second round trip.
      if (reply->type == REDIS_REPLY_ERROR && is_unknown_command(reply_text(reply.get()))) {
        take_mode_.store(TakeMode::fallback, std::memory_order_release);
        fallback = true;
        wire.clear();
      }
    }
    if (fallback) {
      CommandWriter w(wire);
      w.begin(4);
      w.arg("EVAL");
      w.arg(kTakeScript);
      w.arg("1");
      w.arg2(prefix_, key);
      if (Error e = command(lease, wire, reply, "EVAL (GET+DEL)")) return e;
    }
    return read_reply(reply.get(), fallback ? "EVAL (GET+DEL)" : "GETDEL", "absent, expired or already taken", lease,
                      value);
  }

  Error get(std::string_view key, std::string& value) override {
    value.clear();
    const TimePoint deadline = SteadyClock::now() + to_duration(command_timeout_);
    Lease lease(*this);
    if (Error e = acquire(lease, deadline)) return e;
    std::string wire;
    wire.reserve(prefix_.size() + key.size() + 32);
    CommandWriter w(wire);
    w.begin(2);
    w.arg("GET");
    w.arg2(prefix_, key);
    ReplyPtr reply;
    if (Error e = command(lease, wire, reply, "GET")) return e;
    return read_reply(reply.get(), "GET", "absent or expired", lease, value);
  }

  std::string_view kind() const noexcept override { return "redis"; }

  void force_take_fallback() { take_mode_.store(TakeMode::fallback, std::memory_order_release); }

 private:
  enum class TakeMode : int { unknown, getdel, fallback };

  // One pooled connection slot, held for one call. The destructor gives the connection back
  // to the pool when the call left it in a known state, and closes it otherwise.
  struct Lease {
    explicit Lease(RedisStore& s) : store(s) {}
    ~Lease() {
      if (holds_slot) store.release(std::move(ctx), healthy);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    RedisStore& store;
    ContextPtr ctx;
    bool holds_slot = false;
    bool healthy = false;
    TimePoint deadline;
  };

  static bool is_unknown_command(std::string_view err) {
    return err.substr(0, 19) == "ERR unknown command";
  }

  Error unavailable(std::string message) const {
    return Error(Status::store_unavailable, where_ + message);
  }

  Error reply_failure(const redisReply* r, std::string_view what) const {
    if (r->type == REDIS_REPLY_ERROR) {
      return unavailable(std::string(what) + " failed: " + printable(reply_text(r), 200));
    }
    return unavailable("unexpected " + std::string(reply_type_name(r->type)) + " reply to " +
                       std::string(what));
  }
  // The reply of a read (GET, GETDEL or the script): the value, not_found for nil (`absent`
  // says why an entry may be missing), else the command's failure. A reply that parsed
  // leaves the connection fit for reuse.
  Error read_reply(const redisReply* r, const char* what, const char* absent, Lease& lease, std::string& value) const {
    if (r->type == REDIS_REPLY_STRING) {
      value.assign(r->str, r->len);
      lease.healthy = true;
      return {};
    }
    if (r->type == REDIS_REPLY_NIL) {
      lease.healthy = true;
      return Error(Status::not_found, std::string("no such entry: ") + absent);
    }
    return reply_failure(r, what);
  }


  // Takes an idle connection or a free slot (then connects), waiting for one until the
  // deadline. On success lease.ctx is a live, authenticated connection and lease.deadline
  // the time by which the command must be answered.
  Error acquire(Lease& lease, TimePoint deadline) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      forget_connections_after_fork();
      const bool got = cv_.wait_until(lock, deadline, [this] {
        return !idle_.empty() || in_use_ + static_cast<int>(idle_.size()) < pool_size_;
      });
      if (!got) {
        return unavailable("timed out waiting for a free connection (pool_size " +
                           std::to_string(pool_size_) + ", command_timeout " +
                           seconds_text(command_timeout_) + ")");
      }
      ++in_use_;
      lease.holds_slot = true;
      if (!idle_.empty()) {
        lease.ctx = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    lease.deadline = deadline;
    if (lease.ctx && !idle_connection_usable(lease.ctx.get())) lease.ctx.reset();
    if (!lease.ctx) return connect(lease);
    return {};
  }

  // In a child process: the pooled connections are the parent's (closing our copies of the
  // descriptors does not disturb it) and calls that were running in other parent threads
  // will never give their slots back.
  void forget_connections_after_fork() {
    const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
    if (generation == fork_generation_) return;
    fork_generation_ = generation;
    idle_.clear();
    in_use_ = 0;
  }

  void release(ContextPtr ctx, bool healthy) {
    ContextPtr to_close;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_use_;
      if (healthy && ctx) {
        idle_.push_back(std::move(ctx));
      } else {
        to_close = std::move(ctx);
      }
    }
    cv_.notify_one();
    // to_close is closed here, outside the lock.
  }

  // An idle connection has nothing to read. Readable means the server closed it (restart,
  // idle timeout, CLIENT KILL) or sent something unexpected: either way it cannot be used.
  static bool idle_connection_usable(redisContext* c) {
    if (c->err != 0) return false;
    pollfd p{c->fd, POLLIN, 0};
    int r;
    do {
      r = ::poll(&p, 1, 0);
    } while (r < 0 && errno == EINTR);
    return r == 0;
  }

  Error connect(Lease& lease) {
    const TimePoint started = SteadyClock::now();
    const timeval ctv = to_timeval(connect_timeout_);
    redisContext* raw = endpoint_.unix_socket
                            ? redisConnectUnixWithTimeout(endpoint_.path.c_str(), ctv)
                            : redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, ctv);
    ContextPtr c(raw);
    if (!c) return unavailable("cannot connect: out of memory");
    if (c->err != 0) {
      const std::string why = c->errstr;
      if (why.find("timed out") != std::string::npos ||
          SteadyClock::now() - started >= to_duration(connect_timeout_)) {
        return unavailable("connect timed out after " + seconds_text(connect_timeout_) + " (" +
                           why + ")");
      }
      return unavailable("cannot connect: " + why);
    }
    // Backstop only: replies are awaited with poll() against the call's deadline.
    redisSetTimeout(c.get(), to_timeval(command_timeout_));
    if (!endpoint_.unix_socket) redisEnableKeepAlive(c.get());
    // The time spent connecting is not taken from the command budget.
    lease.deadline += SteadyClock::now() - started;

    // Handshake, pipelined in one round trip: AUTH, SELECT, and the one-time version probe.
    std::string wire;
    CommandWriter w(wire);
    size_t n = 0;
    int auth_at = -1, select_at = -1, info_at = -1;
    if (endpoint_.has_password) {
      if (endpoint_.user.empty()) {
        w.begin(2);
      } else {
        w.begin(3);
      }
      w.arg("AUTH");
      if (!endpoint_.user.empty()) w.arg(endpoint_.user);
      w.arg(endpoint_.password);
      auth_at = static_cast<int>(n++);
    }
    if (endpoint_.db != 0) {
      w.begin(2);
      w.arg("SELECT");
      w.arg(std::to_string(endpoint_.db));
      select_at = static_cast<int>(n++);
    }
    bool probing = false;
    if (take_mode_.load(std::memory_order_acquire) == TakeMode::unknown &&
        !probe_claimed_.exchange(true)) {
      probing = true;
      w.begin(2);
      w.arg("INFO");
      w.arg("server");
      info_at = static_cast<int>(n++);
    }
    if (n > 0) {
      std::vector<ReplyPtr> replies;
      Error e = exchange(c.get(), wire, n, replies, lease.deadline, "connection handshake");
      if (!e && auth_at >= 0 && replies[auth_at]->type == REDIS_REPLY_ERROR) {
        e = unavailable("AUTH failed: " + printable(reply_text(replies[auth_at].get()), 200));
      }
      if (!e && select_at >= 0 && replies[select_at]->type == REDIS_REPLY_ERROR) {
        e = unavailable("SELECT " + std::to_string(endpoint_.db) +
                        " failed: " + printable(reply_text(replies[select_at].get()), 200));
      }
      if (!e && info_at >= 0) {
        const redisReply* info = replies[info_at].get();
        if (info->type == REDIS_REPLY_ERROR && reply_text(info).substr(0, 6) == "NOAUTH") {
          e = unavailable("the server requires a password (NOAUTH) and the URL gives none");
        } else {
          take_mode_.store(take_mode_from_info(info), std::memory_order_release);
        }
      }
      if (e) {
        if (probing) probe_claimed_.store(false);  // let a later connection probe again
        return e;
      }
    }
    lease.ctx = std::move(c);
    return {};
  }

  // GETDEL exists from Redis 6.2 on. An INFO that fails or names no version (a proxy, a
  // look-alike server) leaves GETDEL in use; "unknown command" then switches to the script.
  static TakeMode take_mode_from_info(const redisReply* info) {
    if (info->type != REDIS_REPLY_STRING && info->type != REDIS_REPLY_STATUS) return TakeMode::getdel;
    const std::string_view text = reply_text(info);
    constexpr std::string_view field = "redis_version:";
    const size_t at = text.find(field);
    if (at == std::string_view::npos) return TakeMode::getdel;
    std::string_view v = text.substr(at + field.size());
    int major = 0, minor = 0;
    auto r1 = std::from_chars(v.data(), v.data() + v.size(), major);
    if (r1.ec != std::errc() || r1.ptr == v.data() + v.size() || *r1.ptr != '.') return TakeMode::getdel;
    auto r2 = std::from_chars(r1.ptr + 1, v.data() + v.size(), minor);
    if (r2.ec != std::errc()) return TakeMode::getdel;
    return (major > 6 || (major == 6 && minor >= 2)) ? TakeMode::getdel : TakeMode::fallback;
  }

  // One command, one reply, against the lease's deadline.
  Error command(Lease& lease, std::string_view wire, ReplyPtr& reply, std::string_view what) {
    std::vector<ReplyPtr> replies;
    if (Error e = exchange(lease.ctx.get(), wire, 1, replies, lease.deadline, what)) return e;
    reply = std::move(replies.front());
    return {};
  }

  // Writes `wire` (one or several commands) and reads `n` replies, all before `deadline`.
  // Any failure leaves the connection unusable: the caller's lease then closes it.
  Error exchange(redisContext* c, std::string_view wire, size_t n, std::vector<ReplyPtr>& replies,
                 TimePoint deadline, std::string_view what) const {
    size_t sent = 0;
    while (sent < wire.size()) {
      const ssize_t w =
          ::send(c->fd, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) {
        sent += static_cast<size_t>(w);
        continue;
      }
      const int err = w < 0 ? errno : EPIPE;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        const int ready = wait_ready(c->fd, POLLOUT, deadline);
        if (ready == 0) return timed_out(what);
        if (ready < 0) return io_failure(what, "poll", errno);
        continue;
      }
      return io_failure(what, "cannot send", err);
    }
    replies.clear();
    while (replies.size() < n) {
      void* r = nullptr;
      if (redisGetReplyFromReader(c, &r) != REDIS_OK) {
        return unavailable(std::string(what) + ": bad reply from the server (" + c->errstr + ")");
      }
      if (r != nullptr) {
        replies.emplace_back(static_cast<redisReply*>(r));
        continue;
      }
      const int ready = wait_ready(c->fd, POLLIN, deadline);
      if (ready == 0) return timed_out(what);
      if (ready < 0) return io_failure(what, "poll", errno);
      if (redisBufferRead(c) != REDIS_OK) {
        if (c->err == REDIS_ERR_EOF) {
          return unavailable(std::string(what) + ": the server closed the connection");
        }
        if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          return timed_out(what);
        }
        return unavailable(std::string(what) + ": cannot read the reply: " + c->errstr);
      }
    }
    return {};
  }

  Error timed_out(std::string_view what) const {
    return unavailable(std::string(what) + " timed out (command_timeout " +
                       seconds_text(command_timeout_) + ")");
  }

  Error io_failure(std::string_view what, std::string_view op, int err) const {
    char buf[128];
    const char* text = strerror_r(err, buf, sizeof buf);
    return unavailable(std::string(what) + ": " + std::string(op) + ": " + text);
  }

  const std::string prefix_;
  const Endpoint endpoint_;
  const std::string where_;  // "redis (host:port): " for messages
  const int pool_size_;
  const double connect_timeout_;
  const double command_timeout_;

  std::atomic<TakeMode> take_mode_{TakeMode::unknown};
  std::atomic<bool> probe_claimed_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ContextPtr> idle_;  // connected, authenticated, nothing pending; LIFO
  int in_use_ = 0;                // slots held by calls (connected or connecting)
  uint64_t fork_generation_ = 0;  // g_fork_generation when the pool was last valid
};

bool valid_timeout(double t) { return std::isfinite(t) && t > 0 && t <= kMaxTimeoutSeconds; }

}  // namespace

std::unique_ptr<Store> create_redis_store(const RedisStoreConfig& config, Error& error) {
  error = {};
  Endpoint endpoint;
  if (Error e = parse_url(config.url, endpoint)) {
    error = std::move(e);
    return nullptr;
  }
  if (config.pool_size < 1 || config.pool_size > kMaxPoolSize) {
    error = Error(Status::invalid_config,
                  "pool_size: must be from 1 to " + std::to_string(kMaxPoolSize));
    return nullptr;
  }
  if (!valid_timeout(config.connect_timeout)) {
    error = Error(Status::invalid_config, "connect_timeout: must be seconds, > 0 and <= 3600");
    return nullptr;
  }
  if (!valid_timeout(config.command_timeout)) {
    error = Error(Status::invalid_config, "command_timeout: must be seconds, > 0 and <= 3600");
    return nullptr;
  }
  return std::make_unique<RedisStore>(config, std::move(endpoint));
}

namespace test_hooks {

bool redis_force_take_fallback(Store& store) {
  auto* redis = dynamic_cast<RedisStore*>(&store);
  if (redis == nullptr) return false;
  redis->force_take_fallback();
  return true;
}

}  // namespace test_hooks

}  // namespace oidcore::store
