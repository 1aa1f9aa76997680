// Shared helpers for the attack, claims and configuration tests: a frozen clock, the
// configured key of jwt-attacks.md (RFC 7515 A.2), a config builder that writes the JSON a
// user would write, and a status assertion that prints the message on failure.
//
// Everything goes through a real oidcore::Verifier built from configuration JSON: the
// attacks are checked at the door a user's application uses, not at an internal function.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "status.hpp"
#include "token_factory.hpp"
#include "verifier/verifier.hpp"

namespace oidcore::attack_test {

namespace tf = oidcore::testing;

// Frozen "now" used by every configuration (2023-11-14T22:13:20Z).
inline constexpr int64_t kNow = 1700000000;
inline constexpr std::string_view kIssuer = "https://issuer.example";
inline constexpr std::string_view kAudience = "api";

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A member of one entry of the "vectors" array of a JSON test-vector file, as text:
// strings unquoted, anything else minified JSON.
inline std::string vector_field(const std::string& file, std::string_view name, std::string_view field) {
  static thread_local simdjson::dom::parser parser;
  const std::string text = read_text_file(std::string(OIDCORE_VECTORS_DIR) + "/" + file);
  simdjson::dom::element root = parser.parse(text);
  for (simdjson::dom::element v : root["vectors"].get_array()) {
    std::string_view n;
    if (v["name"].get_string().get(n) || n != name) continue;
    simdjson::dom::element f = v[field];
    std::string_view s;
    if (!f.get_string().get(s)) return std::string(s);
    return simdjson::minify(f);
  }
  throw std::runtime_error("no vector " + std::string(name) + " in " + file);
}

// The "configured key" of jwt-attacks.md: the RFC 7515 Appendix A.2 RSA key, kid "rsa-1".
inline const tf::TestKey& configured_rsa() {
  static const tf::TestKey key = [] {
    tf::TestKey k =
        tf::TestKey::from_private_jwk(vector_field("rfc-jws-vectors.json", "rfc7515-A.2-RS256", "jwk_private"));
    k.set_kid("rsa-1");
    return k;
  }();
  return key;
}

// Keys generated once per process (key generation dominates the run time otherwise).
inline const tf::TestKey& cached_key(tf::KeyKind kind, int slot = 0) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, tf::TestKey> keys;
  std::lock_guard<std::mutex> lock(mu);
  const auto id = std::make_pair(static_cast<int>(kind), slot);
  auto it = keys.find(id);
  if (it == keys.end())
    it = keys.emplace(id, tf::TestKey::generate(kind, std::string(tf::to_string(kind)) + "-" + std::to_string(slot)))
             .first;
  return it->second;
}
inline const tf::TestKey& attacker_rsa() {
  return cached_key(tf::KeyKind::rsa2048, 99);
}

// The standard claim set of jwt-attacks.md at kNow; `extra` is appended verbatim
// (raw JSON members without a leading comma).
inline std::string claims_json(std::string_view extra = "") {
  std::string c = "{\"iss\":\"" + std::string(kIssuer) + "\",\"sub\":\"alice\",\"aud\":\"" + std::string(kAudience) +
                  "\",\"exp\":" + std::to_string(kNow + 300) + ",\"iat\":" + std::to_string(kNow);
  if (!extra.empty()) c += "," + std::string(extra);
  return c + "}";
}

// Configuration JSON as a user writes it, with the clock frozen at `now`. `algorithms` is
// a JSON array text, or empty to leave the default (every asymmetric algorithm). `extra`
// is appended verbatim (raw JSON members without a leading comma).
inline std::string make_config_at(int64_t now, std::string_view jwks, std::string_view algorithms = R"(["RS256"])",
                                  std::string_view extra = "") {
  std::string c = "{\"issuer\":\"" + std::string(kIssuer) + "\",\"audience\":\"" + std::string(kAudience) +
                  "\",\"now\":" + std::to_string(now);
  if (!algorithms.empty()) c += ",\"algorithms\":" + std::string(algorithms);
  c += ",\"jwks\":" + std::string(jwks);
  if (!extra.empty()) c += "," + std::string(extra);
  return c + "}";
}

