// oidcore for Node: a thin N-API layer over the C ABI (oidcore.h) and nothing else.
// Results cross as plain values: a string (JSON text or a plain string, parsed on the JS
// side), [claims, principal, alg, kid] for a verification ([..., source] for a request
// verification), or {code, message, ...} for a failure; lib/ turns codes into OidcoreError.
// Verification with cached keys and the web helpers run on the calling thread; everything
// that may touch the network or a store runs on the libuv pool.
#include <napi.h>
#include <oidcore.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>

namespace {

// Room for a JS string's UTF-8 bytes and its terminator. A header or a token (up to 64 KiB
// of text) is copied in one pass: its length (in UTF-16 units, known without a scan) bounds
// its UTF-8 size (at most 3 bytes a unit). A longer string is measured first, so a huge one
// never costs three times its size.
bool utf8_room(napi_env env, napi_value v, size_t& room) {
  size_t units = 0;
  if (napi_get_value_string_latin1(env, v, nullptr, 0, &units) != napi_ok) return false;
  if (units <= 64 * 1024) {
    room = units * 3 + 1;
    return true;
  }
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &room) != napi_ok) return false;
  room += 1;
  return true;
}

// Bytes of a JS value: a string (UTF-8) or a Buffer/Uint8Array.
bool read_bytes(const Napi::Value& v, std::string& out) {
  if (v.IsString()) {
    size_t room = 0;
    if (!utf8_room(v.Env(), v, room)) return false;
    out.resize(room);
    size_t written = 0;
    if (napi_get_value_string_utf8(v.Env(), v, out.data(), out.size(), &written) != napi_ok) return false;
    out.resize(written);
    return true;
  }
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    auto arr = v.As<Napi::Uint8Array>();
    out.assign(reinterpret_cast<const char*>(arr.Data()), arr.ByteLength());
    return true;
  }
  return false;
}

// An optional byte argument: undefined/null (or a missing argument) is "absent", which
// crosses the ABI as (NULL, 0).
struct OptionalBytes {
  std::string bytes;
  bool present = false;
  const char* data() const { return present ? bytes.data() : nullptr; }
  size_t size() const { return present ? bytes.size() : 0; }
};

bool read_optional(const Napi::CallbackInfo& info, size_t i, OptionalBytes& out) {
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return true;
  out.present = read_bytes(info[i], out.bytes);
  return out.present;
}

// A JS string as a Napi::Value. Napi::Object::Set(name, value) with a Napi::String value goes
// through String::From, which reads the JS string back into a std::string (Napi::String
// converts to one) and makes a second JS string of it: every string set as a property here is
// made with this, once.
Napi::Value js_string(Napi::Env env, const char* s) { return Napi::String::New(env, s); }
Napi::Value js_string(Napi::Env env, const char* s, size_t n) { return Napi::String::New(env, s, n); }
Napi::Value js_string(Napi::Env env, const std::string& s) { return Napi::String::New(env, s); }

// Every failure crosses as {code, message} plus, when the core gave them, `detail` (an HTTP
// status) and the provider's `idpError` / `idpErrorDescription`.
Napi::Object error_object(Napi::Env env, oidcore_status status, const oidcore_error& err) {
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("code", js_string(env, oidcore_status_name(status)));
  obj.Set("message", js_string(env, err.message));
  if (err.detail != 0) obj.Set("detail", Napi::Number::New(env, static_cast<double>(err.detail)));
  if (err.idp_error[0] != '\0') obj.Set("idpError", js_string(env, err.idp_error));
  if (err.idp_error_description[0] != '\0')
    obj.Set("idpErrorDescription", js_string(env, err.idp_error_description));
  return obj;
}

oidcore_error empty_error() {
  oidcore_error e{};
  e.status = OIDCORE_OK;
  return e;
}

struct Outcome {
  oidcore_status status = OIDCORE_INTERNAL;
  oidcore_error err = empty_error();
  std::string claims, principal, alg, kid, source;
  bool has_principal = false;
};

void collect(oidcore_status st, oidcore_result* result, const oidcore_error& err, Outcome& out) {
  out.status = st;
  if (st == OIDCORE_OK && result != nullptr) {
    size_t len = 0;
    const char* c = oidcore_result_claims(result, &len);
    out.claims.assign(c ? c : "{}", c ? len : 2);
    const char* p = oidcore_result_principal(result, &len);
    out.has_principal = p != nullptr;
    if (p) out.principal.assign(p, len);
    const char* alg = oidcore_result_alg(result);
    const char* kid = oidcore_result_kid(result);
    const char* source = oidcore_result_source(result);
    out.alg = alg ? alg : "";
    out.kid = kid ? kid : "";
    out.source = source ? source : "";
  } else {
    if (st == OIDCORE_OK) out.status = OIDCORE_INTERNAL;  // never expected: OK without a result
    out.err = err;
  }
  oidcore_result_free(result);
}

