#include "flow/login_state.hpp"

#include <sodium.h>

#include "encoding/base64url.hpp"
#include "flow/sealed_records.hpp"
#include "json/strict_json.hpp"

namespace oidcore::flow {
namespace {

// The sealed body: a JSON object written here and read back only after the AEAD has
// authenticated it, so a record that does not parse is a bug, not an attack.
std::string record_body(const LoginState& r) {
  std::string s = "{\"nonce\":";
  json::append_json_string(s, r.nonce);
  s += ",\"code_verifier\":";
  json::append_json_string(s, r.code_verifier);
  s += ",\"created_at\":" + std::to_string(r.created_at);
  if (r.redirect_after) {
    s += ",\"redirect_after\":";
    json::append_json_string(s, *r.redirect_after);
  }
  if (r.extra_json) s += ",\"extra\":" + *r.extra_json;
  s += '}';
  return s;
}

Error parse_body(std::string_view body, LoginState& out) {
  const Error corrupt(Status::internal, "a login state record does not have the expected form");
  // One level deeper than the parser that accepted `extra`, which sits one level down here.
  thread_local json::StrictParser parser(json::kDefaultMaxDepth + 1);
  simdjson::dom::element root;
  simdjson::dom::object obj;
  if (parser.parse(body, root) || root.get_object().get(obj)) return corrupt;
  std::string_view s;
  if (json::get_string(obj, "nonce", s) != json::Presence::present) return corrupt;
  out.nonce.assign(s);
  if (json::get_string(obj, "code_verifier", s) != json::Presence::present) return corrupt;
  out.code_verifier.assign(s);
  int64_t created = 0;
  if (obj["created_at"].get_int64().get(created)) return corrupt;
  out.created_at = created;
  switch (json::get_string(obj, "redirect_after", s)) {
    case json::Presence::present:
      out.redirect_after.emplace(s);
      break;
    case json::Presence::wrong_type:
      return corrupt;
    case json::Presence::absent:
      break;
  }
  simdjson::dom::element extra;
  if (!obj["extra"].get(extra)) out.extra_json = simdjson::minify(extra);
  return {};
}

}  // namespace

std::string pkce_s256_challenge(std::string_view code_verifier) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(code_verifier.data()), code_verifier.size());
  return encoding::base64url_encode(digest, sizeof digest);
}

Error create_state(store::Store& store, const StateOptions& options, NewLoginState& out) {
  out = NewLoginState();
  if (!sodium_ready()) return Error(Status::internal, "libsodium could not be initialised");
  LoginState record;
  if (options.redirect_after) {
    if (options.redirect_after->size() > kMaxRedirectAfterBytes)
      return Error(Status::too_large,
                   "\"redirect_after\" is longer than " + std::to_string(kMaxRedirectAfterBytes) + " bytes");
    if (!simdjson::validate_utf8(options.redirect_after->data(), options.redirect_after->size()))
      return Error(Status::invalid_argument, "\"redirect_after\" is not valid UTF-8");
    record.redirect_after = options.redirect_after;
  }
  if (options.extra_json) {
    if (options.extra_json->size() > kMaxStateExtraBytes)
      return Error(Status::too_large, "\"extra\" is larger than " + std::to_string(kMaxStateExtraBytes) + " bytes");
    json::StrictParser& parser = json::thread_parser();
    simdjson::dom::element extra;
    if (auto err = parser.parse(*options.extra_json, extra))
      return Error(Status::invalid_argument, "\"extra\" is not valid JSON: " + err.message);
    record.extra_json = simdjson::minify(extra);
  }
  record.nonce = random_token();
  record.code_verifier = random_token();
  record.created_at = store::system_seconds();

  std::optional<std::string_view> binding;
  if (options.binding) binding = *options.binding;
  std::string state;
  if (auto err =
          seal_new_record(store, RecordKind::login_state, record_body(record), binding, options.ttl_seconds, state))
    return err;
  out.state = std::move(state);
  out.code_challenge = pkce_s256_challenge(record.code_verifier);
  out.nonce = std::move(record.nonce);
  out.code_verifier = std::move(record.code_verifier);
  return {};
}

Error consume_state(store::Store& store, std::string_view state, std::optional<std::string_view> binding,
                    LoginState& out) {
  out = LoginState();
  std::string body;
  if (auto err = open_taken_record(store, RecordKind::login_state, state, binding, body)) return err;
  return parse_body(body, out);
}

std::string login_state_json(const LoginState& r) {
  std::string s = "{\"redirect_after\":";
  if (r.redirect_after)
    json::append_json_string(s, *r.redirect_after);
  else
    s += "null";
  s += ",\"extra\":";
  s += r.extra_json ? *r.extra_json : std::string("null");
  s += ",\"nonce\":";
  json::append_json_string(s, r.nonce);
  s += ",\"code_verifier\":";
  json::append_json_string(s, r.code_verifier);
  s += ",\"created_at\":" + std::to_string(r.created_at) + '}';
  return s;
}

}  // namespace oidcore::flow
