// oidcore for Node: a thin N-API layer over the C ABI (oidcore.h) and nothing else.
// Results cross as plain objects {code, message} or {claims, principal, alg, kid} (JSON
// text, parsed on the JS side); lib/ turns codes into OidcoreError. Verification with
// cached keys runs on the calling thread; only a key fetch goes to the libuv pool.
#include <napi.h>
#include <oidcore.h>

#include <string>

namespace {

// The token as bytes: a JS string (UTF-8) or a Buffer/Uint8Array.
bool read_bytes(const Napi::Value& v, std::string& out) {
  if (v.IsString()) {
    out = v.As<Napi::String>().Utf8Value();
    return true;
  }
  if (v.IsTypedArray()) {
    auto arr = v.As<Napi::Uint8Array>();
    out.assign(reinterpret_cast<const char*>(arr.Data()), arr.ByteLength());
    return true;
  }
  return false;
}

struct Outcome {
  oidcore_status status = OIDCORE_INTERNAL;
  std::string message, claims, principal, alg, kid;
  bool has_principal = false;
};

void collect(oidcore_status st, oidcore_result* result, const oidcore_error& err, Outcome& out) {
  out.status = st;
  if (st == OIDCORE_OK) {
    size_t len = 0;
    const char* c = oidcore_result_claims(result, &len);
    out.claims.assign(c, len);
    const char* p = oidcore_result_principal(result, &len);
    out.has_principal = p != nullptr;
    if (p) out.principal.assign(p, len);
    out.alg = oidcore_result_alg(result);
    out.kid = oidcore_result_kid(result);
  } else {
    out.message = err.message;
  }
  oidcore_result_free(result);
}

Napi::Object to_js(Napi::Env env, const Outcome& o) {
  Napi::Object obj = Napi::Object::New(env);
  if (o.status == OIDCORE_OK) {
    obj.Set("claims", Napi::String::New(env, o.claims));
    obj.Set("principal", o.has_principal ? Napi::Value(Napi::String::New(env, o.principal)) : env.Null());
    obj.Set("alg", Napi::String::New(env, o.alg));
    obj.Set("kid", Napi::String::New(env, o.kid));
  } else {
    obj.Set("code", Napi::String::New(env, oidcore_status_name(o.status)));
    obj.Set("message", Napi::String::New(env, o.message));
  }
  return obj;
}

Napi::Object error_object(Napi::Env env, const oidcore_error& err) {
  Napi::Object obj = Napi::Object::New(env);
  obj.Set("code", Napi::String::New(env, oidcore_status_name(err.status)));
  obj.Set("message", Napi::String::New(env, err.message));
  return obj;
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
  e.Set("code", Napi::String::New(env, oidcore_status_name(err.status)));
  e.ThrowAsJavaScriptException();
}

class Verifier;

// Runs the blocking verification (which may fetch keys) on the libuv pool. The token is
// copied into the worker (the "baton"); the verifier is kept alive by a reference.
class VerifyWorker : public Napi::AsyncWorker {
 public:
  VerifyWorker(Napi::Env env, Napi::Object owner, const oidcore_verifier* v, std::string token)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), verifier_(v), token_(std::move(token)) {
    owner_.Reset(owner, 1);
  }
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    oidcore_error err;
    oidcore_result* result = nullptr;
    const oidcore_status st = oidcore_verifier_verify(verifier_, token_.data(), token_.size(), &result, &err);
    collect(st, result, err, outcome_);
  }
  void OnOK() override {
    owner_.Reset();
    deferred_.Resolve(to_js(Env(), outcome_));
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  const oidcore_verifier* verifier_;
  std::string token_;
  Outcome outcome_;
};

