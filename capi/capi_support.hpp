// Private helpers shared by the C ABI's translation units (oidcore.cpp, web.cpp): turning
// core errors into statuses, keeping exceptions from crossing into C, handing out strings.
// Not installed, not part of the ABI.
#pragma once

#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "oidcore.h"
#include "status.hpp"

namespace oidcore::capi {

// Fills `error` (when not NULL) from `e` and returns its status. Defined in oidcore.cpp.
oidcore_status report(oidcore_error* error, const oidcore::Error& e);
oidcore_status report(oidcore_error* error, oidcore::Status s, const char* msg);

inline oidcore_status ok(oidcore_error* error) { return report(error, oidcore::Error()); }

// Runs `body`, turning any escaping exception into a status.
template <class F>
oidcore_status guarded(oidcore_error* error, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return report(error, oidcore::Status::internal, "out of memory");
  } catch (const std::exception& e) {
    return report(error, oidcore::Error(oidcore::Status::internal, std::string("unexpected: ") + e.what()));
  } catch (...) {
    return report(error, oidcore::Status::internal, "unexpected failure");
  }
}

// A malloc'ed NUL-terminated copy (released with oidcore_string_free()).
inline char* copy_out(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

// Hands `s` out through (*out, *out_len) and reports success.
inline oidcore_status hand_out(const std::string& s, char** out, size_t* out_len, oidcore_error* error) {
  *out = copy_out(s);
  if (out_len) *out_len = s.size();
  return ok(error);
}

}  // namespace oidcore::capi
