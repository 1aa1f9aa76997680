// The C ABI over the C++ core. Every entry point catches everything: no exception unwinds
// through C. Status values are the core's, cast one to one (checked by a static_assert
// here and by a test over names and messages).
#include "oidcore.h"

#include <openssl/crypto.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>

#include "capi_support.hpp"
#include "diagnostics/provider_inspect.hpp"
#include "flow/exchange_codes.hpp"
#include "flow/login_state.hpp"
#include "flow/relying_party.hpp"
#include "flow/sealed_records.hpp"
#include "jose/jwk.hpp"
#include "json/strict_json.hpp"
#include "status.hpp"
#include "store/memory_store.hpp"
#include "store/redis_store.hpp"
#include "verifier/verifier.hpp"
#include "web/request_verification.hpp"

static_assert(OIDCORE_STATUS_COUNT == oidcore::kStatusCount, "C and C++ status tables differ");
static_assert(static_cast<int>(oidcore::Status::internal) == OIDCORE_INTERNAL, "status numbering drifted");
static_assert(static_cast<int>(oidcore::Status::invalid_argument) == OIDCORE_INVALID_ARGUMENT, "status numbering drifted");

struct oidcore_verifier {
  std::unique_ptr<oidcore::Verifier> impl;
};

struct oidcore_result {
  oidcore::VerifiedToken token;
  bool has_principal = false;
  const char* source = "";  // "cookie" / "bearer" for a request verification
};

struct oidcore_store {
  std::unique_ptr<oidcore::store::Store> impl;
};

struct oidcore_rp {
  std::unique_ptr<oidcore::flow::RelyingParty> impl;
};

namespace oidcore::capi {

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
    const auto put = [](char* dst, size_t size, const std::string& src) {
      const std::string shown = src.empty() ? std::string() : oidcore::printable(src, size - 1);
      const size_t len = shown.size() < size - 1 ? shown.size() : size - 1;
      std::memcpy(dst, shown.data(), len);
      dst[len] = '\0';
    };
    put(error->idp_error, OIDCORE_IDP_ERROR_SIZE, e.idp_error);
    put(error->idp_error_description, OIDCORE_ERROR_MESSAGE_SIZE, e.idp_error_description);
  }
  return static_cast<oidcore_status>(e.status);
}

oidcore_status report(oidcore_error* error, oidcore::Status s, const char* msg) {
  return report(error, oidcore::Error(s, msg));
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

}  // namespace oidcore::capi

using namespace oidcore::capi;

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// A message naming `key` (shown escaped: keys come from the caller and may hold anything).
oidcore::Error keyed(oidcore::Status status, std::string_view key, std::string_view what) {
  return oidcore::Error(status, "\"" + oidcore::printable(key) + "\" " + std::string(what));
}

// A whole number within [min, max] from any JSON number form.
oidcore::Error read_whole(element e, std::string_view key, int64_t min, int64_t max, oidcore::Status status,
                          int64_t& out) {
  auto n = oidcore::json::as_number(e);
  const std::string range = "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  // Range first: converting a double outside int64's range is undefined behaviour.
  if (!n || *n < static_cast<double>(min) || *n > static_cast<double>(max) ||
      *n != static_cast<double>(static_cast<int64_t>(*n)))
    return keyed(status, key, range);
  out = static_cast<int64_t>(*n);
  return {};
}

oidcore::Error read_seconds(element e, std::string_view key, double& out) {
  auto n = oidcore::json::as_number(e);
  if (!n || !(*n > 0) || *n > 600)
    return keyed(oidcore::Status::invalid_config, key, "must be a number of seconds above 0 and at most 600");
  out = *n;
  return {};
}

oidcore::Error read_text(element e, std::string_view key, oidcore::Status status, bool allow_empty, size_t max_len,
                         std::string& out) {
  std::string_view v;
  if (e.get_string().get(v)) return keyed(status, key, "must be a string");
  if (!allow_empty && v.empty()) return keyed(status, key, "must not be empty");
  if (v.size() > max_len) return keyed(status, key, "is longer than " + std::to_string(max_len) + " bytes");
  out.assign(v);
  return {};
}

constexpr size_t kMaxKeyPrefixBytes = 256;

oidcore::Error parse_json_object(std::string_view text, oidcore::Status status, std::string_view what,
                                 object& obj) {
  element root;
  if (auto err = oidcore::json::thread_parser().parse(text, root))
    return oidcore::Error(status, std::string(what) + ": " + err.message);
  if (root.get_object().get(obj)) return oidcore::Error(status, std::string(what) + " must be a JSON object");
  return {};
}