class RefreshWorker : public Napi::AsyncWorker {
 public:
  RefreshWorker(Napi::Env env, Napi::Object owner, const oidcore_verifier* v)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), verifier_(v) {
    owner_.Reset(owner, 1);
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override { status_ = oidcore_verifier_refresh(verifier_, &err_); }
  void OnOK() override {
    owner_.Reset();
    deferred_.Resolve(status_ == OIDCORE_OK ? Env().Null() : Napi::Value(error_object(Env(), err_)));
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  const oidcore_verifier* verifier_;
  oidcore_status status_ = OIDCORE_INTERNAL;
  oidcore_error err_{};
};

class Verifier : public Napi::ObjectWrap<Verifier> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "NativeVerifier",
                       {InstanceMethod<&Verifier::VerifyCached>("verifyCached"),
                        InstanceMethod<&Verifier::VerifyBlocking>("verifyBlocking"),
                        InstanceMethod<&Verifier::VerifyAsync>("verifyAsync"),
                        InstanceMethod<&Verifier::RefreshAsync>("refreshAsync"),
                        InstanceMethod<&Verifier::Stats>("stats")});
  }

  // new NativeVerifier(configJson): throws {code, message} as an Error with .code.
  explicit Verifier(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Verifier>(info) {
    std::string config;
    if (!config_argument(info, config)) return;
    oidcore_error err;
    if (oidcore_verifier_new(config.data(), config.size(), &verifier_, &err) != OIDCORE_OK)
      throw_oidcore_error(info.Env(), err);
  }
  ~Verifier() override { oidcore_verifier_free(verifier_); }

 private:
  Napi::Value Verify(const Napi::CallbackInfo& info, bool allow_fetch) {
    Napi::Env env = info.Env();
    std::string token;
    if (info.Length() < 1 || !read_bytes(info[0], token)) {
      Napi::TypeError::New(env, "token must be a string or a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    oidcore_error err;
    oidcore_result* result = nullptr;
    const oidcore_status st =
        allow_fetch ? oidcore_verifier_verify(verifier_, token.data(), token.size(), &result, &err)
                    : oidcore_verifier_verify_cached(verifier_, token.data(), token.size(), &result, &err);
    Outcome o;
    collect(st, result, err, o);
    return to_js(env, o);
  }
  Napi::Value VerifyCached(const Napi::CallbackInfo& info) { return Verify(info, false); }
  Napi::Value VerifyBlocking(const Napi::CallbackInfo& info) { return Verify(info, true); }

  Napi::Value VerifyAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string token;
    if (info.Length() < 1 || !read_bytes(info[0], token)) {
      Napi::TypeError::New(env, "token must be a string or a Uint8Array").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto* worker = new VerifyWorker(env, Value(), verifier_, std::move(token));
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  }

  Napi::Value RefreshAsync(const Napi::CallbackInfo& info) {
    auto* worker = new RefreshWorker(info.Env(), Value(), verifier_);
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    char* out = nullptr;
    size_t len = 0;
    oidcore_error err;
    if (oidcore_verifier_stats(verifier_, &out, &len, &err) != OIDCORE_OK) return error_object(env, err);
    Napi::String s = Napi::String::New(env, out, len);
    oidcore_string_free(out);
    return s;
  }

  oidcore_verifier* verifier_ = nullptr;
};

// A store call (state, exchange code) on the libuv pool: every store call is asynchronous,
// whether the store is in memory or across the network. The arguments are copied in.
class StoreWorker : public Napi::AsyncWorker {
 public:
  using Call = oidcore_status (*)(oidcore_store*, const std::string&, const std::string&, char**, size_t*,
                                  oidcore_error*);
  StoreWorker(Napi::Env env, Napi::Object owner, oidcore_store* store, Call call, std::string a, std::string b)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        store_(store),
        call_(call),
        a_(std::move(a)),
        b_(std::move(b)) {
    owner_.Reset(owner, 1);
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    char* out = nullptr;
    size_t len = 0;
    status_ = call_(store_, a_, b_, &out, &len, &err_);
    if (out) result_.assign(out, len);
    oidcore_string_free(out);
  }
  void OnOK() override {
    owner_.Reset();
    Napi::Env env = Env();
    Napi::Object obj = Napi::Object::New(env);
    if (status_ == OIDCORE_OK) {
      obj.Set("value", Napi::Buffer<char>::Copy(env, result_.data(), result_.size()));
    } else {
      obj.Set("code", Napi::String::New(env, oidcore_status_name(status_)));
      obj.Set("message", Napi::String::New(env, err_.message));
    }
    deferred_.Resolve(obj);
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference owner_;
  oidcore_store* store_;
  Call call_;
  std::string a_, b_, result_;
  oidcore_status status_ = OIDCORE_INTERNAL;
  oidcore_error err_{};
};

const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.data(); }

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
    oidcore_error err;
    if (oidcore_store_new(config.data(), config.size(), &store_, &err) != OIDCORE_OK)
      throw_oidcore_error(info.Env(), err);
  }
  ~Store() override { oidcore_store_free(store_); }

 private:
  // (a, b): two byte strings (the JS side validates and encodes them).
  template <StoreWorker::Call F>
  Napi::Value Call(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string a, b;
    if (info.Length() < 2 || !read_bytes(info[0], a) || !read_bytes(info[1], b)) {
      Napi::TypeError::New(env, "two strings or Uint8Arrays expected").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto* worker = new StoreWorker(env, Value(), store_, F, std::move(a), std::move(b));
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  }
  oidcore_store* store_ = nullptr;
};

Napi::Value Version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), oidcore_version()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeVerifier", Verifier::Init(env));
  exports.Set("NativeStore", Store::Init(env));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("cryptoVersion", Napi::String::New(env, oidcore_crypto_version()));
  Napi::Array names = Napi::Array::New(env);
  for (int i = 0; i < OIDCORE_STATUS_COUNT; ++i)
    names.Set(static_cast<uint32_t>(i), Napi::String::New(env, oidcore_status_name(static_cast<oidcore_status>(i))));
  exports.Set("statusNames", names);
  return exports;
}

}  // namespace

NODE_API_MODULE(oidcore, Init)
