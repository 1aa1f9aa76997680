// Compact JWS (RFC 7515 §7.1) framing and protected-header rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "jose/algorithm.hpp"
#include "status.hpp"

namespace oidcore::jose {

inline constexpr size_t kDefaultMaxTokenBytes = 16 * 1024;

// The three segments of a compact JWS, decoded with strict base64url. The decoded header
// and payload keep simdjson's padding after their end so they can be parsed in place.
struct CompactJws {
  std::string_view signing_input;  // "<header>.<payload>" exactly as received
  std::string header_json;
  std::string payload_json;
  std::string signature;
};

// Splits and decodes. Everything wrong with the framing is Status::malformed; a token over
// `max_bytes` is Status::too_large before anything else is looked at.
[[nodiscard]] Error split_compact(std::string_view token, size_t max_bytes, CompactJws& out);

// What the verifier needs from the protected header.
struct JwsHeader {
  Alg alg = Alg::RS256;
  std::string kid;
  bool has_kid = false;
  std::string typ;
  bool has_typ = false;
};

// Parses and checks the protected header: a JSON object (no duplicates) with a string
// `alg` naming an implemented algorithm (`none` in any spelling → unsupported_alg), no
// `crit` (oidcore implements no extension), no `b64` other than true, no JWE or
// compression members. `jku`, `x5u`, `jwk` and `x5c` are ignored: keys come only from
// configuration.
[[nodiscard]] Error parse_header(std::string& header_json, JwsHeader& out);

}  // namespace oidcore::jose