oidcore::Error create_store(std::string_view config_json, std::unique_ptr<oidcore::store::Store>& out) {
  using oidcore::Status;
  object obj;
  if (auto err = parse_json_object(config_json, Status::invalid_config, "store configuration", obj)) return err;
  std::string type = "memory";
  for (auto field : obj)
    if (field.key == "type") {
      if (auto err = read_text(field.value, "type", Status::invalid_config, false, 16, type)) return err;
      if (type != "memory" && type != "redis") return keyed(Status::invalid_config, "type", "must be \"memory\" or \"redis\"");
    }
  if (type == "memory") {
    oidcore::store::MemoryStoreConfig config;
    for (auto field : obj) {
      if (field.key == "type") continue;
      if (field.key == "max_entries") {
        int64_t n = 0;
        if (auto err = read_whole(field.value, field.key, 1, oidcore::store::kMaxMemoryEntries, Status::invalid_config, n))
          return err;
        config.max_entries = static_cast<size_t>(n);
      } else if (field.key == "key_prefix") {
        if (auto err = read_text(field.value, field.key, Status::invalid_config, true, kMaxKeyPrefixBytes, config.key_prefix))
          return err;
      } else {
        return keyed(Status::invalid_config, field.key, "is not a known key for a memory store");
      }
    }
    oidcore::Error err;
    out = oidcore::store::MemoryStore::create(std::move(config), err);
    return err;
  }
  oidcore::store::RedisStoreConfig config;
  for (auto field : obj) {
    if (field.key == "type") continue;
    if (field.key == "url") {
      if (auto err = read_text(field.value, field.key, Status::invalid_config, false, 4096, config.url)) return err;
    } else if (field.key == "key_prefix") {
      if (auto err = read_text(field.value, field.key, Status::invalid_config, true, kMaxKeyPrefixBytes, config.key_prefix))
        return err;
    } else if (field.key == "pool_size") {
      int64_t n = 0;
      if (auto err = read_whole(field.value, field.key, 1, 1024, Status::invalid_config, n)) return err;
      config.pool_size = static_cast<int>(n);
    } else if (field.key == "connect_timeout") {
      if (auto err = read_seconds(field.value, field.key, config.connect_timeout)) return err;
    } else if (field.key == "command_timeout") {
      if (auto err = read_seconds(field.value, field.key, config.command_timeout)) return err;
    } else {
      return keyed(Status::invalid_config, field.key, "is not a known key for a redis store");
    }
  }
  oidcore::Error err;
  out = oidcore::store::create_redis_store(config, err);
  if (!out && !err) err = oidcore::Error(Status::internal, "the redis store was not created");
  return err;
}

// Options of one call (state or exchange code). Unknown options are invalid_argument, as
// for the options of oidcore_jwks_describe().
struct RecordOptions {
  std::optional<std::string> redirect_after;
  std::optional<std::string> extra_json;
  std::optional<std::string> binding;
  std::optional<int64_t> ttl;
};

oidcore::Error parse_record_options(const char* json, size_t len, bool for_state, RecordOptions& out) {
  using oidcore::Status;
  if (!json || !len) return {};
  object obj;
  if (auto err = parse_json_object(std::string_view(json, len), Status::invalid_argument, "options", obj)) return err;
  for (auto field : obj) {
    if (field.key == "ttl") {
      int64_t ttl = 0;
      if (auto err = read_whole(field.value, field.key, oidcore::flow::kMinRecordTtl, oidcore::flow::kMaxRecordTtl,
                                Status::invalid_argument, ttl))
        return err;
      out.ttl = ttl;
    } else if (field.key == "binding") {
      std::string b;
      if (auto err = read_text(field.value, field.key, Status::invalid_argument, false, oidcore::flow::kMaxBindingBytes, b))
        return err;
      out.binding = std::move(b);
    } else if (for_state && field.key == "redirect_after") {
      if (field.value.is_null()) continue;
      std::string r;
      if (auto err = read_text(field.value, field.key, Status::invalid_argument, true, oidcore::flow::kMaxRedirectAfterBytes, r))
        return err;
      out.redirect_after = std::move(r);
    } else if (for_state && field.key == "extra") {
      out.extra_json = simdjson::minify(field.value);
    } else {
      return keyed(Status::invalid_argument, field.key,
                   for_state ? "is not a known state option" : "is not a known exchange code option");
    }
  }
  return {};
}

