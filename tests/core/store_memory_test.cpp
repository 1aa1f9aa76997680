// The memory store on its own: TTLs to the second with an injected clock, put-if-absent,
// atomic take under contention, the entry bound with its "full" error, and reclamation of
// expired entries.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/memory_store.hpp"
#include "store_doubles.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::store::MemoryStore;
using oidcore::store::MemoryStoreConfig;
using oidcore::store::PutResult;
using oidcore::testing::ManualClock;

std::unique_ptr<MemoryStore> make_store(ManualClock& clock, size_t max_entries = 1000, size_t shards = 16,
                                        std::string prefix = "t:") {
  MemoryStoreConfig config;
  config.max_entries = max_entries;
  config.shards = shards;
  config.key_prefix = std::move(prefix);
  config.clock = clock.clock();
  Error err;
  auto store = MemoryStore::create(config, err);
  EXPECT_TRUE(err.ok()) << err.message;
  return store;
}

Error put(MemoryStore& s, std::string_view key, std::string_view value, int64_t ttl, bool only_if_absent,
          PutResult* result_out = nullptr) {
  PutResult result = PutResult::exists;
  Error err = s.put(key, value, ttl, only_if_absent, result);
  if (result_out) *result_out = result;
  return err;
}

TEST(StoreMemory, PutThenTakeOnce) {
  ManualClock clock;
  auto store = make_store(clock);
  PutResult result;
  ASSERT_TRUE(put(*store, "k", std::string("v\0w", 3), 10, true, &result).ok());
  EXPECT_EQ(result, PutResult::stored);
  EXPECT_EQ(store->size(), 1u);
  std::string value;
  ASSERT_TRUE(store->take("k", value).ok());
  EXPECT_EQ(value, std::string("v\0w", 3));
  EXPECT_EQ(store->size(), 0u);
  Error again = store->take("k", value);
  EXPECT_EQ(again.status, Status::not_found);
  EXPECT_TRUE(value.empty());
  EXPECT_EQ(store->take("never", value).status, Status::not_found);
  EXPECT_EQ(store->kind(), "memory");
}

TEST(StoreMemory, OnlyIfAbsentLeavesLiveEntriesAlone) {
  ManualClock clock;
  auto store = make_store(clock);
  PutResult result;
  ASSERT_TRUE(put(*store, "k", "first", 10, true, &result).ok());
  ASSERT_TRUE(put(*store, "k", "second", 10, true, &result).ok());
  EXPECT_EQ(result, PutResult::exists);
  // Without only_if_absent the value and its TTL are replaced.
  clock.advance(5);
  ASSERT_TRUE(put(*store, "k", "third", 10, false, &result).ok());
  EXPECT_EQ(result, PutResult::stored);
  EXPECT_EQ(store->size(), 1u);
  clock.advance(9);  // 14 s after the first put, 9 s after the replacement
  std::string value;
  ASSERT_TRUE(store->take("k", value).ok());
  EXPECT_EQ(value, "third");
  // An expired entry counts as absent.
  ASSERT_TRUE(put(*store, "e", "old", 1, true).ok());
  clock.advance(1);
  ASSERT_TRUE(put(*store, "e", "new", 5, true, &result).ok());
  EXPECT_EQ(result, PutResult::stored);
  ASSERT_TRUE(store->take("e", value).ok());
  EXPECT_EQ(value, "new");
}

TEST(StoreMemory, TtlIsHonouredToTheSecond) {
  ManualClock clock;
  auto store = make_store(clock);
  for (int64_t ttl : {1, 2, 60, 600}) {
    ASSERT_TRUE(put(*store, "live", "v", ttl, true).ok());
    ASSERT_TRUE(put(*store, "at", "v", ttl, true).ok());
    ASSERT_TRUE(put(*store, "after", "v", ttl, true).ok());
    std::string value;
    clock.advance(ttl - 1);
    EXPECT_TRUE(store->take("live", value).ok()) << "ttl " << ttl << ": gone one second early";
    clock.advance(1);
    EXPECT_EQ(store->take("at", value).status, Status::not_found) << "ttl " << ttl << ": alive at its TTL";
    clock.advance(1);
    EXPECT_EQ(store->take("after", value).status, Status::not_found) << "ttl " << ttl;
    EXPECT_TRUE(value.empty());
  }
  EXPECT_EQ(store->size(), 0u);
}

