// The C ABI over the C++ core. Every entry point catches everything: no exception unwinds
// through C. Status values are the core's, cast one to one (checked by a static_assert
// here and by a test over names and messages).
#include "oidcore.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "diagnostics/provider_inspect.hpp"
#include "jose/jwk.hpp"
#include "json/strict_json.hpp"
#include "status.hpp"
#include "verifier/verifier.hpp"

static_assert(OIDCORE_STATUS_COUNT == oidcore::kStatusCount, "C and C++ status tables differ");
static_assert(static_cast<int>(oidcore::Status::internal) == OIDCORE_INTERNAL, "status numbering drifted");
static_assert(static_cast<int>(oidcore::Status::invalid_argument) == OIDCORE_INVALID_ARGUMENT, "status numbering drifted");

struct oidcore_verifier {
  std::unique_ptr<oidcore::Verifier> impl;
};

struct oidcore_result {
  oidcore::VerifiedToken token;
  bool has_principal = false;
};

namespace {

oidcore_status report(oidcore_error* error, const oidcore::Error& e) {
  if (error) {
    error->status = static_cast<oidcore_status>(e.status);
    error->detail = e.detail;
    const std::string& msg = e.message.empty() && e.status != oidcore::Status::ok
                                 ? std::string(oidcore::status_message(e.status))
                                 : e.message;
    const size_t n = msg.size() < OIDCORE_ERROR_MESSAGE_SIZE - 1 ? msg.size() : OIDCORE_ERROR_MESSAGE_SIZE - 1;
    std::memcpy(error->message, msg.data(), n);
    error->message[n] = '\0';
  }
  return static_cast<oidcore_status>(e.status);
}

oidcore_status report(oidcore_error* error, oidcore::Status s, const char* msg) {
  return report(error, oidcore::Error(s, msg));
}

oidcore_status ok(oidcore_error* error) { return report(error, oidcore::Error()); }

// Runs `body`, turning any escaping exception into a status.
template <class F>
oidcore_status guarded(oidcore_error* error, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return report(error, oidcore::Status::internal, "out of memory");
  } catch (const std::exception& e) {
    return report(error, oidcore::Error(oidcore::Status::internal, std::string("unexpected: ") + e.what()));
  } catch (...) {
    return report(error, oidcore::Status::internal, "unexpected failure");
  }
}

char* copy_out(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

// A status passed in from C may hold any int (the header promises "internal" for unknown
// values). In C++ the valid values of oidcore_status, an enum without a fixed underlying
// type, stop at 31: reading 1000 or -1 through that type is undefined behaviour. So the
// bits are taken as an int and only then turned into the core's int-based Status.
static_assert(sizeof(oidcore_status) == sizeof(int), "oidcore_status is passed as an int");
oidcore::Status status_from_c(const oidcore_status& status) noexcept {
  int raw;
  std::memcpy(&raw, &status, sizeof raw);
  return static_cast<oidcore::Status>(raw);
}

}  // namespace

