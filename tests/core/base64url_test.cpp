// Strict base64url (RFC 7515 §2, RFC 4648 §5): the one encoding of a byte string is
// accepted, every other spelling of it is refused.
#include <gtest/gtest.h>

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

TEST(Base64url, RoundTripsEveryLengthAndByte) {
  std::mt19937 rng(1234);
  for (size_t len = 0; len <= 70; ++len) {
    std::string bytes(len, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
    const std::string enc = base64url_encode(bytes);
    EXPECT_EQ(enc.size(), (len * 8 + 5) / 6) << len;  // no padding
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(decoded(enc), bytes) << len;
    std::vector<uint8_t> vec;
    ASSERT_TRUE(base64url_decode(enc, vec));
    EXPECT_EQ(std::string(vec.begin(), vec.end()), bytes);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(decoded(base64url_encode(all)), all);
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
  for (const char* in : {"QQ==", "QQ=", "QUI=", "QUJD====", "=", "==", "====", "Q===", "QQ=A", "=QQ", "QUJD="}) {
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
  int one_byte = 0, two_bytes = 0;
  for (size_t i = 0; i < 64; ++i) {
    if (decodes(std::string("A") + alphabet[i])) {
      ++one_byte;
      EXPECT_EQ(i % 16, 0u) << alphabet[i];
    }
    if (decodes(std::string("AA") + alphabet[i])) {
      ++two_bytes;
      EXPECT_EQ(i % 4, 0u) << alphabet[i];
    }
  }
  EXPECT_EQ(one_byte, 4);
  EXPECT_EQ(two_bytes, 16);
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

TEST(Base64url, OutputIsReplacedNotAppended) {
  std::string out = "previous contents";
  ASSERT_TRUE(base64url_decode("QUI", out));
  EXPECT_EQ(out, "AB");
  ASSERT_TRUE(base64url_decode("", out));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace oidcore::encoding
