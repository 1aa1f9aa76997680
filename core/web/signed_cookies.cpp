#include "web/signed_cookies.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "json/strict_json.hpp"

namespace oidcore::web {
namespace {

// base64 (standard alphabet, no padding) of HMAC-SHA256: always 43 characters.
constexpr size_t kMacChars = 43;

Error check_secret(std::string_view secret) {
  if (secret.empty()) return Error(Status::invalid_argument, "the cookie secret must not be empty");
  if (secret.size() > kMaxCookieSecretBytes)
    return Error(Status::invalid_argument, "the cookie secret is longer than " + std::to_string(kMaxCookieSecretBytes) + " bytes");
  return {};
}

// Writes the base64 MAC of `value` under `secret` to `out` (kMacChars + 1 bytes, NUL included).
Error mac_base64(std::string_view value, std::string_view secret, char (&out)[kMacChars + 1]) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(value.data()), value.size(), mac, &mac_len) ||
      mac_len != 32)
    return Error(Status::internal, "HMAC-SHA256 failed");
  sodium_bin2base64(out, sizeof out, mac, mac_len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  OPENSSL_cleanse(mac, sizeof mac);
  return {};
}

}  // namespace

Error sign_cookie(std::string_view value, std::string_view secret, std::string& out) {
  out.clear();
  if (auto err = check_secret(secret)) return err;
  char mac[kMacChars + 1];
  if (auto err = mac_base64(value, secret, mac)) return err;
  std::string s;
  s.reserve(2 + value.size() + 1 + kMacChars);
  s.append("s:").append(value).append(".").append(mac, kMacChars);
  out = std::move(s);
  return {};
}

Error unsign_cookie(std::string_view signed_value, const std::vector<std::string>& secrets, std::string& out) {
  out.clear();
  if (secrets.empty()) return Error(Status::invalid_argument, "at least one cookie secret is needed");
  for (const auto& secret : secrets)
    if (auto err = check_secret(secret)) return err;
  if (signed_value.substr(0, 2) != "s:")
    return Error(Status::malformed, "a signed cookie value starts with \"s:\"");
  const std::string_view body = signed_value.substr(2);
  const size_t dot = body.rfind('.');
  if (dot == std::string_view::npos) return Error(Status::malformed, "the signed cookie value has no signature");
  const std::string_view value = body.substr(0, dot), given = body.substr(dot + 1);
  for (const auto& secret : secrets) {
    char expected[kMacChars + 1];
    if (auto err = mac_base64(value, secret, expected)) return err;
    // The length of a MAC is public; its bytes are compared in constant time.
    if (given.size() == kMacChars && CRYPTO_memcmp(expected, given.data(), kMacChars) == 0) {
      out.assign(value);
      return {};
    }
  }
  return Error(Status::bad_signature, "the cookie signature does not match any secret");
}

Error parse_cookie_secrets(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  json::StrictParser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text, root)) return Error(Status::invalid_argument, "cookie secrets: " + err.message);
  simdjson::dom::array arr;
  if (root.get_array().get(arr))
    return Error(Status::invalid_argument, "cookie secrets must be a JSON array of non-empty strings");
  for (auto item : arr) {
    std::string_view s;
    if (item.get_string().get(s) || s.empty())
      return Error(Status::invalid_argument, "cookie secrets must be a JSON array of non-empty strings");
    if (auto err = check_secret(s)) return err;
    out.emplace_back(s);
  }
  if (out.empty()) return Error(Status::invalid_argument, "cookie secrets must hold at least one secret");
  return {};
}

}  // namespace oidcore::web
