#include "jose/algorithm.hpp"

#include <array>

namespace oidcore::jose {
namespace {

constexpr std::array<std::string_view, kAlgCount> kNames{
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
    "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"};

constexpr bool all_names_have_five_characters() {
  for (auto n : kNames)
    if (n.size() != 5) return false;
  return true;
}
static_assert(all_names_have_five_characters());

}  // namespace

std::optional<Alg> alg_from_name(std::string_view name) noexcept {
  // Every name is five characters: one length check, then the literals compared inline.
  if (name.size() != 5) return std::nullopt;
  for (int i = 0; i < kAlgCount; ++i)
    if (std::string_view(name.data(), 5) == std::string_view(kNames[i].data(), 5)) return static_cast<Alg>(i);
  return std::nullopt;
}

std::string_view alg_name(Alg a) noexcept { return kNames[static_cast<int>(a)]; }

bool is_none_alg(std::string_view name) noexcept {
  if (name.size() != 4) return false;
  const char* want = "none";
  for (size_t i = 0; i < 4; ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

bool is_hmac(Alg a) noexcept { return a == Alg::HS256 || a == Alg::HS384 || a == Alg::HS512; }

KeyType key_type_for(Alg a) noexcept {
  switch (a) {
    case Alg::RS256: case Alg::RS384: case Alg::RS512:
    case Alg::PS256: case Alg::PS384: case Alg::PS512:
      return KeyType::rsa;
    case Alg::ES256: case Alg::ES384: case Alg::ES512:
      return KeyType::ec;
    case Alg::EdDSA:
      return KeyType::okp;
    default:
      return KeyType::oct;
  }
}

Curve curve_for(Alg a) noexcept {
  switch (a) {
    case Alg::ES256: return Curve::p256;
    case Alg::ES384: return Curve::p384;
    case Alg::ES512: return Curve::p521;
    case Alg::EdDSA: return Curve::ed25519;
    default: return Curve::none;
  }
}

size_t digest_size(Alg a) noexcept {
  switch (a) {
    case Alg::RS256: case Alg::PS256: case Alg::ES256: case Alg::HS256: return 32;
    case Alg::RS384: case Alg::PS384: case Alg::ES384: case Alg::HS384: return 48;
    case Alg::RS512: case Alg::PS512: case Alg::ES512: case Alg::HS512: return 64;
    default: return 0;
  }
}

std::string_view key_type_name(KeyType t) noexcept {
  switch (t) {
    case KeyType::rsa: return "RSA";
    case KeyType::ec: return "EC";
    case KeyType::okp: return "OKP";
    default: return "oct";
  }
}

std::string_view curve_name(Curve c) noexcept {
  switch (c) {
    case Curve::p256: return "P-256";
    case Curve::p384: return "P-384";
    case Curve::p521: return "P-521";
    case Curve::ed25519: return "Ed25519";
    default: return "";
  }
}

}  // namespace oidcore::jose
