#include "web/principal.hpp"

#include "jose/principal.hpp"
#include "json/strict_json.hpp"

namespace oidcore::web {

Error principal_from_claims(std::string_view claims_json, std::string_view config_json, std::string& out) {
  out.clear();
  json::StrictParser parser;
  jose::PrincipalConfig config;
  if (!config_json.empty()) {
    simdjson::dom::element root;
    if (auto err = parser.parse(config_json, root))
      return Error(Status::invalid_argument, "principal mapping: " + err.message);
    if (auto err = jose::parse_principal_config(root, config, Status::invalid_argument, "")) return err;
  }
  // The configuration was copied out: the parser may take the next document.
  simdjson::dom::element root;
  if (auto err = parser.parse(claims_json, root)) return Error(Status::malformed, "claims: " + err.message);
  simdjson::dom::object claims;
  if (root.get_object().get(claims)) return Error(Status::malformed, "the claims must be a JSON object");
  jose::build_principal(claims, config, out);
  return {};
}

}  // namespace oidcore::web