extern "C" {

const char* oidcore_status_name(oidcore_status status) {
  return oidcore::status_name(status_from_c(status)).data();
}

const char* oidcore_status_message(oidcore_status status) {
  return oidcore::status_message(status_from_c(status)).data();
}

const char* oidcore_version(void) { return OIDCORE_VERSION_STRING; }

int oidcore_abi_version(void) { return OIDCORE_ABI_VERSION; }

oidcore_status oidcore_verifier_new(const char* config_json, size_t config_len, oidcore_verifier** out,
                                    oidcore_error* error) {
  if (out) *out = nullptr;
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  if (!config_json) return report(error, oidcore::Status::invalid_argument, "config_json must not be NULL");
  return guarded(error, [&] {
    oidcore::Error err;
    auto impl = oidcore::Verifier::create(std::string_view(config_json, config_len), err);
    if (!impl) return report(error, err);
    *out = new oidcore_verifier{std::move(impl)};
    return ok(error);
  });
}

void oidcore_verifier_free(oidcore_verifier* verifier) { delete verifier; }

namespace {

oidcore_status verify_with(const oidcore_verifier* verifier, const char* token, size_t token_len,
                           oidcore_result** out, oidcore_error* error, bool allow_fetch) {
  if (out) *out = nullptr;
  if (!verifier || !verifier->impl) return report(error, oidcore::Status::invalid_argument, "verifier must not be NULL");
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  if (!token && token_len) return report(error, oidcore::Status::invalid_argument, "token must not be NULL");
  return guarded(error, [&] {
    auto result = std::make_unique<oidcore_result>();
    oidcore::VerifyOptions options;
    options.allow_fetch = allow_fetch;
    auto err = verifier->impl->verify(std::string_view(token ? token : "", token_len), result->token, options);
    if (err) return report(error, err);
    result->has_principal = verifier->impl->config().principal.has_value();
    *out = result.release();
    return ok(error);
  });
}

void append_optional_time(std::string& s, int64_t t) { s += t > 0 ? std::to_string(t) : "null"; }

}  // namespace

oidcore_status oidcore_verifier_verify(const oidcore_verifier* verifier, const char* token, size_t token_len,
                                       oidcore_result** out, oidcore_error* error) {
  return verify_with(verifier, token, token_len, out, error, true);
}

oidcore_status oidcore_verifier_verify_cached(const oidcore_verifier* verifier, const char* token, size_t token_len,
                                              oidcore_result** out, oidcore_error* error) {
  return verify_with(verifier, token, token_len, out, error, false);
}

oidcore_status oidcore_verifier_refresh(const oidcore_verifier* verifier, oidcore_error* error) {
  if (!verifier || !verifier->impl) return report(error, oidcore::Status::invalid_argument, "verifier must not be NULL");
  return guarded(error, [&] { return report(error, verifier->impl->refresh_keys()); });
}

oidcore_status oidcore_verifier_stats(const oidcore_verifier* verifier, char** out, size_t* out_len,
                                      oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!verifier || !verifier->impl || !out)
    return report(error, oidcore::Status::invalid_argument, "verifier and out must not be NULL");
  return guarded(error, [&] {
    const auto st = verifier->impl->stats();
    std::string s = "{\"verifications\":{";
    bool first = true;
    for (int i = 0; i < oidcore::kStatusCount; ++i) {
      if (!st.by_status[i]) continue;
      if (!first) s += ',';
      first = false;
      oidcore::json::append_json_string(s, oidcore::status_name(static_cast<oidcore::Status>(i)));
      s += ':' + std::to_string(st.by_status[i]);
    }
    s += '}';
    if (st.keys) {
      const auto& k = *st.keys;
      s += ",\"jwks\":{\"fetches\":" + std::to_string(k.fetches) + ",\"fetch_failures\":" +
           std::to_string(k.fetch_failures) + ",\"rate_limited\":" + std::to_string(k.rate_limited) +
           ",\"last_success\":";
      append_optional_time(s, k.last_success_unix);
      s += ",\"last_failure\":";
      append_optional_time(s, k.last_failure_unix);
      s += ",\"last_error\":";
      if (k.last_error.empty()) s += "null"; else oidcore::json::append_json_string(s, k.last_error);
      s += ",\"key_count\":" + std::to_string(k.key_count) + ",\"cache_age\":" +
           (k.cache_age >= 0 ? std::to_string(k.cache_age) : std::string("null")) +
           ",\"stale\":" + (k.stale ? "true" : "false") + '}';
    }
    s += '}';
    *out = copy_out(s);
    if (out_len) *out_len = s.size();
    return ok(error);
  });
}

const char* oidcore_result_claims(const oidcore_result* result, size_t* len) {
  if (!result) {
    if (len) *len = 0;
    return nullptr;
  }
  if (len) *len = result->token.claims.size();
  return result->token.claims.c_str();
}

