// The relying party: OpenID Connect's authorization-code flow with PKCE against one
// provider found by discovery. begin_login() makes the authorization URL and keeps the login
// state (state, nonce, PKCE verifier, where to go afterwards) in a store; complete_login()
// consumes that state exactly once, exchanges the code at the token endpoint and validates
// the ID token (and a JWT access token); refresh() runs the refresh grant with one call to
// the provider per refresh token however many callers ask at once; userinfo(), revoke() and
// logout() cover the rest: logout() ends a session for good (deny list, revocation, the
// provider's end-session URL). Server-to-server calls go to the internal URL when one is
// configured, while browser-facing URLs and token checks use the public issuer.
//
// Thread-safe: one RelyingParty serves any number of threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/http_fetch.hpp"
#include "jwks/jwks_cache.hpp"
#include "status.hpp"
#include "store/store.hpp"
#include "verifier/verifier.hpp"

namespace oidcore::flow {

enum class ClientAuth { post, basic };

struct RelyingPartyConfig {
  std::string issuer;
  std::string client_id;
  std::string client_secret;
  std::string redirect_uri;
  std::vector<std::string> scopes{"openid", "profile", "email"};
  ClientAuth client_auth = ClientAuth::post;
  // client_secret_basic: RFC 6749 §2.3.1 form-encodes id and secret before base64. Some
  // providers (Authentik) do not decode them; `basic_raw` sends them as they are.
  bool basic_raw = false;
  // Providers without a signing key (Authentik then signs with HS256 keyed with the client
  // secret and serves an empty JWKS): verify with the client secret. Never a fallback.
  bool hs256_client_secret = false;
  bool validate_access_token = true;             // when the access token is a JWT
  // Every login is tied to the browser that started it: begin_login() hands out a binding
  // value (for a short-lived HttpOnly cookie) and complete_login() needs it back. Off only
  // when explicitly configured (login CSRF protection then rests on the application).
  bool browser_binding = true;
  std::vector<std::string> access_token_audience;  // empty: the client id
  std::string post_logout_redirect_uri;          // default for logout_url()
  // The deny list of ended sessions (verifier/deny_list.hpp), kept in the relying party's
  // store: logout() lists the session of a still-valid access token, and
  // verify_access_token() refuses listed tokens (Status::revoked) at the cost of one store
  // lookup per verification. Off by default.
  bool deny_list = false;
  // A store that fails the lookup: refused (store_unavailable) unless this is true; see
  // VerifierConfig::deny_list_fail_open.
  bool deny_list_fail_open = false;
  int64_t state_ttl = 600;
  int64_t exchange_code_ttl = 60;
  int64_t discovery_ttl = 3600;  // provider metadata is fetched again after this long
  // A refresh's outcome is also given to callers that present the same (now spent) refresh
  // token this many seconds after it completed: requests that raced the refresh (several
  // tabs, a queue of workers) get the rotated tokens instead of invalid_grant. 0: only
  // callers arriving while the call is in flight share it. Kept short: a spent refresh token
  // presented later is refused, as the provider would.
  int64_t refresh_reuse_window = 2;
  // Whether the application means to refresh its sessions (default): without
  // "offline_access" in `scopes` the relying party then warns no_offline_access at creation,
  // since providers such as Authentik issue refresh tokens only with that scope.
  bool refresh_tokens = true;
  std::vector<std::pair<std::string, std::string>> authorization_params;  // e.g. prompt
  // Verifier members passed through (algorithms, clock_tolerance, principal, http, cache...),
  // as the text of JSON members without braces ("" when none).
  std::string verifier_members;
  bool algorithms_given = false;
  http::HttpOptions http;
  jwks::CacheOptions cache;
};

// Parses the JSON configuration (README: "Login flow"). Status::invalid_config naming the key.
[[nodiscard]] Error parse_relying_party_config(std::string_view json, RelyingPartyConfig& out);

// Something in a valid configuration that will not do what the application likely expects.
// `code` is stable ("no_offline_access"); `message` says what to change.
struct ConfigWarning {
  std::string code;
  std::string message;
};

// The warnings of a configuration (none when everything is as expected).
std::vector<ConfigWarning> relying_party_warnings(const RelyingPartyConfig& config);
// [{"code","message"},...]
std::string warnings_json(const std::vector<ConfigWarning>& warnings);

struct BeginLoginOptions {
  std::optional<std::string> redirect_after;  // must be a safe relative path
  std::optional<std::string> extra_json;
  // The browser binding to use instead of a generated one (e.g. the value of a cookie the
  // application already sets for the login).
  std::optional<std::string> binding;
  std::optional<std::vector<std::string>> scopes;           // instead of the configured ones
  std::vector<std::pair<std::string, std::string>> params;  // extra authorization parameters
};

struct LoginStart {
  std::string url;    // the authorization URL to send the browser to
  std::string state;    // also in the URL
  std::string binding;  // for a short-lived HttpOnly cookie; give it back to complete_login ("" when off)
  int64_t expires_in = 0;
};

// What the token endpoint gave, validated.
struct TokenSet {
  std::string access_token, token_type, id_token, refresh_token, scope;
  std::optional<int64_t> expires_in;
  int64_t expires_at = 0;      // Unix seconds, 0 when the provider gave no expires_in
  // The refresh token's lifetime when the provider says (Keycloak's "refresh_expires_in";
  // Authentik gives none): for the refresh cookie's Max-Age.
  std::optional<int64_t> refresh_expires_in;
  std::string id_claims;       // the ID token's claims (JSON), empty without an ID token
  std::string access_claims;   // a JWT access token's verified claims, else empty
  std::string principal;       // JSON, empty unless there are ID token claims
};

struct CompleteLoginOptions {
  std::optional<std::string> binding;  // as begin_login handed it out
  bool exchange_code = false;          // hand the tokens over through a one-time code
  std::optional<int64_t> exchange_code_ttl;
  // What redeeming the exchange code needs; by default the login's binding (same browser).
  std::optional<std::string> exchange_code_binding;
};

struct LoginResult {
  TokenSet tokens;  // empty when an exchange code was made instead
  std::string exchange_code;
  std::optional<std::string> redirect_after;
  std::optional<std::string> extra_json;
};

struct LogoutOptions {
  // The session's tokens, as the browser still holds them: any of them may be missing,
  // expired or junk without stopping the logout. (Empty strings count as missing.)
  std::optional<std::string> access_token;   // listed on the deny list when it is still valid
  std::optional<std::string> refresh_token;  // revoked at the provider when it can revoke
  std::optional<std::string> id_token_hint;
  std::optional<std::string> post_logout_redirect_uri;
  std::optional<std::string> state;
};

// What logout() did. Each step that did not happen says why in its error (left OK when
// there was nothing to do: no token given, deny list off, a token already expired).
struct LogoutResult {
  std::string logout_url;  // the end-session URL; empty when the provider has none
  bool revoked = false;    // the provider accepted the revocation of the refresh token
  bool denied = false;     // the session is on the deny list (now, or already was)
  Error revoke_error;      // e.g. http_error, idp_error, or invalid_config: no revocation_endpoint
  Error deny_error;        // e.g. bad_signature (a token that is not the provider's), store_unavailable
};

// The per-call options as the C ABI takes them (JSON objects; empty text = defaults).
// Unknown keys and bad values: Status::invalid_argument naming the key.
[[nodiscard]] Error parse_begin_login_options(std::string_view json, BeginLoginOptions& out);
[[nodiscard]] Error parse_complete_login_options(std::string_view json, CompleteLoginOptions& out);
[[nodiscard]] Error parse_logout_options(std::string_view json, LogoutOptions& out);

// JSON forms handed out by the C ABI.
std::string token_set_json(const TokenSet& t);
std::string login_result_json(const LoginResult& r);
// {"logout_url":STR|null,"revoked":BOOL,"denied":BOOL,"revoke_error":ERR|null,
//  "deny_error":ERR|null}, ERR = {"code","message","idp_error"?,"idp_error_description"?}.
std::string logout_result_json(const LogoutResult& r);

class RelyingParty {
 public:
  // `store` keeps the login state and exchange codes; it must outlive the relying party.
  static std::unique_ptr<RelyingParty> create(std::string_view config_json, store::Store& store, Error& error);
  RelyingParty(RelyingPartyConfig config, store::Store& store);

