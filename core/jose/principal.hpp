// Claims → the application's principal: {sub, email, name, organizationId, role}.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.hpp"

namespace oidcore::jose {

struct PrincipalConfig {
  std::string organization_id_claim = "organizationId";
  // When the organization claim is absent (or neither a string nor a number): `sub` (the
  // default: every user is an organization of one), or null with organization_fallback "none".
  bool organization_falls_back_to_sub = true;
  std::string groups_claim = "groups";
  // Ordered: the first group the user belongs to decides the role.
  std::vector<std::pair<std::string, std::string>> roles;
  std::string default_role = "user";
};

// Reads a principal mapping {"organization_id_claim", "organization_fallback": "sub" |
// "none", "groups_claim", "roles": [{"group","role"}...], "default_role"} into `out` (keys
// left out keep their defaults).
// A failure has `status`, with a message naming the key as "<name>.<key>" (the bare key
// when `name` is empty): the verifier reads its "principal" key with
// (Status::invalid_config, "principal").
[[nodiscard]] Error parse_principal_config(simdjson::dom::element e, PrincipalConfig& out, Status status,
                                           std::string_view name);

// Appends the principal as one JSON object to `out`. Missing string claims become null.
void build_principal(simdjson::dom::object claims, const PrincipalConfig& config, std::string& out);

}  // namespace oidcore::jose
