// Percent-encoding as browsers and the npm `cookie` package do it: encodeURIComponent and
// decodeURIComponent of JavaScript over UTF-8 bytes, plus a lenient byte-level decoder for
// checks that must see what any later decoding layer would see.
#pragma once

#include <string>
#include <string_view>

namespace oidcore::web {

// JavaScript's encodeURIComponent: every byte outside A-Z a-z 0-9 - _ . ! ~ * ' ( ) becomes
// %XX (upper-case hex) of its UTF-8 encoding. False (and `out` unspecified) when `in` is not
// valid UTF-8, where JavaScript would throw on a lone surrogate.
[[nodiscard]] bool encode_uri_component(std::string_view in, std::string& out);

// JavaScript's decodeURIComponent: every %XX is decoded (reserved characters included) and
// the result must be valid UTF-8 (no overlong forms, no surrogates). False (and `out`
// unspecified) for a '%' not followed by two hex digits or an invalid UTF-8 result, where
// JavaScript would throw URIError. `in` itself must be valid UTF-8.
[[nodiscard]] bool decode_uri_component(std::string_view in, std::string& out);

// Decodes every %XX with two hex digits to its byte and leaves anything else as it is
// (a stray '%' stays). No UTF-8 check: the result may hold any byte.
std::string percent_decode_lenient(std::string_view in);

// Strict UTF-8 (simdjson's validator: no overlong forms, no surrogates, at most U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace oidcore::web
