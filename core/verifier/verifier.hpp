// The token verifier: one issuer, its audiences, its keys, its policy. Immutable after
// creation and safe to share between threads.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/http_fetch.hpp"
#include "jose/algorithm.hpp"
#include "jose/claims.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/principal.hpp"
#include "jose/signature.hpp"
#include "jwks/jwks_cache.hpp"
#include "status.hpp"
#include "store/store.hpp"
#include "verifier/deny_list.hpp"
#include "verifier/striped_counters.hpp"
#include "verifier/token_cache.hpp"

namespace oidcore {

struct VerifierConfig {
  jose::ClaimPolicy claims;
  jose::AlgSet algorithms = jose::AlgSet::asymmetric();
  bool algorithms_explicit = false;  // else, with discovery, what the provider advertises
  std::optional<std::string> typ;
  size_t max_token_bytes = jose::kDefaultMaxTokenBytes;
  std::optional<int64_t> fixed_now;
  std::optional<jose::PrincipalConfig> principal;
  jose::KeyPolicy key_policy;
  jose::KeySet keys;  // inline or file keys (empty with a remote key source)
  // Verified-token cache entries (0: no cache). See verifier/token_cache.hpp.
  size_t token_cache_size = 1024;
  // Remote keys: a JWKS URL, or discovery from the issuer.
  std::string jwks_uri;
  bool discovery = false;
  http::HttpOptions http;
  jwks::CacheOptions cache;
  // The deny list of ended sessions (verifier/deny_list.hpp): off unless configured
  // ("deny_list": true), and then only with a store to consult, given beside the JSON
  // (Verifier::create with a store; a relying party passes its own). A token that passed
  // every other check costs one store lookup.
  bool deny_list = false;
  // A store that fails the lookup: by default the token is refused (store_unavailable, fail
  // closed). true: it is accepted, and the store is not asked again for kDenyListBackoff
  // seconds (every verification answered at once, none waiting on a store that is down):
  // for applications that must keep serving valid tokens through a store outage, at the
  // price of logged-out tokens passing until the store is back (their exp still bounds them).
  bool deny_list_fail_open = false;
  store::Store* deny_store = nullptr;  // not owned; outlives the verifier
  bool remote() const { return discovery || !jwks_uri.empty(); }
};

// Parses the JSON configuration (see the README for the keys). Unknown keys and bad values
// are Status::invalid_config with the key named in the message.
[[nodiscard]] Error parse_verifier_config(std::string_view json, VerifierConfig& out);

struct VerifiedToken {
  std::string claims;     // the payload JSON object
  std::string principal;  // empty unless a principal mapping is configured
  jose::Alg alg = jose::Alg::RS256;
  std::string kid;
  uint64_t key_generation = 0;  // of the remote key set that verified it (0: inline keys)
  // Where the deny list would list it (a verifier with a deny list only; else empty).
  deny_list::Listing listing;
};

// Per-call inputs that are not policy (the login flow's expected nonce).
struct VerifyOptions {
  const std::string* nonce = nullptr;
  // false: never touch the network; answer Status::needs_fetch when keys must be fetched.
  bool allow_fetch = true;
};

// Counters readable while the verifier is in use.
struct VerifierStats {
  std::array<uint64_t, kStatusCount> by_status{};  // verifications by outcome
  uint64_t token_cache_hits = 0;                   // of the `ok` ones, answered from the cache
  size_t token_cache_entries = 0;
  size_t token_cache_capacity = 0;
  std::optional<jwks::Stats> keys;                 // remote key source, when configured
};

class Verifier {
 public:
  static std::unique_ptr<Verifier> create(std::string_view config_json, Error& error);
  // With the store of the deny list ("deny_list": true in the configuration, which needs
  // it; a store without that option is refused too, so that neither is half-configured).
  // `deny_store` must outlive the verifier.
  static std::unique_ptr<Verifier> create(std::string_view config_json, store::Store* deny_store, Error& error);
  explicit Verifier(VerifierConfig config);
  // A verifier whose remote keys come from `shared_keys` (a cache several verifiers of one
  // provider share: one fetch serves them all) instead of a cache of its own. `config` must
  // name a remote key source.
  Verifier(VerifierConfig config, std::shared_ptr<jwks::KeyCache> shared_keys);

  // Verifies `token`; fills `out` on success. Thread-safe. With a deny list, a token that
  // passed every check (or came from the verified-token cache) is then looked up in the
  // store: listed, Status::revoked; store failure, Status::store_unavailable. With
  // `allow_fetch` false and a store that can block (Redis), the lookup is not made and the
  // answer is Status::needs_fetch.
  [[nodiscard]] Error verify(std::string_view token, VerifiedToken& out, const VerifyOptions& options = {}) const;

  // Ends the session of `token` (logout): when the token verifies, its session goes on the
  // deny list until exp + clock tolerance and `denied` is true (also when an earlier logout
  // listed it already). A token past its exp lists nothing (`denied` false, OK: no verifier
  // accepts it any more); any other failure of the token is returned as it is, so that a
  // forged token never ends someone else's session. Without a deny list: invalid_config.
  [[nodiscard]] Error deny(std::string_view token, bool& denied) const;

  const VerifierConfig& config() const noexcept { return config_; }

  // Fetches the remote keys now (discovery first when configured). For warming up at
  // start-up; verifications fetch by themselves when they need to.
  [[nodiscard]] Error refresh_keys() const;

  VerifierStats stats() const;
  // Provider metadata from discovery, once fetched.
  std::optional<jwks::ProviderMetadata> metadata() const;

  // At most this many keys are tried for a token without `kid` (bounds CPU per token).
  static constexpr size_t kMaxKidlessCandidates = jose::kMaxKidlessCandidates;
  // With deny_list_fail_open: seconds without deny-list lookups after the store failed one.
  static constexpr int64_t kDenyListBackoff = 5;

 private:
  int64_t now() const noexcept;
  // `snap`: the remote key snapshot already taken by the caller, or null. `cache_window_out`:
  // when not null, set on success to the bounds within which the token-cache may answer.
  Error verify_impl(std::string_view token, VerifiedToken& out, const VerifyOptions& options,
                    std::shared_ptr<const jwks::KeySnapshot> snap,
                    TokenCache::Window* cache_window_out = nullptr) const;
  // The deny-list lookup of a token that verified.
  Error check_deny_list(const VerifiedToken& verified, const VerifyOptions& options) const;
  // Fills `snap` (taking one when it is null) with usable keys, fetching when allowed.
  Error keys_for(const VerifyOptions& options, std::shared_ptr<const jwks::KeySnapshot>& snap) const;

  VerifierConfig config_;
  std::shared_ptr<jwks::KeyCache> remote_;
  std::unique_ptr<TokenCache> token_cache_;
  // Verifications by outcome; per-thread stripes, so that threads do not share a written line.
  mutable StripedCounters<kStatusCount> counters_;
  // deny_list_fail_open: steady-clock nanoseconds until which the deny list is not consulted.
  mutable std::atomic<int64_t> deny_list_skip_until_{0};
};

}  // namespace oidcore
