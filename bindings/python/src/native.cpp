// oidcore for Python: pybind11 over the C ABI (oidcore.h) and nothing else. The GIL is
// released around every call into the library; results cross as tuples of plain values and
// JSON text, and the Python package turns status codes into exception classes in one place.
//
// Every call returns either
//   (None, value...)                                            on success, or
//   (code, message, detail, idp_error, idp_error_description)  on failure
// so no C++ exception is ever needed for an oidcore failure. Arguments arrive as std::string
// (pybind11 copies bytes or str into them before the GIL is released) or, for optional
// inputs, std::optional<std::string> (None = absent, which the C ABI spells NULL/0).
#include <oidcore.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace py = pybind11;

namespace {

using opt_str = std::optional<std::string>;

py::tuple failure(oidcore_status st, const oidcore_error& err) {
  return py::make_tuple(oidcore_status_name(st), std::string(err.message), err.detail, std::string(err.idp_error),
                        std::string(err.idp_error_description));
}

const char* ptr(const opt_str& s) { return s ? s->data() : nullptr; }
size_t len(const opt_str& s) { return s ? s->size() : 0; }

// A call that hands out a library-allocated string: runs it without the GIL and returns
// (None, bytes) or the failure tuple.
template <class F>
py::tuple string_call(F&& call) {
  char* out = nullptr;
  size_t out_len = 0;
  oidcore_error err{};
  oidcore_status st;
  {
    py::gil_scoped_release release;
    st = call(&out, &out_len, &err);
  }
  if (st != OIDCORE_OK) {
    oidcore_string_free(out);
    return failure(st, err);
  }
  std::unique_ptr<char, decltype(&oidcore_string_free)> owned(out, oidcore_string_free);
  return py::make_tuple(py::none(), py::bytes(out ? out : "", out ? out_len : 0));
}

// (None, claims, principal, alg, kid) on success, else the failure tuple; a request
// verification (`with_source`) adds the source: (None, claims, principal, alg, kid, source).
py::tuple result_outcome(oidcore_status st, oidcore_result* r, const oidcore_error& err, bool with_source = false) {
  std::unique_ptr<oidcore_result, decltype(&oidcore_result_free)> owned(r, oidcore_result_free);
  if (st != OIDCORE_OK) return failure(st, err);
  size_t n = 0;
  const char* claims = oidcore_result_claims(r, &n);
  py::str claims_s(claims, n);
  const char* principal = oidcore_result_principal(r, &n);
  py::object principal_o = principal ? py::object(py::str(principal, n)) : py::none();
  if (with_source)
    return py::make_tuple(py::none(), claims_s, principal_o, std::string(oidcore_result_alg(r)),
                          std::string(oidcore_result_kid(r)), std::string(oidcore_result_source(r)));
  return py::make_tuple(py::none(), claims_s, principal_o, std::string(oidcore_result_alg(r)),
                        std::string(oidcore_result_kid(r)));
}

template <class F>
py::tuple result_call(F&& call, bool with_source = false) {
  oidcore_result* r = nullptr;
  oidcore_error err{};
  oidcore_status st;
  {
    py::gil_scoped_release release;
    st = call(&r, &err);
  }
  return result_outcome(st, r, err, with_source);
}

class NativeStore;

class NativeVerifier {
 public:
  explicit NativeVerifier(const std::string& config) {
    if (oidcore_verifier_new(config.data(), config.size(), &v_, &err_) == OIDCORE_OK) err_ = oidcore_error{};
  }
  ~NativeVerifier() { oidcore_verifier_free(v_); }
  NativeVerifier(const NativeVerifier&) = delete;
  NativeVerifier& operator=(const NativeVerifier&) = delete;

  // Creation errors are reported, not thrown from C++, so Python picks the exception class.
  py::object creation_error() const {
    if (v_) return py::none();
    return failure(err_.status, err_);
  }

  py::tuple verify(const std::string& token, bool allow_fetch) const {
    return result_call([&](oidcore_result** r, oidcore_error* err) {
      return allow_fetch ? oidcore_verifier_verify(v_, token.data(), token.size(), r, err)
                         : oidcore_verifier_verify_cached(v_, token.data(), token.size(), r, err);
    });
  }

