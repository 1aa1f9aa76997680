// JWT claim checks (RFC 7519 §4.1, RFC 9068, OpenID Connect Core §3.1.3.7).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "status.hpp"

namespace oidcore::jose {

struct ClaimPolicy {
  std::string issuer;                  // compared byte for byte
  std::vector<std::string> audiences;  // any configured audience matching any token audience
  int64_t clock_tolerance = 0;         // seconds, applied to exp, nbf and iat
  bool require_exp = true;
  std::vector<std::string> required_claims;
  std::optional<int64_t> max_age;      // seconds since auth_time (or iat when absent)
  std::optional<std::string> azp;      // authorized party, e.g. the client id
};

// Checks the claim set of an already signature-verified token at time `now` (Unix seconds).
// `nonce`, when given, must equal the token's `nonce` claim.
[[nodiscard]] Error check_claims(simdjson::dom::object claims, const ClaimPolicy& policy, int64_t now,
                                 const std::string* nonce = nullptr);

// RFC 9068 style `typ` comparison: case-insensitive, "application/" prefix optional.
bool typ_matches(std::string_view expected, std::string_view actual) noexcept;

}  // namespace oidcore::jose
