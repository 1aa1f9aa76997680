#include "verifier/token_cache.hpp"

#include <cstring>

#include "verifier/verifier.hpp"

namespace oidcore {

namespace {
constexpr size_t kHashedTail = 32;  // bytes of the token's end that the slot hash reads
}  // namespace

TokenCache::TokenCache(size_t capacity)
    : capacity_(capacity), per_shard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {
  crypto_shorthash_keygen(key_);
}

uint64_t TokenCache::hash(std::string_view token) const noexcept {
  // The length, then the last (up to) 32 bytes: see the header.
  unsigned char in[8 + kHashedTail];
  const uint64_t len = token.size();
  std::memcpy(in, &len, 8);
  const size_t tail = token.size() < kHashedTail ? token.size() : kHashedTail;
  if (tail != 0) std::memcpy(in + 8, token.data() + token.size() - tail, tail);  // an empty view may have no data
  unsigned char h[crypto_shorthash_BYTES];
  crypto_shorthash(h, in, 8 + tail, key_);
  uint64_t v;
  std::memcpy(&v, h, sizeof v);
  return v;
}

bool TokenCache::lookup(std::string_view token, int64_t now, uint64_t generation, VerifiedToken& out) {
  if (capacity_ == 0) return false;
  const uint64_t h = hash(token);
  Shard& shard = shards_[h % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mutex);
    auto it = shard.entries.find(h);
    if (it == shard.entries.end()) return false;
    const Entry& e = it->second;
    // The whole token, byte for byte: the hash only finds the slot.
    if (e.token.size() != token.size() || std::memcmp(e.token.data(), token.data(), token.size()) != 0) return false;
    if (now < e.window.not_before) return false;  // not yet: kept for later
    if (e.generation != generation || now >= e.window.not_after) {
      shard.entries.erase(it);  // never useful again; its place in `order` is skipped at eviction
      return false;
    }
    out.claims.assign(e.claims);
    out.principal.assign(e.principal);
    out.alg = static_cast<jose::Alg>(e.alg);
    out.kid.assign(e.kid);
    out.listing.key.assign(e.listing.key);
    out.listing.kind = e.listing.kind;
  }
  hits_[0].fetch_add(1, std::memory_order_relaxed);
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
  e.listing = verified.listing;
  e.alg = static_cast<int>(verified.alg);
  e.window = window;
  e.generation = generation;
  std::lock_guard<std::mutex> lock(shard.mutex);
  e.serial = shard.next_serial++;
  const uint64_t serial = e.serial;
  shard.entries.insert_or_assign(h, std::move(e));
  shard.order.emplace_back(h, serial);
  // Oldest first; places whose entry was dropped by lookup() or replaced are skipped.
  while (shard.entries.size() > per_shard_ && !shard.order.empty()) {
    const auto [victim, victim_serial] = shard.order.front();
    shard.order.pop_front();
    auto it = shard.entries.find(victim);
    if (it != shard.entries.end() && it->second.serial == victim_serial) shard.entries.erase(it);
  }
  // Keep the order queue from growing without bound when lookups drop entries.
  if (shard.order.size() > 2 * per_shard_ + 16) {
    std::deque<std::pair<uint64_t, uint64_t>> live;
    for (const auto& [k, serial] : shard.order) {
      auto it = shard.entries.find(k);
      if (it != shard.entries.end() && it->second.serial == serial) live.emplace_back(k, serial);
    }
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
