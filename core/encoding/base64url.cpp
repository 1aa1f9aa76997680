#include "encoding/base64url.hpp"

#include <sodium.h>

namespace oidcore::encoding {
namespace {

// Upper bound of decoded bytes for an unpadded input of n characters.
constexpr size_t decoded_capacity(size_t n) { return (n / 4) * 3 + 3; }

template <class Buffer>
bool decode_into(std::string_view in, Buffer& out) {
  out.resize(decoded_capacity(in.size()));
  if (in.empty()) {
    out.clear();
    return true;
  }
  // A single leftover character can never encode a byte; libsodium rejects it too, but
  // saying so here keeps the rule visible.
  if (in.size() % 4 == 1) return false;
  // libsodium 1.0.18 takes every byte from 0x80 up as a character: two different strings
  // would decode alike. Such bytes are never base64url; refused first (one pass, no branch
  // per byte).
  unsigned char high = 0;
  for (unsigned char c : in) high |= c;
  if (high & 0x80) return false;
  size_t bin_len = 0;
  const char* end = nullptr;
  // ignore = nullptr: whitespace and every character outside the URL-safe alphabet fail.
  // The NO_PADDING variant refuses '='. libsodium also refuses non-zero trailing bits.
  const int rc = sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                   in.data(), in.size(), nullptr, &bin_len, &end,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (rc != 0 || end != in.data() + in.size()) return false;
  out.resize(bin_len);
  return true;
}

}  // namespace

bool base64url_decode(std::string_view in, std::string& out) { return decode_into(in, out); }

bool base64url_decode(std::string_view in, std::vector<uint8_t>& out) {
  return decode_into(in, out);
}

std::string base64url_encode(const void* data, size_t len) {
  const size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(cap, '\0');
  sodium_bin2base64(out.data(), cap, static_cast<const unsigned char*>(data), len,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(cap - 1);  // drop the NUL terminator libsodium writes
  return out;
}

}  // namespace oidcore::encoding
