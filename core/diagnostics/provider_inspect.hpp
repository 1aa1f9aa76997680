// What `oidcore discover` and `oidcore doctor` report about an identity provider: its
// discovery document, its keys as oidcore would load them, the algorithms both sides
// support, the clock skew against the provider's Date header and, given client
// credentials, whether the token endpoint accepts them. Every problem found is listed in
// plain words; nothing here is used on the verification path.
#pragma once

#include <string>
#include <string_view>

#include "status.hpp"

namespace oidcore::diagnostics {

// `config_json`: {"issuer", "jwks_uri"?, "internal_url"?, "ca_file"?, "ca_dir"?,
// "http_timeout"?, "connect_timeout"?, "client_id"?, "client_secret"?, "min_rsa_bits"?}.
// Without "jwks_uri" the keys are found through discovery. Fills `report_json` with one
// JSON object; returns an error only for a bad configuration (the provider's failures are
// part of the report).
[[nodiscard]] Error inspect_provider(std::string_view config_json, std::string& report_json);

}  // namespace oidcore::diagnostics
