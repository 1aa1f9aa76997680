// oidcore for Python: pybind11 over the C ABI (oidcore.h) and nothing else. The GIL is
// released around every call into the library; results cross as (status, JSON text) and
// the Python package turns status codes into exception classes in one place.
#include <oidcore.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

namespace py = pybind11;

namespace {

// (code, message) of a failure, or (None, claims, principal, alg, kid) on success.
py::tuple outcome(oidcore_status st, oidcore_result* r, const oidcore_error& err) {
  std::unique_ptr<oidcore_result, decltype(&oidcore_result_free)> owned(r, oidcore_result_free);
  if (st != OIDCORE_OK) return py::make_tuple(oidcore_status_name(st), std::string(err.message));
  size_t len = 0;
  const char* claims = oidcore_result_claims(r, &len);
  py::str claims_s(claims, len);
  const char* principal = oidcore_result_principal(r, &len);
  py::object principal_o = principal ? py::object(py::str(principal, len)) : py::none();
  return py::make_tuple(py::none(), claims_s, principal_o, std::string(oidcore_result_alg(r)),
                        std::string(oidcore_result_kid(r)));
}

class NativeVerifier {
 public:
  explicit NativeVerifier(const std::string& config) {
    oidcore_error err;
    if (oidcore_verifier_new(config.data(), config.size(), &v_, &err) != OIDCORE_OK) {
      throw_code_ = oidcore_status_name(err.status);
      throw_message_ = err.message;
    }
  }
  ~NativeVerifier() { oidcore_verifier_free(v_); }

  // Creation errors are reported, not thrown from C++, so Python picks the exception class.
  py::object creation_error() const {
    if (v_) return py::none();
    return py::make_tuple(throw_code_, throw_message_);
  }

  py::tuple verify(py::bytes token, bool allow_fetch) const {
    char* data = nullptr;
    Py_ssize_t len = 0;
    if (PyBytes_AsStringAndSize(token.ptr(), &data, &len) != 0) throw py::error_already_set();
    std::string copy(data, static_cast<size_t>(len));  // the GIL goes: own the bytes
    oidcore_error err;
    oidcore_result* r = nullptr;
    oidcore_status st;
    {
      py::gil_scoped_release release;
      st = allow_fetch ? oidcore_verifier_verify(v_, copy.data(), copy.size(), &r, &err)
                       : oidcore_verifier_verify_cached(v_, copy.data(), copy.size(), &r, &err);
    }
    return outcome(st, r, err);
  }

  py::object refresh() const {
    oidcore_error err;
    oidcore_status st;
    {
      py::gil_scoped_release release;
      st = oidcore_verifier_refresh(v_, &err);
    }
    if (st == OIDCORE_OK) return py::none();
    return py::make_tuple(oidcore_status_name(st), std::string(err.message));
  }

  py::str stats() const {
    char* out = nullptr;
    size_t len = 0;
    oidcore_error err;
    if (oidcore_verifier_stats(v_, &out, &len, &err) != OIDCORE_OK) throw std::runtime_error(err.message);
    py::str s(out, len);
    oidcore_string_free(out);
    return s;
  }

 private:
  oidcore_verifier* v_ = nullptr;
  std::string throw_code_, throw_message_;
};

// A store with its state and exchange-code operations. Every call releases the GIL.
class NativeStore {
 public:
  explicit NativeStore(const std::string& config) {
    oidcore_error err;
    if (oidcore_store_new(config.data(), config.size(), &store_, &err) != OIDCORE_OK) {
      code_ = oidcore_status_name(err.status);
      message_ = err.message;
    }
  }
  ~NativeStore() { oidcore_store_free(store_); }

  py::object creation_error() const {
    if (store_) return py::none();
    return py::make_tuple(code_, message_);
  }

  // Each returns (None, bytes) on success or (code, message).
  py::tuple state_create(const std::string& options) const {
    return run([&](char** out, size_t* len, oidcore_error* err) {
      return oidcore_state_create(store_, options.empty() ? nullptr : options.data(), options.size(), out, len, err);
    });
  }
  py::tuple state_consume(const std::string& state, const std::string& binding) const {
    return run([&](char** out, size_t* len, oidcore_error* err) {
      return oidcore_state_consume(store_, state.data(), state.size(), binding.empty() ? nullptr : binding.data(),
                                   binding.size(), out, len, err);
    });
  }
  py::tuple code_create(const std::string& payload, const std::string& options) const {
    return run([&](char** out, size_t* len, oidcore_error* err) {
      return oidcore_exchange_code_create(store_, payload.data(), payload.size(),
                                          options.empty() ? nullptr : options.data(), options.size(), out, len, err);
    });
  }
  py::tuple code_redeem(const std::string& code, const std::string& binding) const {
    return run([&](char** out, size_t* len, oidcore_error* err) {
      return oidcore_exchange_code_redeem(store_, code.data(), code.size(), binding.empty() ? nullptr : binding.data(),
                                          binding.size(), out, len, err);
    });
  }

 private:
  template <class F>
  py::tuple run(F&& call) const {
    char* out = nullptr;
    size_t len = 0;
    oidcore_error err;
    oidcore_status st;
    {
      py::gil_scoped_release release;
      st = call(&out, &len, &err);
    }
    if (st != OIDCORE_OK) return py::make_tuple(oidcore_status_name(st), std::string(err.message));
    py::bytes value(out, len);
    oidcore_string_free(out);
    return py::make_tuple(py::none(), value);
  }

  oidcore_store* store_ = nullptr;
  std::string code_, message_;
};

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "oidcore native layer (use the oidcore package)";
  m.attr("version") = oidcore_version();
  py::list names;
  for (int i = 0; i < OIDCORE_STATUS_COUNT; ++i) names.append(oidcore_status_name(static_cast<oidcore_status>(i)));
  m.attr("status_names") = names;
  py::class_<NativeVerifier>(m, "NativeVerifier")
      .def(py::init<const std::string&>())
      .def("creation_error", &NativeVerifier::creation_error)
      .def("verify", &NativeVerifier::verify, py::arg("token"), py::arg("allow_fetch"))
      .def("refresh", &NativeVerifier::refresh)
      .def("stats", &NativeVerifier::stats);
  // std::string arguments are copied from Python before the GIL is released.
  py::class_<NativeStore>(m, "NativeStore")
      .def(py::init<const std::string&>())
      .def("creation_error", &NativeStore::creation_error)
      .def("state_create", &NativeStore::state_create)
      .def("state_consume", &NativeStore::state_consume)
      .def("code_create", &NativeStore::code_create)
      .def("code_redeem", &NativeStore::code_redeem);
}