// (pointer, length) of an optional binding: NULL with 0, or any bytes.
std::optional<std::string_view> optional_bytes(const char* p, size_t len) {
  if (!p || !len) return std::nullopt;
  return std::string_view(p, len);
}

// The options of a request verification, parsed. A server passes the same options text on
// every request: the last one parsed on this thread is kept, and reused while the text is
// the same byte for byte. Not reentrant (nothing a verification calls parses options).
oidcore::Error request_options(std::string_view json, const oidcore::web::RequestVerificationOptions*& out) {
  struct Last {
    bool valid = false;
    std::string json;
    oidcore::web::RequestVerificationOptions options;
  };
  thread_local Last last;
  if (last.valid && last.json == json) {
    out = &last.options;
    return {};
  }
  last.valid = false;
  last.options = {};
  if (auto err = oidcore::web::parse_request_verification_options(json, last.options)) return err;
  last.json.assign(json);
  last.valid = true;
  out = &last.options;
  return {};
}

// The common part of the request verifications: arguments checked, options parsed, then
// `verify(cookie, authorization, options, result)` fills the result.
template <class F>
oidcore_status verify_request_with(const char* cookie_header, size_t cookie_len, const char* authorization,
                                   size_t authorization_len, const char* options_json, size_t options_len,
                                   oidcore_result** out, oidcore_error* error, F&& verify) {
  if (!cookie_header && cookie_len)
    return report(error, oidcore::Status::invalid_argument, "cookie_header is NULL but its length is not 0");
  if (!authorization && authorization_len)
    return report(error, oidcore::Status::invalid_argument, "authorization is NULL but its length is not 0");
  if (!options_json && options_len)
    return report(error, oidcore::Status::invalid_argument, "options_json is NULL but its length is not 0");
  return guarded(error, [&] {
    const oidcore::web::RequestVerificationOptions* options = nullptr;
    if (auto err = request_options(std::string_view(options_json ? options_json : "", options_len), options))
      return report(error, err);
    auto result = std::make_unique<oidcore_result>();
    oidcore::web::TokenSource source;
    if (auto err = verify(std::string_view(cookie_header ? cookie_header : "", cookie_len),
                          std::string_view(authorization ? authorization : "", authorization_len), *options,
                          *result, source))
      return report(error, err);
    result->source = source == oidcore::web::TokenSource::bearer ? "bearer" : "cookie";
    *out = result.release();
    return ok(error);
  });
}

}  // namespace

