#include "store/memory_store.hpp"

#include <chrono>
#include <functional>

namespace oidcore::store {

int64_t system_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

int64_t monotonic_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Expired entries a put or take reclaims in its shard on the way: enough to keep up with
// any rate of new entries (each operation adds at most one), small enough that no caller
// pays for a backlog.
constexpr size_t kReclaimPerOperation = 8;

// TTLs above this (about 31 years) are refused rather than risking overflow in now + ttl.
constexpr int64_t kMaxTtlSeconds = int64_t{1} << 30;

}  // namespace

std::unique_ptr<MemoryStore> MemoryStore::create(MemoryStoreConfig config, Error& error) {
  if (config.max_entries < 1 || config.max_entries > kMaxMemoryEntries) {
    error = Error(Status::invalid_config, "\"max_entries\" must be between 1 and " + std::to_string(kMaxMemoryEntries));
    return nullptr;
  }
  if (config.shards < 1 || config.shards > 1024) {
    error = Error(Status::invalid_config, "\"shards\" must be between 1 and 1024");
    return nullptr;
  }
  error = Error();
  return std::unique_ptr<MemoryStore>(new MemoryStore(std::move(config)));
}

MemoryStore::MemoryStore(MemoryStoreConfig config) : config_(std::move(config)) {
  if (!config_.clock) config_.clock = monotonic_seconds;
  // A small store gets fewer shards, so that the per-shard sweep under pressure stays cheap.
  const size_t shards = config_.shards < config_.max_entries ? config_.shards : config_.max_entries;
  shards_.reserve(shards);
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

int64_t MemoryStore::now() const {
  return config_.clock();
}

MemoryStore::Shard& MemoryStore::shard_for(std::string_view full_key) {
  return *shards_[std::hash<std::string_view>{}(full_key) % shards_.size()];
}

void MemoryStore::erase_locked(Shard& shard, std::unordered_map<std::string, Entry>::iterator it) {
  shard.by_expiry.erase(it->second.expiry);
  shard.entries.erase(it);
  size_.fetch_sub(1, std::memory_order_relaxed);
}

void MemoryStore::reclaim_locked(Shard& shard, int64_t now, size_t limit) {
  while (limit-- > 0 && !shard.by_expiry.empty()) {
    auto first = shard.by_expiry.begin();
    if (first->first > now) return;
    erase_locked(shard, shard.entries.find(*first->second));
  }
}

void MemoryStore::reclaim_expired() {
  const int64_t t = now();
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    reclaim_locked(*shard, t, static_cast<size_t>(-1));
  }
}

bool MemoryStore::reserve_slot() {
  size_t n = size_.load(std::memory_order_relaxed);
  do {
    if (n >= config_.max_entries) return false;
  } while (!size_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

Error MemoryStore::put(std::string_view key, std::string_view value, int64_t ttl_seconds, bool only_if_absent,
                       PutResult& result) {
  result = PutResult::exists;
  if (ttl_seconds < 1 || ttl_seconds > kMaxTtlSeconds)
    return Error(Status::invalid_argument, "ttl must be between 1 and " + std::to_string(kMaxTtlSeconds) + " seconds");
  std::string full_key = config_.key_prefix;
  full_key += key;
  Shard& shard = shard_for(full_key);
  // Two rounds at most: when the store is full, expired entries are swept from every shard
  // (each under its own lock, never two at once) and the put is tried once more.
  for (int round = 0; round < 2; ++round) {
    {
      std::lock_guard lock(shard.mutex);
      const int64_t t = now();
      reclaim_locked(shard, t, kReclaimPerOperation);
      auto it = shard.entries.find(full_key);
      if (it != shard.entries.end()) {
        Entry& entry = it->second;
        if (only_if_absent && t < entry.expires_at) return {};  // result: exists
        // Replacing an entry (live, or expired but not yet reclaimed) keeps the count.
        entry.value.assign(value);
        entry.expires_at = t + ttl_seconds;
        shard.by_expiry.erase(entry.expiry);
        entry.expiry = shard.by_expiry.emplace(entry.expires_at, &it->first);
        result = PutResult::stored;
        return {};
      }
      if (reserve_slot()) {
        auto [pos, inserted] = shard.entries.try_emplace(std::move(full_key));
        pos->second.value.assign(value);
        pos->second.expires_at = t + ttl_seconds;
        pos->second.expiry = shard.by_expiry.emplace(pos->second.expires_at, &pos->first);
        result = PutResult::stored;
        return {};
      }
    }
    if (round == 0) reclaim_expired();
  }
  return Error(Status::store_unavailable,
               "the memory store is full (max_entries " + std::to_string(config_.max_entries) + " live entries)");
}

Error MemoryStore::take(std::string_view key, std::string& value) { return read(key, true, value); }

Error MemoryStore::get(std::string_view key, std::string& value) { return read(key, false, value); }

// take (consume: the entry goes, live or not) and get (it stays while live); an expired entry
// is never returned and is removed on sight.
Error MemoryStore::read(std::string_view key, bool consume, std::string& value) {
  value.clear();
  std::string full_key = config_.key_prefix;
  full_key += key;
  Shard& shard = shard_for(full_key);
  std::lock_guard lock(shard.mutex);
  const int64_t t = now();
  reclaim_locked(shard, t, kReclaimPerOperation);
  auto it = shard.entries.find(full_key);
  if (it == shard.entries.end()) return Error(Status::not_found, "no such entry");
  const bool live = t < it->second.expires_at;
  if (live) {
    if (consume) value = std::move(it->second.value);
    else value = it->second.value;
  }
  if (consume || !live) erase_locked(shard, it);
  if (!live) return Error(Status::not_found, "no such entry");
  return {};
}

void MemoryStore::for_each_entry(const std::function<void(std::string_view, std::string_view)>& visit) const {
  const int64_t t = now();
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    for (const auto& [key, entry] : shard->entries)
      if (t < entry.expires_at) visit(key, entry.value);
  }
}

}  // namespace oidcore::store