  [[nodiscard]] Error begin_login(const BeginLoginOptions& options, LoginStart& out);
  // `callback`: the callback URL, or just its query string (with or without '?').
  [[nodiscard]] Error complete_login(std::string_view callback, const CompleteLoginOptions& options, LoginResult& out);
  [[nodiscard]] Error refresh(std::string_view refresh_token, TokenSet& out);
  [[nodiscard]] Error userinfo(std::string_view access_token, std::string& claims_json);
  [[nodiscard]] Error revoke(std::string_view token, std::string_view token_type_hint);
  [[nodiscard]] Error logout_url(const LogoutOptions& options, std::string& url);
  // Ends a session: builds the end-session URL (client_id, id_token_hint,
  // post_logout_redirect_uri, state), then, with "deny_list", puts the session of the
  // access token on the deny list until the token's exp (only a token that verifies: a
  // forged one cannot end someone else's session), then revokes the refresh token when the
  // provider has a revocation endpoint. Those two steps never fail the call: their outcome
  // is in `out`. The call fails only before doing anything: a bad post_logout_redirect_uri
  // (invalid_argument), a provider that cannot be reached for its metadata, or an
  // end-session endpoint that is not a URL.
  [[nodiscard]] Error logout(const LogoutOptions& options, LogoutResult& out);
  // Verifies an access token as complete_login() does (for API requests). With
  // `allow_fetch` false nothing touches the network: Status::needs_fetch when the provider's
  // metadata (not fetched yet, or past discovery_ttl) or its keys must be fetched first.
  [[nodiscard]] Error verify_access_token(std::string_view token, VerifiedToken& out, bool allow_fetch = true);