extern "C" {

const char* oidcore_status_name(oidcore_status status) {
  return oidcore::status_name(status_from_c(status)).data();
}

const char* oidcore_status_message(oidcore_status status) {
  return oidcore::status_message(status_from_c(status)).data();
}

int oidcore_status_is_unavailable(oidcore_status status) {
  return oidcore::is_unavailable(status_from_c(status)) ? 1 : 0;
}

const char* oidcore_version(void) { return OIDCORE_VERSION_STRING; }

int oidcore_abi_version(void) { return OIDCORE_ABI_VERSION; }

const char* oidcore_crypto_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

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

oidcore_status oidcore_verifier_new_with_store(const char* config_json, size_t config_len, oidcore_store* store,
                                               oidcore_verifier** out, oidcore_error* error) {
  if (out) *out = nullptr;
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  if (!config_json) return report(error, oidcore::Status::invalid_argument, "config_json must not be NULL");
  if (!store || !store->impl) return report(error, oidcore::Status::invalid_argument, "store must not be NULL");
  return guarded(error, [&] {
    oidcore::Error err;
    auto impl = oidcore::Verifier::create(std::string_view(config_json, config_len), store->impl.get(), err);
    if (!impl) return report(error, err);
    *out = new oidcore_verifier{std::move(impl)};
    return ok(error);
  });
}

void oidcore_verifier_free(oidcore_verifier* verifier) { delete verifier; }

oidcore_status oidcore_verifier_deny(const oidcore_verifier* verifier, const char* token, size_t token_len,
                                     int* denied, oidcore_error* error) {
  if (denied) *denied = 0;
  if (!verifier || !verifier->impl) return report(error, oidcore::Status::invalid_argument, "verifier must not be NULL");
  if (!token && token_len) return report(error, oidcore::Status::invalid_argument, "token must not be NULL");
  return guarded(error, [&] {
    bool listed = false;
    if (auto err = verifier->impl->deny(std::string_view(token ? token : "", token_len), listed))
      return report(error, err);
    if (denied) *denied = listed ? 1 : 0;
    return ok(error);
  });
}

namespace {

oidcore_status verify_with(const oidcore_verifier* verifier, const char* token, size_t token_len,
                           oidcore_result** out, oidcore_error* error, bool allow_fetch,
                           const std::string* nonce = nullptr) {
  if (out) *out = nullptr;
  if (!verifier || !verifier->impl) return report(error, oidcore::Status::invalid_argument, "verifier must not be NULL");
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  if (!token && token_len) return report(error, oidcore::Status::invalid_argument, "token must not be NULL");
  return guarded(error, [&] {
    auto result = std::make_unique<oidcore_result>();
    oidcore::VerifyOptions options;
    options.allow_fetch = allow_fetch;
    options.nonce = nonce;
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

oidcore_status oidcore_verifier_verify_nonce(const oidcore_verifier* verifier, const char* token, size_t token_len,
                                             const char* nonce, size_t nonce_len, oidcore_result** out,
                                             oidcore_error* error) {
  if (out) *out = nullptr;
  if (!nonce && nonce_len) return report(error, oidcore::Status::invalid_argument, "nonce must not be NULL");
  return guarded(error, [&] {
    const std::string expected(nonce ? nonce : "", nonce_len);
    return verify_with(verifier, token, token_len, out, error, true, &expected);
  });
}

oidcore_status oidcore_verifier_verify_cached(const oidcore_verifier* verifier, const char* token, size_t token_len,
                                              oidcore_result** out, oidcore_error* error) {
  return verify_with(verifier, token, token_len, out, error, false);
}

oidcore_status oidcore_verifier_verify_request(const oidcore_verifier* verifier, const char* cookie_header,
                                               size_t cookie_len, const char* authorization, size_t authorization_len,
                                               const char* options_json, size_t options_len, oidcore_result** out,
                                               oidcore_error* error) {
  if (out) *out = nullptr;
  if (!verifier || !verifier->impl) return report(error, oidcore::Status::invalid_argument, "verifier must not be NULL");
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  return verify_request_with(
      cookie_header, cookie_len, authorization, authorization_len, options_json, options_len, out, error,
      [&](std::string_view cookie, std::string_view auth, const oidcore::web::RequestVerificationOptions& options,
          oidcore_result& result, oidcore::web::TokenSource& source) {
        oidcore::VerifyOptions verify_options;
        verify_options.allow_fetch = options.allow_fetch;
        auto err = oidcore::web::verify_request(cookie, auth, options.sources, *verifier->impl, verify_options,
                                                result.token, source);
        result.has_principal = verifier->impl->config().principal.has_value();
        return err;
      });
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
    s += ",\"token_cache\":{\"hits\":" + std::to_string(st.token_cache_hits) + ",\"entries\":" +
         std::to_string(st.token_cache_entries) + ",\"capacity\":" + std::to_string(st.token_cache_capacity) + '}';
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
           ",\"stale\":" + (k.stale ? "true" : "false") +
           ",\"unknown_kid_cached\":" + std::to_string(k.unknown_kid_cached) +
           ",\"background_refreshes\":" + std::to_string(k.background_refreshes) + '}';
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

const char* oidcore_result_source(const oidcore_result* result) { return result ? result->source : nullptr; }

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

oidcore_status oidcore_store_new(const char* config_json, size_t config_len, oidcore_store** out,
                                 oidcore_error* error) {
  if (out) *out = nullptr;
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  if (!config_json) return report(error, oidcore::Status::invalid_argument, "config_json must not be NULL");
  return guarded(error, [&] {
    std::unique_ptr<oidcore::store::Store> impl;
    if (auto err = create_store(std::string_view(config_json, config_len), impl)) return report(error, err);
    *out = new oidcore_store{std::move(impl)};
    return ok(error);
  });
}

void oidcore_store_free(oidcore_store* store) { delete store; }

oidcore_status oidcore_state_create(oidcore_store* store, const char* options_json, size_t options_len, char** out,
                                    size_t* out_len, oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!store || !store->impl || !out)
    return report(error, oidcore::Status::invalid_argument, "store and out must not be NULL");
  if (!options_json && options_len)
    return report(error, oidcore::Status::invalid_argument, "options_json is NULL but options_len is not 0");
  return guarded(error, [&] {
    RecordOptions parsed;
    if (auto err = parse_record_options(options_json, options_len, true, parsed)) return report(error, err);
    oidcore::flow::StateOptions options;
    options.redirect_after = std::move(parsed.redirect_after);
    options.extra_json = std::move(parsed.extra_json);
    options.binding = std::move(parsed.binding);
    if (parsed.ttl) options.ttl_seconds = *parsed.ttl;
    oidcore::flow::NewLoginState created;
    if (auto err = oidcore::flow::create_state(*store->impl, options, created)) return report(error, err);
    std::string s = "{\"state\":";
    oidcore::json::append_json_string(s, created.state);
    s += ",\"nonce\":";
    oidcore::json::append_json_string(s, created.nonce);
    s += ",\"code_verifier\":";
    oidcore::json::append_json_string(s, created.code_verifier);
    s += ",\"code_challenge\":";
    oidcore::json::append_json_string(s, created.code_challenge);
    s += ",\"code_challenge_method\":\"S256\"}";
    return hand_out(s, out, out_len, error);
  });
}

oidcore_status oidcore_state_consume(oidcore_store* store, const char* state, size_t state_len, const char* binding,
                                     size_t binding_len, char** out, size_t* out_len, oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!store || !store->impl || !out)
    return report(error, oidcore::Status::invalid_argument, "store and out must not be NULL");
  if ((!state && state_len) || (!binding && binding_len))
    return report(error, oidcore::Status::invalid_argument, "a NULL pointer with a length that is not 0");
  return guarded(error, [&] {
    oidcore::flow::LoginState record;
    if (auto err = oidcore::flow::consume_state(*store->impl, std::string_view(state ? state : "", state_len),
                                                optional_bytes(binding, binding_len), record))
      return report(error, err);
    return hand_out(oidcore::flow::login_state_json(record), out, out_len, error);
  });
}

oidcore_status oidcore_exchange_code_create(oidcore_store* store, const char* payload, size_t payload_len,
                                            const char* options_json, size_t options_len, char** out,
                                            size_t* out_len, oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!store || !store->impl || !out)
    return report(error, oidcore::Status::invalid_argument, "store and out must not be NULL");
  if ((!payload && payload_len) || (!options_json && options_len))
    return report(error, oidcore::Status::invalid_argument, "a NULL pointer with a length that is not 0");
  return guarded(error, [&] {
    RecordOptions parsed;
    if (auto err = parse_record_options(options_json, options_len, false, parsed)) return report(error, err);
    oidcore::flow::ExchangeCodeOptions options;
    options.binding = std::move(parsed.binding);
    if (parsed.ttl) options.ttl_seconds = *parsed.ttl;
    std::string code;
    if (auto err = oidcore::flow::create_exchange_code(
            *store->impl, std::string_view(payload ? payload : "", payload_len), code, options))
      return report(error, err);
    return hand_out(code, out, out_len, error);
  });
}

oidcore_status oidcore_exchange_code_redeem(oidcore_store* store, const char* code, size_t code_len,
                                            const char* binding, size_t binding_len, char** out, size_t* out_len,
                                            oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!store || !store->impl || !out)
    return report(error, oidcore::Status::invalid_argument, "store and out must not be NULL");
  if ((!code && code_len) || (!binding && binding_len))
    return report(error, oidcore::Status::invalid_argument, "a NULL pointer with a length that is not 0");
  return guarded(error, [&] {
    std::string payload;
    if (auto err = oidcore::flow::redeem_exchange_code(*store->impl, std::string_view(code ? code : "", code_len),
                                                       optional_bytes(binding, binding_len), payload))
      return report(error, err);
    return hand_out(payload, out, out_len, error);
  });
}

/* Login flow -------------------------------------------------------------------------- */

oidcore_status oidcore_rp_new(const char* config_json, size_t config_len, oidcore_store* store, oidcore_rp** out,
                              oidcore_error* error) {
  if (out) *out = nullptr;
  if (!out || !store || !store->impl)
    return report(error, oidcore::Status::invalid_argument, "store and out must not be NULL");
  if (!config_json && config_len) return report(error, oidcore::Status::invalid_argument, "config_json must not be NULL");
  return guarded(error, [&] {
    oidcore::Error err;
    auto impl = oidcore::flow::RelyingParty::create(std::string_view(config_json ? config_json : "", config_len),
                                                    *store->impl, err);
    if (!impl) return report(error, err);
    *out = new oidcore_rp{std::move(impl)};
    return ok(error);
  });
}

void oidcore_rp_free(oidcore_rp* rp) { delete rp; }

oidcore_status oidcore_rp_warnings(const oidcore_rp* rp, char** out, size_t* out_len, oidcore_error* error) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!rp || !rp->impl || !out) return report(error, oidcore::Status::invalid_argument, "rp and out must not be NULL");
  return guarded(error, [&] { return hand_out(oidcore::flow::warnings_json(rp->impl->warnings()), out, out_len, error); });
}

