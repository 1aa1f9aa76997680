// Keys from the identity provider over HTTP: discovery, a JWKS cache that honours
// Cache-Control within bounds, refreshes the keys in the background shortly before their TTL
// ends, refetches on an unknown kid at most once per interval (and never for a kid already
// checked against the keys in use), shares one in-flight fetch between all callers, and keeps
// serving the last good keys only while fetches fail (stale-if-error). Verifications never
// wait on a lock held during a fetch.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http/http_fetch.hpp"
#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "status.hpp"

namespace oidcore::jwks {

struct CacheOptions {
  int64_t ttl = 300;              // seconds, when the response has no usable max-age
  int64_t min_ttl = 60;           // bounds applied to the TTL (Cache-Control: max-age or ttl)
  int64_t max_ttl = 300;          // (the configuration defaults it to ttl)
  int64_t stale_if_error = 86400; // keys stay usable this long past their TTL while refreshes fail
  // Milliseconds between two refetches caused by unknown kids; 0: an unknown kid never causes
  // a fetch (keys then change at their TTL only).
  int64_t refetch_interval_ms = 12000;
  int64_t retry_interval = 10;    // after a failed fetch, no new attempt for this many seconds
  size_t unknown_kid_capacity = 1024;  // kids remembered as unknown (and as waiting to be checked)
  jose::KeyPolicy key_policy;     // allow_symmetric is always forced off for fetched sets
};

// The kids a verification asked for and the keys did not hold. A kid is remembered as absent
// from a generation only when that generation was fetched after the kid was first asked for:
// the kid then had its chance (a provider publishes a key before it signs with it), and asking
// again costs nothing while those keys are in use. Kids refused before any such fetch (the
// refetch interval had not passed) wait, unjudged, for the next fetch: a key published in the
// meantime is never held against its first tokens. Every new generation judges the remembered
// kids again and forgets those it holds. Both sets are bounded (further kids are simply not
// remembered); kids longer than kMaxKidBytes never are, nor is the absence of a kid (a new
// key without kid could not be told from the old ones). Not thread-safe: KeyCache guards it
// with its fetch mutex.
class UnknownKids {
 public:
  static constexpr size_t kMaxKidBytes = 256;

  explicit UnknownKids(size_t capacity) : capacity_(capacity) {}

  // Whether `kid` is known to be absent from the keys of `generation`.
  [[nodiscard]] bool absent_from(std::string_view kid, uint64_t generation) const;
  // Records `kid` as refused without a check; the next fetch to start will judge it.
  void note(std::string_view kid);
  // The point a fetch starts from: the kids noted so far are the ones it will judge.
  [[nodiscard]] uint64_t mark() const { return sequence_; }
  // A fetch that started at `mark` brought `generation` with `keys`: the kids noted up to
  // `mark`, and those absent from the previous generation, are remembered as absent from the
  // new one when `keys` lacks them, and forgotten when it holds them.
  void new_generation(uint64_t generation, uint64_t mark, const jose::KeySet& keys);

  static bool rememberable(std::string_view kid) { return !kid.empty() && kid.size() <= kMaxKidBytes; }

  size_t absent_count() const { return absent_.size(); }
  size_t waiting_count() const { return waiting_.size(); }
  uint64_t generation() const { return generation_; }

 private:
  const size_t capacity_;
  uint64_t generation_ = 0;
  std::unordered_set<std::string> absent_;                // absent from generation_
  std::unordered_map<std::string, uint64_t> waiting_;    // kid -> when it was noted (sequence)
  uint64_t sequence_ = 0;
};

// What discovery found (OpenID Connect Discovery 1.0 §3).
struct ProviderMetadata {
  std::string issuer, jwks_uri, authorization_endpoint, token_endpoint, userinfo_endpoint, end_session_endpoint,
      revocation_endpoint, introspection_endpoint;
  std::vector<std::string> id_token_signing_alg_values_supported;
};

// Parses a discovery document and checks its issuer against `expected_issuer` (exact).
[[nodiscard]] Error parse_discovery(std::string_view json, const std::string& expected_issuer, ProviderMetadata& out);
// Fetches `issuer`/.well-known/openid-configuration and parses it (parse_discovery).
// `cancel`: see HttpRequest::cancel.
[[nodiscard]] Error fetch_discovery(const http::HttpClient& http, const std::string& issuer, ProviderMetadata& out,
                                    const std::atomic<bool>* cancel = nullptr);

// One immutable generation of keys. Times are monotonic milliseconds (KeyCache::monotonic_ms).
struct KeySnapshot {
  jose::KeySet keys;
  uint64_t generation = 0;
  int64_t requested_at_ms = 0;  // when the fetch that brought them started: the TTL counts from here
  int64_t fetched_at_ms = 0;    // when it ended
  int64_t refresh_at_ms = 0;    // from here on, a verification starts a background refresh
  int64_t expires_at_ms = 0;    // TTL end: not used past it unless refreshes fail
  int64_t fetched_at_unix = 0;
  std::optional<jose::AlgSet> advertised;  // from discovery, minus HS* and none
};

struct Stats {
  uint64_t fetches = 0;
  uint64_t fetch_failures = 0;
  uint64_t rate_limited = 0;         // unknown kids refused because the refetch interval had not passed
  uint64_t unknown_kid_cached = 0;   // unknown kids refused at once: already checked against these keys
  uint64_t background_refreshes = 0; // refreshes started ahead of the TTL, on a thread of their own
  int64_t last_success_unix = 0;
  int64_t last_failure_unix = 0;
  std::string last_error;
  size_t key_count = 0;
  int64_t cache_age = -1;  // seconds since the keys in use were fetched; -1 when none
  bool stale = false;      // keys in use are past their TTL
};

enum class Reason { initial, expired, unknown_kid };

class KeyCache {
 public:
  // Either a JWKS URL, or (discovery) the issuer whose metadata names it.
  KeyCache(std::string jwks_uri, std::string discovery_issuer, std::shared_ptr<const http::HttpClient> http,
           CacheOptions options);
  // Waits for a background refresh still running (at most one fetch's timeout).
  ~KeyCache();
  KeyCache(const KeyCache&) = delete;
  KeyCache& operator=(const KeyCache&) = delete;