  py::tuple verify_nonce(const std::string& token, const std::string& nonce) const {
    return result_call([&](oidcore_result** r, oidcore_error* err) {
      return oidcore_verifier_verify_nonce(v_, token.data(), token.size(), nonce.data(), nonce.size(), r, err);
    });
  }

  // The request's verdict (oidcore_verifier_verify_request); the options JSON carries
  // "allow_fetch". (None, claims, principal, alg, kid, source) or the failure tuple.
  py::tuple verify_request(const opt_str& cookie, const opt_str& authorization, const opt_str& options) const {
    return result_call(
        [&](oidcore_result** r, oidcore_error* err) {
          return oidcore_verifier_verify_request(v_, ptr(cookie), len(cookie), ptr(authorization), len(authorization),
                                                 ptr(options), len(options), r, err);
        },
        true);
  }

  py::object refresh() const {
    oidcore_error err{};
    oidcore_status st;
    {
      py::gil_scoped_release release;
      st = oidcore_verifier_refresh(v_, &err);
    }
    if (st == OIDCORE_OK) return py::none();
    return failure(st, err);
  }

  py::tuple stats() const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) { return oidcore_verifier_stats(v_, out, n, err); });
  }

  // With the deny list's store (oidcore_verifier_new_with_store): defined after NativeStore.
  NativeVerifier(const std::string& config, const NativeStore& store);

  // (None, listed: bool) or the failure tuple; the GIL is released (store round trips).
  py::tuple deny(const std::string& token) const {
    int denied = 0;
    oidcore_error err{};
    oidcore_status st;
    {
      py::gil_scoped_release release;
      st = oidcore_verifier_deny(v_, token.data(), token.size(), &denied, &err);
    }
    if (st != OIDCORE_OK) return failure(st, err);
    return py::make_tuple(py::none(), denied != 0);
  }

 private:
  oidcore_verifier* v_ = nullptr;
  oidcore_error err_{};
};

// A store with its state and exchange-code operations. Every call releases the GIL.
class NativeStore {
 public:
  explicit NativeStore(const std::string& config) {
    if (oidcore_store_new(config.data(), config.size(), &store_, &err_) == OIDCORE_OK) err_ = oidcore_error{};
  }
  ~NativeStore() { oidcore_store_free(store_); }
  NativeStore(const NativeStore&) = delete;
  NativeStore& operator=(const NativeStore&) = delete;

  py::object creation_error() const {
    if (store_) return py::none();
    return failure(err_.status, err_);
  }

  oidcore_store* handle() const { return store_; }

  py::tuple state_create(const opt_str& options) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_state_create(store_, ptr(options), len(options), out, n, err);
    });
  }
  py::tuple state_consume(const std::string& state, const opt_str& binding) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_state_consume(store_, state.data(), state.size(), ptr(binding), len(binding), out, n, err);
    });
  }
  py::tuple code_create(const std::string& payload, const opt_str& options) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_exchange_code_create(store_, payload.data(), payload.size(), ptr(options), len(options), out, n,
                                          err);
    });
  }
  py::tuple code_redeem(const std::string& code, const opt_str& binding) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_exchange_code_redeem(store_, code.data(), code.size(), ptr(binding), len(binding), out, n, err);
    });
  }

 private:
  oidcore_store* store_ = nullptr;
  oidcore_error err_{};
};

NativeVerifier::NativeVerifier(const std::string& config, const NativeStore& store) {
  if (!store.handle()) {
    err_.status = OIDCORE_INVALID_ARGUMENT;
    return;
  }
  if (oidcore_verifier_new_with_store(config.data(), config.size(), store.handle(), &v_, &err_) == OIDCORE_OK)
    err_ = oidcore_error{};
}

// A relying party. The Python object keeps its store alive (py::keep_alive below, and the
// Python wrapper holds a reference too), as the C ABI requires.
class NativeRp {
 public:
  NativeRp(const std::string& config, const NativeStore& store) {
    if (!store.handle()) {
      err_.status = OIDCORE_INVALID_ARGUMENT;
      return;
    }
    if (oidcore_rp_new(config.data(), config.size(), store.handle(), &rp_, &err_) == OIDCORE_OK) err_ = oidcore_error{};
  }
  ~NativeRp() { oidcore_rp_free(rp_); }
  NativeRp(const NativeRp&) = delete;
  NativeRp& operator=(const NativeRp&) = delete;

