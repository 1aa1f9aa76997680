#include "jose/jws.hpp"

#include <cstring>

#include "encoding/base64url.hpp"
#include "json/strict_json.hpp"

namespace oidcore::jose {

using json::Presence;

namespace {

bool decode_padded(std::string_view segment, std::string& out) {
  out.reserve(json::padded_capacity(segment.size()));
  return encoding::base64url_decode(segment, out);
}

bool starts_with_bom(const std::string& s) {
  return s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF && static_cast<unsigned char>(s[1]) == 0xBB &&
         static_cast<unsigned char>(s[2]) == 0xBF;
}

}  // namespace

Error split_compact(std::string_view token, size_t max_bytes, CompactJws& out) {
  if (token.size() > max_bytes)
    return Error(Status::too_large, "token is " + std::to_string(token.size()) + " bytes, over the limit of " +
                                        std::to_string(max_bytes));
  if (token.empty()) return Error(Status::malformed, "empty token");
  const char* data = token.data();
  const void* d1 = std::memchr(data, '.', token.size());
  if (!d1) return Error(Status::malformed, "not a compact JWS: 3 segments expected");
  const size_t p1 = static_cast<const char*>(d1) - data;
  const void* d2 = std::memchr(data + p1 + 1, '.', token.size() - p1 - 1);
  if (!d2) return Error(Status::malformed, "not a compact JWS: 3 segments expected");
  const size_t p2 = static_cast<const char*>(d2) - data;
  if (std::memchr(data + p2 + 1, '.', token.size() - p2 - 1))
    return Error(Status::malformed, "not a compact JWS: more than 3 segments (a JWE or a trailing dot)");

  const std::string_view header_b64 = token.substr(0, p1);
  const std::string_view payload_b64 = token.substr(p1 + 1, p2 - p1 - 1);
  const std::string_view sig_b64 = token.substr(p2 + 1);
  if (header_b64.empty()) return Error(Status::malformed, "empty header segment");
  if (payload_b64.empty()) return Error(Status::malformed, "empty payload segment (detached content is not supported)");
  // An empty signature is left for the header check (alg "none" → unsupported_alg) and
  // then fails verification like any other wrong signature.
  if (!decode_padded(header_b64, out.header_json)) return Error(Status::malformed, "header is not strict base64url");
  if (!decode_padded(payload_b64, out.payload_json)) return Error(Status::malformed, "payload is not strict base64url");
  if (!encoding::base64url_decode(sig_b64, out.signature))
    return Error(Status::malformed, "signature is not strict base64url");
  // RFC 8259 §8.1: no byte order mark; a parser that skipped it would read a different text.
  if (starts_with_bom(out.header_json) || starts_with_bom(out.payload_json))
    return Error(Status::malformed, "JSON starts with a byte order mark");
  out.signing_input = token.substr(0, p2);
  return {};
}

Error parse_header(std::string& header_json, JwsHeader& out) {
  simdjson::dom::element root;
  if (auto err = json::thread_parser().parse_padded(header_json.data(), header_json.size(), root)) {
    err.message = "header: " + err.message;
    return err;
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return Error(Status::malformed, "header is not a JSON object");

  std::string_view alg;
  switch (json::get_string(obj, "alg", alg)) {
    case Presence::absent: return Error(Status::malformed, "header has no \"alg\"");
    case Presence::wrong_type: return Error(Status::malformed, "header \"alg\" is not a string");
    case Presence::present: break;
  }
  if (is_none_alg(alg)) return Error(Status::unsupported_alg, "unsecured tokens (alg \"none\") are never accepted");
  auto parsed = alg_from_name(alg);
  if (!parsed) return Error(Status::unsupported_alg, "unsupported alg \"" + printable(alg) + "\"");
  out.alg = *parsed;

  simdjson::dom::element e;
  if (!obj.at_key("crit").get(e)) {
    // RFC 7515 §4.1.11: a recipient that does not understand a listed extension must
    // reject; oidcore understands none, and an empty or ill-formed list is invalid anyway.
    return Error(Status::malformed, "header \"crit\" names extensions oidcore does not implement");
  }
  if (!obj.at_key("b64").get(e)) {
    bool b64 = true;
    if (e.get_bool().get(b64) || !b64)
      return Error(Status::malformed, "unencoded payloads (\"b64\": false, RFC 7797) are not supported");
  }
  for (const char* jwe_member : {"enc", "zip"}) {
    if (!obj.at_key(jwe_member).get(e))
      return Error(Status::malformed, std::string("header \"") + jwe_member + "\" belongs to JWE, which is not accepted");
  }
  std::string_view s;
  switch (json::get_string(obj, "kid", s)) {
    case Presence::wrong_type: return Error(Status::malformed, "header \"kid\" is not a string");
    case Presence::present:
      out.kid.assign(s);
      out.has_kid = true;
      break;
    default: out.has_kid = false; out.kid.clear();
  }
  switch (json::get_string(obj, "typ", s)) {
    case Presence::wrong_type: return Error(Status::malformed, "header \"typ\" is not a string");
    case Presence::present:
      out.typ.assign(s);
      out.has_typ = true;
      break;
    default: out.has_typ = false; out.typ.clear();
  }
  if (json::get_string(obj, "cty", s) == Presence::wrong_type)
    return Error(Status::malformed, "header \"cty\" is not a string");
  return {};
}

}  // namespace oidcore::jose
