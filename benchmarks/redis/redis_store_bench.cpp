// put+take pairs per second through the Redis store, sequentially and from several
// threads, next to redis-benchmark's SET/GET numbers for the same server (the floor: what the
// server and the loopback do without any client library work).
//
//   redis_store_bench [--url URL] [--seconds S] [--threads N] [--value-size BYTES]
//
// Without --url it starts its own redis-server (from PATH, or $OIDCORE_REDIS_SERVER) on a
// free port in a temporary directory, and stops it at the end.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.hpp"
#include "store/redis_store.hpp"

namespace {

using oidcore::store::PutResult;
using oidcore::store::Store;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::string url;
  double seconds = 3.0;
  int threads = 8;
  size_t value_size = 1024;
};

struct Result {
  long long pairs = 0;
  long long failures = 0;
  double seconds = 0;
};

std::unique_ptr<Store> make_store(const std::string& url, int pool_size, bool fallback) {
  oidcore::store::RedisStoreConfig config;
  config.url = url;
  config.key_prefix = "oidcore:bench:";
  config.pool_size = pool_size;
  config.command_timeout = 5.0;
  oidcore::Error e;
  auto store = oidcore::store::create_redis_store(config, e);
  if (!store) {
    std::fprintf(stderr, "cannot create the store: %s\n", e.message.c_str());
    std::exit(2);
  }
  if (fallback) oidcore::store::test_hooks::redis_force_take_fallback(*store);
  return store;
}

Result run(Store& store, int threads, double seconds, const std::string& value) {
  std::atomic<bool> stop{false};
  std::atomic<long long> pairs{0}, failures{0};
  std::vector<std::thread> workers;
  const auto t0 = SteadyClock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::string key, got;
      long long mine = 0, bad = 0;
      for (long long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        key = "k" + std::to_string(t) + ":" + std::to_string(i);
        PutResult r;
        if (store.put(key, value, 60, true, r) || store.take(key, got) || got.size() != value.size()) {
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

void report(const char* name, const Result& r) {
  const double per_s = static_cast<double>(r.pairs) / r.seconds;
  std::printf("| %-42s | %10.0f | %10.0f | %8.1f |%s\n", name, per_s, 2 * per_s,
              per_s > 0 ? 1e6 / per_s : 0.0,
              r.failures ? (" " + std::to_string(r.failures) + " failed").c_str() : "");
  std::fflush(stdout);
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

void redis_benchmark(const std::string& target, const char* extra) {
  const std::string cmd = "redis-benchmark " + target + " -q -n 50000 -t set,get " + extra + " 2>&1";
  std::printf("\n$ redis-benchmark -q -n 50000 -t set,get %s\n", extra);
  std::fflush(stdout);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return;
  char buf[512];
  std::string all;
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
  ::pclose(p);
  // -q prints progress lines ending in \r before each final line: keep the final lines.
  std::string line;
  for (char c : all) {
    if (c == '\r') {
      line.clear();
    } else if (c == '\n') {
      if (!line.empty()) std::printf("%s\n", line.c_str());
      line.clear();
    } else {
      line += c;
    }
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: redis_store_bench [--url URL] [--seconds S] [--threads N] [--value-size BYTES]\n"
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
    } else if (a == "--value-size") {
      o.value_size = static_cast<size_t>(std::atoll(argv[++i]));
    } else {
      return usage();
    }
  }
  if (o.seconds <= 0 || o.threads < 1) return usage();

  oidcore::test::RedisServer server;
  std::string benchmark_target;
  if (o.url.empty()) {
    if (!server.start()) {
      std::fprintf(stderr, "%s\n", server.error().c_str());
      return 1;
    }
    o.url = server.tcp_url();
    benchmark_target = "-h 127.0.0.1 -p " + std::to_string(server.port());
    std::printf("redis-server %s started on 127.0.0.1:%d (no persistence)\n", server.version().c_str(),
                server.port());
  } else if (o.url.rfind("unix://", 0) == 0) {
    benchmark_target = "-s " + shell_quote(o.url.substr(7, o.url.find('?') - 7));
  } else {
    benchmark_target = "-u " + shell_quote(o.url);
  }

  std::string value(o.value_size, '\0');
  std::mt19937 rng(1);
  for (auto& c : value) c = static_cast<char>(rng());

  std::printf("value size %zu bytes, %g s per run, hardware threads %u\n\n", o.value_size, o.seconds,
              std::thread::hardware_concurrency());
  std::printf("| %-42s | %10s | %10s | %8s |\n", "run (put NX + take, 1 round trip each)", "pairs/s",
              "commands/s", "us/pair");
  std::printf("|%s|%s|%s|%s|\n", std::string(44, '-').c_str(), std::string(11, '-').append(":").c_str(),
              std::string(11, '-').append(":").c_str(), std::string(9, '-').append(":").c_str());

  {
    auto store = make_store(o.url, 1, false);
    run(*store, 1, 0.3, value);  // warm-up
    report("sequential, GETDEL", run(*store, 1, o.seconds, value));
  }
  {
    auto store = make_store(o.url, 1, true);
    run(*store, 1, 0.3, value);
    report("sequential, EVAL fallback", run(*store, 1, o.seconds, value));
  }
  {
    auto store = make_store(o.url, o.threads, false);
    run(*store, o.threads, 0.3, value);
    const std::string name = std::to_string(o.threads) + " threads, pool " + std::to_string(o.threads) + ", GETDEL";
    report(name.c_str(), run(*store, o.threads, o.seconds, value));
  }
  {
    auto store = make_store(o.url, o.threads, true);
    run(*store, o.threads, 0.3, value);
    const std::string name =
        std::to_string(o.threads) + " threads, pool " + std::to_string(o.threads) + ", EVAL fallback";
    report(name.c_str(), run(*store, o.threads, o.seconds, value));
  }

  if (oidcore::test::in_path("redis-benchmark")) {
    redis_benchmark(benchmark_target, "");  // 50 clients, 3-byte values: the server's floor
    redis_benchmark(benchmark_target, ("-c 1 -d " + std::to_string(o.value_size)).c_str());
    redis_benchmark(benchmark_target,
                    ("-c " + std::to_string(o.threads) + " -d " + std::to_string(o.value_size)).c_str());
  } else {
    std::printf("\n(redis-benchmark not found: no floor printed)\n");
  }
  return 0;
}
