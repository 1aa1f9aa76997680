#include "json/strict_json.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace oidcore::json {

StrictParser::StrictParser(size_t max_depth) : max_depth_(max_depth) {}

Error StrictParser::parse_padded(const char* data, size_t len, simdjson::dom::element& root) {
  // Grow capacity in steps so one parser serves small and large documents without
  // reallocating each time; the depth cap is part of the allocation.
  if (parser_.capacity() < len || parser_.max_depth() != max_depth_) {
    size_t cap = std::max<size_t>(len, 4096);
    if (parser_.allocate(cap, max_depth_) != simdjson::SUCCESS) {
      return Error(Status::internal, "cannot allocate the JSON parser");
    }
  }
  const auto err = parser_.parse(data, len, false).get(root);
  if (err == simdjson::DEPTH_ERROR) {
    return Error(Status::malformed, "JSON nested deeper than " + std::to_string(max_depth_));
  }
  if (err) return Error(Status::malformed, std::string("invalid JSON: ") + simdjson::error_message(err));
  if (has_duplicate_members(root)) return Error(Status::malformed, "duplicate member name in JSON object");
  return {};
}

Error StrictParser::parse(std::string_view text, simdjson::dom::element& root) {
  thread_local std::string padded;
  padded.reserve(padded_capacity(text.size()));
  padded.assign(text.data(), text.size());
  return parse_padded(padded.data(), padded.size(), root);
}

StrictParser& thread_parser() {
  thread_local StrictParser parser;
  return parser;
}

namespace {

// A summary of a member name (its length and first bytes): equal names have equal tags, so
// only names whose tags match need comparing in full.
inline uint64_t name_tag(std::string_view k) {
  uint64_t tag = k.size();
  const size_t m = k.size() < 7 ? k.size() : 7;
  for (size_t i = 0; i < m; ++i) tag = (tag << 8) | static_cast<unsigned char>(k[i]);
  return tag;
}

bool tree_has_duplicates(simdjson::dom::element e);

bool is_container(simdjson::dom::element e) {
  const auto t = e.type();
  return t == simdjson::dom::element_type::OBJECT || t == simdjson::dom::element_type::ARRAY;
}

// One walk over the members: names checked against the earlier ones, containers descended into.
bool object_has_duplicates(simdjson::dom::object obj) {
  const size_t n = obj.size();
  if (n <= 32) {
    std::string_view keys[32];
    uint64_t tags[32];
    size_t i = 0;
    for (auto field : obj) {
      const uint64_t tag = name_tag(field.key);
      for (size_t j = 0; j < i; ++j)
        if (tags[j] == tag && keys[j] == field.key) return true;
      keys[i] = field.key;
      tags[i++] = tag;
      if (is_container(field.value) && tree_has_duplicates(field.value)) return true;
    }
    return false;
  }
  std::vector<std::string_view> keys;
  keys.reserve(n);
  for (auto field : obj) {
    keys.push_back(field.key);
    if (is_container(field.value) && tree_has_duplicates(field.value)) return true;
  }
  std::sort(keys.begin(), keys.end());
  return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
}

// Depth is bounded by the parser's max depth, so this recursion is bounded too.
bool tree_has_duplicates(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT:
      return object_has_duplicates(e.get_object().value_unsafe());
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array arr = e.get_array().value_unsafe();
      for (auto child : arr)
        if (is_container(child) && tree_has_duplicates(child)) return true;
      return false;
    }
    default:
      return false;
  }
}

}  // namespace

bool has_duplicate_members(simdjson::dom::element root) { return tree_has_duplicates(root); }

Presence get_string(simdjson::dom::object obj, std::string_view key, std::string_view& out) {
  simdjson::dom::element e;
  if (obj.at_key(key).get(e)) return Presence::absent;
  if (e.get_string().get(out)) return Presence::wrong_type;
  return Presence::present;
}

std::optional<double> as_number(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::INT64:
      return static_cast<double>(e.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return static_cast<double>(e.get_uint64().value_unsafe());
    case simdjson::dom::element_type::DOUBLE:
      return e.get_double().value_unsafe();
    default:
      return std::nullopt;
  }
}

Presence get_number(simdjson::dom::object obj, std::string_view key, double& out) {
  simdjson::dom::element e;
  if (obj.at_key(key).get(e)) return Presence::absent;
  auto n = as_number(e);
  if (!n) return Presence::wrong_type;
  out = *n;
  return Presence::present;
}

Presence get_bool(simdjson::dom::object obj, std::string_view key, bool& out) {
  simdjson::dom::element e;
  if (obj.at_key(key).get(e)) return Presence::absent;
  if (e.get_bool().get(out)) return Presence::wrong_type;
  return Presence::present;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace oidcore::json