  py::object creation_error() const {
    if (rp_) return py::none();
    return failure(err_.status, err_);
  }

  py::tuple begin_login(const opt_str& options) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_rp_begin_login(rp_, ptr(options), len(options), out, n, err);
    });
  }
  py::tuple complete_login(const std::string& callback, const opt_str& options) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_rp_complete_login(rp_, callback.data(), callback.size(), ptr(options), len(options), out, n, err);
    });
  }
  py::tuple refresh(const std::string& refresh_token) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_rp_refresh(rp_, refresh_token.data(), refresh_token.size(), out, n, err);
    });
  }
  py::tuple userinfo(const std::string& access_token) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_rp_userinfo(rp_, access_token.data(), access_token.size(), out, n, err);
    });
  }
  py::tuple revoke(const std::string& token, const opt_str& hint) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      *out = nullptr;
      *n = 0;
      return oidcore_rp_revoke(rp_, token.data(), token.size(), ptr(hint), len(hint), err);
    });
  }
  py::tuple logout_url(const opt_str& options) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_rp_logout_url(rp_, ptr(options), len(options), out, n, err);
    });
  }
  py::tuple logout(const opt_str& options) const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) {
      return oidcore_rp_logout(rp_, ptr(options), len(options), out, n, err);
    });
  }
  py::tuple verify_access_token(const std::string& token) const {
    return result_call([&](oidcore_result** r, oidcore_error* err) {
      return oidcore_rp_verify_access_token(rp_, token.data(), token.size(), r, err);
    });
  }
  // (None, bytes of [{"code","message"}...]) or the failure tuple.
  py::tuple warnings() const {
    return string_call([&](char** out, size_t* n, oidcore_error* err) { return oidcore_rp_warnings(rp_, out, n, err); });
  }
  py::tuple verify_request(const opt_str& cookie, const opt_str& authorization, const opt_str& options) const {
    return result_call(
        [&](oidcore_result** r, oidcore_error* err) {
          return oidcore_rp_verify_request(rp_, ptr(cookie), len(cookie), ptr(authorization), len(authorization),
                                           ptr(options), len(options), r, err);
        },
        true);
  }

 private:
  oidcore_rp* rp_ = nullptr;
  oidcore_error err_{};
};

