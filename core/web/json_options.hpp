// Reading the small JSON option objects of the web helpers (internal to core/web). Every
// failure is Status::invalid_argument with a message naming the key.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "json/strict_json.hpp"
#include "status.hpp"

namespace oidcore::web::detail {

// A message naming `key` (escaped: keys come from the caller and may hold anything).
Error keyed(std::string_view key, std::string_view what);

// Parses `text` as one strict JSON object into `parser` (a parser of the caller's, so that a
// document the caller holds from the thread's parser is never clobbered).
[[nodiscard]] Error parse_object(json::StrictParser& parser, std::string_view text, std::string_view what,
                                 simdjson::dom::object& out);

[[nodiscard]] Error read_bool(simdjson::dom::element e, std::string_view key, bool& out);
[[nodiscard]] Error read_string(simdjson::dom::element e, std::string_view key, bool allow_empty, std::string& out);
// A whole number in [min, max] from any JSON number form.
[[nodiscard]] Error read_whole(simdjson::dom::element e, std::string_view key, int64_t min, int64_t max,
                               int64_t& out);
// A non-empty array of non-empty strings.
[[nodiscard]] Error read_string_list(simdjson::dom::element e, std::string_view key, std::vector<std::string>& out);

}  // namespace oidcore::web::detail
