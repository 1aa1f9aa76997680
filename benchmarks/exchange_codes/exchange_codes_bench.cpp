// Exchange codes: create+redeem pairs per second on the memory store and on the Redis store
// (loopback), sequentially and from several threads, next to redis-benchmark's SET/GET
// numbers for the same server (the floor: what the server and the loopback do for one SET and
// one GET of a sealed record's size, without any client library work), and the ratio.
//
//   exchange_codes_bench [--url URL] [--seconds S] [--threads N] [--payload-size BYTES]
//
// Without --url it starts its own redis-server (from PATH, or $OIDCORE_REDIS_SERVER) on a
// free port in a temporary directory, and stops it at the end.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "encoding/base64url.hpp"
#include "flow/exchange_codes.hpp"
#include "redis_server.hpp"
#include "store/memory_store.hpp"
#include "store/redis_store.hpp"

namespace {

using oidcore::flow::create_exchange_code;
using oidcore::flow::redeem_exchange_code;
using oidcore::store::Store;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string url;
  double seconds = 3.0;
  int threads = 8;
  size_t payload_size = 1024;
};

struct Result {
  long long pairs = 0;
  long long failures = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(pairs) / seconds : 0; }
};

// A token response of about `size` bytes: JSON with an access token, an ID token and a
// refresh token made of base64url text.
std::string tokens_payload(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  auto text = [&](size_t chars) {
    std::string raw(chars, '\0');
    for (auto& c : raw) c = static_cast<char>(rng());
    return oidcore::encoding::base64url_encode(raw).substr(0, chars);
  };
  const std::string frame = "{\"access_token\":\"\",\"token_type\":\"Bearer\",\"expires_in\":3600,\"id_token\":\"\","
                            "\"refresh_token\":\"\"}";
  const size_t body = size > frame.size() ? size - frame.size() : 3;
  const size_t access = body * 4 / 10, id = body * 4 / 10, refresh = body - access - id;
  std::string p = "{\"access_token\":\"" + text(access) + "\",\"token_type\":\"Bearer\",\"expires_in\":3600," +
                  "\"id_token\":\"" + text(id) + "\",\"refresh_token\":\"" + text(refresh) + "\"}";
  return p;
}

std::unique_ptr<Store> memory_store() {
  oidcore::Error e;
  oidcore::store::MemoryStoreConfig config;
  auto store = oidcore::store::MemoryStore::create(config, e);
  if (!store) {
    std::fprintf(stderr, "cannot create the memory store: %s\n", e.message.c_str());
    std::exit(2);
  }
  return store;
}

std::unique_ptr<Store> redis_store(const std::string& url, int pool_size) {
  oidcore::store::RedisStoreConfig config;
  config.url = url;
  config.key_prefix = "oidcore:bench:";
  config.pool_size = pool_size;
  config.command_timeout = 5.0;
  oidcore::Error e;
  auto store = oidcore::store::create_redis_store(config, e);
  if (!store) {
    std::fprintf(stderr, "cannot create the Redis store: %s\n", e.message.c_str());
    std::exit(2);
  }
  return store;
}

// `threads` threads each create a code and redeem it, over and over, for `seconds`.
Result run(Store& store, int threads, double seconds, size_t payload_size) {
  std::atomic<bool> stop{false};
  std::atomic<long long> pairs{0}, failures{0};
  std::vector<std::thread> workers;
  const auto t0 = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string payload = tokens_payload(payload_size, static_cast<uint32_t>(t + 1));
      std::string code, got;
      long long mine = 0, bad = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (create_exchange_code(store, payload, code) ||
            redeem_exchange_code(store, code, std::nullopt, got) || got != payload) {
          ++bad;
        } else {
          ++mine;
        }
      }
      pairs.fetch_add(mine);
      failures.fetch_add(bad);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  Result res;
  res.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  res.pairs = pairs.load();
  res.failures = failures.load();
  return res;
}

