#include "status.hpp"

#include <array>
#include <cstdio>

namespace oidcore {
namespace {

struct StatusText {
  std::string_view name;
  std::string_view message;
};

constexpr std::array<StatusText, kStatusCount> kTexts{{
    {"ok", "success"},
    {"malformed", "the token or document is malformed"},
    {"too_large", "the input is larger than its size limit"},
    {"unsupported_alg", "the algorithm is not supported"},
    {"alg_not_allowed", "the algorithm is not in the allowed list"},
    {"key_not_found", "no usable key matches the token"},
    {"bad_signature", "the signature does not verify"},
    {"expired", "the token has expired"},
    {"not_yet_valid", "the token is not valid yet"},
    {"issued_in_future", "the token was issued in the future"},
    {"bad_issuer", "the issuer does not match"},
    {"bad_audience", "the audience does not match"},
    {"bad_type", "the token type does not match"},
    {"bad_nonce", "the nonce does not match"},
    {"too_old", "the authentication is older than the allowed maximum age"},
    {"missing_claim", "a required claim is missing or has the wrong type"},
    {"jwks_unavailable", "the signing keys could not be obtained"},
    {"http_error", "an identity provider endpoint failed"},
    {"idp_error", "the identity provider returned an error"},
    {"store_unavailable", "the store could not be reached"},
    {"not_found", "unknown, expired or already used"},
    {"unsafe_redirect", "the redirect target is not a safe relative path"},
    {"invalid_config", "the configuration is invalid"},
    {"invalid_argument", "an argument is invalid"},
    {"internal", "internal error"},
    {"needs_fetch", "keys must be fetched first: use the blocking call"},
    {"revoked", "the token's session was ended (logout)"},
}};

}  // namespace

std::string_view status_name(Status s) noexcept {
  const int i = static_cast<int>(s);
  if (i < 0 || i >= kStatusCount) return kTexts[static_cast<int>(Status::internal)].name;
  return kTexts[i].name;
}

bool is_unavailable(Status s) noexcept {
  return s == Status::jwks_unavailable || s == Status::http_error || s == Status::store_unavailable;
}

std::string_view status_message(Status s) noexcept {
  const int i = static_cast<int>(s);
  if (i < 0 || i >= kStatusCount) return kTexts[static_cast<int>(Status::internal)].message;
  return kTexts[i].message;
}

std::string printable(std::string_view bytes, size_t max_len) {
  std::string out;
  out.reserve(bytes.size() < max_len ? bytes.size() : max_len);
  size_t shown = 0;
  for (unsigned char c : bytes) {
    if (shown >= max_len) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
    ++shown;
  }
  return out;
}

}  // namespace oidcore
