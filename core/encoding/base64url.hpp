// Strict base64url (RFC 7515 §2, RFC 4648 §5): no padding, no `+` `/` `=`, no whitespace,
// no byte from 0x80 up, and canonical trailing bits (one encoding per byte string).
// Token segments are decoded by OpenSSL's EVP_DecodeBlock after a strict check-and-translate
// pass; key material (HMAC secrets) by libsodium's constant-time decoder; encoding is
// libsodium's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oidcore::encoding {

// Decodes `in` into `out` (replacing its contents). Returns false for any deviation from
// the strict alphabet and form; `out` is then unspecified.
[[nodiscard]] bool base64url_decode(std::string_view in, std::string& out);
[[nodiscard]] bool base64url_decode(std::string_view in, std::vector<uint8_t>& out);

// The same rules for secrets (a JWK's "k"): libsodium's decoder, whose time does not depend
// on the characters decoded (the fast one above looks each character up in a table). On
// failure `out` is wiped and emptied.
[[nodiscard]] bool base64url_decode_secret(std::string_view in, std::string& out);

// Encodes bytes as base64url without padding.
std::string base64url_encode(const void* data, size_t len);
inline std::string base64url_encode(std::string_view bytes) {
  return base64url_encode(bytes.data(), bytes.size());
}

}  // namespace oidcore::encoding