  // Calls made to the token endpoint so far (refresh single-flight is observable).
  uint64_t token_requests() const;
  const RelyingPartyConfig& config() const noexcept { return config_; }
  // What the configuration was warned about when this relying party was created.
  const std::vector<ConfigWarning>& warnings() const noexcept { return warnings_; }

 private:
  struct Provider {
    jwks::ProviderMetadata meta;
    std::shared_ptr<jwks::KeyCache> keys;
    std::unique_ptr<Verifier> id_verifier;
    std::unique_ptr<Verifier> access_verifier;
    int64_t fetched_at = 0;  // monotonic seconds
  };
  struct Flight {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    Error error;
    TokenSet result;
    int64_t done_at = 0;  // monotonic seconds
  };

  Error provider(std::shared_ptr<const Provider>& out);
  Error build_provider(const jwks::ProviderMetadata& meta, const std::shared_ptr<const Provider>& old,
                       std::shared_ptr<const Provider>& out) const;
  Error token_request(const Provider& p, std::vector<std::pair<std::string, std::string>> params,
                      const std::string* nonce, bool id_token_required, TokenSet& out);
  Error post_form(const std::string& url, std::vector<std::pair<std::string, std::string>> params,
                  http::HttpResponse& resp);
  Error validate_tokens(const Provider& p, const std::string* nonce, TokenSet& out) const;
  Error do_refresh(std::string_view refresh_token, TokenSet& out);
  Error end_session_url(const Provider& p, const LogoutOptions& options, std::string& url) const;
  Error revoke_with(const Provider& p, std::string_view token, std::string_view token_type_hint);

  RelyingPartyConfig config_;
  std::vector<ConfigWarning> warnings_;
  store::Store& store_;
  std::shared_ptr<http::HttpClient> http_;

  std::mutex provider_mutex_;   // guards provider_, discovery_error_ and discovery_retry_at_
  std::mutex discovery_mutex_;  // one discovery at a time
  std::shared_ptr<const Provider> provider_;
  // After a failed discovery, nobody tries again before discovery_retry_at_ (monotonic
  // seconds; cache.retry_interval later): callers go on with the metadata they have, or,
  // with none yet, get discovery_error_ at once instead of each waiting out a deadline.
  Error discovery_error_;
  int64_t discovery_retry_at_ = 0;

  std::mutex flights_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  std::atomic<uint64_t> token_requests_{0};
};

}  // namespace oidcore::flow