TEST(StoreMemory, RefusesUnusableTtls) {
  ManualClock clock;
  auto store = make_store(clock);
  for (int64_t ttl : {int64_t{0}, int64_t{-1}, INT64_MIN, INT64_MAX})
    EXPECT_EQ(put(*store, "k", "v", ttl, false).status, Status::invalid_argument) << ttl;
  EXPECT_EQ(store->size(), 0u);
}

TEST(StoreMemory, FullStoreRefusesWithAClearError) {
  ManualClock clock;
  auto store = make_store(clock, 100);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(put(*store, "k" + std::to_string(i), "v", 60, true).ok()) << i;
  Error full = put(*store, "one-more", "v", 60, true);
  EXPECT_EQ(full.status, Status::store_unavailable);
  EXPECT_NE(full.message.find("full"), std::string::npos) << full.message;
  EXPECT_EQ(store->size(), 100u);
  // Replacing an existing key needs no new room.
  EXPECT_TRUE(put(*store, "k7", "w", 60, false).ok());
  // Taking one makes room for exactly one.
  std::string value;
  ASSERT_TRUE(store->take("k3", value).ok());
  EXPECT_TRUE(put(*store, "one-more", "v", 60, true).ok());
  EXPECT_EQ(put(*store, "two-more", "v", 60, true).status, Status::store_unavailable);
}

TEST(StoreMemory, ExpiredEntriesAreReclaimedWhenFull) {
  ManualClock clock;
  auto store = make_store(clock, 64, 8);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(put(*store, "old" + std::to_string(i), "v", 10, true).ok());
  EXPECT_EQ(put(*store, "new", "v", 10, true).status, Status::store_unavailable);
  clock.advance(10);
  // Every old entry has expired: the store takes a full set of new ones.
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(put(*store, "new" + std::to_string(i), "v", 10, true).ok()) << i;
  EXPECT_EQ(store->size(), 64u);
  std::string value;
  EXPECT_EQ(store->take("old5", value).status, Status::not_found);
  EXPECT_TRUE(store->take("new5", value).ok());
}

TEST(StoreMemory, ExpiredEntriesAreReclaimedAsItGoes) {
  ManualClock clock;
  auto store = make_store(clock, 100'000, 4);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(put(*store, "a" + std::to_string(i), "v", 5, true).ok());
  EXPECT_EQ(store->size(), 1000u);
  clock.advance(5);
  // Ordinary traffic reclaims a few expired entries per operation, in its own shard only.
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(put(*store, "b" + std::to_string(i), "v", 60, true).ok());
    std::string value;
    ASSERT_TRUE(store->take("b" + std::to_string(i), value).ok());
  }
  EXPECT_EQ(store->size(), 0u);
  // And an explicit sweep does the rest at once.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(put(*store, "c" + std::to_string(i), "v", 5, true).ok());
  ASSERT_TRUE(put(*store, "d", "v", 60, true).ok());
  clock.advance(5);
  store->reclaim_expired();
  EXPECT_EQ(store->size(), 1u);
}

TEST(StoreMemory, KeysCarryThePrefix) {
  ManualClock clock;
  auto store = make_store(clock, 10, 2, "app1:");
  ASSERT_TRUE(put(*store, "k", "v", 10, true).ok());
  ASSERT_TRUE(put(*store, "gone", "v", 1, true).ok());
  clock.advance(1);
  std::vector<std::string> keys;
  store->for_each_entry([&](std::string_view key, std::string_view value) { keys.emplace_back(key); });
  EXPECT_EQ(keys, std::vector<std::string>{"app1:k"});  // expired entries are not shown
}

