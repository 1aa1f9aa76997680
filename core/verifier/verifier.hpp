// The token verifier: one issuer, its audiences, its keys, its policy. Immutable after
// creation and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jose/algorithm.hpp"
#include "jose/claims.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/principal.hpp"
#include "jose/signature.hpp"
#include "status.hpp"

namespace oidcore {

struct VerifierConfig {
  jose::ClaimPolicy claims;
  jose::AlgSet algorithms = jose::AlgSet::asymmetric();
  std::optional<std::string> typ;
  size_t max_token_bytes = jose::kDefaultMaxTokenBytes;
  std::optional<int64_t> fixed_now;
  std::optional<jose::PrincipalConfig> principal;
  jose::KeyPolicy key_policy;
  jose::KeySet keys;
};

// Parses the JSON configuration (see the README for the keys). Unknown keys and bad values
// are Status::invalid_config with the key named in the message.
[[nodiscard]] Error parse_verifier_config(std::string_view json, VerifierConfig& out);

struct VerifiedToken {
  std::string claims;     // the payload JSON object
  std::string principal;  // empty unless a principal mapping is configured
  jose::Alg alg = jose::Alg::RS256;
  std::string kid;
};

// Per-call inputs that are not policy (the login flow's expected nonce).
struct VerifyOptions {
  const std::string* nonce = nullptr;
};

class Verifier {
 public:
  static std::unique_ptr<Verifier> create(std::string_view config_json, Error& error);
  explicit Verifier(VerifierConfig config);

  // Verifies `token`; fills `out` on success. Thread-safe.
  [[nodiscard]] Error verify(std::string_view token, VerifiedToken& out, const VerifyOptions& options = {}) const;

  const VerifierConfig& config() const noexcept { return config_; }

  // At most this many keys are tried for a token without `kid` (bounds CPU per token).
  static constexpr size_t kMaxKidlessCandidates = jose::kMaxKidlessCandidates;

 private:
  int64_t now() const noexcept;
  VerifierConfig config_;
};

}  // namespace oidcore
