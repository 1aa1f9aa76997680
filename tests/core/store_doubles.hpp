// Test doubles for the store interface: a clock the test moves, a store that cannot be
// reached, and a wrapper that counts calls and can fail or answer `exists` on demand.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace oidcore::testing {

class ManualClock {
 public:
  explicit ManualClock(int64_t start = 1'000'000) : now_(start) {}
  store::Clock clock() {
    return [this] { return now_.load(); };
  }
  void advance(int64_t seconds) { now_ += seconds; }
  int64_t now() const { return now_.load(); }

 private:
  std::atomic<int64_t> now_;
};

// Every call fails as an unreachable server would.
class UnreachableStore final : public store::Store {
 public:
  Error put(std::string_view, std::string_view, int64_t, bool, store::PutResult& result) override {
    ++puts;
    result = store::PutResult::exists;
    return Error(Status::store_unavailable, "connection refused");
  }
  Error take(std::string_view, std::string& value) override {
    ++takes;
    value = "must not be used";
    return Error(Status::store_unavailable, "connection refused");
  }
  Error get(std::string_view, std::string& value) override {
    ++gets;
    value = "must not be used";
    return Error(Status::store_unavailable, "connection refused");
  }
  std::string_view kind() const noexcept override { return "unreachable"; }

  std::atomic<int> puts{0};
  std::atomic<int> takes{0};
  std::atomic<int> gets{0};
};

// Forwards to another store, counting calls; can be told to fail, or to answer `exists`
// for the next puts, and remembers every key and value it was asked to put.
class ProbeStore final : public store::Store {
 public:
  explicit ProbeStore(store::Store& inner) : inner_(inner) {}

  Error put(std::string_view key, std::string_view value, int64_t ttl, bool only_if_absent,
            store::PutResult& result) override {
    ++puts;
    {
      std::lock_guard lock(mutex_);
      written.emplace_back(key, value);
      last_ttl = ttl;
      last_only_if_absent = only_if_absent;
    }
    if (fail_puts) {
      result = store::PutResult::exists;
      return Error(Status::store_unavailable, "timed out");
    }
    if (exists_answers > 0) {
      --exists_answers;
      result = store::PutResult::exists;
      return {};
    }
    return inner_.put(key, value, ttl, only_if_absent, result);
  }
  Error take(std::string_view key, std::string& value) override {
    ++takes;
    if (fail_takes) return Error(Status::store_unavailable, "timed out");
    return inner_.take(key, value);
  }
  Error get(std::string_view key, std::string& value) override {
    ++gets;
    if (fail_gets) return Error(Status::store_unavailable, "timed out");
    return inner_.get(key, value);
  }
  std::string_view kind() const noexcept override { return "probe"; }
  bool remote() const noexcept override { return remote_answer; }

  std::atomic<int> puts{0};
  std::atomic<int> takes{0};
  std::atomic<int> gets{0};
  std::atomic<bool> fail_puts{false};
  std::atomic<bool> fail_takes{false};
  std::atomic<bool> fail_gets{false};
  bool remote_answer = false;  // what remote() says (a test may act as a Redis store)
  std::atomic<int> exists_answers{0};
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> written;
  int64_t last_ttl = 0;
  bool last_only_if_absent = false;

 private:
  store::Store& inner_;
};

// Everything a store holds at rest, cut into every `window`-byte slice, to show that no
// slice of a secret or a payload can be read there.
class AtRestSlices {
 public:
  explicit AtRestSlices(size_t window = 10) : window_(window) {}
  void add(std::string_view bytes) {
    text_.emplace_back(bytes);
    const std::string& kept = text_.back();
    for (size_t i = 0; i + window_ <= kept.size(); ++i) slices_.insert(std::string_view(kept).substr(i, window_));
  }
  // Whether some `window`-byte slice of `secret` is held (all of it when it is shorter).
  bool leaks(std::string_view secret) const {
    if (secret.size() < window_) {
      for (const auto& t : text_)
        if (t.find(secret) != std::string::npos) return true;
      return false;
    }
    for (size_t i = 0; i + window_ <= secret.size(); ++i)
      if (slices_.count(secret.substr(i, window_))) return true;
    return false;
  }
  size_t window() const { return window_; }

 private:
  size_t window_;
  std::deque<std::string> text_;  // stable addresses for the views
  std::unordered_set<std::string_view> slices_;
};

}  // namespace oidcore::testing
