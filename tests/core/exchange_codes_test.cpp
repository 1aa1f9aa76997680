// Exchange codes over the memory store and over failing stores: exactly once under
// contention, TTL to the second, nothing readable at rest, browser binding, fail closed,
// and bad codes refused before any store round trip.
#include <gtest/gtest.h>

#include <sodium.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "encoding/base64url.hpp"
#include "flow/exchange_codes.hpp"
#include "flow/login_state.hpp"
#include "store/memory_store.hpp"
#include "store_doubles.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::flow::create_exchange_code;
using oidcore::flow::ExchangeCodeOptions;
using oidcore::flow::redeem_exchange_code;
using oidcore::store::MemoryStore;
using oidcore::store::MemoryStoreConfig;
using oidcore::testing::AtRestSlices;
using oidcore::testing::ManualClock;
using oidcore::testing::ProbeStore;
using oidcore::testing::UnreachableStore;

std::unique_ptr<MemoryStore> memory_store(ManualClock* clock = nullptr, size_t max_entries = 100'000) {
  MemoryStoreConfig config;
  config.max_entries = max_entries;
  if (clock) config.clock = clock->clock();
  Error err;
  auto store = MemoryStore::create(config, err);
  EXPECT_TRUE(err.ok()) << err.message;
  return store;
}

std::string tokens_payload(int i) {
  return "{\"access_token\":\"eyJhbGciOiJSUzI1NiJ9.access-" + std::to_string(i) +
         "-c2VjcmV0LWFjY2Vzcy10b2tlbg\",\"id_token\":\"eyJraWQiOiJrMSJ9.identity-" + std::to_string(i) +
         "-aWQtdG9rZW4tYm9keQ\",\"refresh_token\":\"refresh-" + std::to_string(i) + "-cmVmcmVzaC10b2tlbg\"}";
}

bool url_safe(std::string_view s) {
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

TEST(ExchangeCodes, RedeemedExactlyOnce) {
  auto store = memory_store();
  std::string code;
  ASSERT_TRUE(create_exchange_code(*store, tokens_payload(1), code).ok());
  // 43 base64url characters: 32 bytes = 256 bits from the CSPRNG.
  EXPECT_EQ(code.size(), 43u);
  EXPECT_TRUE(url_safe(code)) << code;
  std::string raw;
  ASSERT_TRUE(oidcore::encoding::base64url_decode(code, raw));
  EXPECT_EQ(raw.size(), 32u);

  std::string payload;
  ASSERT_TRUE(redeem_exchange_code(*store, code, std::nullopt, payload).ok());
  EXPECT_EQ(payload, tokens_payload(1));
  Error again = redeem_exchange_code(*store, code, std::nullopt, payload);
  EXPECT_EQ(again.status, Status::not_found);
  EXPECT_TRUE(payload.empty());
  EXPECT_EQ(store->size(), 0u);
}

TEST(ExchangeCodes, CodesAreDistinctAndPayloadsAreBytes) {
  auto store = memory_store();
  std::set<std::string> codes;
  for (int i = 0; i < 1000; ++i) {
    std::string code;
    ASSERT_TRUE(create_exchange_code(*store, tokens_payload(i), code).ok());
    codes.insert(code);
  }
  EXPECT_EQ(codes.size(), 1000u);
  // Empty and binary payloads come back byte for byte.
  for (std::string payload : {std::string(), std::string("\0\xff\x01tokens\0", 10)}) {
    std::string code, out;
    ASSERT_TRUE(create_exchange_code(*store, payload, code).ok());
    ASSERT_TRUE(redeem_exchange_code(*store, code, std::nullopt, out).ok());
    EXPECT_EQ(out, payload);
  }
}

TEST(ExchangeCodes, ExactlyOnceUnderContention) {
  auto store = memory_store();
  constexpr int kCodes = 10'000;
  constexpr int kThreads = 8;
  std::vector<std::string> codes(kCodes);
  for (int i = 0; i < kCodes; ++i) ASSERT_TRUE(create_exchange_code(*store, tokens_payload(i), codes[i]).ok());
  std::vector<std::atomic<int>> wins(kCodes);
  std::atomic<int> not_found{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      std::string payload;
      for (int i = 0; i < kCodes; ++i) {
        Error err = redeem_exchange_code(*store, codes[i], std::nullopt, payload);
        if (err.ok()) {
          ++wins[i];
          if (payload != tokens_payload(i)) ++wrong;
        } else if (err.status == Status::not_found) {
          ++not_found;
        } else {
          ++wrong;
        }
      }
    });
  for (auto& th : threads) th.join();
  for (int i = 0; i < kCodes; ++i) ASSERT_EQ(wins[i].load(), 1) << "code " << i;
  EXPECT_EQ(not_found.load(), kCodes * (kThreads - 1));
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(store->size(), 0u);
}

