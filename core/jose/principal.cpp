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

Error bad(Status status, std::string_view key, std::string_view what) {
  // Keys come from the caller's configuration, but may still hold control characters.
  return Error(status, "\"" + printable(key) + "\" " + std::string(what));
}

Error read_string(simdjson::dom::element e, Status status, std::string_view key, std::string& out) {
  std::string_view s;
  if (e.get_string().get(s)) return bad(status, key, "must be a string");
  if (s.empty()) return bad(status, key, "must not be empty");
  out.assign(s);
  return {};
}

}  // namespace

Error parse_principal_config(simdjson::dom::element e, PrincipalConfig& out, Status status, std::string_view name) {
  simdjson::dom::object obj;
  if (e.get_object().get(obj))
    return name.empty() ? Error(status, "the principal mapping must be an object") : bad(status, name, "must be an object");
  for (auto field : obj) {
    const std::string key = name.empty() ? std::string(field.key) : std::string(name) + "." + std::string(field.key);
    if (field.key == "organization_id_claim") {
      if (auto err = read_string(field.value, status, key, out.organization_id_claim)) return err;
    } else if (field.key == "organization_fallback") {
      std::string fallback;
      if (auto err = read_string(field.value, status, key, fallback)) return err;
      if (fallback == "sub") out.organization_falls_back_to_sub = true;
      else if (fallback == "none") out.organization_falls_back_to_sub = false;
      else return bad(status, key, "must be \"sub\" or \"none\"");
    } else if (field.key == "groups_claim") {
      if (auto err = read_string(field.value, status, key, out.groups_claim)) return err;
    } else if (field.key == "default_role") {
      if (auto err = read_string(field.value, status, key, out.default_role)) return err;
    } else if (field.key == "roles") {
      simdjson::dom::array arr;
      if (field.value.get_array().get(arr)) return bad(status, key, "must be an array of {\"group\",\"role\"} objects");
      for (simdjson::dom::element item : arr) {
        simdjson::dom::object m;
        std::string_view group, role;
        if (item.get_object().get(m) || m.size() != 2 ||
            json::get_string(m, "group", group) != json::Presence::present ||
            json::get_string(m, "role", role) != json::Presence::present || group.empty() || role.empty())
          return bad(status, key, "entries must be objects with exactly a non-empty \"group\" and \"role\"");
        out.roles.emplace_back(group, role);
      }
    } else {
      return bad(status, key, "is not a known option");
    }
  }
  return {};
}

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
  } else if (config.organization_falls_back_to_sub) {
    put_string_or_null(out, claims, "sub");
  } else {
    out += "null";
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
