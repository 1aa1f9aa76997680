// Claims → the application's principal: {sub, email, name, organizationId, role}.
#pragma once

#include <simdjson.h>

#include <string>
#include <utility>
#include <vector>

namespace oidcore::jose {

struct PrincipalConfig {
  std::string organization_id_claim = "organizationId";  // falls back to `sub` when absent
  std::string groups_claim = "groups";
  // Ordered: the first group the user belongs to decides the role.
  std::vector<std::pair<std::string, std::string>> roles;
  std::string default_role = "user";
};

// Appends the principal as one JSON object to `out`. Missing string claims become null.
void build_principal(simdjson::dom::object claims, const PrincipalConfig& config, std::string& out);

}  // namespace oidcore::jose
