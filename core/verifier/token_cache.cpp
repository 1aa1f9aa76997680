#include "verifier/token_cache.hpp"

#include <cstring>

#include "verifier/verifier.hpp"

namespace oidcore {

TokenCache::TokenCache(size_t capacity)
    : capacity_(capacity), per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {
  crypto_shorthash_keygen(key_);
}

uint64_t TokenCache::hash(std::string_view token) const noexcept {
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, reinterpret_cast<const unsigned char*>(token.data()), token.size(), key_);
  uint64_t v;
  std::memcpy(&v, h, sizeof v);
  return v;
}

bool TokenCache::lookup(std::string_view token, int64_t now, uint64_t generation, std::string& claims,
                        std::string& principal, int& alg, std::string& kid) {
  if (capacity_ == 0) return false;
  const uint64_t h = hash(token);
  Shard& shard = shards_[h % kShards];
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto it = shard.entries.find(h);
  if (it == shard.entries.end()) return false;
  const Entry& e = it->second;
  // The whole token, byte for byte: the hash only finds the slot.
  if (e.token.size() != token.size() || std::memcmp(e.token.data(), token.data(), token.size()) != 0) return false;
  if (now < e.window.not_before) return false;  // not yet: kept for later
  if (e.generation != generation || now >= e.window.not_after) {
    shard.entries.erase(it);  // never useful again; its slot in `order` is skipped at eviction
    return false;
  }
  claims = e.claims;
  principal = e.principal;
  alg = e.alg;
  kid = e.kid;
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void TokenCache::insert(std::string_view token, const VerifiedToken& verified, Window window, uint64_t generation) {
  if (capacity_ == 0 || window.not_before >= window.not_after) return;
  const uint64_t h = hash(token);
  Shard& shard = shards_[h % kShards];
  Entry e;
  e.token.assign(token);
  e.claims = verified.claims;
  e.principal = verified.principal;
  e.kid = verified.kid;
  e.alg = static_cast<int>(verified.alg);
  e.window = window;
  e.generation = generation;
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto [it, inserted] = shard.entries.insert_or_assign(h, std::move(e));
  (void)it;
  if (!inserted) return;
  shard.order.push_back(h);
  // Oldest first; keys already dropped by lookup() are skipped.
  while (shard.entries.size() > per_shard_ && !shard.order.empty()) {
    const uint64_t victim = shard.order.front();
    shard.order.pop_front();
    if (victim != h) shard.entries.erase(victim);
  }
  // Keep the order queue from growing without bound when lookups drop entries.
  if (shard.order.size() > 2 * per_shard_ + 16) {
    std::deque<uint64_t> live;
    for (uint64_t k : shard.order)
      if (shard.entries.count(k)) live.push_back(k);
    shard.order.swap(live);
  }
}

size_t TokenCache::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

}  // namespace oidcore
