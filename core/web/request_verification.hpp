// Verifying a request rather than a token: every source of the request that holds a token
// (the cookie and the "Authorization: Bearer" header, in the configured order) is tried
// until one verifies, so that a stale or forged cookie cannot hide a good bearer token (nor
// the reverse). Thread-safe as the verification it is given.
//
// The rule, in full:
//  - Sources are tried in options.order; a source without a token is skipped (see
//    find_source_token: a signed cookie that is not signed by one of cookie_secrets counts
//    as absent). The first token that verifies wins, with its source.
//  - When none verifies, the most specific failure is reported, from most to least:
//      1. the keys or the provider could not be reached (jwks_unavailable, http_error;
//         idp_error and store_unavailable likewise): the verdict on that token is unknown,
//         so the caller sees a retryable failure, not a rejection;
//      2. a real token was rejected by the verification (expired, bad_signature,
//         bad_audience, key_not_found, alg_not_allowed, unsupported_alg, ...);
//      3. a source held a value that is not even a token (malformed, too_large);
//      4. no source held a token (not_found).
//    Between failures of the same rank, the first source in order wins. The message names
//    the source ("the bearer token: ...", "the access_token cookie: ...").
//  - Status::needs_fetch (the verification was asked not to touch the network and must)
//    stops the walk at once and is returned as it is: the caller reruns the whole request
//    verification with fetching allowed (on a worker thread), which gives the answer the
//    fetching walk would have given, in the same order.
//  - Caller errors and bugs (invalid_argument, invalid_config, internal) stop the walk and
//    are returned as they are.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include "status.hpp"
#include "verifier/verifier.hpp"
#include "web/token_source.hpp"

namespace oidcore::web {

struct RequestVerificationOptions {
  TokenSourceOptions sources;
  // false: never touch the network (Status::needs_fetch when a fetch is needed).
  bool allow_fetch = true;
};

// Reads the options of oidcore_extract_token ({"cookie_name", "order", "cookie_secrets"})
// plus {"allow_fetch": BOOL} (empty text: the defaults). An unknown key, a wrong type or a
// bad value is Status::invalid_argument naming the key.
[[nodiscard]] Error parse_request_verification_options(std::string_view json, RequestVerificationOptions& out);

// A non-owning reference to the verification of one token: `Error(std::string_view token)`.
// On Status::ok the callable keeps what it verified (the walk stops there, so whatever the
// callable wrote for an earlier, failed token is overwritten by the one that verified).
class TokenVerification {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, TokenVerification>>>
  TokenVerification(F&& f) noexcept  // NOLINT: implicit on purpose, for lambdas
      : object_(const_cast<void*>(static_cast<const void*>(&f))), call_([](void* o, std::string_view token) -> Error {
          return (*static_cast<std::remove_reference_t<F>*>(o))(token);
        }) {}
  Error operator()(std::string_view token) const { return call_(object_, token); }

 private:
  void* object_;
  Error (*call_)(void*, std::string_view);
};

// The request's verdict by the rule above. `cookie_header` / `authorization`: the raw
// header values, empty when absent. On Status::ok `source` says where the token came from.
// Options that break their rules: Status::invalid_argument (nothing is verified).
[[nodiscard]] Error verify_request(std::string_view cookie_header, std::string_view authorization,
                                   const TokenSourceOptions& options, TokenVerification verify, TokenSource& source);

// The same with a Verifier: `out` receives the verified token.
[[nodiscard]] Error verify_request(std::string_view cookie_header, std::string_view authorization,
                                   const TokenSourceOptions& options, const Verifier& verifier,
                                   const VerifyOptions& verify_options, VerifiedToken& out, TokenSource& source);

}  // namespace oidcore::web
