// Keys from the identity provider over HTTP: discovery, a JWKS cache that honours
// Cache-Control within bounds, refetches on an unknown kid at a bounded rate, shares one
// in-flight fetch between all callers, and keeps serving the last good keys when the
// provider fails (stale-if-error). Verifications never wait on a lock held during a fetch.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/http_fetch.hpp"
#include "jose/algorithm.hpp"
#include "jose/jwk.hpp"
#include "status.hpp"

namespace oidcore::jwks {

struct CacheOptions {
  int64_t ttl = 600;              // seconds, when the response has no usable max-age
  int64_t min_ttl = 60;           // bounds applied to Cache-Control: max-age
  int64_t max_ttl = 86400;
  int64_t stale_if_error = 86400; // keys stay usable this long past their TTL while refreshes fail
  int refetch_per_minute = 5;     // unknown-kid refetches (jwks-rsa's jwksRequestsPerMinute)
  int64_t retry_interval = 10;    // after a failed fetch, no new attempt for this many seconds
  jose::KeyPolicy key_policy;     // allow_symmetric is always forced off for fetched sets
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
[[nodiscard]] Error fetch_discovery(const http::HttpClient& http, const std::string& issuer, ProviderMetadata& out);

// One immutable generation of keys.
struct KeySnapshot {
  jose::KeySet keys;
  uint64_t generation = 0;
  int64_t fetched_at = 0;  // monotonic seconds
  int64_t expires_at = 0;  // monotonic seconds: TTL end
  int64_t fetched_at_unix = 0;
  std::optional<jose::AlgSet> advertised;  // from discovery, minus HS* and none
};

struct Stats {
  uint64_t fetches = 0;
  uint64_t fetch_failures = 0;
  uint64_t rate_limited = 0;
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

  // The keys in use (nullptr before the first successful fetch). Never blocks on a fetch,
  // and takes no lock while the keys are unchanged: each thread keeps the last snapshot it
  // saw of a few caches with their version and rereads only when the version moved on.
  std::shared_ptr<const KeySnapshot> snapshot() const;

  // Whether `snap` may still be used at this moment: within TTL, or past it but within the
  // stale-if-error window while refreshes fail.
  bool usable(const KeySnapshot* snap) const;
  // Whether a refresh is due (no keys, or TTL passed and no recent failed attempt).
  bool refresh_due(const KeySnapshot* snap) const;
  // Whether an unknown-kid refetch would be allowed now (rate limit, failure backoff).
  bool refetch_allowed() const;
  // Whether a fetch failed less than retry_interval ago (no new attempt is made until then).
  bool backing_off() const;
  // While backing off, the jwks_unavailable error refresh() answers without fetching;
  // success otherwise.
  Error backoff_error() const;

  // Fetches (or joins the fetch in flight) and returns when it is done. `seen` is the
  // generation the caller already tried; when a newer one exists no fetch is made.
  // For Reason::unknown_kid the rate limit applies: over it, nothing is fetched.
  // Returns the outcome of the fetch the caller waited for.
  Error refresh(Reason reason, uint64_t seen);

  Stats stats() const;
  std::optional<ProviderMetadata> metadata() const;

  static int64_t monotonic_now();

 private:
  Error fetch_once();  // runs without any lock held
  Error backoff_error_locked(int64_t now) const;  // fetch_mutex_ held
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
  std::deque<int64_t> refetch_times_;
  int64_t last_failure_mono_ = -1;
  Stats stats_;
};

}  // namespace oidcore::jwks
