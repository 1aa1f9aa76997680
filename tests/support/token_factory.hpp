// Test-support helpers that BUILD tokens and keys for oidcore's tests,
// including deliberately malformed or malicious ones (alg confusion, DER
// ECDSA signatures, mismatched headers, ...).
//
// This code is for tests only. It trusts its inputs, favours clarity over
// speed and is never linked into the library itself.
//
// Crypto goes through OpenSSL 3 EVP interfaces; base64 goes through
// libsodium; JWK parsing goes through simdjson.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Opaque OpenSSL type, so tests that include this header do not need the
// OpenSSL headers unless they use TestKey::pkey().
typedef struct evp_pkey_st EVP_PKEY;

namespace oidcore::testing {

// ---------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------

// base64url (RFC 4648 section 5) without padding.
std::string b64url(std::string_view bytes);

// Lenient decoder for tests: accepts base64url or standard base64, with or
// without "=" padding, and ignores ASCII whitespace. Throws
// std::runtime_error on anything else (bad characters, impossible length,
// non-zero unused trailing bits).
std::string b64url_decode(std::string_view s);

// Quotes and escapes `s` as a JSON string literal (including the quotes).
std::string json_string(std::string_view s);

// Lower-case hex encoding / decoding (decode throws std::runtime_error).
std::string hex(std::string_view bytes);
std::string unhex(std::string_view hex_text);

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

enum class KeyKind { rsa2048, rsa3072, rsa4096, rsa1024, p256, p384, p521, ed25519, hmac };

// Returns "rsa2048", "p256", ... (handy for test names).
const char* to_string(KeyKind kind);

class TestKey {
 public:
  // A new random key. `hmac_len` is the secret length in bytes for
  // KeyKind::hmac and is ignored otherwise (0 gives an empty secret).
  static TestKey generate(KeyKind kind, std::string kid = "", size_t hmac_len = 32);

  // Imports a JWK. Supported: RSA (n, e, d and optionally p, q, dp, dq, qi),
  // EC P-256/P-384/P-521 (crv, x, y, d), OKP Ed25519 (x, d) and oct (k).
  // A public-only JWK (no "d") is accepted as well; such a key can produce
  // public_jwk()/spki_*() but sign() throws. "kid" is taken from the JWK.
  // For Ed25519 and EC the public part is checked against the private part.
  // Throws std::runtime_error on malformed input.
  static TestKey from_private_jwk(std::string_view jwk_json);

  // An HMAC key with the given raw secret bytes (may be empty).
  static TestKey from_secret(std::string secret, std::string kid = "");

  TestKey(const TestKey& other);
  TestKey(TestKey&& other) noexcept;
  TestKey& operator=(const TestKey& other);
  TestKey& operator=(TestKey&& other) noexcept;
  ~TestKey();

  // Public JWK as JSON object text, e.g.
  //   {"kty":"RSA","kid":"k1","n":"...","e":"AQAB","alg":"RS256"}
  // Members: kty, kid (only if non-empty), crv (EC/OKP), key material, then
  // `extra_members` verbatim (raw JSON members without braces, for example
  // `"alg":"RS256","use":"sig"`). For oct keys the "public" JWK necessarily
  // contains the secret: {"kty":"oct","kid":...,"k":"..."}.
  std::string public_jwk(std::string_view extra_members = "") const;

  // Private JWK (public members plus d / p,q,dp,dq,qi where available).
  // Useful for "private key published in a JWKS" tests. Throws if the key
  // has no private part.
  std::string private_jwk(std::string_view extra_members = "") const;

  // {"keys":[public_jwk(extra_members)]}
  std::string jwks(std::string_view extra_members = "") const;

  // SubjectPublicKeyInfo, PEM text ("-----BEGIN PUBLIC KEY-----\n...") and
  // DER bytes. Throws for oct keys.
  std::string spki_pem() const;
  std::string spki_der() const;

