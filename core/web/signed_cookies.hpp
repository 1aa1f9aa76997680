// Signed cookies compatible with Express (cookie-parser / cookie-signature): a signed value
// is "s:" + value + "." + base64(HMAC-SHA256(secret, value)) with the '=' padding removed
// (standard base64 alphabet). Unsigning tries each secret in turn (key rotation) and
// compares in constant time. Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "status.hpp"

namespace oidcore::web {

inline constexpr size_t kMaxCookieSecretBytes = 64 * 1024;

// "s:" + value + "." + mac. An empty (or oversized) secret is Status::invalid_argument.
[[nodiscard]] Error sign_cookie(std::string_view value, std::string_view secret, std::string& out);

// The inverse: `out` receives the value. Not starting with "s:", or no '.' after it:
// Status::malformed. No secret matches: Status::bad_signature. `secrets` must be non-empty
// and hold no empty secret (else Status::invalid_argument). The value ends at the last '.',
// as in cookie-signature, so values may contain '.'.
[[nodiscard]] Error unsign_cookie(std::string_view signed_value, const std::vector<std::string>& secrets,
                                  std::string& out);

// Reads a JSON array of non-empty strings (at least one): the secrets of unsign_cookie().
// Anything else is Status::invalid_argument.
[[nodiscard]] Error parse_cookie_secrets(std::string_view json, std::vector<std::string>& out);

}  // namespace oidcore::web
