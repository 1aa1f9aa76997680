// The deny list of ended sessions: a logout puts the session of a still-valid access token
// into a store, and every verifier consulting that store ("deny_list") refuses the token
// from then on with Status::revoked, whichever process or machine it runs on.
//
// What is listed, from the token's verified claims: its `sid` (the provider's session, so
// every token of that session is refused), else its `jti`, else the token itself. The store
// key is "deny:" + base64url(BLAKE2b-256), keyed with a constant of this module, over the
// kind ("sid", "jti" or "token"), the token's `iss` and the value: one issuer's sessions
// never collide with another's, and the store shows neither the sid nor the token. (The
// key is the same in every process without a shared secret; whoever already knows a sid
// can compute its key, which tells them no more than they knew.)
//
// An entry lives until the token could no longer be accepted anyway: its `exp` plus the
// clock tolerance. A session (`sid`) stays listed until every token of it issued up to the
// logout has expired: for as long as the presented token's lifetime (`exp` - `iat`) from now,
// when that is later, so that a token refreshed just before the logout, with a later `exp`,
// is refused to its end. A token already past that is not listed (nothing to refuse).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "status.hpp"
#include "store/store.hpp"

namespace oidcore::deny_list {

// The store key of a verified token (`claims_json`: its payload).
std::string key_for(std::string_view claims_json, std::string_view token);

// Where a verified token would be listed: its store key and what the key is derived from
// ("sid", "jti" or "token"). Worked out once per token (the verifier keeps it with a cached
// answer), so that a check is one store lookup without parsing or hashing again.
struct Listing {
  std::string key;
  std::string_view kind;  // a literal
};
Listing listing_for(std::string_view claims_json, std::string_view token);

// What the key is derived from: "sid", "jti" or "token" (for messages and tests).
std::string_view keyed_by(std::string_view claims_json);

// Lists the token's session until exp + clock_tolerance. `listed` tells whether an entry
// was written (false, with no error, for a token past that time or without a numeric
// `exp`). A store failure is Status::store_unavailable.
[[nodiscard]] Error add(store::Store& store, std::string_view claims_json, std::string_view token, int64_t now,
                        int64_t clock_tolerance, bool& listed);

// OK when the token's session is not listed; Status::revoked when it is; a store that
// fails: Status::store_unavailable (fail closed: the token is not accepted).
[[nodiscard]] Error check(store::Store& store, std::string_view claims_json, std::string_view token);
[[nodiscard]] Error check(store::Store& store, const Listing& listing);

}  // namespace oidcore::deny_list
