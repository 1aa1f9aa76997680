// The verified-token cache: a token whose exact bytes were verified before is answered
// without verifying its signature again, while it is still valid. Every hit re-checks the
// clock (exp, nbf and max_age, from bounds kept at insertion) and the key generation the
// token was verified with: when the key set changes (a refetch), older entries stop
// answering and the token goes through the whole verification again, so a removed key
// stops validating its tokens. Bounded by entries.
//
// The slot is found by SipHash-2-4 (random key per cache) of the token's length and its last
// 32 bytes (part of the signature), not of the whole token: hashing 1.5 KB was most of
// the cost of a hit. A hit always compares every byte of the token, so the hash only decides
// where an entry lives; and only tokens that verified are ever inserted, so tokens made to
// share a slot can at worst miss, never be answered.
//
// Thread-safe: sharded, one mutex per shard, held for a lookup or an insertion only.
#pragma once

#include <sodium.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "verifier/deny_list.hpp"
#include "verifier/striped_counters.hpp"

namespace oidcore {

struct VerifiedToken;

class TokenCache {
 public:
  // When the cached answer may be given: not_before <= now < not_after (Unix seconds).
  struct Window {
    int64_t not_before = INT64_MIN;
    int64_t not_after = INT64_MAX;
  };

  explicit TokenCache(size_t capacity);
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // True with `out` filled (claims, principal, alg, kid and the deny-list listing;
  // key_generation is left to the caller) when `token` was inserted with `generation`, its
  // window holds `now`, and it was not evicted. A stale entry (window passed, other
  // generation) is dropped.
  bool lookup(std::string_view token, int64_t now, uint64_t generation, VerifiedToken& out);
  void insert(std::string_view token, const VerifiedToken& verified, Window window, uint64_t generation);

  size_t capacity() const noexcept { return capacity_; }
  size_t size() const;
  uint64_t hits() const noexcept { return hits_[0].load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string token, claims, principal, kid;
    deny_list::Listing listing;  // kept so that a hit need not work it out again
    int alg = 0;
    Window window;
    uint64_t generation = 0;
    uint64_t serial = 0;  // of its insertion: tells its place in `order` from older ones
  };
  static constexpr size_t kShards = 16;
  struct alignas(128) Shard {  // no two shards' locks on one cache line
    mutable std::mutex mutex;
    std::unordered_map<uint64_t, Entry> entries;
    // Insertion order, for eviction: (hash, serial). A pair whose entry was since dropped or
    // replaced is skipped.
    std::deque<std::pair<uint64_t, uint64_t>> order;
    uint64_t next_serial = 0;
  };

  uint64_t hash(std::string_view token) const noexcept;

  const size_t capacity_;
  const size_t per_shard_;
  unsigned char key_[crypto_shorthash_KEYBYTES];
  std::array<Shard, kShards> shards_;
  mutable StripedCounters<1> hits_;
};

}  // namespace oidcore