// A verification's result crosses as an array, [claims, principal | null, alg, kid] plus
// the source of a request verification: elements, where named properties set from C++ cost
// V8 a key lookup and a map transition each (a fifth of a cached request verification).
Napi::Value result_array(Napi::Env env, Napi::Value claims, Napi::Value principal, const char* alg, const char* kid,
                         const char* source) {
  const bool has_source = source != nullptr && *source != '\0';  // request verifications
  Napi::Array arr = Napi::Array::New(env, has_source ? 5 : 4);
  arr.Set(uint32_t{0}, claims);
  arr.Set(uint32_t{1}, principal);
  arr.Set(uint32_t{2}, js_string(env, alg));
  arr.Set(uint32_t{3}, js_string(env, kid));
  if (has_source) arr.Set(uint32_t{4}, js_string(env, source));
  return arr;
}

Napi::Value to_js(Napi::Env env, const Outcome& o) {
  if (o.status != OIDCORE_OK) return error_object(env, o.status, o.err);
  return result_array(env, js_string(env, o.claims), o.has_principal ? js_string(env, o.principal) : env.Null(),
                      o.alg.c_str(), o.kid.c_str(), o.source.c_str());
}

// A verification on this thread: its result straight from the library's (freed here),
// without the copies the pool's workers need to carry it across threads.
Napi::Value result_now(Napi::Env env, oidcore_status st, oidcore_result* result, const oidcore_error& err) {
  struct Free {
    oidcore_result* r;
    ~Free() { oidcore_result_free(r); }
  } owned{result};
  if (st != OIDCORE_OK || result == nullptr) {
    if (st == OIDCORE_OK) st = OIDCORE_INTERNAL;  // never expected: OK without a result
    return error_object(env, st, err);
  }
  size_t len = 0;
  const char* c = oidcore_result_claims(result, &len);
  Napi::Value claims = c ? js_string(env, c, len) : js_string(env, "{}");
  const char* p = oidcore_result_principal(result, &len);
  Napi::Value principal = p ? js_string(env, p, len) : env.Null();
  const char* alg = oidcore_result_alg(result);
  const char* kid = oidcore_result_kid(result);
  return result_array(env, claims, principal, alg ? alg : "", kid ? kid : "", oidcore_result_source(result));
}

// A string handed out by the library as a JS string (freed here), or the failure object.
Napi::Value string_or_error(Napi::Env env, oidcore_status st, char* out, size_t len, const oidcore_error& err) {
  if (st != OIDCORE_OK) {
    oidcore_string_free(out);
    return error_object(env, st, err);
  }
  Napi::String s = Napi::String::New(env, out ? out : "", out ? len : 0);
  oidcore_string_free(out);
  return s;
}

constexpr const char* kRequestArgsError = "cookie, authorization and options must be strings, Uint8Arrays or null";

// The (cookie, authorization, optionsJson) arguments of a request verification, each a
// string, a Uint8Array or null/undefined (absent). False after throwing a TypeError.
struct RequestArgs {
  OptionalBytes cookie, authorization, options;
};

bool request_args(const Napi::CallbackInfo& info, RequestArgs& out) {
  if (!read_optional(info, 0, out.cookie) || !read_optional(info, 1, out.authorization) ||
      !read_optional(info, 2, out.options)) {
    Napi::TypeError::New(info.Env(), kRequestArgsError)
        .ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

// The same arguments for a call on the JS thread, borrowed: strings are written (as UTF-8)
// into buffers the wrapped object keeps between calls (no allocation, nothing zero-filled
// once they have grown), a Uint8Array is read in place. Valid until the call returns; only
// for calls that run no JS and return before anything else can use the buffers.
class ScratchBytes {
 public:
  // False when the value is neither a string nor a Uint8Array (undefined/null: absent).
  bool read(const Napi::Value& v) {
    present_ = false;
    if (v.IsUndefined() || v.IsNull()) return true;
    if (v.IsString()) {
      size_t room = 0;
      if (!utf8_room(v.Env(), v, room)) return false;
      if (capacity_ < room) {
        buffer_.reset(new char[room]);  // not zero-filled: only what is written is read
        capacity_ = room;
      }
      if (napi_get_value_string_utf8(v.Env(), v, buffer_.get(), capacity_, &size_) != napi_ok) return false;
      data_ = buffer_.get();
      present_ = true;
      return true;
    }
    if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
      auto arr = v.As<Napi::Uint8Array>();
      data_ = reinterpret_cast<const char*>(arr.Data());
      size_ = arr.ByteLength();
      present_ = true;
      return true;
    }
    return false;
  }
  const char* data() const { return present_ ? data_ : nullptr; }
  size_t size() const { return present_ ? size_ : 0; }

 private:
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool present_ = false;
};

struct ScratchRequestArgs {
  ScratchBytes cookie, authorization, options;

  bool read(const Napi::CallbackInfo& info) {
    auto arg = [&info](size_t i) { return i < info.Length() ? info[i] : info.Env().Undefined(); };
    if (!cookie.read(arg(0)) || !authorization.read(arg(1)) || !options.read(arg(2))) {
      Napi::TypeError::New(info.Env(), kRequestArgsError)
          .ThrowAsJavaScriptException();
      return false;
    }
    return true;
  }
};

// A method of a wrapped object set as an own function of its wrapper, bound to the C++ object
// through the function's data: a call skips napi_unwrap (a private-symbol lookup on the
// wrapper, over a quarter of the native call's time inside a busy server). The function holds
// its wrapper, so the C++ object lives as long as either.
template <typename T, Napi::Value (T::*Method)(const Napi::CallbackInfo&)>
Napi::Value bound_method(const Napi::CallbackInfo& info) {
  return (static_cast<T*>(info.Data())->*Method)(info);
}

template <typename T, Napi::Value (T::*Method)(const Napi::CallbackInfo&)>
void set_bound_method(T* self, const char* name) {
  Napi::Env env = self->Env();
  Napi::Object wrapper = self->Value();
  Napi::Function fn = Napi::Function::New<bound_method<T, Method>>(env, name, self);
  fn.Set("owner", wrapper);
  wrapper.Set(name, fn);
}

// Constructors take the configuration as one JSON string (built by the JS side).
bool config_argument(const Napi::CallbackInfo& info, std::string& out) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "configuration JSON string expected").ThrowAsJavaScriptException();
    return false;
  }
  out = info[0].As<Napi::String>().Utf8Value();
  return true;
}

