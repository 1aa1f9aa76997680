#include "encoding/base64url.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>

namespace oidcore::encoding {
namespace {

// Token segments: OpenSSL's EVP_DecodeBlock, which decodes the standard alphabet and is
// lenient (it skips leading and trailing whitespace, takes '=' anywhere as zero bits and
// counts the padding's zero bytes in its result). So every input is first checked and
// translated here: only [A-Za-z0-9_-] pass, '-' and '_' become '+' and '/', and the last
// group is completed with '='. What reaches OpenSSL is then canonical standard base64 with
// nothing for it to be lenient about; the exact length is computed here, never taken from
// its result.
//
// The check-and-translate pass works on 16 characters at a time with the compiler's generic
// vectors (SSE2, NEON, or scalar code where there are none) and compares instead of looking
// characters up in a table: about five times faster than a 256-entry table here, and its
// time does not depend on the characters. Any byte outside the alphabet (including '+', '/',
// '=', whitespace, NUL and every byte from 0x80 up) sets a bit in `bad`.

using u8x16 = unsigned char __attribute__((vector_size(16)));

inline u8x16 splat(unsigned char v) { return u8x16{} + v; }

// 0xFF in every lane where lo <= c < lo + count (unsigned wrap-around), 0 elsewhere.
inline u8x16 in_range(u8x16 c, unsigned char lo, unsigned char count) {
  return reinterpret_cast<u8x16>((c - splat(lo)) < splat(count));
}

// The 16 characters at `in`, checked, translated to the standard alphabet at `out`.
inline void translate16(const unsigned char* in, unsigned char* out, u8x16& bad) {
  u8x16 c;
  std::memcpy(&c, in, sizeof c);
  const u8x16 dash = reinterpret_cast<u8x16>(c == splat('-'));
  const u8x16 underscore = reinterpret_cast<u8x16>(c == splat('_'));
  bad |= ~(in_range(c, 'A', 26) | in_range(c, 'a', 26) | in_range(c, '0', 10) | dash | underscore);
  c += (dash & splat('+' - '-')) + (underscore & splat(static_cast<unsigned char>('/' - '_')));
  std::memcpy(out, &c, sizeof c);
}

// The six-bit value of an alphabet character (only used on the last one, for its unused
// bits; what it says of other bytes does not matter, they are refused anyway).
constexpr unsigned sextet(unsigned char c) {
  return c >= 'A' && c <= 'Z'   ? c - 'A'
         : c >= 'a' && c <= 'z' ? c - 'a' + 26
         : c >= '0' && c <= '9' ? c - '0' + 52
         : c == '-'             ? 62
                                : 63;
}

// Characters per call to OpenSSL: a multiple of 16, translated into a buffer on the stack.
constexpr size_t kChunk = 1024;

// Exact decoded size of n characters (n % 4 != 1).
constexpr size_t decoded_size(size_t n) { return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1); }

// Decodes n characters at `in` into `out`, which has room for decoded_size(n) + 2 bytes
// (the last group's padding bytes are written, then dropped by the caller).
bool decode_with_openssl(const unsigned char* in, size_t n, unsigned char* out) {
  alignas(16) unsigned char buf[kChunk + 16];
  while (n > 0) {
    const size_t take = n < kChunk ? n : kChunk;
    u8x16 bad{};
    size_t i = 0;
    for (; i + 16 <= take; i += 16) translate16(in + i, buf + i, bad);
    if (i < take) {
      // The last characters, completed with 'A' in a copy; only the real ones are kept.
      alignas(16) unsigned char tail[16];
      std::memset(tail, 'A', sizeof tail);
      std::memcpy(tail, in + i, take - i);
      translate16(tail, buf + i, bad);
    }
    unsigned char any = 0;
    for (size_t k = 0; k < sizeof bad; ++k) any |= bad[k];
    if (any) return false;
    size_t padded = take;
    while (padded % 4) buf[padded++] = '=';
    if (EVP_DecodeBlock(out, buf, static_cast<int>(padded)) != static_cast<int>(padded / 4 * 3)) return false;
    in += take;
    out += take / 4 * 3;
    n -= take;
  }
  return true;
}

template <class Buffer>
bool decode_into(std::string_view in, Buffer& out) {
  const size_t n = in.size();
  // A single leftover character can never encode a byte.
  if (n % 4 == 1) {
    out.clear();
    return false;
  }
  const size_t size = decoded_size(n);
  if (n == 0) {
    out.clear();
    return true;
  }
  // RFC 4648 §3.5: the bits of the last character beyond the last byte must be zero, so
  // that each byte string has one encoding (libsodium refuses the others too).
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const unsigned last = sextet(p[n - 1]);
  if ((n % 4 == 2 && (last & 0x0F)) || (n % 4 == 3 && (last & 0x03))) {
    out.clear();
    return false;
  }
  out.resize(size + 2);
  if (!decode_with_openssl(p, n, reinterpret_cast<unsigned char*>(out.data()))) {
    out.clear();
    return false;
  }
  out.resize(size);
  return true;
}

template <class Buffer>
bool decode_secret_into(std::string_view in, Buffer& out) {
  out.clear();
  if (in.empty()) return true;
  if (in.size() % 4 == 1) return false;
  // libsodium 1.0.18 takes every byte from 0x80 up as a character; refused first, without a
  // branch per byte.
  unsigned char high = 0;
  for (unsigned char c : in) high |= c;
  if (high & 0x80) return false;
  out.resize(decoded_size(in.size()));
  size_t bin_len = 0;
  const char* end = nullptr;
  // ignore = nullptr: whitespace and every character outside the URL-safe alphabet fail;
  // NO_PADDING refuses '='; non-zero trailing bits are refused.
  const int rc = sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(), in.size(),
                                   nullptr, &bin_len, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  if (rc != 0 || end != in.data() + in.size() || bin_len != out.size()) {
    sodium_memzero(out.data(), out.size());
    out.clear();
    return false;
  }
  return true;
}

}  // namespace

bool base64url_decode(std::string_view in, std::string& out) { return decode_into(in, out); }

bool base64url_decode(std::string_view in, std::vector<uint8_t>& out) { return decode_into(in, out); }

bool base64url_decode_secret(std::string_view in, std::string& out) { return decode_secret_into(in, out); }

std::string base64url_encode(const void* data, size_t len) {
  const size_t cap = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(cap, '\0');
  sodium_bin2base64(out.data(), cap, static_cast<const unsigned char*>(data), len,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(cap - 1);  // drop the NUL terminator libsodium writes
  return out;
}

}  // namespace oidcore::encoding
