// The in-process store: the embedded default when one process serves every request.
// Entries are spread over independently locked shards, live for their TTL to the second,
// and are bounded in number: a full store refuses new entries with store_unavailable
// ("full") instead of growing without limit or evicting live state.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

namespace oidcore::store {

struct MemoryStoreConfig {
  // Entries held at once, expired ones not yet reclaimed included. 1 .. kMaxMemoryEntries.
  size_t max_entries = 100'000;
  std::string key_prefix = "oidcore:";
  // Independently locked partitions; more shards, less contention. 1 .. 1024.
  size_t shards = 16;
  // Empty: a monotonic clock, so that stepping the wall clock neither extends nor cuts a
  // TTL. Tests inject their own to move time.
  Clock clock;
};

inline constexpr size_t kMaxMemoryEntries = 100'000'000;

// Thread-safe: every member function may be called from any number of threads at once.
class MemoryStore final : public Store {
 public:
  // Configuration values out of range are Status::invalid_config naming the field.
  static std::unique_ptr<MemoryStore> create(MemoryStoreConfig config, Error& error);

  [[nodiscard]] Error put(std::string_view key, std::string_view value, int64_t ttl_seconds, bool only_if_absent,
                          PutResult& result) override;
  [[nodiscard]] Error take(std::string_view key, std::string& value) override;
  [[nodiscard]] Error get(std::string_view key, std::string& value) override;
  std::string_view kind() const noexcept override { return "memory"; }
  bool remote() const noexcept override { return false; }

  // Entries currently held (expired ones not yet reclaimed included).
  size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

  // Removes every expired entry, one shard at a time (no global pause). Puts and takes
  // already reclaim as they go, and a full store sweeps before refusing; this is for
  // callers that want memory back sooner.
  void reclaim_expired();

  // Calls `visit` with every live entry's full key (prefix included) and value, one shard
  // at a time under that shard's lock: `visit` must not call back into the store. Meant for
  // tests and diagnostics that check what is held at rest.
  void for_each_entry(const std::function<void(std::string_view key, std::string_view value)>& visit) const;

 private:
  using ExpiryIndex = std::multimap<int64_t, const std::string*>;
  struct Entry {
    std::string value;
    int64_t expires_at = 0;  // live while now < expires_at
    ExpiryIndex::iterator expiry;
  };
  struct Shard {
    mutable std::mutex mutex;
    // unordered_map keeps its nodes in place across rehashes, so the index may point at keys.
    std::unordered_map<std::string, Entry> entries;
    ExpiryIndex by_expiry;
  };

  explicit MemoryStore(MemoryStoreConfig config);
  Shard& shard_for(std::string_view full_key);
  int64_t now() const;
  // Removes up to `limit` expired entries of a locked shard.
  void reclaim_locked(Shard& shard, int64_t now, size_t limit);
  void erase_locked(Shard& shard, std::unordered_map<std::string, Entry>::iterator it);
  [[nodiscard]] Error read(std::string_view key, bool consume, std::string& value);
  bool reserve_slot();

  MemoryStoreConfig config_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<size_t> size_{0};
};

}  // namespace oidcore::store