// An Error carrying the stable code; lib/ rewraps it as an OidcoreError.
void throw_oidcore_error(Napi::Env env, const oidcore_error& err) {
  Napi::Error e = Napi::Error::New(env, err.message);
  e.Set("code", js_string(env, oidcore_status_name(err.status)));
  e.ThrowAsJavaScriptException();
}

void throw_type_error(Napi::Env env, const char* what) { Napi::TypeError::New(env, what).ThrowAsJavaScriptException(); }

// ---------------------------------------------------------------------------------------
// Work on the libuv pool. The arguments are copied into the worker (the "baton"); the JS
// object that owns the native handle is kept alive by a reference until the promise settles.

// A call handing out a verification result (oidcore_result).
class ResultWorker : public Napi::AsyncWorker {
 public:
  using Call = std::function<oidcore_status(oidcore_result**, oidcore_error*)>;
  ResultWorker(Napi::Env env, Napi::Object owner, Call call)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), call_(std::move(call)) {
    owner_.Reset(owner, 1);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    oidcore_error err = empty_error();
    oidcore_result* result = nullptr;
    const oidcore_status st = call_(&result, &err);
    collect(st, result, err, outcome_);
  }
  void OnOK() override {
    owner_.Reset();
    deferred_.Resolve(to_js(Env(), outcome_));
  }
  void OnError(const Napi::Error& e) override {
    owner_.Reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  Call call_;
  Outcome outcome_;
};