extern "C++" {  // inside the extern "C" block: the helpers below include a template
namespace {

// The common preamble of the relying-party calls: outputs cleared, NULLs refused.
oidcore_status rp_call(oidcore_rp* rp, char** out, size_t* out_len, oidcore_error* error,
                       std::initializer_list<std::pair<const char*, size_t>> inputs) {
  if (out) *out = nullptr;
  if (out_len) *out_len = 0;
  if (!rp || !rp->impl) return report(error, oidcore::Status::invalid_argument, "rp must not be NULL");
  for (const auto& [p, n] : inputs)
    if (!p && n) return report(error, oidcore::Status::invalid_argument, "a NULL pointer with a length that is not 0");
  return OIDCORE_OK;
}

std::string_view view(const char* p, size_t n) { return std::string_view(p ? p : "", n); }

// A relying-party call that hands out text: the preamble (rp_call; `out` required), then
// `produce(text)` under `guarded`: its failure is reported, else the text handed out.
template <class F>
oidcore_status rp_text_call(oidcore_rp* rp, char** out, size_t* out_len, oidcore_error* error,
                            std::initializer_list<std::pair<const char*, size_t>> inputs, F&& produce) {
  if (auto st = rp_call(rp, out, out_len, error, inputs)) return st;
  if (!out) return report(error, oidcore::Status::invalid_argument, "out must not be NULL");
  return guarded(error, [&] {
    std::string text;
    if (oidcore::Error err = produce(text)) return report(error, err);
    return hand_out(text, out, out_len, error);
  });
}

}  // namespace
}  // extern "C++"