  // The keys in use (nullptr before the first successful fetch). Never blocks on a fetch,
  // and takes no lock while the keys are unchanged: each thread keeps the last snapshot it
  // saw of a few caches with their version and rereads only when the version moved on.
  std::shared_ptr<const KeySnapshot> snapshot() const;

  // Whether `snap` may still be used at this moment: within TTL, or past it but within the
  // stale-if-error window while refreshes fail.
  bool usable(const KeySnapshot* snap) const;
  // Whether a refresh is due: no keys, or their TTL is over (the caller then refreshes and
  // waits, or falls back on stale-if-error). In the last stretch before the TTL ends (a tenth
  // of it, at least one HTTP timeout, at most half) it answers false and starts the refresh on
  // a short-lived thread of its own, so that under traffic nobody waits for it; an idle
  // service owns no thread and refreshes at the first verification after the TTL.
  bool refresh_due(const KeySnapshot* snap);
  // For a caller that must not block: whether the unknown `kid`, missing from the keys of
  // `generation`, may cause a refetch now. When it may not (remembered as absent, interval
  // not passed, fetch in flight, backing off) the kid is refused at once, counted, and
  // remembered for the next fetch to judge.
  bool refetch_allowed(std::string_view kid, uint64_t generation);
  // Whether a fetch failed less than retry_interval ago (no new attempt is made until then).
  bool backing_off() const;
  // While backing off, the jwks_unavailable error refresh() answers without fetching;
  // success otherwise.
  Error backoff_error() const;

  // Fetches (or joins the fetch in flight) and returns when it is done. `seen` is the
  // generation the caller already tried; when a newer one exists no fetch is made.
  // For Reason::unknown_kid (`kid` the one missing from `seen`): a kid remembered as absent
  // from `seen` is refused at once; otherwise at most one such refetch starts per refetch
  // interval, and a kid that comes while the interval runs or a fetch is in flight is refused
  // without waiting (key_not_found) and judged by the next fetch.
  // Returns the outcome of the fetch the caller waited for.
  Error refresh(Reason reason, uint64_t seen, std::string_view kid = {});

  Stats stats() const;
  std::optional<ProviderMetadata> metadata() const;

  static int64_t monotonic_now();  // seconds
  static int64_t monotonic_ms();

 private:
  Error fetch_once(int64_t started_ms);  // runs without any lock held
  Error backoff_error_locked(int64_t now_ms) const;  // fetch_mutex_ held
  // Refuses an unknown kid without fetching when it must be (fetch_mutex_ held): remembered
  // as absent, no unknown-kid refetch configured, backing off, interval running, fetch in
  // flight. Counts and notes it. Success: a refetch may start.
  Error unknown_kid_refusal_locked(std::string_view kid, uint64_t generation, int64_t now_ms);
  void start_background_refresh(uint64_t generation);
  void forget_inherited_state_locked();  // fetch_mutex_ held; after a fork
  Error discover(ProviderMetadata& out);
  int64_t ttl_from(const std::string& cache_control) const;

  const std::string discovery_issuer_;
  const std::shared_ptr<const http::HttpClient> http_;
  const CacheOptions options_;

  // Unique for the life of the process (never reused, unlike an address): what a thread's
  // saved snapshot is filed under.
  const uint64_t id_;
  mutable std::mutex snapshot_mutex_;  // guards snapshot_ only; held for a pointer copy
  std::shared_ptr<const KeySnapshot> snapshot_;
  // Bumped (release) after every change of snapshot_: a thread whose saved version is
  // still current may use its saved snapshot without the lock.
  std::atomic<uint64_t> snapshot_version_{1};

  mutable std::mutex fetch_mutex_;  // guards the fields below; never held during I/O
  std::condition_variable fetch_done_;
  bool in_flight_ = false;
  uint64_t flight_id_ = 0;
  Error last_flight_error_;
  std::string jwks_uri_;
  std::optional<ProviderMetadata> metadata_;
  int64_t last_refetch_ms_ = INT64_MIN / 2;  // start of the last unknown-kid refetch
  int64_t last_failure_ms_ = -1;
  UnknownKids unknown_kids_;
  Stats stats_;
  pid_t owner_pid_;  // a child of fork() inherits no fetch in flight and no thread
  bool background_inherited_ = false;  // background_ names a thread of the parent process

  // The background refresh: at most one thread, alive only while it fetches.
  std::mutex background_mutex_;  // guards background_; never held during I/O
  std::thread background_;
  std::atomic<bool> background_busy_{false};
  // Set by the destructor: a fetch in flight (the background refresh's) is abandoned rather
  // than waited out to its deadline.
  std::atomic<bool> closing_{false};
};

}  // namespace oidcore::jwks