// A call handing out a string (JSON text, a URL, a code) or nothing.
class StringWorker : public Napi::AsyncWorker {
 public:
  using Call = std::function<oidcore_status(char**, size_t*, oidcore_error*)>;
  // `as_buffer`: hand the result out as a Buffer (payloads may hold any bytes).
  StringWorker(Napi::Env env, Napi::Object owner, Call call, bool as_buffer = false)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        call_(std::move(call)),
        as_buffer_(as_buffer) {
    owner_.Reset(owner, 1);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    char* out = nullptr;
    size_t len = 0;
    status_ = call_(&out, &len, &err_);
    if (out) result_.assign(out, len);
    oidcore_string_free(out);
  }
  void OnOK() override {
    owner_.Reset();
    Napi::Env env = Env();
    if (status_ != OIDCORE_OK) {
      deferred_.Resolve(error_object(env, status_, err_));
      return;
    }
    Napi::Object obj = Napi::Object::New(env);
    if (as_buffer_)
      obj.Set("value", Napi::Buffer<char>::Copy(env, result_.data(), result_.size()));
    else
      obj.Set("value", js_string(env, result_));
    deferred_.Resolve(obj);
  }
  void OnError(const Napi::Error& e) override {
    owner_.Reset();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  Call call_;
  bool as_buffer_;
  std::string result_;
  oidcore_status status_ = OIDCORE_INTERNAL;
  oidcore_error err_ = empty_error();
};

template <typename W, typename... A>
Napi::Value queue(Napi::Env env, Napi::Object owner, A&&... args) {
  auto* worker = new W(env, owner, std::forward<A>(args)...);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

// ---------------------------------------------------------------------------------------
// Verifier

class Verifier : public Napi::ObjectWrap<Verifier> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeVerifier",
                       {InstanceMethod<&Verifier::VerifyAsync>("verifyAsync"),
                        InstanceMethod<&Verifier::VerifyNonceAsync>("verifyNonceAsync"),
                        InstanceMethod<&Verifier::VerifyRequestAsync>("verifyRequestAsync"),
                        InstanceMethod<&Verifier::RefreshAsync>("refreshAsync"),
                        InstanceMethod<&Verifier::DenyAsync>("denyAsync"),
                        InstanceMethod<&Verifier::Stats>("stats")});
  }

  // new NativeVerifier(configJson[, nativeStore]): with a store, the deny list of ended
  // sessions is kept there ("deny_list": true). Throws {code, message} as an Error with .code.
  explicit Verifier(const Napi::CallbackInfo& info);
  ~Verifier() override {
    oidcore_verifier_free(verifier_);
    // store_ (the deny list's store) is released after the verifier.
  }

 private:
  // On this thread (verifyCached, verifyBlocking: own functions, set_bound_method), the
  // token read into a buffer this object keeps.
  Napi::Value Verify(const Napi::CallbackInfo& info, bool allow_fetch) {
    Napi::Env env = info.Env();
    ScratchBytes& token = token_scratch_;
    if (info.Length() < 1 || info[0].IsUndefined() || info[0].IsNull() || !token.read(info[0])) {
      throw_type_error(env, "token must be a string or a Uint8Array");
      return env.Undefined();
    }
    oidcore_error err = empty_error();
    oidcore_result* result = nullptr;
    const oidcore_status st =
        allow_fetch ? oidcore_verifier_verify(verifier_, token.data(), token.size(), &result, &err)
                    : oidcore_verifier_verify_cached(verifier_, token.data(), token.size(), &result, &err);
    return result_now(env, st, result, err);
  }
  // denyAsync(token): ends the token's session on the deny list, on the pool (it waits on
  // the store). Resolves to {value: "true" | "false"} (listed / nothing left to list).
  Napi::Value DenyAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string token;
    if (info.Length() < 1 || !read_bytes(info[0], token)) {
      throw_type_error(env, "token must be a string or a Uint8Array");
      return env.Undefined();
    }
    const oidcore_verifier* v = verifier_;
    return queue<StringWorker>(env, Value(), [v, token = std::move(token)](char** out, size_t* len, oidcore_error* err) {
      int denied = 0;
      const oidcore_status st = oidcore_verifier_deny(v, token.data(), token.size(), &denied, err);
      if (st != OIDCORE_OK) return st;
      const char* text = denied ? "true" : "false";
      *len = std::strlen(text);
      *out = static_cast<char*>(std::malloc(*len + 1));  // released with oidcore_string_free (free)
      if (!*out) return OIDCORE_INTERNAL;
      std::memcpy(*out, text, *len + 1);
      return OIDCORE_OK;
    });
  }

  Napi::Value VerifyCached(const Napi::CallbackInfo& info) { return Verify(info, false); }
  Napi::Value VerifyBlocking(const Napi::CallbackInfo& info) { return Verify(info, true); }

  Napi::Value VerifyAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string token;
    if (info.Length() < 1 || !read_bytes(info[0], token)) {
      throw_type_error(env, "token must be a string or a Uint8Array");
      return env.Undefined();
    }
    const oidcore_verifier* v = verifier_;
    return queue<ResultWorker>(env, Value(), [v, token = std::move(token)](oidcore_result** out, oidcore_error* err) {
      return oidcore_verifier_verify(v, token.data(), token.size(), out, err);
    });
  }

  // verifyNonceAsync(token, nonce): always on the pool (it may fetch keys).
  Napi::Value VerifyNonceAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string token, nonce;
    if (info.Length() < 2 || !read_bytes(info[0], token) || !read_bytes(info[1], nonce)) {
      throw_type_error(env, "token and nonce must be strings or Uint8Arrays");
      return env.Undefined();
    }
    const oidcore_verifier* v = verifier_;
    return queue<ResultWorker>(env, Value(),
                               [v, token = std::move(token), nonce = std::move(nonce)](oidcore_result** out,
                                                                                       oidcore_error* err) {
                                 return oidcore_verifier_verify_nonce(v, token.data(), token.size(), nonce.data(),
                                                                      nonce.size(), out, err);
                               });
  }

  // verifyRequestSync(cookie, authorization, optionsJson): on this thread. The JS side puts
  // "allow_fetch": false in the options, so it never waits on the network (needs_fetch).
  // Set as the wrapper's own function (set_bound_method), with the arguments borrowed.
  Napi::Value VerifyRequestSync(const Napi::CallbackInfo& info) {
    ScratchRequestArgs& a = scratch_;
    if (!a.read(info)) return info.Env().Undefined();
    oidcore_error err = empty_error();
    oidcore_result* result = nullptr;
    const oidcore_status st = oidcore_verifier_verify_request(
        verifier_, a.cookie.data(), a.cookie.size(), a.authorization.data(), a.authorization.size(), a.options.data(),
        a.options.size(), &result, &err);
    return result_now(info.Env(), st, result, err);
  }

  // verifyRequestAsync(cookie, authorization, optionsJson): the same on the libuv pool.
  Napi::Value VerifyRequestAsync(const Napi::CallbackInfo& info) {
    RequestArgs a;
    if (!request_args(info, a)) return info.Env().Undefined();
    const oidcore_verifier* v = verifier_;
    return queue<ResultWorker>(info.Env(), Value(), [v, a = std::move(a)](oidcore_result** out, oidcore_error* err) {
      return oidcore_verifier_verify_request(v, a.cookie.data(), a.cookie.size(), a.authorization.data(),
                                             a.authorization.size(), a.options.data(), a.options.size(), out, err);
    });
  }

  Napi::Value RefreshAsync(const Napi::CallbackInfo& info) {
    const oidcore_verifier* v = verifier_;
    return queue<StringWorker>(info.Env(), Value(), [v](char**, size_t*, oidcore_error* err) {
      return oidcore_verifier_refresh(v, err);
    });
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    char* out = nullptr;
    size_t len = 0;
    oidcore_error err = empty_error();
    const oidcore_status st = oidcore_verifier_stats(verifier_, &out, &len, &err);
    return string_or_error(info.Env(), st, out, len, err);
  }

  Napi::ObjectReference store_;  // the deny list's store, kept alive as long as the verifier
  oidcore_verifier* verifier_ = nullptr;
  ScratchRequestArgs scratch_;  // verifyRequestSync's arguments, on the JS thread
  ScratchBytes token_scratch_;  // verifyCached's and verifyBlocking's token, on the JS thread

  // The calls that run on the JS thread, as own functions of the wrapper (set_bound_method).
  void BindSyncMethods() {
    set_bound_method<Verifier, &Verifier::VerifyCached>(this, "verifyCached");
    set_bound_method<Verifier, &Verifier::VerifyBlocking>(this, "verifyBlocking");
    set_bound_method<Verifier, &Verifier::VerifyRequestSync>(this, "verifyRequestSync");
  }
};

