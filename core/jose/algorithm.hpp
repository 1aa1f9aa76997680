// JWS algorithms (RFC 7518 §3, RFC 8037) and which key each one may use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace oidcore::jose {

enum class Alg : uint8_t {
  RS256, RS384, RS512,
  PS256, PS384, PS512,
  ES256, ES384, ES512,
  EdDSA,
  HS256, HS384, HS512,
};
inline constexpr int kAlgCount = 13;

// A set of algorithms as a bit mask.
class AlgSet {
 public:
  constexpr AlgSet() = default;
  constexpr void add(Alg a) { bits_ |= bit(a); }
  [[nodiscard]] constexpr bool contains(Alg a) const { return (bits_ & bit(a)) != 0; }
  [[nodiscard]] constexpr bool empty() const { return bits_ == 0; }
  [[nodiscard]] constexpr bool has_hmac() const {
    return contains(Alg::HS256) || contains(Alg::HS384) || contains(Alg::HS512);
  }
  // Every asymmetric algorithm: the default allow-list.
  static constexpr AlgSet asymmetric() {
    AlgSet s;
    for (int i = 0; i < kAlgCount; ++i)
      if (!is_hmac_index(i)) s.bits_ |= 1u << i;
    return s;
  }

 private:
  static constexpr uint32_t bit(Alg a) { return 1u << static_cast<unsigned>(a); }
  static constexpr bool is_hmac_index(int i) {
    return i >= static_cast<int>(Alg::HS256) && i <= static_cast<int>(Alg::HS512);
  }
  uint32_t bits_ = 0;
};

enum class KeyType : uint8_t { rsa, ec, okp, oct };
enum class Curve : uint8_t { none, p256, p384, p521, ed25519 };

// Exact, case-sensitive lookup (RFC 7515 §5.3: "RS256" only, never "rs256").
std::optional<Alg> alg_from_name(std::string_view name) noexcept;
std::string_view alg_name(Alg a) noexcept;

// True for "none" in any capitalisation: the unsecured JWS, never accepted.
bool is_none_alg(std::string_view name) noexcept;

bool is_hmac(Alg a) noexcept;
KeyType key_type_for(Alg a) noexcept;
// The curve an ES*/EdDSA algorithm requires (Curve::none for the others).
Curve curve_for(Alg a) noexcept;
// Digest size in bytes of the hash an algorithm uses (0 for EdDSA).
size_t digest_size(Alg a) noexcept;

std::string_view key_type_name(KeyType t) noexcept;
std::string_view curve_name(Curve c) noexcept;  // "P-256", "Ed25519", "" for none

}  // namespace oidcore::jose
