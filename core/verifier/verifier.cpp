#include "verifier/verifier.hpp"

#include <ctime>

#include "jose/jws.hpp"
#include "jose/signature.hpp"
#include "json/strict_json.hpp"

namespace oidcore {

Verifier::Verifier(VerifierConfig config) : config_(std::move(config)) {}

std::unique_ptr<Verifier> Verifier::create(std::string_view config_json, Error& error) {
  VerifierConfig config;
  error = parse_verifier_config(config_json, config);
  if (error) return nullptr;
  return std::make_unique<Verifier>(std::move(config));
}

int64_t Verifier::now() const noexcept {
  if (config_.fixed_now) return *config_.fixed_now;
  return static_cast<int64_t>(std::time(nullptr));
}

Error Verifier::verify(std::string_view token, VerifiedToken& out, const VerifyOptions& options) const {
  // Buffers reused across calls on this thread: no allocation per token once warm.
  thread_local jose::CompactJws jws;
  thread_local jose::JwsHeader header;

  if (auto err = jose::split_compact(token, config_.max_token_bytes, jws)) return err;
  if (auto err = jose::parse_header(jws.header_json, header)) return err;
  const jose::Alg alg = header.alg;
  if (!config_.algorithms.contains(alg))
    return Error(Status::alg_not_allowed, "algorithm " + std::string(jose::alg_name(alg)) + " is not allowed");

  // Keys come from configuration only, never from the token's header.
  const jose::Jwk* verified_by = nullptr;
  if (auto err = jose::verify_with_key_set(jws, header, config_.keys, verified_by)) return err;

  simdjson::dom::element root;
  if (auto err = json::thread_parser().parse_padded(jws.payload_json.data(), jws.payload_json.size(), root)) {
    err.message = "payload: " + err.message;
    return err;
  }
  simdjson::dom::object claims;
  if (root.get_object().get(claims)) return Error(Status::malformed, "payload is not a JSON object (a JWT claim set)");

  if (auto err = jose::check_claims(claims, config_.claims, now(), options.nonce)) return err;
  if (config_.typ) {
    if (!header.has_typ) return Error(Status::bad_type, "token has no \"typ\"; \"" + *config_.typ + "\" is required");
    if (!jose::typ_matches(*config_.typ, header.typ))
      return Error(Status::bad_type, "token type \"" + printable(header.typ) + "\" is not \"" + *config_.typ + "\"");
  }

  out.claims.assign(jws.payload_json);
  out.principal.clear();
  if (config_.principal) jose::build_principal(claims, *config_.principal, out.principal);
  out.alg = alg;
  out.kid.assign(verified_by->kid);
  return {};
}

}  // namespace oidcore