// ---------------------------------------------------------------------------------------
// Stores: every store call is asynchronous, whether the store is in memory or across the
// network.

const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.data(); }

using StoreCall = oidcore_status (*)(oidcore_store*, const std::string&, const std::string&, char**, size_t*,
                                     oidcore_error*);

oidcore_status state_create(oidcore_store* st, const std::string& options, const std::string&, char** out, size_t* len,
                            oidcore_error* err) {
  return oidcore_state_create(st, or_null(options), options.size(), out, len, err);
}
oidcore_status state_consume(oidcore_store* st, const std::string& state, const std::string& binding, char** out,
                             size_t* len, oidcore_error* err) {
  return oidcore_state_consume(st, state.data(), state.size(), or_null(binding), binding.size(), out, len, err);
}
oidcore_status code_create(oidcore_store* st, const std::string& payload, const std::string& options, char** out,
                           size_t* len, oidcore_error* err) {
  return oidcore_exchange_code_create(st, payload.data(), payload.size(), or_null(options), options.size(), out, len,
                                      err);
}
oidcore_status code_redeem(oidcore_store* st, const std::string& code, const std::string& binding, char** out,
                           size_t* len, oidcore_error* err) {
  return oidcore_exchange_code_redeem(st, code.data(), code.size(), or_null(binding), binding.size(), out, len, err);
}

// Per-addon-instance data: the constructors, for type checks across classes.
struct AddonData {
  Napi::FunctionReference store_ctor;
};

class Store : public Napi::ObjectWrap<Store> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeStore",
                       {InstanceMethod<&Store::Call<state_create>>("stateCreate"),
                        InstanceMethod<&Store::Call<state_consume>>("stateConsume"),
                        InstanceMethod<&Store::Call<code_create>>("codeCreate"),
                        InstanceMethod<&Store::Call<code_redeem>>("codeRedeem")});
  }
  explicit Store(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Store>(info) {
    std::string config;
    if (!config_argument(info, config)) return;
    oidcore_error err = empty_error();
    if (oidcore_store_new(config.data(), config.size(), &store_, &err) != OIDCORE_OK)
      throw_oidcore_error(info.Env(), err);
  }
  ~Store() override { oidcore_store_free(store_); }

  // The store behind a JS value, or nullptr when it is not a NativeStore.
  static Store* From(Napi::Env env, const Napi::Value& v) {
    auto* data = env.GetInstanceData<AddonData>();
    if (!data || !v.IsObject() || !v.As<Napi::Object>().InstanceOf(data->store_ctor.Value())) return nullptr;
    return Store::Unwrap(v.As<Napi::Object>());
  }
  oidcore_store* handle() const { return store_; }

 private:
  // (a, b): two byte strings (the JS side validates and encodes them). Results are Buffers.
  template <StoreCall F>
  Napi::Value Call(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string a, b;
    if (info.Length() < 2 || !read_bytes(info[0], a) || !read_bytes(info[1], b)) {
      throw_type_error(env, "two strings or Uint8Arrays expected");
      return env.Undefined();
    }
    oidcore_store* s = store_;
    return queue<StringWorker>(
        env, Value(),
        [s, a = std::move(a), b = std::move(b)](char** out, size_t* len, oidcore_error* err) {
          return F(s, a, b, out, len, err);
        },
        true);
  }
  oidcore_store* store_ = nullptr;
};

