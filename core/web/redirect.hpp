// Safe post-login redirects: only a same-site relative path is ever followed. A target is
// safe when it starts with exactly one '/' (the second character neither '/' nor '\'),
// holds no '\' anywhere, no ASCII control character, no space and no DEL, no C1 control,
// is valid UTF-8 and at most kMaxRedirectBytes long; and every percent-decoded form of it
// (decoded again and again, up to kMaxRedirectDecodeRounds times, so "%252F" is seen as '/')
// still passes the same checks (where a decoded space is allowed, being how a path carries
// one). Anything with a scheme ("https:", "javascript:") fails the first rule. Pure
// functions: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "status.hpp"

namespace oidcore::web {

inline constexpr size_t kMaxRedirectBytes = 2048;
inline constexpr int kMaxRedirectDecodeRounds = 4;

// Status::ok when `target` is a safe relative path, else Status::unsafe_redirect with a
// message saying which rule it breaks (the target itself is not echoed).
[[nodiscard]] Error safe_redirect(std::string_view target);

// Where to redirect: `target` when it is safe; else `fallback` when one is given (it must
// be safe itself: an unsafe fallback is Status::invalid_argument, whatever the target);
// else Status::unsafe_redirect. On success `out` is the chosen path, unchanged.
[[nodiscard]] Error choose_redirect(std::string_view target, std::optional<std::string_view> fallback,
                                    std::string& out);

}  // namespace oidcore::web
