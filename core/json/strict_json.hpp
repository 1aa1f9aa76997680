// Strict JSON for untrusted input (token headers and payloads, JWKS, configuration):
// simdjson validates the grammar and UTF-8; on top of that this layer caps the nesting
// depth and rejects duplicate member names anywhere in the document (RFC 7515 §5.2 and
// RFC 7519 §4 allow "reject"; we always do, so no two parsers can disagree about a value).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "status.hpp"

namespace oidcore::json {

inline constexpr size_t kDefaultMaxDepth = 32;

// A reusable parser. Not thread-safe: use one per thread (see thread_parser()).
class StrictParser {
 public:
  explicit StrictParser(size_t max_depth = kDefaultMaxDepth);

  // Parses `text` and checks it. `text` is copied into a padded buffer only when needed.
  // The returned element lives until the next parse on this parser.
  [[nodiscard]] Error parse(std::string_view text, simdjson::dom::element& root);

  // Same, for a buffer the caller guarantees has SIMDJSON_PADDING readable bytes after
  // `len` (e.g. a std::string reserved with padded_capacity()).
  [[nodiscard]] Error parse_padded(const char* data, size_t len, simdjson::dom::element& root);

 private:
  simdjson::dom::parser parser_;
  size_t max_depth_;
};

// The calling thread's parser (created on first use).
StrictParser& thread_parser();

// Capacity to reserve in a std::string that will be parsed with parse_padded().
inline size_t padded_capacity(size_t len) { return len + simdjson::SIMDJSON_PADDING; }

// Checks for duplicate member names in every object of the tree.
[[nodiscard]] bool has_duplicate_members(simdjson::dom::element root);

// Typed member access that distinguishes "absent" from "present with the wrong type".
enum class Presence { absent, wrong_type, present };
Presence get_string(simdjson::dom::object obj, std::string_view key, std::string_view& out);
Presence get_number(simdjson::dom::object obj, std::string_view key, double& out);
Presence get_bool(simdjson::dom::object obj, std::string_view key, bool& out);

// A JSON number as a double (int64, uint64 and double all accepted); nullopt otherwise.
std::optional<double> as_number(simdjson::dom::element e);

// Appends `s` as a JSON string literal (quotes and escapes included).
void append_json_string(std::string& out, std::string_view s);

}  // namespace oidcore::json