Verifier::Verifier(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Verifier>(info) {
  Napi::Env env = info.Env();
  std::string config;
  if (!config_argument(info, config)) return;
  oidcore_error err = empty_error();
  const bool with_store = info.Length() >= 2 && !info[1].IsUndefined() && !info[1].IsNull();
  Store* store = with_store ? Store::From(env, info[1]) : nullptr;
  if (with_store && !store) {
    throw_type_error(env, "a NativeStore expected");
    return;
  }
  const oidcore_status st =
      store ? oidcore_verifier_new_with_store(config.data(), config.size(), store->handle(), &verifier_, &err)
            : oidcore_verifier_new(config.data(), config.size(), &verifier_, &err);
  if (st != OIDCORE_OK) {
    throw_oidcore_error(env, err);
    return;
  }
  if (store) store_.Reset(info[1].As<Napi::Object>(), 1);
  BindSyncMethods();
}

// ---------------------------------------------------------------------------------------
// Relying party: every call may wait on the provider (the first one fetches discovery), so
// every call runs on the libuv pool.

class RelyingParty : public Napi::ObjectWrap<RelyingParty> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeRelyingParty",
                       {InstanceMethod<&RelyingParty::BeginLogin>("beginLogin"),
                        InstanceMethod<&RelyingParty::CompleteLogin>("completeLogin"),
                        InstanceMethod<&RelyingParty::Refresh>("refresh"),
                        InstanceMethod<&RelyingParty::Userinfo>("userinfo"),
                        InstanceMethod<&RelyingParty::Revoke>("revoke"),
                        InstanceMethod<&RelyingParty::LogoutUrl>("logoutUrl"),
                        InstanceMethod<&RelyingParty::Logout>("logout"),
                        InstanceMethod<&RelyingParty::VerifyAccessToken>("verifyAccessToken"),
                        InstanceMethod<&RelyingParty::VerifyRequestAsync>("verifyRequestAsync"),
                        InstanceMethod<&RelyingParty::Warnings>("warnings")});
  }

  // new NativeRelyingParty(configJson, nativeStore). The store must outlive the relying
  // party: this object holds a strong reference to it.
  explicit RelyingParty(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RelyingParty>(info) {
    Napi::Env env = info.Env();
    std::string config;
    if (!config_argument(info, config)) return;
    Store* store = info.Length() >= 2 ? Store::From(env, info[1]) : nullptr;
    if (!store) {
      throw_type_error(env, "a NativeStore expected");
      return;
    }
    oidcore_error err = empty_error();
    if (oidcore_rp_new(config.data(), config.size(), store->handle(), &rp_, &err) != OIDCORE_OK) {
      throw_oidcore_error(env, err);
      return;
    }
    store_.Reset(info[1].As<Napi::Object>(), 1);
    set_bound_method<RelyingParty, &RelyingParty::VerifyRequestSync>(this, "verifyRequestSync");
  }
  ~RelyingParty() override {
    oidcore_rp_free(rp_);
    rp_ = nullptr;
    // store_ is released after the relying party (member destruction follows this body).
  }

 private:
  using StringCall = StringWorker::Call;

  // Reads `count` byte arguments, each a string/Uint8Array, or absent when `optional`.
  bool args(const Napi::CallbackInfo& info, std::initializer_list<std::pair<OptionalBytes*, bool>> wanted) {
    size_t i = 0;
    for (auto [slot, optional] : wanted) {
      const bool ok = read_optional(info, i, *slot);
      if (!ok || (!optional && !slot->present)) {
        throw_type_error(info.Env(), "string or Uint8Array arguments expected");
        return false;
      }
      ++i;
    }
    return true;
  }

  Napi::Value Run(const Napi::CallbackInfo& info, StringCall call) {
    return queue<StringWorker>(info.Env(), Value(), std::move(call));
  }

  // beginLogin(optionsJson | null)
  Napi::Value BeginLogin(const Napi::CallbackInfo& info) {
    OptionalBytes options;
    if (!args(info, {{&options, true}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, options = std::move(options)](char** out, size_t* len, oidcore_error* err) {
      return oidcore_rp_begin_login(rp, options.data(), options.size(), out, len, err);
    });
  }

  // completeLogin(callback, optionsJson | null)
  Napi::Value CompleteLogin(const Napi::CallbackInfo& info) {
    OptionalBytes callback, options;
    if (!args(info, {{&callback, false}, {&options, true}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, callback = std::move(callback), options = std::move(options)](char** out, size_t* len,
                                                                                         oidcore_error* err) {
      return oidcore_rp_complete_login(rp, callback.data(), callback.size(), options.data(), options.size(), out, len,
                                       err);
    });
  }

  // refresh(refreshToken)
  Napi::Value Refresh(const Napi::CallbackInfo& info) {
    OptionalBytes token;
    if (!args(info, {{&token, false}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, token = std::move(token)](char** out, size_t* len, oidcore_error* err) {
      return oidcore_rp_refresh(rp, token.data(), token.size(), out, len, err);
    });
  }

  // userinfo(accessToken)
  Napi::Value Userinfo(const Napi::CallbackInfo& info) {
    OptionalBytes token;
    if (!args(info, {{&token, false}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, token = std::move(token)](char** out, size_t* len, oidcore_error* err) {
      return oidcore_rp_userinfo(rp, token.data(), token.size(), out, len, err);
    });
  }

  // revoke(token, tokenTypeHint | null)
  Napi::Value Revoke(const Napi::CallbackInfo& info) {
    OptionalBytes token, hint;
    if (!args(info, {{&token, false}, {&hint, true}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, token = std::move(token), hint = std::move(hint)](char**, size_t*, oidcore_error* err) {
      return oidcore_rp_revoke(rp, token.data(), token.size(), hint.data(), hint.size(), err);
    });
  }

  // logoutUrl(optionsJson | null)
  Napi::Value LogoutUrl(const Napi::CallbackInfo& info) {
    OptionalBytes options;
    if (!args(info, {{&options, true}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, options = std::move(options)](char** out, size_t* len, oidcore_error* err) {
      return oidcore_rp_logout_url(rp, options.data(), options.size(), out, len, err);
    });
  }

  // logout(optionsJson | null): oidcore_rp_logout's JSON outcome.
  Napi::Value Logout(const Napi::CallbackInfo& info) {
    OptionalBytes options;
    if (!args(info, {{&options, true}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return Run(info, [rp, options = std::move(options)](char** out, size_t* len, oidcore_error* err) {
      return oidcore_rp_logout(rp, options.data(), options.size(), out, len, err);
    });
  }

  // verifyAccessToken(token)
  Napi::Value VerifyAccessToken(const Napi::CallbackInfo& info) {
    OptionalBytes token;
    if (!args(info, {{&token, false}})) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return queue<ResultWorker>(info.Env(), Value(),
                               [rp, token = std::move(token)](oidcore_result** out, oidcore_error* err) {
                                 return oidcore_rp_verify_access_token(rp, token.data(), token.size(), out, err);
                               });
  }

  // verifyRequestSync(cookie, authorization, optionsJson): on this thread, for options with
  // "allow_fetch": false (the provider's metadata and keys from memory, or needs_fetch).
  // Set as the wrapper's own function (set_bound_method), with the arguments borrowed.
  Napi::Value VerifyRequestSync(const Napi::CallbackInfo& info) {
    ScratchRequestArgs& a = scratch_;
    if (!a.read(info)) return info.Env().Undefined();
    oidcore_error err = empty_error();
    oidcore_result* result = nullptr;
    const oidcore_status st =
        oidcore_rp_verify_request(rp_, a.cookie.data(), a.cookie.size(), a.authorization.data(), a.authorization.size(),
                                  a.options.data(), a.options.size(), &result, &err);
    return result_now(info.Env(), st, result, err);
  }

  // verifyRequestAsync(cookie, authorization, optionsJson): on the libuv pool.
  Napi::Value VerifyRequestAsync(const Napi::CallbackInfo& info) {
    RequestArgs a;
    if (!request_args(info, a)) return info.Env().Undefined();
    oidcore_rp* rp = rp_;
    return queue<ResultWorker>(info.Env(), Value(), [rp, a = std::move(a)](oidcore_result** out, oidcore_error* err) {
      return oidcore_rp_verify_request(rp, a.cookie.data(), a.cookie.size(), a.authorization.data(),
                                       a.authorization.size(), a.options.data(), a.options.size(), out, err);
    });
  }

  // The configuration's warnings as JSON text ([{"code","message"}...]), synchronously.
  Napi::Value Warnings(const Napi::CallbackInfo& info) {
    char* out = nullptr;
    size_t len = 0;
    oidcore_error err = empty_error();
    const oidcore_status st = oidcore_rp_warnings(rp_, &out, &len, &err);
    return string_or_error(info.Env(), st, out, len, err);
  }

  Napi::ObjectReference store_;
  oidcore_rp* rp_ = nullptr;
  ScratchRequestArgs scratch_;  // verifyRequestSync's arguments, on the JS thread
};

// ---------------------------------------------------------------------------------------
// Web helpers: pure functions, called synchronously. Each returns the library's string, or
// {code, message} on failure. Arguments: strings or Uint8Arrays; undefined/null = absent.

template <size_t N>
bool web_args(const Napi::CallbackInfo& info, OptionalBytes (&a)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (!read_optional(info, i, a[i])) {
      throw_type_error(info.Env(), "string, Uint8Array, null or undefined arguments expected");
      return false;
    }
  }
  return true;
}

template <size_t N, typename F>
Napi::Value web_call(const Napi::CallbackInfo& info, F&& f) {
  OptionalBytes a[N];
  if (!web_args(info, a)) return info.Env().Undefined();
  char* out = nullptr;
  size_t len = 0;
  oidcore_error err = empty_error();
  const oidcore_status st = f(a, &out, &len, &err);
  return string_or_error(info.Env(), st, out, len, err);
}

Napi::Value CookieParse(const Napi::CallbackInfo& info) {
  return web_call<1>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_cookie_parse(a[0].data(), a[0].size(), out, len, err);
  });
}

Napi::Value CookieSign(const Napi::CallbackInfo& info) {
  return web_call<2>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_cookie_sign(a[0].data(), a[0].size(), a[1].data(), a[1].size(), out, len, err);
  });
}

Napi::Value CookieUnsign(const Napi::CallbackInfo& info) {
  return web_call<2>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_cookie_unsign(a[0].data(), a[0].size(), a[1].data(), a[1].size(), out, len, err);
  });
}

Napi::Value CookieSerialize(const Napi::CallbackInfo& info) {
  return web_call<3>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_cookie_serialize(a[0].data(), a[0].size(), a[1].data(), a[1].size(), a[2].data(), a[2].size(), out,
                                    len, err);
  });
}

