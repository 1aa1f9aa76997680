// Event counters bumped by every verification on every thread, without one cache line that
// all threads write: each thread adds to its own stripe (one of kStripes, each on cache
// lines of its own, handed out round robin as threads first count), and a read sums the
// stripes. Exact: every addition is an atomic add on some stripe, so a read made after the
// additions sees all of them. With more threads than stripes, some threads share a stripe
// (still exact, merely contended).
//
// Indexing gives an object with std::atomic's fetch_add and load, so that code written for
// an array of atomics reads the same.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace oidcore {

namespace detail {
// This thread's stripe, 0 .. count-1 (the same for every set of counters).
inline size_t counter_stripe(size_t count) noexcept {
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine % count;
}
}  // namespace detail

template <size_t N>
class StripedCounters {
 public:
  static constexpr size_t kStripes = 16;

  class Counter {
   public:
    void fetch_add(uint64_t n, std::memory_order order = std::memory_order_relaxed) noexcept {
      owner_->stripes_[detail::counter_stripe(kStripes)].values[index_].fetch_add(n, order);
    }
    uint64_t load(std::memory_order order = std::memory_order_relaxed) const noexcept {
      uint64_t sum = 0;
      for (const Stripe& s : owner_->stripes_) sum += s.values[index_].load(order);
      return sum;
    }

   private:
    friend class StripedCounters;
    Counter(StripedCounters* owner, size_t index) : owner_(owner), index_(index) {}
    StripedCounters* owner_;
    size_t index_;
  };

  Counter operator[](size_t index) noexcept { return Counter(this, index); }

 private:
  // 128 bytes: adjacent-line prefetchers pair 64-byte lines.
  struct alignas(128) Stripe {
    std::array<std::atomic<uint64_t>, N> values{};
  };
  std::array<Stripe, kStripes> stripes_{};
};

}  // namespace oidcore
