#include "verifier/verifier.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>

#include "jose/jws.hpp"
#include "jose/signature.hpp"
#include "json/strict_json.hpp"
#include "verifier/deny_list.hpp"

namespace oidcore {

Verifier::Verifier(VerifierConfig config) : config_(std::move(config)) {
  if (config_.token_cache_size) token_cache_ = std::make_unique<TokenCache>(config_.token_cache_size);
  if (config_.remote()) {
    auto http = std::make_shared<http::HttpClient>(config_.http);
    remote_ = std::make_shared<jwks::KeyCache>(config_.discovery ? "" : config_.jwks_uri,
                                               config_.discovery ? config_.claims.issuer : "", std::move(http),
                                               config_.cache);
  }
}

Verifier::Verifier(VerifierConfig config, std::shared_ptr<jwks::KeyCache> shared_keys)
    : config_(std::move(config)), remote_(std::move(shared_keys)) {
  if (config_.token_cache_size) token_cache_ = std::make_unique<TokenCache>(config_.token_cache_size);
}

std::unique_ptr<Verifier> Verifier::create(std::string_view config_json, Error& error) {
  return create(config_json, nullptr, error);
}

std::unique_ptr<Verifier> Verifier::create(std::string_view config_json, store::Store* deny_store, Error& error) {
  VerifierConfig config;
  error = parse_verifier_config(config_json, config);
  if (error) return nullptr;
  if (config.deny_list && !deny_store) {
    error = Error(Status::invalid_config, "\"deny_list\" needs a store to consult (create the verifier with one)");
    return nullptr;
  }
  if (deny_store && !config.deny_list) {
    error = Error(Status::invalid_config, "a deny-list store was given but \"deny_list\" is not true");
    return nullptr;
  }
  config.deny_store = deny_store;
  return std::make_unique<Verifier>(std::move(config));
}

int64_t Verifier::now() const noexcept {
  if (config_.fixed_now) return *config_.fixed_now;
  // The precise wall clock: glibc's time() reads the coarse clock, which lags
  // CLOCK_REALTIME by up to a tick, so a token minted that very moment by a provider on the
  // same clock could look issued in the future.
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Clock bounds within which a verified token's answer may be reused without re-checking its
// claims: conservative (no clock tolerance, fractions rounded inwards), so that anything
// near an edge goes through the whole verification and gets its exact verdict. Read from the
// claim set the verification parsed (not parsed again).
TokenCache::Window cache_window(simdjson::dom::object claims, const jose::ClaimPolicy& policy) {
  TokenCache::Window w;
  const auto number = [&](const char* name) -> std::optional<double> {
    simdjson::dom::element e;
    if (claims.at_key(name).get(e)) return std::nullopt;
    return json::as_number(e);
  };
  constexpr double kMax = 9.0e15, kMin = -9.0e15;  // well inside int64 and exact in a double
  const auto clamp = [&](double v) { return v > kMax ? kMax : v < kMin ? kMin : v; };
  if (auto exp = number("exp")) w.not_after = static_cast<int64_t>(std::floor(clamp(*exp)));
  if (auto nbf = number("nbf")) w.not_before = static_cast<int64_t>(std::ceil(clamp(*nbf)));
  if (policy.max_age) {
    auto auth_time = number("auth_time");
    if (!auth_time) auth_time = number("iat");
    if (!auth_time) return {1, 0};
    const int64_t deadline = static_cast<int64_t>(std::floor(clamp(*auth_time + static_cast<double>(*policy.max_age))));
    if (deadline < w.not_after) w.not_after = deadline;
  }
  return w;
}

}  // namespace

Error Verifier::verify(std::string_view token, VerifiedToken& out, const VerifyOptions& options) const {
  // A token verified before, byte for byte, with the keys still current and within its
  // validity: answered without the signature. Calls with a nonce always take the long way.
  const bool cacheable = token_cache_ && !options.nonce;
  // Remote keys: one snapshot for the cache check and the verification below.
  std::shared_ptr<const jwks::KeySnapshot> snap;
  bool cached = false;
  if (cacheable) {
    uint64_t generation = 0;
    bool keys_current = true;
    if (remote_) {
      snap = remote_->snapshot();
      keys_current = snap && !remote_->refresh_due(snap.get());
      if (snap) generation = snap->generation;
    }
    if (keys_current && token_cache_->lookup(token, now(), generation, out)) {
      out.key_generation = generation;
      cached = true;
    }
  }
  Error err;
  if (!cached) {
    TokenCache::Window window{1, 0};  // never, unless the verification says otherwise
    err = verify_impl(token, out, options, std::move(snap), cacheable ? &window : nullptr);
    // Where the deny list would hold its session: worked out once, kept with the cached answer.
    if (!err && config_.deny_store) out.listing = deny_list::listing_for(out.claims, token);
    if (!err && cacheable) token_cache_->insert(token, out, window, out.key_generation);
  }
  // The deny list last, for cached answers too: junk never costs a store round trip, and a
  // session ended after its token was cached is refused all the same.
  if (!err && config_.deny_store) err = check_deny_list(out, options);
  // "needs fetch" is not an outcome: the same token comes back through the blocking call.
  if (err.status != Status::needs_fetch) counters_[static_cast<int>(err.status)].fetch_add(1, std::memory_order_relaxed);
  return err;
}

Error Verifier::deny(std::string_view token, bool& denied) const {
  denied = false;
  if (!config_.deny_store)
    return Error(Status::invalid_config, "this verifier has no deny list (\"deny_list\": true with a store)");
  VerifiedToken verified;
  Error err = verify(token, verified);
  if (err.status == Status::revoked) {
    denied = true;
    return {};
  }
  if (err.status == Status::expired) return {};
  if (err) return err;
  return deny_list::add(*config_.deny_store, verified.claims, token, now(), config_.claims.clock_tolerance, denied);
}

Error Verifier::check_deny_list(const VerifiedToken& verified,
                                const VerifyOptions& options) const {
  const auto steady_ns = [] {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  // Fail open, explicitly configured: while the store is failing, tokens are not held up.
  if (config_.deny_list_fail_open && steady_ns() < deny_list_skip_until_.load(std::memory_order_relaxed)) return {};
  // A caller that must not block (an event loop) does not wait on a store's round trip.
  if (!options.allow_fetch && config_.deny_store->remote()) return Error(Status::needs_fetch, "");
  Error err = deny_list::check(*config_.deny_store, verified.listing);
  if (err.status == Status::store_unavailable && config_.deny_list_fail_open) {
    deny_list_skip_until_.store(steady_ns() + kDenyListBackoff * 1'000'000'000, std::memory_order_relaxed);
    return {};
  }
  return err;
}

Error Verifier::keys_for(const VerifyOptions& options, std::shared_ptr<const jwks::KeySnapshot>& snap) const {
  if (!snap) snap = remote_->snapshot();
  if (!remote_->refresh_due(snap.get())) return {};
  Error fetch_error;
  if (!options.allow_fetch) {
    // While a failed provider is being left alone (retry interval) the blocking call would
    // not fetch either: answer as it would, from stale keys (stale-if-error) or with
    // jwks_unavailable. Anything else needs the network.
    fetch_error = remote_->backoff_error();
    if (!fetch_error) return Error(Status::needs_fetch, "");
  } else {
    fetch_error = remote_->refresh(snap ? jwks::Reason::expired : jwks::Reason::initial, snap ? snap->generation : 0);
    snap = remote_->snapshot();
  }
  if (remote_->usable(snap.get())) return {};
  if (fetch_error.status == Status::bad_issuer) return fetch_error;
  return Error(Status::jwks_unavailable,
               fetch_error ? "signing keys unavailable: " + fetch_error.message : "signing keys unavailable");
}

Error Verifier::verify_impl(std::string_view token, VerifiedToken& out, const VerifyOptions& options,
                             std::shared_ptr<const jwks::KeySnapshot> snap,
                             TokenCache::Window* cache_window_out) const {
  // Buffers reused across calls on this thread: no allocation per token once warm.
  thread_local jose::CompactJws jws;
  thread_local jose::JwsHeader header;

  if (auto err = jose::split_compact(token, config_.max_token_bytes, jws)) return err;
  if (auto err = jose::parse_header(jws.header_json, header)) return err;
  const jose::Alg alg = header.alg;
  // The configured list (by default every asymmetric algorithm) is checked before any key
  // is looked at, so junk never reaches the network.
  if (!config_.algorithms.contains(alg))
    return Error(Status::alg_not_allowed, "algorithm " + std::string(jose::alg_name(alg)) + " is not allowed");

  // Keys come from configuration only, never from the token's header.
  const jose::KeySet* keys = &config_.keys;
  if (remote_) {
    if (auto err = keys_for(options, snap)) return err;
    keys = &snap->keys;
    if (!config_.algorithms_explicit && snap->advertised && !snap->advertised->contains(alg))
      return Error(Status::alg_not_allowed,
                   "algorithm " + std::string(jose::alg_name(alg)) + " is not advertised by the provider");
  }
  const jose::Jwk* verified_by = nullptr;
  Error key_err = jose::verify_with_key_set(jws, header, *keys, verified_by);
  if (key_err.status == Status::key_not_found && remote_) {
    // A kid we do not know: the provider may have rotated its keys. Refetch, at most once
    // per interval and never for a kid these keys were fetched after, and try once more.
    if (!options.allow_fetch) {
      if (remote_->refetch_allowed(header.kid, snap->generation)) return Error(Status::needs_fetch, "");
      return key_err;
    }
    const Error refetch = remote_->refresh(jwks::Reason::unknown_kid, snap->generation, header.kid);
    auto fresh = remote_->snapshot();
    if (fresh && fresh->generation != snap->generation) {
      snap = std::move(fresh);
      key_err = jose::verify_with_key_set(jws, header, snap->keys, verified_by);
    } else if (refetch.status == Status::key_not_found) {
      key_err.message += "; " + refetch.message;
    }
  }
  if (key_err) return key_err;

  simdjson::dom::element root;
  if (auto err = json::thread_parser().parse_padded(jws.payload_json.data(), jws.payload_json.size(), root)) {
    err.message = "payload: " + err.message;
    return err;
  }
  simdjson::dom::object claims;
  if (root.get_object().get(claims)) return Error(Status::malformed, "payload is not a JSON object (a JWT claim set)");

  if (auto err = jose::check_claims(claims, config_.claims, now(), options.nonce)) return err;
  if (config_.typ) {
    if (!header.has_typ) return Error(Status::bad_type, "token has no \"typ\"; \"" + *config_.typ + "\" is required");
    if (!jose::typ_matches(*config_.typ, header.typ))
      return Error(Status::bad_type, "token type \"" + printable(header.typ) + "\" is not \"" + *config_.typ + "\"");
  }

  if (cache_window_out) *cache_window_out = cache_window(claims, config_.claims);
  out.claims.assign(jws.payload_json);
  out.principal.clear();
  if (config_.principal) jose::build_principal(claims, *config_.principal, out.principal);
  out.alg = alg;
  out.kid.assign(verified_by->kid);
  out.key_generation = snap ? snap->generation : 0;
  return {};
}

Error Verifier::refresh_keys() const {
  if (!remote_) return {};
  auto snap = remote_->snapshot();
  return remote_->refresh(snap ? jwks::Reason::expired : jwks::Reason::initial, snap ? snap->generation : 0);
}

VerifierStats Verifier::stats() const {
  VerifierStats s;
  for (int i = 0; i < kStatusCount; ++i) s.by_status[i] = counters_[i].load(std::memory_order_relaxed);
  if (token_cache_) {
    s.token_cache_hits = token_cache_->hits();
    s.token_cache_entries = token_cache_->size();
    s.token_cache_capacity = token_cache_->capacity();
  }
  if (remote_) s.keys = remote_->stats();
  return s;
}

std::optional<jwks::ProviderMetadata> Verifier::metadata() const {
  if (!remote_) return std::nullopt;
  return remote_->metadata();
}

}  // namespace oidcore
