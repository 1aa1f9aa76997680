// Fuzz target: the OpenID Connect discovery document parser (parse_discovery).
//
// The input is the body a provider (or anyone in its place) answers at
// /.well-known/openid-configuration. Besides "no crash, no sanitizer report", for any input:
// - the outcome is success, http_error or bad_issuer, and the same on a second parse;
// - success only for exactly the expected issuer, with a jwks_uri and every endpoint either
//   absent or an http(s) URL (never file:, javascript:, a relative path...);
// - messages are printable one-line ASCII (they end up in logs and in `oidcore doctor`).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/http_fetch.hpp"
#include "jwks/jwks_cache.hpp"

namespace {

using oidcore::Error;
using oidcore::Status;
using oidcore::jwks::ProviderMetadata;

// The issuer of the seed documents (corpus/discovery), so mutations reach past the check.
const std::string kIssuer = "https://idp.example.com/application/o/test/";

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "fuzz_discovery: property violated: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool printable_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

bool http_url(const std::string& url) {
  oidcore::http::UrlParts parts;
  return oidcore::http::parse_url(url, parts) && (parts.scheme == "http" || parts.scheme == "https");
}

void check(std::string_view input, const std::string& expected_issuer) {
  ProviderMetadata md;
  const Error err = oidcore::jwks::parse_discovery(input, expected_issuer, md);
  if (!printable_ascii(err.message)) fail("message not printable ASCII", err.message);
  ProviderMetadata again;
  const Error err2 = oidcore::jwks::parse_discovery(input, expected_issuer, again);
  if (err.status != err2.status || err.message != err2.message) fail("two parses disagree", err.message);

  switch (err.status) {
    case Status::ok:
      break;
    case Status::http_error:
      return;
    case Status::bad_issuer:
      if (err.message.empty()) fail("bad_issuer without a message");
      return;
    default:
      fail("unexpected status", oidcore::status_name(err.status));
  }
  if (md.issuer != expected_issuer) fail("accepted another issuer", md.issuer);
  if (md.jwks_uri.empty() || !http_url(md.jwks_uri)) fail("accepted a jwks_uri that is not http(s)", md.jwks_uri);
  for (const std::string* endpoint : {&md.authorization_endpoint, &md.token_endpoint, &md.userinfo_endpoint,
                                      &md.end_session_endpoint, &md.revocation_endpoint, &md.introspection_endpoint})
    if (!endpoint->empty() && !http_url(*endpoint)) fail("accepted an endpoint that is not http(s)", *endpoint);
  if (md.jwks_uri != again.jwks_uri || md.token_endpoint != again.token_endpoint ||
      md.id_token_signing_alg_values_supported != again.id_token_signing_alg_values_supported)
    fail("two parses disagree on the metadata");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(input, kIssuer);
  // An issuer that no document of the corpus names: never a success.
  ProviderMetadata md;
  const Error err = oidcore::jwks::parse_discovery(input, "https://other.example/", md);
  if (!err && md.issuer != "https://other.example/") fail("accepted another issuer", md.issuer);
  return 0;
}
