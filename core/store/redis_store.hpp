// Redis store over hiredis: one SET ... EX ... [NX] per put, one GETDEL per take (with an
// atomic fallback for servers older than 6.2), one GET per get, a bounded connection pool, connect and
// command timeouts, automatic reconnect.
#pragma once

#include <memory>
#include <string>

#include "store/store.hpp"

namespace oidcore::store {

struct RedisStoreConfig {
  std::string url = "redis://127.0.0.1:6379/0";  // redis://[user:pass@]host:port/db or unix:///path?db=N
  std::string key_prefix = "oidcore:";
  int pool_size = 4;
  double connect_timeout = 1.0;  // seconds
  double command_timeout = 1.0;  // seconds
};

// Creates the store. Does not need the server to be up: connections are made on first use
// (and remade after failures). Errors only for an unusable configuration (invalid_config).
std::unique_ptr<Store> create_redis_store(const RedisStoreConfig& config, Error& error);

namespace test_hooks {
// Test-only: makes a store made by create_redis_store take with its pre-6.2 fallback (one
// EVAL of a GET+DEL script) as if the server had no GETDEL. False for any other store.
bool redis_force_take_fallback(Store& store);
}  // namespace test_hooks

}  // namespace oidcore::store
