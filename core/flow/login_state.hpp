// Login state: what the callback of an authorization-code login needs to find again, kept
// server-side under the `state` parameter (the CSRF token), with the OpenID Connect nonce
// and the PKCE verifier (S256). Consumed exactly once, within its TTL. At rest the record is
// sealed under keys derived from the state string (see sealed_records.hpp), and an optional
// browser binding is kept only as a keyed hash.
//
// Thread-safe: the functions keep no state of their own; they are as concurrent as the
// store they are given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "status.hpp"
#include "store/store.hpp"

namespace oidcore::flow {

inline constexpr int64_t kDefaultStateTtl = 600;          // seconds
inline constexpr size_t kMaxRedirectAfterBytes = 4096;    // bytes
inline constexpr size_t kMaxStateExtraBytes = 64 * 1024;  // bytes, serialized JSON

struct StateOptions {
  // Where to send the browser after the login. Stored as given: the callback still checks
  // it is a safe relative path before redirecting.
  std::optional<std::string> redirect_after;
  // Any JSON value the application wants back at the callback (validated, kept minified).
  std::optional<std::string> extra_json;
  // Ties the state to one browser; consume_state() then needs the same bytes. Not empty.
  std::optional<std::string> binding;
  int64_t ttl_seconds = kDefaultStateTtl;  // 1 .. 86400
};

// What goes into the authorization request.
struct NewLoginState {
  std::string state;           // 43 base64url characters, 256 bits from libsodium's CSPRNG
  std::string nonce;           // same form
  std::string code_verifier;   // RFC 7636: 43 characters of the unreserved set
  std::string code_challenge;  // base64url(SHA-256(code_verifier)); the method is always S256
};

// What the callback gets back.
struct LoginState {
  std::optional<std::string> redirect_after;
  std::optional<std::string> extra_json;
  std::string nonce;
  std::string code_verifier;
  int64_t created_at = 0;  // Unix seconds
};

// Creates and stores a login state. Bad options: Status::invalid_argument (or too_large for
// oversized redirect_after / extra). Store failures: Status::store_unavailable, and no state
// is handed out.
[[nodiscard]] Error create_state(store::Store& store, const StateOptions& options, NewLoginState& out);

// Consumes `state`: on success `out` holds the record and the state is spent. Unknown,
// expired, already used, malformed (checked before any store round trip) or presented with
// the wrong binding (which spends it too): Status::not_found. Store failures:
// Status::store_unavailable, never a success.
[[nodiscard]] Error consume_state(store::Store& store, std::string_view state, std::optional<std::string_view> binding,
                                  LoginState& out);

// The S256 code challenge of a PKCE verifier (RFC 7636 §4.2).
std::string pkce_s256_challenge(std::string_view code_verifier);

// `record` as the JSON object the C ABI hands out:
// {"redirect_after":STR|null,"extra":JSON|null,"nonce":STR,"code_verifier":STR,"created_at":N}.
std::string login_state_json(const LoginState& record);

}  // namespace oidcore::flow
