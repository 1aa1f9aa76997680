#include "encoding/base64url.hpp"

#include <sodium.h>

#include <cstring>

namespace oidcore::encoding {
namespace {

// Characters are turned into their six-bit values with comparisons and masks, never a table
// lookup or a branch on the data, so the time taken does not depend on what is decoded
// (secrets go through here too: HMAC keys). 16 characters at a time with the compiler's
// generic vectors (SSE2/SSSE3, NEON, or scalar code where there is none), in blocks of 64
// characters; the last partial block is completed with 'A' (zero bits) in a local copy.
// Any byte outside the URL-safe alphabet sets a bit in `bad`.

using u8x16 = uint8_t __attribute__((vector_size(16)));
using u16x8 = uint16_t __attribute__((vector_size(16)));
using u32x4 = uint32_t __attribute__((vector_size(16)));

#define OIDCORE_INLINE inline __attribute__((always_inline))

template <class V, class T>
OIDCORE_INLINE V splat_as(T v) {
  V r;
  for (size_t i = 0; i < sizeof(V) / sizeof(T); ++i) r[i] = v;
  return r;
}
OIDCORE_INLINE u8x16 splat(uint8_t v) { return splat_as<u8x16>(v); }

// 0xFF in every lane where lo <= c < lo + count (unsigned wrap-around), 0 elsewhere.
OIDCORE_INLINE u8x16 in_range(u8x16 c, uint8_t lo, uint8_t count) {
  return reinterpret_cast<u8x16>((c - splat(lo)) < splat(count));
}

OIDCORE_INLINE u8x16 sextets16(u8x16 c, u8x16& bad) {
  const u8x16 upper = in_range(c, 'A', 26);
  const u8x16 lower = in_range(c, 'a', 26);
  const u8x16 digit = in_range(c, '0', 10);
  const u8x16 dash = reinterpret_cast<u8x16>(c == splat('-'));
  const u8x16 underscore = reinterpret_cast<u8x16>(c == splat('_'));
  bad |= ~(upper | lower | digit | dash | underscore);
  return (upper & (c - splat('A'))) | (lower & (c - splat('a' - 26))) | (digit & (c + splat(52 - '0'))) |
         (dash & splat(62)) | (underscore & splat(63));
}

// The same for one character (the last one, whose unused bits must be zero).
OIDCORE_INLINE uint8_t mask_if(bool cond) { return static_cast<uint8_t>(-static_cast<int>(cond)); }
OIDCORE_INLINE uint8_t sextet(uint8_t c) {
  const uint8_t upper = mask_if(static_cast<uint8_t>(c - 'A') < 26);
  const uint8_t lower = mask_if(static_cast<uint8_t>(c - 'a') < 26);
  const uint8_t digit = mask_if(static_cast<uint8_t>(c - '0') < 10);
  return static_cast<uint8_t>((upper & (c - 'A')) | (lower & (c - ('a' - 26))) | (digit & (c + (52 - '0'))) |
                              (mask_if(c == '-') & 62) | (mask_if(c == '_') & 63));
}

constexpr size_t kBlock = 64;                // characters per block
constexpr size_t kBlockOut = kBlock / 4 * 3;  // bytes per block
constexpr size_t kSlack = 16;                 // bytes a block may write past its 48

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr bool kLittleEndian = true;
#else
constexpr bool kLittleEndian = false;
#endif

// Decodes the first `chars` characters (a multiple of 16, at most 64) of a block into
// chars / 4 * 3 bytes at `out`, which must have kSlack more writable bytes (groups are
// written with wider stores that the next one overwrites). kShuffle: the bytes are gathered
// with one byte shuffle per 16 characters (SSSE3, NEON) rather than one store per three.
template <bool kShuffle>
OIDCORE_INLINE void decode_block(const uint8_t* in, uint8_t* out, u8x16& bad, size_t chars = kBlock) {
  for (size_t k = 0; k < chars; k += 16) {
    u8x16 c;
    std::memcpy(&c, in + k, 16);
    const u8x16 v = sextets16(c, bad);
    uint8_t* o = out + k / 4 * 3;
    if constexpr (kLittleEndian) {
      // Pairs of sextets into 12 bits, pairs of those into 24, in the vector lanes.
      const u16x8 a = reinterpret_cast<u16x8>(v);
      const u16x8 t = ((a & splat_as<u16x8>(uint16_t{0xFF})) << splat_as<u16x8>(uint16_t{6})) |
                      (a >> splat_as<u16x8>(uint16_t{8}));
      const u32x4 b = reinterpret_cast<u32x4>(t);
      const u32x4 w = ((b & splat_as<u32x4>(uint32_t{0xFFFF})) << splat_as<u32x4>(uint32_t{12})) |
                      (b >> splat_as<u32x4>(uint32_t{16}));
      if constexpr (kShuffle) {
        const u8x16 wb = reinterpret_cast<u8x16>(w);
        const u8x16 packed = __builtin_shufflevector(wb, wb, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 3, 7, 11, 15);
        std::memcpy(o, &packed, 16);
      } else {
        for (int l = 0; l < 4; ++l) {
          const uint32_t be = __builtin_bswap32(w[l] << 8);
          std::memcpy(o + 3 * l, &be, 4);
        }
      }
    } else {
      for (int l = 0; l < 4; ++l) {
        const uint32_t w = (uint32_t{v[4 * l]} << 18) | (uint32_t{v[4 * l + 1]} << 12) |
                           (uint32_t{v[4 * l + 2]} << 6) | v[4 * l + 3];
        o[3 * l] = static_cast<uint8_t>(w >> 16);
        o[3 * l + 1] = static_cast<uint8_t>(w >> 8);
        o[3 * l + 2] = static_cast<uint8_t>(w);
      }
    }
  }
}

// Decodes n characters (n % 4 != 1) into exactly out_len bytes at dst. False when a
// character is outside the alphabet or the bits after the last byte are not zero.
template <bool kShuffle>
OIDCORE_INLINE bool decode_impl(const uint8_t* src, size_t n, uint8_t* dst, size_t out_len) {
  u8x16 bad = splat(0);
  uint8_t spill[kBlockOut + kSlack];
  size_t i = 0, o = 0;
  for (; n - i >= kBlock; i += kBlock, o += kBlockOut) {
    if (out_len - o >= kBlockOut + kSlack) {
      decode_block<kShuffle>(src + i, dst + o, bad);
    } else {
      decode_block<kShuffle>(src + i, spill, bad);
      std::memcpy(dst + o, spill, kBlockOut);
    }
  }
  if (i < n) {
    alignas(16) uint8_t tail[kBlock];
    std::memset(tail, 'A', sizeof tail);
    std::memcpy(tail, src + i, n - i);
    decode_block<kShuffle>(tail, spill, bad, (n - i + 15) / 16 * 16);  // the groups in use only
    std::memcpy(dst + o, spill, out_len - o);
  }
  uint8_t any = 0;
  for (int k = 0; k < 16; ++k) any |= bad[k];
  // No padding: 2 or 3 final characters give 1 or 2 bytes, and the bits they carry past
  // those bytes must be zero (the one canonical spelling).
  const size_t rest = n % 4;
  if (rest) any |= sextet(src[n - 1]) & (rest == 2 ? 0x0F : 0x03);
  return any == 0;
}

using DecodeFn = bool (*)(const uint8_t*, size_t, uint8_t*, size_t);

#if defined(__x86_64__) || defined(__i386__)
// SSE2 is all x86-64 promises; with SSSE3 (every x86-64 CPU of the last fifteen years) the
// bytes are gathered with pshufb. Chosen once, at the first call.
bool decode_sse2(const uint8_t* src, size_t n, uint8_t* dst, size_t out_len) {
  return decode_impl<false>(src, n, dst, out_len);
}
__attribute__((target("ssse3"))) bool decode_ssse3(const uint8_t* src, size_t n, uint8_t* dst, size_t out_len) {
  return decode_impl<true>(src, n, dst, out_len);
}
DecodeFn pick_decoder() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("ssse3") ? decode_ssse3 : decode_sse2;
}
#else
bool decode_vector(const uint8_t* src, size_t n, uint8_t* dst, size_t out_len) {
  return decode_impl<kLittleEndian>(src, n, dst, out_len);
}
DecodeFn pick_decoder() { return decode_vector; }
#endif

template <class Buffer>
bool decode_into(std::string_view in, Buffer& out) {
  static const DecodeFn decode = pick_decoder();
  const size_t n = in.size();
  // A single leftover character can never encode a byte.
  if (n % 4 == 1) {
    out.clear();
    return false;
  }
  const size_t rest = n % 4;
  const size_t out_len = n / 4 * 3 + (rest ? rest - 1 : 0);
  out.resize(out_len);
  if (n == 0) return true;
  return decode(reinterpret_cast<const uint8_t*>(in.data()), n, reinterpret_cast<uint8_t*>(out.data()), out_len);
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