// cookieMaxAgeFromToken(token, now): the seconds as a Number, or {code, message}. `now`:
// Unix seconds, 0 for the system clock.
Napi::Value CookieMaxAgeFromToken(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string token;
  if (info.Length() < 2 || !read_bytes(info[0], token) || !info[1].IsNumber()) {
    throw_type_error(env, "a token and a number expected");
    return env.Undefined();
  }
  const double now = info[1].As<Napi::Number>().DoubleValue();
  if (!(now >= 0 && now <= 9007199254740991.0)) {
    throw_type_error(env, "now must be Unix seconds");
    return env.Undefined();
  }
  int64_t seconds = 0;
  oidcore_error err = empty_error();
  const oidcore_status st =
      oidcore_cookie_max_age_from_token(token.data(), token.size(), static_cast<int64_t>(now), &seconds, &err);
  if (st != OIDCORE_OK) return error_object(env, st, err);
  return Napi::Number::New(env, static_cast<double>(seconds));
}

Napi::Value CookieClear(const Napi::CallbackInfo& info) {
  return web_call<2>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_cookie_clear(a[0].data(), a[0].size(), a[1].data(), a[1].size(), out, len, err);
  });
}

Napi::Value SafeRedirect(const Napi::CallbackInfo& info) {
  return web_call<2>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_safe_redirect(a[0].data(), a[0].size(), a[1].data(), a[1].size(), out, len, err);
  });
}

