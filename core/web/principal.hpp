// Claims → principal as a pure function over JSON text: the verifier's principal mapping
// (jose/principal.hpp) for claims that were verified some other way (an ID token from the
// login flow, userinfo, tests). Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "status.hpp"

namespace oidcore::web {

// `claims_json`: one JSON object (else Status::malformed). `config_json`: the object of the
// verifier's "principal" key, or empty text for the defaults (a bad one is
// Status::invalid_argument naming the key). `out`: {"sub","email","name","organizationId","role"}.
[[nodiscard]] Error principal_from_claims(std::string_view claims_json, std::string_view config_json,
                                          std::string& out);

}  // namespace oidcore::web