inline std::string make_config(std::string_view jwks, std::string_view algorithms = R"(["RS256"])",
                               std::string_view extra = "") {
  return make_config_at(kNow, jwks, algorithms, extra);
}

// The configuration of jwt-attacks.md: the A.2 key, allow-list [RS256].
inline std::string default_config(std::string_view extra = "") {
  return make_config(configured_rsa().jwks(), R"(["RS256"])", extra);
}

// The error Verifier::create gives for `config` (ok when it builds).
inline Error create_error(std::string_view config) {
  Error err;
  auto v = Verifier::create(config, err);
  if (v && err) return Error(Status::internal, "create returned a verifier and an error");
  if (!v && !err) return Error(Status::internal, "create returned neither a verifier nor an error");
  return err;
}

// Builds a verifier from `config` (the configuration must be accepted) and verifies.
inline Error verify_with(std::string_view config, std::string_view token, VerifiedToken* out = nullptr,
                         const VerifyOptions& options = {}) {
  Error err;
  auto v = Verifier::create(config, err);
  if (!v) return Error(Status::internal, "test setup: configuration refused: " + err.message);
  VerifiedToken scratch;
  return v->verify(token, out ? *out : scratch, options);
}

inline ::testing::AssertionResult HasStatus(const Error& e, Status want) {
  if (e.status == want) return ::testing::AssertionSuccess() << status_name(want);
  return ::testing::AssertionFailure() << "got " << status_name(e.status) << " (\"" << e.message << "\"), want "
                                       << status_name(want);
}

inline ::testing::AssertionResult HasStatusAndMessage(const Error& e, Status want, std::string_view fragment) {
  auto r = HasStatus(e, want);
  if (!r) return r;
  if (e.message.find(fragment) == std::string::npos)
    return ::testing::AssertionFailure() << "message \"" << e.message << "\" does not mention \"" << fragment << "\"";
  return ::testing::AssertionSuccess();
}

// Replaces segment `index` (0 header, 1 payload, 2 signature) of a compact token.
inline std::string with_segment(std::string_view token, size_t index, std::string_view replacement) {
  auto parts = tf::split_compact(token);
  if (index >= parts.size()) throw std::out_of_range("segment");
  parts[index] = std::string(replacement);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '.';
    out += parts[i];
  }
  return out;
}

inline std::string segment(std::string_view token, size_t index) {
  return tf::split_compact(token).at(index);
}

// Standard base64 (with '+', '/' and '=' padding) of raw bytes.
inline std::string std_base64(std::string_view bytes) {
  std::string s = tf::b64url(bytes);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  return s;
}

}  // namespace oidcore::attack_test

#define EXPECT_STATUS(expr, code) EXPECT_TRUE(::oidcore::attack_test::HasStatus((expr), ::oidcore::Status::code))
#define ASSERT_STATUS(expr, code) ASSERT_TRUE(::oidcore::attack_test::HasStatus((expr), ::oidcore::Status::code))
#define EXPECT_STATUS_MSG(expr, code, fragment) \
  EXPECT_TRUE(::oidcore::attack_test::HasStatusAndMessage((expr), ::oidcore::Status::code, (fragment)))

namespace oidcore::attack_test {

// A string member of a JSON object text (for pulling "n", "x", "y" out of a JWK).
inline std::string jwk_member(std::string_view jwk_json, std::string_view name) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(std::string(jwk_json)).get(root)) throw std::runtime_error("bad JSON");
  std::string_view s;
  if (root[name].get_string().get(s)) throw std::runtime_error("no member " + std::string(name));
  return std::string(s);
}

}  // namespace oidcore::attack_test