  // Signs exactly `signing_input` with the JWS algorithm `alg`:
  // RS256/384/512 (PKCS#1 v1.5), PS256/384/512 (PSS, MGF1 with the same
  // digest, salt length = digest length), ES256/384/512 (raw r||s, each
  // left-padded to the key's coordinate size: 32/48/66), EdDSA (Ed25519),
  // HS256/384/512 (oct keys only).
  // The key type must suit the algorithm family, but the digest/curve pairing
  // is NOT enforced: ES256 with a P-384 key yields a SHA-256 signature padded
  // to 48-byte halves. That is deliberate, for mismatch tests.
  // Throws std::runtime_error / std::invalid_argument on error.
  std::string sign(std::string_view alg, std::string_view signing_input) const;

  const std::string& kid() const { return kid_; }
  void set_kid(std::string kid) { kid_ = std::move(kid); }
  KeyKind kind() const { return kind_; }
  bool has_private() const { return has_private_; }

  // "RSA", "EC", "OKP" or "oct".
  const char* kty() const;

  // The HMAC secret (oct keys only; empty string otherwise).
  const std::string& secret() const { return secret_; }

  // Borrowed OpenSSL key handle (nullptr for oct keys). Do not free it;
  // call EVP_PKEY_up_ref if you need to keep it beyond this TestKey.
  EVP_PKEY* pkey() const { return pkey_; }

 private:
  TestKey() = default;

  KeyKind kind_ = KeyKind::hmac;
  std::string kid_;
  EVP_PKEY* pkey_ = nullptr;  // owned reference (nullptr for oct)
  std::string secret_;        // oct only
  bool has_private_ = false;

  std::string jwk_common(bool with_private, std::string_view extra_members) const;
};

// ---------------------------------------------------------------------------
// MACs and signatures
// ---------------------------------------------------------------------------

// Raw HMAC bytes for alg HS256/HS384/HS512 with an arbitrary key (for example
// the PEM text of a public key, for alg-confusion attacks). An empty key is
// allowed.
std::string hmac(std::string_view alg, std::string_view key, std::string_view data);

// Compact JWS: b64url(header_json) "." b64url(payload_json) "."
// b64url(key.sign(alg, <first two parts>)). `alg` picks the signing
// algorithm; `header_json` is used byte for byte and need not agree with it.
std::string make_jws(const TestKey& key, std::string_view alg, std::string_view header_json,
                     std::string_view payload_json);

// Same, MACed with HMAC `alg` under the raw `secret` bytes.
std::string make_jws_hmac(std::string_view alg, std::string_view secret, std::string_view header_json,
                          std::string_view payload_json);

// Unsecured JWS: b64url(header_json) "." b64url(payload_json) "." (empty
// signature), e.g. for alg "none" tests.
std::string make_jws_unsigned(std::string_view header_json, std::string_view payload_json);

// Header {"alg":alg,"typ":"JWT","kid":key.kid()} ("kid" only if non-empty)
// plus `payload_json`, signed with `alg`.
std::string make_jwt(const TestKey& key, std::string_view alg, std::string_view payload_json);

// The JSON text of that default header.
std::string jwt_header(std::string_view alg, std::string_view kid = "");

// {"keys":[jwk1,jwk2,...]} from JWK object texts.
std::string make_jwks(const std::vector<std::string>& jwk_objects);

// Splits a compact JWS into its dot-separated parts (any number of parts, so
// malformed inputs can be inspected too).
std::vector<std::string> split_compact(std::string_view token);

// Raw ECDSA r||s (even length; halves taken as unsigned big-endian) ->
// DER ECDSA-Sig-Value, for the "DER instead of raw" attack.
std::string ecdsa_raw_to_der(std::string_view raw);

// DER ECDSA-Sig-Value -> raw r||s, each half left-padded to `coord_size`
// bytes. Throws if the DER does not parse or a value does not fit.
std::string ecdsa_der_to_raw(std::string_view der, size_t coord_size);

}  // namespace oidcore::testing
