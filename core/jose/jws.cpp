#include "jose/jws.hpp"

#include <cstring>

#include "encoding/base64url.hpp"
#include "json/strict_json.hpp"

namespace oidcore::jose {

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

  // One walk over the members (names are unique: duplicates were refused by the parser),
  // then the checks in their fixed order.
  enum Member { kAlg, kCrit, kB64, kEnc, kZip, kKid, kTyp, kCty, kMemberCount };
  simdjson::dom::element member[kMemberCount];
  bool has[kMemberCount] = {};
  for (auto field : obj) {
    const std::string_view k = field.key;
    int m = -1;
    if (k.size() == 3) {
      if (k == "alg") m = kAlg;
      else if (k == "kid") m = kKid;
      else if (k == "typ") m = kTyp;
      else if (k == "b64") m = kB64;
      else if (k == "enc") m = kEnc;
      else if (k == "zip") m = kZip;
      else if (k == "cty") m = kCty;
    } else if (k == "crit") {
      m = kCrit;
    }
    if (m >= 0) member[m] = field.value, has[m] = true;
  }

  std::string_view alg;
  if (!has[kAlg]) return Error(Status::malformed, "header has no \"alg\"");
  if (member[kAlg].get_string().get(alg)) return Error(Status::malformed, "header \"alg\" is not a string");
  if (is_none_alg(alg)) return Error(Status::unsupported_alg, "unsecured tokens (alg \"none\") are never accepted");
  auto parsed = alg_from_name(alg);
  if (!parsed) return Error(Status::unsupported_alg, "unsupported alg \"" + printable(alg) + "\"");
  out.alg = *parsed;

  if (has[kCrit]) {
    // RFC 7515 §4.1.11: a recipient that does not understand a listed extension must
    // reject; oidcore understands none, and an empty or ill-formed list is invalid anyway.
    return Error(Status::malformed, "header \"crit\" names extensions oidcore does not implement");
  }
  if (has[kB64]) {
    bool b64 = true;
    if (member[kB64].get_bool().get(b64) || !b64)
      return Error(Status::malformed, "unencoded payloads (\"b64\": false, RFC 7797) are not supported");
  }
  if (has[kEnc]) return Error(Status::malformed, "header \"enc\" belongs to JWE, which is not accepted");
  if (has[kZip]) return Error(Status::malformed, "header \"zip\" belongs to JWE, which is not accepted");
  std::string_view s;
  if (has[kKid]) {
    if (member[kKid].get_string().get(s)) return Error(Status::malformed, "header \"kid\" is not a string");
    out.kid.assign(s);
    out.has_kid = true;
  } else {
    out.has_kid = false;
    out.kid.clear();
  }
  if (has[kTyp]) {
    if (member[kTyp].get_string().get(s)) return Error(Status::malformed, "header \"typ\" is not a string");
    out.typ.assign(s);
    out.has_typ = true;
  } else {
    out.has_typ = false;
    out.typ.clear();
  }
  if (has[kCty] && member[kCty].get_string().get(s))
    return Error(Status::malformed, "header \"cty\" is not a string");
  return {};
}

}  // namespace oidcore::jose