Napi::Value ExtractToken(const Napi::CallbackInfo& info) {
  return web_call<3>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_extract_token(a[0].data(), a[0].size(), a[1].data(), a[1].size(), a[2].data(), a[2].size(), out,
                                 len, err);
  });
}

Napi::Value PrincipalFromClaims(const Napi::CallbackInfo& info) {
  return web_call<2>(info, [](OptionalBytes* a, char** out, size_t* len, oidcore_error* err) {
    return oidcore_principal_from_claims(a[0].data(), a[0].size(), a[1].data(), a[1].size(), out, len, err);
  });
}

Napi::Value Version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), oidcore_version()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  Napi::Function store = Store::Init(env);
  data->store_ctor = Napi::Persistent(store);

  exports.Set("NativeVerifier", Verifier::Init(env));
  exports.Set("NativeStore", store);
  exports.Set("NativeRelyingParty", RelyingParty::Init(env));
  exports.Set("cookieParse", Napi::Function::New(env, CookieParse));
  exports.Set("cookieSign", Napi::Function::New(env, CookieSign));
  exports.Set("cookieUnsign", Napi::Function::New(env, CookieUnsign));
  exports.Set("cookieSerialize", Napi::Function::New(env, CookieSerialize));
  exports.Set("cookieClear", Napi::Function::New(env, CookieClear));
  exports.Set("cookieMaxAgeFromToken", Napi::Function::New(env, CookieMaxAgeFromToken));
  exports.Set("safeRedirect", Napi::Function::New(env, SafeRedirect));
  exports.Set("extractToken", Napi::Function::New(env, ExtractToken));
  exports.Set("principalFromClaims", Napi::Function::New(env, PrincipalFromClaims));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("cryptoVersion", js_string(env, oidcore_crypto_version()));
  // Every status's code, and those that mean a service could not be reached.
  Napi::Array names = Napi::Array::New(env);
  Napi::Array unavailable = Napi::Array::New(env);
  for (int i = 0; i < OIDCORE_STATUS_COUNT; ++i) {
    const auto st = static_cast<oidcore_status>(i);
    Napi::Value name = js_string(env, oidcore_status_name(st));
    names.Set(static_cast<uint32_t>(i), name);
    if (oidcore_status_is_unavailable(st)) unavailable.Set(unavailable.Length(), name);
  }
  exports.Set("statusNames", names);
  exports.Set("unavailableStatusNames", unavailable);
  return exports;
}

}  // namespace

NODE_API_MODULE(oidcore, Init)
