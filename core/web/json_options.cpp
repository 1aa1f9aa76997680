#include "web/json_options.hpp"

#include "json/strict_json.hpp"

namespace oidcore::web::detail {

Error keyed(std::string_view key, std::string_view what) {
  return Error(Status::invalid_argument, "\"" + printable(key) + "\" " + std::string(what));
}

Error parse_object(json::StrictParser& parser, std::string_view text, std::string_view what,
                   simdjson::dom::object& out) {
  simdjson::dom::element root;
  if (auto err = parser.parse(text, root)) return Error(Status::invalid_argument, std::string(what) + ": " + err.message);
  if (root.get_object().get(out)) return Error(Status::invalid_argument, std::string(what) + " must be a JSON object");
  return {};
}

Error read_bool(simdjson::dom::element e, std::string_view key, bool& out) {
  if (e.get_bool().get(out)) return keyed(key, "must be true or false");
  return {};
}

Error read_string(simdjson::dom::element e, std::string_view key, bool allow_empty, std::string& out) {
  std::string_view s;
  if (e.get_string().get(s)) return keyed(key, "must be a string");
  if (!allow_empty && s.empty()) return keyed(key, "must not be empty");
  out.assign(s);
  return {};
}

Error read_whole(simdjson::dom::element e, std::string_view key, int64_t min, int64_t max, int64_t& out) {
  auto n = json::as_number(e);
  const std::string range = "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  // Range first: converting a double outside int64's range is undefined behaviour.
  if (!n || *n < static_cast<double>(min) || *n > static_cast<double>(max) ||
      *n != static_cast<double>(static_cast<int64_t>(*n)))
    return keyed(key, range);
  out = static_cast<int64_t>(*n);
  return {};
}

Error read_string_list(simdjson::dom::element e, std::string_view key, std::vector<std::string>& out) {
  simdjson::dom::array arr;
  if (e.get_array().get(arr)) return keyed(key, "must be an array of strings");
  out.clear();
  for (auto item : arr) {
    std::string_view s;
    if (item.get_string().get(s)) return keyed(key, "must contain only strings");
    if (s.empty()) return keyed(key, "must not contain empty strings");
    out.emplace_back(s);
  }
  if (out.empty()) return keyed(key, "must not be empty");
  return {};
}

}  // namespace oidcore::web::detail