// Web helpers: pure functions.
py::tuple cookie_parse(const opt_str& header) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_cookie_parse(ptr(header), len(header), out, n, err);
  });
}
py::tuple cookie_sign(const std::string& value, const std::string& secret) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_cookie_sign(value.data(), value.size(), secret.data(), secret.size(), out, n, err);
  });
}
py::tuple cookie_unsign(const std::string& signed_value, const std::string& secrets_json) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_cookie_unsign(signed_value.data(), signed_value.size(), secrets_json.data(), secrets_json.size(),
                                 out, n, err);
  });
}
py::tuple cookie_serialize(const std::string& name, const std::string& value, const opt_str& options) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_cookie_serialize(name.data(), name.size(), value.data(), value.size(), ptr(options), len(options),
                                    out, n, err);
  });
}
py::tuple cookie_clear(const std::string& name, const opt_str& options) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_cookie_clear(name.data(), name.size(), ptr(options), len(options), out, n, err);
  });
}
// (None, seconds) or the failure tuple. `now`: Unix seconds, 0 for the system clock.
py::tuple cookie_max_age_from_token(const std::string& token, int64_t now) {
  int64_t seconds = 0;
  oidcore_error err{};
  oidcore_status st;
  {
    py::gil_scoped_release release;
    st = oidcore_cookie_max_age_from_token(token.data(), token.size(), now, &seconds, &err);
  }
  if (st != OIDCORE_OK) return failure(st, err);
  return py::make_tuple(py::none(), seconds);
}
py::tuple safe_redirect(const std::string& target, const opt_str& fallback) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_safe_redirect(target.data(), target.size(), ptr(fallback), len(fallback), out, n, err);
  });
}
py::tuple extract_token(const opt_str& cookie, const opt_str& authorization, const opt_str& options) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_extract_token(ptr(cookie), len(cookie), ptr(authorization), len(authorization), ptr(options),
                                 len(options), out, n, err);
  });
}
py::tuple principal_from_claims(const std::string& claims, const opt_str& config) {
  return string_call([&](char** out, size_t* n, oidcore_error* err) {
    return oidcore_principal_from_claims(claims.data(), claims.size(), ptr(config), len(config), out, n, err);
  });
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "oidcore native layer (use the oidcore package)";
  m.attr("version") = oidcore_version();
  m.attr("crypto_version") = oidcore_crypto_version();
  // Every status's code, and those that mean a service could not be reached.
  py::list names, unavailable;
  for (int i = 0; i < OIDCORE_STATUS_COUNT; ++i) {
    const auto st = static_cast<oidcore_status>(i);
    names.append(oidcore_status_name(st));
    if (oidcore_status_is_unavailable(st)) unavailable.append(oidcore_status_name(st));
  }
  m.attr("status_names") = names;
  m.attr("unavailable_status_names") = unavailable;
  py::class_<NativeVerifier>(m, "NativeVerifier")
      .def(py::init<const std::string&>())
      .def(py::init<const std::string&, const NativeStore&>(), py::keep_alive<1, 3>(), py::arg("config"),
           py::arg("store"))
      .def("creation_error", &NativeVerifier::creation_error)
      .def("deny", &NativeVerifier::deny, py::arg("token"))
      .def("verify", &NativeVerifier::verify, py::arg("token"), py::arg("allow_fetch"))
      .def("verify_nonce", &NativeVerifier::verify_nonce, py::arg("token"), py::arg("nonce"))
      .def("verify_request", &NativeVerifier::verify_request, py::arg("cookie"), py::arg("authorization"),
           py::arg("options"))
      .def("refresh", &NativeVerifier::refresh)
      .def("stats", &NativeVerifier::stats);
  py::class_<NativeStore>(m, "NativeStore")
      .def(py::init<const std::string&>())
      .def("creation_error", &NativeStore::creation_error)
      .def("state_create", &NativeStore::state_create, py::arg("options"))
      .def("state_consume", &NativeStore::state_consume, py::arg("state"), py::arg("binding"))
      .def("code_create", &NativeStore::code_create, py::arg("payload"), py::arg("options"))
      .def("code_redeem", &NativeStore::code_redeem, py::arg("code"), py::arg("binding"));
  py::class_<NativeRp>(m, "NativeRp")
      .def(py::init<const std::string&, const NativeStore&>(), py::keep_alive<1, 3>(), py::arg("config"),
           py::arg("store"))
      .def("creation_error", &NativeRp::creation_error)
      .def("begin_login", &NativeRp::begin_login, py::arg("options"))
      .def("complete_login", &NativeRp::complete_login, py::arg("callback"), py::arg("options"))
      .def("refresh", &NativeRp::refresh, py::arg("refresh_token"))
      .def("userinfo", &NativeRp::userinfo, py::arg("access_token"))
      .def("revoke", &NativeRp::revoke, py::arg("token"), py::arg("hint"))
      .def("logout_url", &NativeRp::logout_url, py::arg("options"))
      .def("logout", &NativeRp::logout, py::arg("options"))
      .def("verify_access_token", &NativeRp::verify_access_token, py::arg("token"))
      .def("warnings", &NativeRp::warnings)
      .def("verify_request", &NativeRp::verify_request, py::arg("cookie"), py::arg("authorization"),
           py::arg("options"));
  m.def("cookie_parse", &cookie_parse, py::arg("header"));
  m.def("cookie_sign", &cookie_sign, py::arg("value"), py::arg("secret"));
  m.def("cookie_unsign", &cookie_unsign, py::arg("signed_value"), py::arg("secrets_json"));
  m.def("cookie_serialize", &cookie_serialize, py::arg("name"), py::arg("value"), py::arg("options"));
  m.def("cookie_clear", &cookie_clear, py::arg("name"), py::arg("options"));
  m.def("cookie_max_age_from_token", &cookie_max_age_from_token, py::arg("token"), py::arg("now"));
  m.def("safe_redirect", &safe_redirect, py::arg("target"), py::arg("fallback"));
  m.def("extract_token", &extract_token, py::arg("cookie"), py::arg("authorization"), py::arg("options"));
  m.def("principal_from_claims", &principal_from_claims, py::arg("claims"), py::arg("config"));
}
