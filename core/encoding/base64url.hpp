// Strict base64url (RFC 7515 §2, RFC 4648 §5): no padding, no `+` `/` `=`, no whitespace,
// and canonical trailing bits. Decoding goes through libsodium's constant-time decoder.
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

// Encodes bytes as base64url without padding.
std::string base64url_encode(const void* data, size_t len);
inline std::string base64url_encode(std::string_view bytes) {
  return base64url_encode(bytes.data(), bytes.size());
}

}  // namespace oidcore::encoding