TEST(StoreMemory, ConfigurationBounds) {
  Error err;
  MemoryStoreConfig config;
  config.max_entries = 0;
  EXPECT_EQ(MemoryStore::create(config, err), nullptr);
  EXPECT_EQ(err.status, Status::invalid_config);
  EXPECT_NE(err.message.find("max_entries"), std::string::npos);
  config.max_entries = 1;
  config.shards = 0;
  EXPECT_EQ(MemoryStore::create(config, err), nullptr);
  EXPECT_NE(err.message.find("shards"), std::string::npos);
  config.shards = 16;
  auto one = MemoryStore::create(config, err);  // fewer entries than shards
  ASSERT_NE(one, nullptr);
  EXPECT_TRUE(err.ok());
  PutResult result;
  EXPECT_TRUE(one->put("a", "v", 10, true, result).ok());
  EXPECT_EQ(one->put("b", "v", 10, true, result).status, Status::store_unavailable);
}

TEST(StoreMemory, TakeIsAtomicUnderContention) {
  ManualClock clock;
  auto store = make_store(clock, 20'000);
  constexpr int kKeys = 10'000;
  constexpr int kThreads = 8;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(put(*store, "k" + std::to_string(i), std::to_string(i), 60, true).ok());
  std::vector<std::atomic<int>> wins(kKeys);
  std::atomic<int> other_failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      std::string value;
      for (int i = 0; i < kKeys; ++i) {
        Error err = store->take("k" + std::to_string(i), value);
        if (err.ok() && value == std::to_string(i))
          ++wins[i];
        else if (err.status != Status::not_found)
          ++other_failures;
      }
    });
  for (auto& th : threads) th.join();
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(wins[i].load(), 1) << "key " << i;
  EXPECT_EQ(other_failures.load(), 0);
  EXPECT_EQ(store->size(), 0u);
}

TEST(StoreMemory, BoundHoldsUnderConcurrentPuts) {
  ManualClock clock;
  auto store = make_store(clock, 1000);
  std::atomic<int> stored{0}, full{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        PutResult result;
        Error err = store->put(std::to_string(t) + ":" + std::to_string(i), "v", 60, true, result);
        if (err.ok())
          ++stored;
        else if (err.status == Status::store_unavailable)
          ++full;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(stored.load(), 1000);
  EXPECT_EQ(full.load(), 3000);
  EXPECT_EQ(store->size(), 1000u);
}

}  // namespace

namespace {

TEST(StoreMemory, GetLeavesTheEntryAndHonoursItsTtl) {
  ManualClock clock;
  auto store = make_store(clock);
  EXPECT_FALSE(store->remote()) << "an in-process store never blocks on the network";
  ASSERT_TRUE(put(*store, "k", std::string("v\0w", 3), 5, false).ok());
  std::string value;
  // Read as often as wanted: the entry stays.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store->get("k", value).ok());
    EXPECT_EQ(value, std::string("v\0w", 3));
  }
  EXPECT_EQ(store->size(), 1u);
  EXPECT_EQ(store->get("never", value).status, Status::not_found);
  EXPECT_TRUE(value.empty());
  // Live up to the second before its TTL, never at or after it, and then reclaimed.
  clock.advance(4);
  EXPECT_TRUE(store->get("k", value).ok());
  clock.advance(1);
  value = "stale";
  EXPECT_EQ(store->get("k", value).status, Status::not_found);
  EXPECT_TRUE(value.empty());
  EXPECT_EQ(store->size(), 0u);
  // A take after gets still takes it exactly once.
  ASSERT_TRUE(put(*store, "t", "x", 5, false).ok());
  ASSERT_TRUE(store->get("t", value).ok());
  ASSERT_TRUE(store->take("t", value).ok());
  EXPECT_EQ(store->get("t", value).status, Status::not_found);
}

TEST(StoreMemory, GetUsesThePrefix) {
  ManualClock clock;
  auto a = make_store(clock, 1000, 16, "a:");
  ASSERT_TRUE(put(*a, "k", "v", 5, false).ok());
  std::vector<std::string> keys;
  a->for_each_entry([&](std::string_view key, std::string_view) { keys.emplace_back(key); });
  ASSERT_EQ(keys, std::vector<std::string>{"a:k"});
  std::string value;
  EXPECT_EQ(a->get("a:k", value).status, Status::not_found) << "the prefix is added once, not expected from the caller";
  EXPECT_TRUE(a->get("k", value).ok());
}

}  // namespace