Result measure(Store& store, int threads, const Options& o) {
  run(store, threads, 0.3, o.payload_size);  // warm-up: connections, caches
  return run(store, threads, o.seconds, o.payload_size);
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct Floor {
  double set = 0, get = 0;
  bool ok() const { return set > 0 && get > 0; }
  // One SET and one GET per pair, as the store does one SET and one GETDEL.
  double pairs() const { return ok() ? 1.0 / (1.0 / set + 1.0 / get) : 0; }
};

// redis-benchmark -t set,get --csv; 0s when it is missing or fails.
Floor redis_benchmark(const std::string& target, int clients, size_t value_size) {
  Floor f;
  const std::string cmd = "redis-benchmark " + target + " -q -n 50000 -t set,get --csv -c " +
                          std::to_string(clients) + " -d " + std::to_string(value_size) + " 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return f;
  std::string all;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
  ::pclose(p);
  // "SET","41666.67","0.015",...
  auto rps = [&](const std::string& test) {
    const std::string field = "\"" + test + "\",\"";
    const size_t at = all.find(field);
    return at == std::string::npos ? 0.0 : std::atof(all.c_str() + at + field.size());
  };
  f.set = rps("SET");
  f.get = rps("GET");
  return f;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  const std::string s = buf;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != 0 && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

void row(const std::string& name, const Result& r, const std::string& floor_pairs, const std::string& ratio) {
  const double per_s = r.per_second();
  std::printf("| %-30s | %9s | %8s | %15s | %9s |%s\n", name.c_str(), number(per_s).c_str(),
              per_s > 0 ? fixed(1e6 / per_s, 1).c_str() : "-", floor_pairs.c_str(), ratio.c_str(),
              r.failures ? (" " + std::to_string(r.failures) + " failed").c_str() : "");
  std::fflush(stdout);
}

int usage() {
  std::fprintf(stderr,
               "usage: exchange_codes_bench [--url URL] [--seconds S] [--threads N] [--payload-size BYTES]\n"
               "Without --url, a redis-server is started on a free port and stopped at the end.\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--url") {
      o.url = argv[++i];
    } else if (a == "--seconds") {
      o.seconds = std::atof(argv[++i]);
    } else if (a == "--threads") {
      o.threads = std::atoi(argv[++i]);
    } else if (a == "--payload-size") {
      o.payload_size = static_cast<size_t>(std::atoll(argv[++i]));
    } else {
      return usage();
    }
  }
  if (o.seconds <= 0 || o.threads < 1 || o.payload_size > oidcore::flow::kMaxExchangePayloadBytes) return usage();

  oidcore::test::RedisServer server;
  std::string target;  // redis-benchmark's arguments for the same server
  if (o.url.empty()) {
    if (!server.start()) {
      std::fprintf(stderr, "%s\n", server.error().c_str());
      return 1;
    }
    o.url = server.tcp_url();
    target = "-h 127.0.0.1 -p " + std::to_string(server.port());
    std::printf("redis-server %s started on 127.0.0.1:%d (no persistence)\n", server.version().c_str(),
                server.port());
  } else if (o.url.rfind("unix://", 0) == 0) {
    target = "-s " + shell_quote(o.url.substr(7, o.url.find('?') - 7));
  } else {
    target = "-u " + shell_quote(o.url);
  }

  // What the store holds per code: version byte, 24-byte nonce, flags byte, payload, 16-byte tag.
  const size_t record_size = tokens_payload(o.payload_size, 1).size() + 1 + 24 + 1 + 16;
  std::printf("payload %zu bytes (sealed record %zu bytes), %g s per run, %d threads, hardware threads %u\n\n",
              tokens_payload(o.payload_size, 1).size(), record_size, o.seconds, o.threads,
              std::thread::hardware_concurrency());

  Result mem_seq, mem_par, redis_seq, redis_par;
  {
    auto store = memory_store();
    mem_seq = measure(*store, 1, o);
    mem_par = measure(*store, o.threads, o);
  }
  {
    auto store = redis_store(o.url, 1);
    redis_seq = measure(*store, 1, o);
  }
  {
    auto store = redis_store(o.url, o.threads);
    redis_par = measure(*store, o.threads, o);
  }
  Floor floor1, floorN;
  const bool have_benchmark = oidcore::test::in_path("redis-benchmark");
  if (have_benchmark) {
    floor1 = redis_benchmark(target, 1, record_size);
    floorN = redis_benchmark(target, o.threads, record_size);
  }

  const std::string n = std::to_string(o.threads);
  std::printf("| %-30s | %9s | %8s | %15s | %9s |\n", "create + redeem", "pairs/s", "us/pair", "floor pairs/s",
              "of floor");
  std::printf("|%s|%s|%s|%s|%s|\n", std::string(32, '-').c_str(), std::string(10, '-').append(":").c_str(),
              std::string(9, '-').append(":").c_str(), std::string(16, '-').append(":").c_str(),
              std::string(10, '-').append(":").c_str());
  row("memory store, sequential", mem_seq, "-", "-");
  row("memory store, " + n + " threads", mem_par, "-", "-");
  auto vs = [](const Result& r, const Floor& f) { return f.ok() ? fixed(r.per_second() / f.pairs(), 2) : "-"; };
  auto fp = [](const Floor& f) { return f.ok() ? number(f.pairs()) : std::string("-"); };
  row("Redis, sequential (pool 1)", redis_seq, fp(floor1), vs(redis_seq, floor1));
  row("Redis, " + n + " threads (pool " + n + ")", redis_par, fp(floorN), vs(redis_par, floorN));

  std::printf("\n| %-36s | %9s | %9s | %15s |\n", "redis-benchmark, same server", "SET/s", "GET/s",
              "floor pairs/s");
  std::printf("|%s|%s|%s|%s|\n", std::string(38, '-').c_str(), std::string(10, '-').append(":").c_str(),
              std::string(10, '-').append(":").c_str(), std::string(16, '-').append(":").c_str());
  if (!have_benchmark) {
    std::printf("(redis-benchmark not found: no floor)\n");
    return 0;
  }
  for (const auto& [name, f] : {std::pair{"-c 1 -d " + std::to_string(record_size), floor1},
                                std::pair{"-c " + n + " -d " + std::to_string(record_size), floorN}}) {
    std::printf("| %-36s | %9s | %9s | %15s |\n", name.c_str(), f.ok() ? number(f.set).c_str() : "-",
                f.ok() ? number(f.get).c_str() : "-", fp(f).c_str());
  }
  std::printf("\nfloor pairs/s = 1 / (1/SET + 1/GET): one SET and one GET per pair, as a create is one SET and a "
              "redeem one GETDEL.\n");
  std::printf("Redis pairs/s over memory-store pairs/s: sequential %s, %s threads %s.\n",
              mem_seq.per_second() > 0 ? fixed(redis_seq.per_second() / mem_seq.per_second(), 3).c_str() : "-",
              n.c_str(),
              mem_par.per_second() > 0 ? fixed(redis_par.per_second() / mem_par.per_second(), 3).c_str() : "-");
  return 0;
}