const char* oidcore_result_principal(const oidcore_result* result, size_t* len) {
  if (!result || !result->has_principal) {
    if (len) *len = 0;
    return nullptr;
  }
  if (len) *len = result->token.principal.size();
  return result->token.principal.c_str();
}

const char* oidcore_result_alg(const oidcore_result* result) {
  return result ? oidcore::jose::alg_name(result->token.alg).data() : nullptr;
}

const char* oidcore_result_kid(const oidcore_result* result) { return result ? result->token.kid.c_str() : nullptr; }

void oidcore_result_free(oidcore_result* result) { delete result; }

oidcore_status oidcore_jwk_thumbprint(const char* jwk_json, size_t jwk_len, char out[OIDCORE_THUMBPRINT_LEN + 1],
                                      oidcore_error* error) {
  if (!jwk_json || !out) return report(error, oidcore::Status::invalid_argument, "arguments must not be NULL");
  out[0] = '\0';
  return guarded(error, [&] {
    std::string tp;
    if (auto err = oidcore::jose::jwk_thumbprint(std::string_view(jwk_json, jwk_len), tp)) return report(error, err);
    if (tp.size() != OIDCORE_THUMBPRINT_LEN) return report(error, oidcore::Status::internal, "thumbprint length");
    std::memcpy(out, tp.data(), tp.size());
    out[tp.size()] = '\0';
    return ok(error);
  });
}

oidcore_status oidcore_jwks_describe(const char* jwks_json, size_t jwks_len, const char* options_json,
                                     size_t options_len, char** out, size_t* out_len, oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!jwks_json || !out) return report(error, oidcore::Status::invalid_argument, "arguments must not be NULL");
  if (!options_json && options_len)
    return report(error, oidcore::Status::invalid_argument, "options_json is NULL but options_len is not 0");
  return guarded(error, [&] {
    oidcore::jose::KeyPolicy policy;
    policy.allow_symmetric = false;
    if (options_json && options_len) {
      oidcore::json::StrictParser parser;
      simdjson::dom::element root;
      if (auto err = parser.parse(std::string_view(options_json, options_len), root))
        return report(error, oidcore::Error(oidcore::Status::invalid_argument, "options: " + err.message));
      simdjson::dom::object obj;
      if (root.get_object().get(obj))
        return report(error, oidcore::Status::invalid_argument, "options must be a JSON object");
      for (auto field : obj) {
        if (field.key == "min_rsa_bits") {
          int64_t bits = 0;
          if (field.value.get_int64().get(bits) || bits < 1024 || bits > 8192)
            return report(error, oidcore::Status::invalid_argument, "\"min_rsa_bits\" must be a whole number from 1024 to 8192");
          policy.min_rsa_bits = static_cast<int>(bits);
        } else if (field.key == "allow_symmetric") {
          if (field.value.get_bool().get(policy.allow_symmetric))
            return report(error, oidcore::Status::invalid_argument, "\"allow_symmetric\" must be a boolean");
        } else {
          return report(error, oidcore::Error(oidcore::Status::invalid_argument,
                                              "\"" + oidcore::printable(field.key) + "\" is not a known option"));
        }
      }
    }
    oidcore::jose::KeySet set;
    if (auto err = oidcore::jose::parse_jwks(std::string_view(jwks_json, jwks_len), policy, set))
      return report(error, err);
    const std::string s = oidcore::jose::describe_key_set(set);
    *out = copy_out(s);
    if (out_len) *out_len = s.size();
    return ok(error);
  });
}

oidcore_status oidcore_provider_inspect(const char* config_json, size_t config_len, char** out, size_t* out_len,
                                       oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!config_json || !out) return report(error, oidcore::Status::invalid_argument, "arguments must not be NULL");
  return guarded(error, [&] {
    std::string s;
    if (auto err = oidcore::diagnostics::inspect_provider(std::string_view(config_json, config_len), s))
      return report(error, err);
    *out = copy_out(s);
    if (out_len) *out_len = s.size();
    return ok(error);
  });
}

void oidcore_string_free(char* s) { std::free(s); }

}  // extern "C"