TEST(ExchangeCodes, ExpireAfterTheirTtl) {
  ManualClock clock;
  auto store = memory_store(&clock);
  ProbeStore probe(*store);
  std::string early, late, payload;
  ASSERT_TRUE(create_exchange_code(probe, "p", early).ok());
  EXPECT_EQ(probe.last_ttl, 60);  // the default
  EXPECT_TRUE(probe.last_only_if_absent);
  ASSERT_TRUE(create_exchange_code(probe, "p", late).ok());
  clock.advance(59);  // TTL - 1
  EXPECT_TRUE(redeem_exchange_code(probe, early, std::nullopt, payload).ok());
  clock.advance(2);  // TTL + 1
  EXPECT_EQ(redeem_exchange_code(probe, late, std::nullopt, payload).status, Status::not_found);

  ExchangeCodeOptions options;
  options.ttl_seconds = 5;
  ASSERT_TRUE(create_exchange_code(probe, "p", early, options).ok());
  ASSERT_TRUE(create_exchange_code(probe, "p", late, options).ok());
  EXPECT_EQ(probe.last_ttl, 5);
  clock.advance(4);
  EXPECT_TRUE(redeem_exchange_code(probe, early, std::nullopt, payload).ok());
  clock.advance(2);
  EXPECT_EQ(redeem_exchange_code(probe, late, std::nullopt, payload).status, Status::not_found);

  for (int64_t bad : {int64_t{0}, int64_t{-5}, int64_t{86'401}}) {
    options.ttl_seconds = bad;
    const int puts = probe.puts;
    std::string code = "x";
    EXPECT_EQ(create_exchange_code(probe, "p", code, options).status, Status::invalid_argument) << bad;
    EXPECT_TRUE(code.empty());
    EXPECT_EQ(probe.puts, puts);
  }
}

TEST(ExchangeCodes, FullStoreHandsOutNoCode) {
  ManualClock clock;
  auto store = memory_store(&clock, 10);
  std::string code;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(create_exchange_code(*store, "p", code).ok());
  Error full = create_exchange_code(*store, "p", code);
  EXPECT_EQ(full.status, Status::store_unavailable);
  EXPECT_NE(full.message.find("full"), std::string::npos) << full.message;
  EXPECT_TRUE(code.empty());
  clock.advance(60);
  EXPECT_TRUE(create_exchange_code(*store, "p", code).ok());
}

TEST(ExchangeCodes, NothingReadableAtRest) {
  auto store = memory_store();
  std::vector<std::string> codes, payloads;
  for (int i = 0; i < 200; ++i) {
    std::string code;
    ExchangeCodeOptions options;
    if (i % 2) options.binding = "browser-binding-" + std::to_string(i) + "-c29tZS1jb29raWU";
    ASSERT_TRUE(create_exchange_code(*store, tokens_payload(i), code, options).ok());
    codes.push_back(code);
    payloads.push_back(tokens_payload(i));
    if (options.binding) payloads.push_back(*options.binding);
  }
  AtRestSlices at_rest;
  size_t entries = 0;
  store->for_each_entry([&](std::string_view key, std::string_view value) {
    ++entries;
    at_rest.add(key);
    at_rest.add(value);
  });
  ASSERT_EQ(entries, codes.size());
  for (const auto& code : codes) {
    EXPECT_FALSE(at_rest.leaks(code)) << "code readable at rest";
    std::string raw;
    ASSERT_TRUE(oidcore::encoding::base64url_decode(code, raw));
    EXPECT_FALSE(at_rest.leaks(raw)) << "code bytes readable at rest";
    std::string hex(64, '\0');
    sodium_bin2hex(hex.data(), hex.size() + 1, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    EXPECT_FALSE(at_rest.leaks(hex));
  }
  for (const auto& p : payloads) EXPECT_FALSE(at_rest.leaks(p)) << "payload readable at rest: " << p;
  // The distinctive parts of the tokens, one by one.
  for (std::string part : {"access-1", "identity-1", "refresh-1", "c2VjcmV0LWFjY2Vzcy10b2tlbg", "aWQtdG9rZW4tYm9keQ",
                           "cmVmcmVzaC10b2tlbg", "access_token", "eyJhbGciOiJSUzI1NiJ9"})
    EXPECT_FALSE(at_rest.leaks(part)) << part;
  // Everything still redeems.
  std::string payload;
  for (size_t i = 0; i < codes.size(); ++i) {
    std::optional<std::string> binding;
    if (i % 2) binding = "browser-binding-" + std::to_string(i) + "-c29tZS1jb29raWU";
    ASSERT_TRUE(redeem_exchange_code(*store, codes[i], binding, payload).ok()) << i;
    EXPECT_EQ(payload, tokens_payload(static_cast<int>(i)));
  }
}

TEST(ExchangeCodes, WrongBindingBurnsTheCode) {
  auto store = memory_store();
  ExchangeCodeOptions options;
  options.binding = "cookie-value-of-the-browser";
  std::string code, payload;

  ASSERT_TRUE(create_exchange_code(*store, "tokens", code, options).ok());
  Error stolen = redeem_exchange_code(*store, code, std::string_view("another-browser"), payload);
  EXPECT_EQ(stolen.status, Status::not_found);
  EXPECT_TRUE(payload.empty());
  // The legitimate browser comes too late: the code is spent.
  EXPECT_EQ(redeem_exchange_code(*store, code, std::string_view("cookie-value-of-the-browser"), payload).status,
            Status::not_found);

  // No binding presented for a bound code: burnt as well.
  ASSERT_TRUE(create_exchange_code(*store, "tokens", code, options).ok());
  EXPECT_EQ(redeem_exchange_code(*store, code, std::nullopt, payload).status, Status::not_found);
  EXPECT_EQ(redeem_exchange_code(*store, code, std::string_view("cookie-value-of-the-browser"), payload).status,
            Status::not_found);

  // A prefix or an extension of the binding is another binding.
  for (std::string_view near : {"cookie-value-of-the-browse", "cookie-value-of-the-browser!", ""}) {
    ASSERT_TRUE(create_exchange_code(*store, "tokens", code, options).ok());
    EXPECT_EQ(redeem_exchange_code(*store, code, near, payload).status, Status::not_found) << near;
  }

  // The right binding works.
  ASSERT_TRUE(create_exchange_code(*store, "tokens", code, options).ok());
  ASSERT_TRUE(redeem_exchange_code(*store, code, std::string_view("cookie-value-of-the-browser"), payload).ok());
  EXPECT_EQ(payload, "tokens");
  EXPECT_EQ(store->size(), 0u);
}

TEST(ExchangeCodes, NoBindingAtCreationNeedsNone) {
  auto store = memory_store();
  std::string code, payload;
  ASSERT_TRUE(create_exchange_code(*store, "tokens", code).ok());
  ASSERT_TRUE(redeem_exchange_code(*store, code, std::nullopt, payload).ok());
  ASSERT_TRUE(create_exchange_code(*store, "tokens", code).ok());
  ASSERT_TRUE(redeem_exchange_code(*store, code, std::string_view("whatever"), payload).ok());
  EXPECT_EQ(payload, "tokens");
}

TEST(ExchangeCodes, BindingArgumentsAreChecked) {
  auto store = memory_store();
  ProbeStore probe(*store);
  std::string code;
  ExchangeCodeOptions options;
  options.binding = "";
  EXPECT_EQ(create_exchange_code(probe, "p", code, options).status, Status::invalid_argument);
  options.binding = std::string(4097, 'b');
  EXPECT_EQ(create_exchange_code(probe, "p", code, options).status, Status::invalid_argument);
  options.binding = std::string(4096, 'b');
  ASSERT_TRUE(create_exchange_code(probe, "p", code, options).ok());
  EXPECT_EQ(probe.puts, 1);
  std::string payload;
  EXPECT_EQ(redeem_exchange_code(probe, code, std::string_view(std::string(5000, 'b')), payload).status,
            Status::invalid_argument);
  EXPECT_EQ(probe.takes, 0);
  ASSERT_TRUE(redeem_exchange_code(probe, code, *options.binding, payload).ok());
}

TEST(ExchangeCodes, UnreachableStoreFailsClosed) {
  UnreachableStore store;
  std::string code = "left over", payload = "left over";
  Error created = create_exchange_code(store, "tokens", code);
  EXPECT_EQ(created.status, Status::store_unavailable);
  EXPECT_TRUE(code.empty());
  EXPECT_EQ(store.puts, 1);  // no retry loop on a failure that is not `exists`

  // A well-formed code the store cannot be asked about: never a success.
  const std::string some_code(43, 'A');
  Error redeemed = redeem_exchange_code(store, some_code, std::nullopt, payload);
  EXPECT_EQ(redeemed.status, Status::store_unavailable);
  EXPECT_TRUE(payload.empty());
  EXPECT_EQ(store.takes, 1);
}

TEST(ExchangeCodes, StoreOutageDoesNotLoseOrLeakACode) {
  auto store = memory_store();
  ProbeStore probe(*store);
  std::string code, payload;
  ASSERT_TRUE(create_exchange_code(probe, "tokens", code).ok());
  probe.fail_takes = true;
  EXPECT_EQ(redeem_exchange_code(probe, code, std::nullopt, payload).status, Status::store_unavailable);
  EXPECT_TRUE(payload.empty());
  probe.fail_takes = false;
  ASSERT_TRUE(redeem_exchange_code(probe, code, std::nullopt, payload).ok());
  EXPECT_EQ(payload, "tokens");

  probe.fail_puts = true;
  code = "x";
  EXPECT_EQ(create_exchange_code(probe, "tokens", code).status, Status::store_unavailable);
  EXPECT_TRUE(code.empty());
}

TEST(ExchangeCodes, ACollidingCodeIsNeverHandedOutTwice) {
  auto store = memory_store();
  ProbeStore probe(*store);
  probe.exists_answers = 2;  // as if the first two codes drawn were already live
  std::string code, payload;
  ASSERT_TRUE(create_exchange_code(probe, "tokens", code).ok());
  EXPECT_EQ(probe.puts, 3);
  ASSERT_EQ(probe.written.size(), 3u);
  // Each attempt was a fresh code (another key), and only the last one is in the store.
  EXPECT_NE(probe.written[0].first, probe.written[1].first);
  EXPECT_NE(probe.written[1].first, probe.written[2].first);
  EXPECT_EQ(store->size(), 1u);
  ASSERT_TRUE(redeem_exchange_code(probe, code, std::nullopt, payload).ok());

  // A store that always says `exists` yields no code at all.
  probe.exists_answers = 1000;
  Error err = create_exchange_code(probe, "tokens", code);
  EXPECT_FALSE(err.ok());
  EXPECT_TRUE(code.empty());
}

TEST(ExchangeCodes, BadCodesNeverReachTheStore) {
  auto store = memory_store();
  ProbeStore probe(*store);
  std::string good;
  ASSERT_TRUE(create_exchange_code(probe, "tokens", good).ok());
  std::string non_canonical = good;
  // The 43rd character carries 2 unused bits, zero in every code handed out ('B' sets one).
  non_canonical.back() = 'B';
  std::string with_nul = good;
  with_nul[10] = '\0';
  const std::vector<std::string> bad = {
      "",
      std::string(1 << 20, 'A'),  // 1 MB
      good.substr(0, 42),         // one short
      good + "A",                 // one long
      good.substr(0, 42) + "=",   // padding
      good.substr(0, 42) + "+",   // standard alphabet
      good.substr(0, 42) + "/",
      good.substr(0, 20) + " " + good.substr(21),
      good.substr(0, 20) + "\xc3\xa9" + good.substr(22),  // same length in bytes, not ASCII
      with_nul,
      non_canonical,
  };
  std::string payload;
  for (const auto& code : bad) {
    Error err = redeem_exchange_code(probe, code, std::nullopt, payload);
    EXPECT_EQ(err.status, Status::not_found) << oidcore::printable(code);
    EXPECT_TRUE(payload.empty());
  }
  EXPECT_EQ(probe.takes, 0) << "a malformed code reached the store";
  // The good code was not disturbed.
  ASSERT_TRUE(redeem_exchange_code(probe, good, std::nullopt, payload).ok());
  EXPECT_EQ(probe.takes, 1);
}

TEST(ExchangeCodes, OversizedPayloadIsRefused) {
  auto store = memory_store();
  ProbeStore probe(*store);
  std::string code;
  EXPECT_EQ(create_exchange_code(probe, std::string(256 * 1024 + 1, 'p'), code).status, Status::too_large);
  EXPECT_EQ(probe.puts, 0);
  ASSERT_TRUE(create_exchange_code(probe, std::string(256 * 1024, 'p'), code).ok());
}

TEST(ExchangeCodes, TamperedOrMovedRecordsDoNotOpen) {
  auto store = memory_store();
  ProbeStore probe(*store);
  std::string a, b, payload;
  ASSERT_TRUE(create_exchange_code(probe, "tokens-a", a).ok());
  ASSERT_TRUE(create_exchange_code(probe, "tokens-b", b).ok());
  ASSERT_EQ(probe.written.size(), 2u);
  const auto [key_a, value_a] = probe.written[0];
  const auto [key_b, value_b] = probe.written[1];
  oidcore::store::PutResult result;
  // A's sealed record copied under B's key: it does not open with B's keys.
  ASSERT_TRUE(store->put(key_b, value_a, 60, false, result).ok());
  EXPECT_EQ(redeem_exchange_code(*store, b, std::nullopt, payload).status, Status::not_found);
  EXPECT_TRUE(payload.empty());
  // One flipped bit anywhere: not found.
  for (size_t at : {size_t{0}, size_t{5}, value_a.size() / 2, value_a.size() - 1}) {
    std::string tampered = value_a;
    tampered[at] ^= 0x01;
    ASSERT_TRUE(store->put(key_a, tampered, 60, false, result).ok());
    EXPECT_EQ(redeem_exchange_code(*store, a, std::nullopt, payload).status, Status::not_found) << at;
  }
  ASSERT_TRUE(store->put(key_a, value_a, 60, false, result).ok());
  ASSERT_TRUE(redeem_exchange_code(*store, a, std::nullopt, payload).ok());
  EXPECT_EQ(payload, "tokens-a");
}

TEST(ExchangeCodes, ACodeIsNotAState) {
  auto store = memory_store();
  std::string code, payload;
  ASSERT_TRUE(create_exchange_code(*store, "tokens", code).ok());
  oidcore::flow::LoginState record;
  EXPECT_EQ(oidcore::flow::consume_state(*store, code, std::nullopt, record).status, Status::not_found);
  ASSERT_TRUE(redeem_exchange_code(*store, code, std::nullopt, payload).ok());
}

}  // namespace