oidcore_status oidcore_rp_begin_login(oidcore_rp* rp, const char* options_json, size_t options_len, char** out,
                                      size_t* out_len, oidcore_error* error) {
  return rp_text_call(rp, out, out_len, error, {{options_json, options_len}}, [&](std::string& s) {
    oidcore::flow::BeginLoginOptions options;
    if (auto err = oidcore::flow::parse_begin_login_options(view(options_json, options_len), options)) return err;
    oidcore::flow::LoginStart start;
    if (auto err = rp->impl->begin_login(options, start)) return err;
    s = "{\"url\":";
    oidcore::json::append_json_string(s, start.url);
    s += ",\"state\":";
    oidcore::json::append_json_string(s, start.state);
    s += ",\"binding\":";
    if (start.binding.empty()) s += "null"; else oidcore::json::append_json_string(s, start.binding);
    s += ",\"expires_in\":" + std::to_string(start.expires_in) + "}";
    return oidcore::Error{};
  });
}

oidcore_status oidcore_rp_complete_login(oidcore_rp* rp, const char* callback, size_t callback_len,
                                         const char* options_json, size_t options_len, char** out, size_t* out_len,
                                         oidcore_error* error) {
  return rp_text_call(rp, out, out_len, error, {{callback, callback_len}, {options_json, options_len}},
                      [&](std::string& text) {
                        oidcore::flow::CompleteLoginOptions options;
                        if (auto err = oidcore::flow::parse_complete_login_options(view(options_json, options_len),
                                                                                   options))
                          return err;
                        oidcore::flow::LoginResult result;
                        if (auto err = rp->impl->complete_login(view(callback, callback_len), options, result))
                          return err;
                        text = oidcore::flow::login_result_json(result);
                        return oidcore::Error{};
                      });
}

oidcore_status oidcore_rp_refresh(oidcore_rp* rp, const char* refresh_token, size_t refresh_token_len, char** out,
                                  size_t* out_len, oidcore_error* error) {
  return rp_text_call(rp, out, out_len, error, {{refresh_token, refresh_token_len}}, [&](std::string& text) {
    oidcore::flow::TokenSet tokens;
    if (auto err = rp->impl->refresh(view(refresh_token, refresh_token_len), tokens)) return err;
    text = oidcore::flow::token_set_json(tokens);
    return oidcore::Error{};
  });
}

