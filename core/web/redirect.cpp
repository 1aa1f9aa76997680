#include "web/redirect.hpp"

#include "web/uri_encoding.hpp"

namespace oidcore::web {
namespace {

// The reason `s` is not a safe relative path, or nullptr. `decoded`: `s` is a decoded form,
// in which a space is allowed.
const char* unsafe_because(std::string_view s, bool decoded) noexcept {
  if (s.empty()) return "it is empty";
  if (s.front() != '/') return "it does not start with '/'";
  if (s.size() > 1 && (s[1] == '/' || s[1] == '\\')) return "it starts with '//' or '/\\' (another host)";
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\') return "it contains a backslash";
    if (c < 0x20 || c == 0x7f) return "it contains a control character";
    if (c == ' ' && !decoded) return "it contains a space";
    // U+0080..U+009F (C1 controls) are 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9f &&
        static_cast<unsigned char>(s[i + 1]) >= 0x80)
      return "it contains a control character";
  }
  if (!is_valid_utf8(s)) return "it is not valid UTF-8";
  return nullptr;
}

// Why `target` is not safe, or an empty string when it is.
std::string why_unsafe(std::string_view target) {
  if (target.size() > kMaxRedirectBytes) return "it is longer than " + std::to_string(kMaxRedirectBytes) + " bytes";
  if (const char* why = unsafe_because(target, false)) return why;
  std::string current(target);
  for (int round = 0; round < kMaxRedirectDecodeRounds; ++round) {
    std::string next = percent_decode_lenient(current);
    if (next == current) return {};
    if (const char* why = unsafe_because(next, true)) return std::string("once percent-decoded, ") + why;
    current = std::move(next);
  }
  // Still changing after that many rounds: nobody encodes a path this deeply by accident.
  if (percent_decode_lenient(current) == current) return {};
  return "it is percent-encoded too many times over";
}

}  // namespace

Error safe_redirect(std::string_view target) {
  const std::string why = why_unsafe(target);
  if (why.empty()) return {};
  return Error(Status::unsafe_redirect, "the redirect target is not a safe relative path: " + why);
}

Error choose_redirect(std::string_view target, std::optional<std::string_view> fallback, std::string& out) {
  out.clear();
  if (fallback) {
    const std::string why = why_unsafe(*fallback);
    if (!why.empty()) return Error(Status::invalid_argument, "the fallback is not a safe relative path: " + why);
  }
  auto err = safe_redirect(target);
  if (!err) {
    out.assign(target);
    return {};
  }
  if (fallback) {
    out.assign(*fallback);
    return {};
  }
  return err;
}

}  // namespace oidcore::web
