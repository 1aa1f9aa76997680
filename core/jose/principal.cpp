#include "jose/principal.hpp"

#include "json/strict_json.hpp"

namespace oidcore::jose {
namespace {

void put_string_or_null(std::string& out, simdjson::dom::object claims, std::string_view claim) {
  std::string_view v;
  if (json::get_string(claims, claim, v) == json::Presence::present)
    json::append_json_string(out, v);
  else
    out += "null";
}

bool in_groups(simdjson::dom::object claims, std::string_view groups_claim, std::string_view group) {
  simdjson::dom::array groups;
  if (claims.at_key(groups_claim).get_array().get(groups)) return false;
  for (auto g : groups) {
    std::string_view name;
    if (!g.get_string().get(name) && name == group) return true;
  }
  return false;
}

}  // namespace

void build_principal(simdjson::dom::object claims, const PrincipalConfig& config, std::string& out) {
  out += "{\"sub\":";
  put_string_or_null(out, claims, "sub");
  out += ",\"email\":";
  put_string_or_null(out, claims, "email");
  out += ",\"name\":";
  std::string_view name;
  if (json::get_string(claims, "name", name) == json::Presence::present ||
      json::get_string(claims, "preferred_username", name) == json::Presence::present)
    json::append_json_string(out, name);
  else
    out += "null";
  out += ",\"organizationId\":";
  std::string_view org;
  simdjson::dom::element org_e;
  if (json::get_string(claims, config.organization_id_claim, org) == json::Presence::present) {
    json::append_json_string(out, org);
  } else if (!claims.at_key(config.organization_id_claim).get(org_e) && json::as_number(org_e)) {
    out += simdjson::to_string(org_e);
  } else {
    put_string_or_null(out, claims, "sub");
  }
  out += ",\"role\":";
  const std::string* role = &config.default_role;
  for (const auto& [group, mapped] : config.roles) {
    if (in_groups(claims, config.groups_claim, group)) {
      role = &mapped;
      break;
    }
  }
  json::append_json_string(out, *role);
  out += '}';
}

}  // namespace oidcore::jose
