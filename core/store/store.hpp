// The one small interface the login flow needs from a store: put with a TTL, take = atomic
// get-and-delete, and get (a read that leaves the entry, for the deny list of ended
// sessions). Implementations: memory_store (one process) and redis_store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "status.hpp"

namespace oidcore::store {

// Outcome of put() with only_if_absent when the key already exists.
enum class PutResult { stored, exists };

class Store {
 public:
  virtual ~Store() = default;

  // Stores `value` under `key` for `ttl_seconds` (>= 1). With `only_if_absent`, an existing
  // live entry is left alone and `result` says PutResult::exists. Failures to reach or use
  // the store are Status::store_unavailable; nothing is then assumed stored.
  // The implementation adds its key prefix.
  [[nodiscard]] virtual Error put(std::string_view key, std::string_view value, int64_t ttl_seconds,
                                  bool only_if_absent, PutResult& result) = 0;

  // Atomically returns and deletes the entry. Absent or expired: Status::not_found (an
  // expired entry is never returned). Unreachable store: Status::store_unavailable. After a
  // failure the entry may or may not have been consumed (a reply can be lost after the
  // server ran the command), but it is never returned twice: fail closed. Likewise a put
  // that failed may still land, so a retried put with only_if_absent can report `exists`.
  [[nodiscard]] virtual Error take(std::string_view key, std::string& value) = 0;

  // Returns the entry and leaves it in place (one round trip). Absent or expired:
  // Status::not_found (an expired entry is never returned). Unreachable store:
  // Status::store_unavailable, and nothing may be concluded about the entry.
  [[nodiscard]] virtual Error get(std::string_view key, std::string& value) = 0;

  // "memory" or "redis", for diagnostics.
  virtual std::string_view kind() const noexcept = 0;

  // Whether a call can wait on the network (a server's round trip, up to its timeouts).
  // False only for stores held in this process, whose calls never block for long: callers
  // that must not block (a binding's event loop) then use them inline.
  virtual bool remote() const noexcept { return true; }
};

// Seconds since some fixed point; injectable so tests can move time.
using Clock = std::function<int64_t()>;
int64_t system_seconds();

}  // namespace oidcore::store