oidcore_status oidcore_rp_userinfo(oidcore_rp* rp, const char* access_token, size_t access_token_len, char** out,
                                   size_t* out_len, oidcore_error* error) {
  return rp_text_call(rp, out, out_len, error, {{access_token, access_token_len}}, [&](std::string& claims) {
    return rp->impl->userinfo(view(access_token, access_token_len), claims);
  });
}

oidcore_status oidcore_rp_revoke(oidcore_rp* rp, const char* token, size_t token_len, const char* token_type_hint,
                                 size_t hint_len, oidcore_error* error) {
  if (auto st = rp_call(rp, nullptr, nullptr, error, {{token, token_len}, {token_type_hint, hint_len}})) return st;
  return guarded(error, [&] {
    if (auto err = rp->impl->revoke(view(token, token_len), view(token_type_hint, hint_len))) return report(error, err);
    return ok(error);
  });
}

oidcore_status oidcore_rp_logout_url(oidcore_rp* rp, const char* options_json, size_t options_len, char** out,
                                     size_t* out_len, oidcore_error* error) {
  return rp_text_call(rp, out, out_len, error, {{options_json, options_len}}, [&](std::string& url) {
    oidcore::flow::LogoutOptions options;
    if (auto err = oidcore::flow::parse_logout_options(view(options_json, options_len), options)) return err;
    // The tokens are options of oidcore_rp_logout, which acts on them; here they would be
    // ignored, and a caller who meant to revoke or deny would never know.
    if (options.access_token || options.refresh_token)
      return oidcore::Error(oidcore::Status::invalid_argument,
                            options.access_token
                                ? "\"access_token\" is not an option of the logout URL (oidcore_rp_logout denies)"
                                : "\"refresh_token\" is not an option of the logout URL (oidcore_rp_logout revokes)");
    return rp->impl->logout_url(options, url);
  });
}

oidcore_status oidcore_rp_logout(oidcore_rp* rp, const char* options_json, size_t options_len, char** out,
                                 size_t* out_len, oidcore_error* error) {
  return rp_text_call(rp, out, out_len, error, {{options_json, options_len}}, [&](std::string& text) {
    oidcore::flow::LogoutOptions options;
    if (auto err = oidcore::flow::parse_logout_options(view(options_json, options_len), options)) return err;
    oidcore::flow::LogoutResult result;
    if (auto err = rp->impl->logout(options, result)) return err;
    text = oidcore::flow::logout_result_json(result);
    return oidcore::Error{};
  });
}

oidcore_status oidcore_rp_verify_access_token(oidcore_rp* rp, const char* token, size_t token_len,
                                              oidcore_result** out, oidcore_error* error) {
  if (out) *out = nullptr;
  if (!rp || !rp->impl || !out) return report(error, oidcore::Status::invalid_argument, "rp and out must not be NULL");
  if (!token && token_len) return report(error, oidcore::Status::invalid_argument, "token must not be NULL");
  return guarded(error, [&] {
    auto result = std::make_unique<oidcore_result>();
    if (auto err = rp->impl->verify_access_token(view(token, token_len), result->token)) return report(error, err);
    result->has_principal = true;
    *out = result.release();
    return ok(error);
  });
}

oidcore_status oidcore_rp_verify_request(oidcore_rp* rp, const char* cookie_header, size_t cookie_len,
                                         const char* authorization, size_t authorization_len,
                                         const char* options_json, size_t options_len, oidcore_result** out,
                                         oidcore_error* error) {
  if (out) *out = nullptr;
  if (!rp || !rp->impl || !out) return report(error, oidcore::Status::invalid_argument, "rp and out must not be NULL");
  return verify_request_with(
      cookie_header, cookie_len, authorization, authorization_len, options_json, options_len, out, error,
      [&](std::string_view cookie, std::string_view auth, const oidcore::web::RequestVerificationOptions& options,
          oidcore_result& result, oidcore::web::TokenSource& source) {
        const auto check = [&](std::string_view token) {
          return rp->impl->verify_access_token(token, result.token, options.allow_fetch);
        };
        result.has_principal = true;
        return oidcore::web::verify_request(cookie, auth, options.sources, check, source);
      });
}

void oidcore_string_free(char* s) { std::free(s); }

}  // extern "C"
