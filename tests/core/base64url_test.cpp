// Strict base64url (RFC 7515 §2, RFC 4648 §5): the one encoding of a byte string is
// accepted, every other spelling of it is refused.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "encoding/base64url.hpp"

namespace oidcore::encoding {
namespace {

bool decodes(std::string_view in) {
  std::string out;
  return base64url_decode(in, out);
}

std::string decoded(std::string_view in) {
  std::string out;
  EXPECT_TRUE(base64url_decode(in, out)) << in;
  return out;
}

// libsodium's encoder, called directly: the reference the decoder is held to.
std::string sodium_encode(const std::string& bytes) {
  const size_t cap = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(cap, '\0');
  sodium_bin2base64(out.data(), cap, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(cap - 1);
  return out;
}

std::string random_bytes(std::mt19937& rng, size_t len) {
  std::string bytes(len, '\0');
  for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
  return bytes;
}

TEST(Base64url, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(1234);
  for (size_t len = 0; len <= 300; ++len) {
    const std::string bytes = random_bytes(rng, len);
    const std::string enc = base64url_encode(bytes);
    EXPECT_EQ(enc, sodium_encode(bytes)) << len;
    EXPECT_EQ(enc.size(), (len * 8 + 5) / 6) << len;  // no padding
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(decoded(enc), bytes) << len;
    std::vector<uint8_t> vec;
    ASSERT_TRUE(base64url_decode(enc, vec));
    EXPECT_EQ(std::string(vec.begin(), vec.end()), bytes);
    std::string secret;
    ASSERT_TRUE(base64url_decode_secret(enc, secret)) << len;
    EXPECT_EQ(secret, bytes) << len;
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(decoded(base64url_encode(all)), all);
}

// The decoder hands OpenSSL the characters in chunks: lengths around the chunk size and
// several chunks long round-trip too.
TEST(Base64url, RoundTripsLongInputs) {
  std::mt19937 rng(99);
  for (size_t len : {700, 765, 766, 767, 768, 769, 770, 771, 1535, 1536, 1537, 3000, 12000, 16384}) {
    const std::string bytes = random_bytes(rng, len);
    const std::string enc = sodium_encode(bytes);
    EXPECT_EQ(decoded(enc), bytes) << len;
  }
}

TEST(Base64url, KnownValues) {
  EXPECT_EQ(decoded(""), "");
  EXPECT_EQ(decoded("QQ"), "A");
  EXPECT_EQ(decoded("QUI"), "AB");
  EXPECT_EQ(decoded("QUJD"), "ABC");
  EXPECT_EQ(decoded("-_-_"), "\xfb\xff\xbf");
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf")), "-_-_");
  EXPECT_EQ(decoded("eyJhbGciOiJSUzI1NiJ9"), R"({"alg":"RS256"})");
}

TEST(Base64url, RejectsPadding) {
  // '=' anywhere: OpenSSL's decoder would take a '=' inside the text as zero bits.
  for (const char* in : {"QQ==", "QQ=", "QUI=", "QUJD====", "=", "==", "====", "Q===", "QQ=A", "=QQ", "QUJD=",
                         "Q=QQ", "QU=D", "QUJD=QUJD", "QUJDQ=JD"}) {
    SCOPED_TRACE(in);
    EXPECT_FALSE(decodes(in));
  }
}

TEST(Base64url, RejectsStandardAlphabet) {
  for (const char* in : {"+/+/", "-_+_", "QUJ/", "QUJ+", "+w", "/w"}) {
    SCOPED_TRACE(in);
    EXPECT_FALSE(decodes(in));
  }
}

TEST(Base64url, RejectsWhitespaceAndOtherCharacters) {
  for (std::string in :
       {std::string(" QUJD"),     std::string("QUJD "),     std::string("QU JD"),        std::string("QU\nJD"),
        std::string("QUJD\n"),    std::string("QU\r\nJD"),  std::string("QU\tJD"),       std::string("QU\vJD"),
        std::string("QU\fJD"),    std::string("QU.JD"),     std::string("QU?JD"),        std::string("QU%JD"),
        std::string("QU\0JD", 5), std::string("QUJD\0", 5), std::string("QU\xc3\xa9JD"), std::string("QU\x80JD"),
        std::string("QU\xffJD"),  std::string("QU*JD"),     std::string("QU~JD"),        std::string("QU\"JD"),
        std::string("QU\\JD")}) {
    SCOPED_TRACE(::testing::PrintToString(in));
    EXPECT_FALSE(decodes(in));
  }
}

// RFC 4648 §3.5: the unused bits of the last character must be zero; otherwise several
// encodings decode to the same bytes (token malleability).
TEST(Base64url, RejectsNonCanonicalTrailingBits) {
  // One byte: two characters, the second carries 2 data bits and 4 spare bits.
  EXPECT_TRUE(decodes("QQ"));
  for (const char* in : {"QR", "QS", "QT", "QU", "QV", "QW", "QX", "QY", "QZ", "Qa", "Qf"}) {
    SCOPED_TRACE(in);
    EXPECT_FALSE(decodes(in));
  }
  // Two bytes: three characters, the third carries 4 data bits and 2 spare bits.
  EXPECT_TRUE(decodes("QUI"));
  for (const char* in : {"QUJ", "QUK", "QUL"}) {
    SCOPED_TRACE(in);
    EXPECT_FALSE(decodes(in));
  }
  // Exhaustively: of the 64 possible final characters, exactly the canonical ones pass.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  // Also after a long prefix (past the decoder's first chunk), and for the secrets' decoder.
  for (const std::string& prefix : {std::string(), std::string(1024, 'A'), std::string(2048, '_')}) {
    int one_byte = 0, two_bytes = 0;
    for (size_t i = 0; i < 64; ++i) {
      std::string out;
      const std::string one = prefix + "A" + alphabet[i];
      const std::string two = prefix + "AA" + alphabet[i];
      if (decodes(one)) {
        ++one_byte;
        EXPECT_EQ(i % 16, 0u) << alphabet[i];
      }
      EXPECT_EQ(base64url_decode_secret(one, out), i % 16 == 0) << alphabet[i];
      if (decodes(two)) {
        ++two_bytes;
        EXPECT_EQ(i % 4, 0u) << alphabet[i];
      }
      EXPECT_EQ(base64url_decode_secret(two, out), i % 4 == 0) << alphabet[i];
    }
    EXPECT_EQ(one_byte, 4) << prefix.size();
    EXPECT_EQ(two_bytes, 16) << prefix.size();
  }
}

TEST(Base64url, RejectsImpossibleLengths) {
  for (const char* in : {"A", "QUJDR", "QUJDRUZHS", "_"}) {
    SCOPED_TRACE(in);
    EXPECT_FALSE(decodes(in));
  }
  // Every length n with n % 4 == 1 is impossible; the others are fine with canonical bits.
  for (size_t n = 1; n <= 41; ++n) {
    const std::string in(n, 'A');
    EXPECT_EQ(decodes(in), n % 4 != 1) << n;
  }
}

// Every byte outside [A-Za-z0-9_-] at every position of inputs of several lengths
// (shorter than, equal to and longer than the decoder's 16-character steps and its chunk),
// the rest of the input valid: refused, by both decoders.
TEST(Base64url, RefusesEveryOtherByteAtEveryPosition) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  bool allowed[256] = {};
  for (char c : alphabet) allowed[static_cast<unsigned char>(c)] = true;
  int refused = 0;
  for (size_t len : {2, 3, 4, 6, 15, 16, 18, 20, 31, 32, 34, 64, 1023, 1024, 1026, 1028}) {
    std::vector<size_t> positions;
    if (len <= 64) {
      for (size_t p = 0; p < len; ++p) positions.push_back(p);
    } else {
      positions = {0, 1, 15, 16, len / 2, 1022, 1023, len - 2, len - 1};
      if (len > 1024) positions.push_back(1024);
    }
    for (size_t pos : positions) {
      if (pos >= len) continue;
      for (int b = 0; b < 256; ++b) {
        if (allowed[b]) continue;
        std::string in(len, 'A');
        in[pos] = static_cast<char>(b);
        std::string out;
        EXPECT_FALSE(base64url_decode(in, out)) << "byte " << b << " at " << pos << " of " << len;
        EXPECT_FALSE(base64url_decode_secret(in, out)) << "byte " << b << " at " << pos << " of " << len;
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 50000);
  // And every alphabet byte at every one of those places is fine (last position: only
  // canonical bits, so the length is a multiple of 4 there).
  for (size_t len : {4, 16, 20, 1024, 1028}) {
    for (char c : alphabet) {
      for (size_t pos : {size_t{0}, len / 2, len - 1}) {
        std::string in(len, 'A');
        in[pos] = c;
        EXPECT_TRUE(decodes(in)) << c << " at " << pos << " of " << len;
      }
    }
  }
}

// OpenSSL's own decoder skips whitespace before and after the text; ours must not.
TEST(Base64url, RefusesLeadingAndTrailingWhitespace) {
  const std::string body = "QUJDREVG";
  for (const std::string& ws : {std::string(" "), std::string("\t"), std::string("\n"), std::string("\r"),
                               std::string("\r\n"), std::string("\v"), std::string("\f"), std::string("  "),
                               std::string("\0", 1)}) {
    for (const std::string& in : {ws + body, body + ws, ws + body + ws, ws + "QQ", "QQ" + ws}) {
      SCOPED_TRACE(::testing::PrintToString(in));
      EXPECT_FALSE(decodes(in));
    }
  }
  // Also at the end of a chunk and of a long input.
  const std::string long_body(1024, 'A');
  EXPECT_TRUE(decodes(long_body));
  EXPECT_FALSE(decodes(long_body + "\n"));
  EXPECT_FALSE(decodes(long_body + "    "));
  EXPECT_FALSE(decodes(" " + long_body.substr(1)));
  EXPECT_FALSE(decodes(long_body.substr(0, 1020) + "    " + long_body));
}

// The exact length, never the padded one (OpenSSL counts the padding's zero bytes).
TEST(Base64url, OutputHasTheExactLength) {
  for (size_t n = 0; n <= 40; ++n) {
    if (n % 4 == 1) continue;
    std::string out = "junk";
    ASSERT_TRUE(base64url_decode(std::string(n, 'A'), out)) << n;
    EXPECT_EQ(out, std::string(n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0), '\0')) << n;
    std::vector<uint8_t> vec(7, 1);
    ASSERT_TRUE(base64url_decode(std::string(n, 'A'), vec)) << n;
    EXPECT_EQ(vec.size(), out.size()) << n;
  }
}

// Random inputs, valid and not: the fast decoder (OpenSSL) and the secrets' decoder
// (libsodium) give the same verdict and the same bytes.
TEST(Base64url, BothDecodersAgree) {
  std::mt19937 rng(4321);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string intruders("+/= \n\r\t.\0\x80\xff@[`{~", 15);
  int accepted = 0, rejected = 0;
  for (int round = 0; round < 20000; ++round) {
    const size_t len = rng() % 1200;
    std::string in(len, 'A');
    for (auto& c : in) c = alphabet[rng() % 64];
    switch (rng() % 4) {
      case 0: break;  // alphabet only: refused only for length or trailing bits
      case 1:
        if (len) in[rng() % len] = static_cast<char>(rng() & 0xff);
        break;
      case 2:
        if (len) in[rng() % len] = intruders[rng() % intruders.size()];
        break;
      default:
        in = sodium_encode(random_bytes(rng, len * 3 / 4));
    }
    std::string fast, slow;
    const bool fast_ok = base64url_decode(in, fast);
    const bool slow_ok = base64url_decode_secret(in, slow);
    ASSERT_EQ(fast_ok, slow_ok) << ::testing::PrintToString(in);
    if (fast_ok) {
      ASSERT_EQ(fast, slow);
      ++accepted;
    } else {
      ++rejected;
    }
  }
  EXPECT_GT(accepted, 4000);
  EXPECT_GT(rejected, 4000);
}

TEST(Base64url, SecretDecoderWipesOnFailure) {
  std::string out = "previous secret";
  EXPECT_FALSE(base64url_decode_secret("QUJD+", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(base64url_decode_secret("QR", out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(base64url_decode_secret("QUI", out));
  EXPECT_EQ(out, "AB");
}

TEST(Base64url, OutputIsReplacedNotAppended) {
  std::string out = "previous contents";
  ASSERT_TRUE(base64url_decode("QUI", out));
  EXPECT_EQ(out, "AB");
  ASSERT_TRUE(base64url_decode("", out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace oidcore::encoding
