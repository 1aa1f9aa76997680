// The core side by side with the raw signature verification of the same signing input, with
// Google Benchmark, on the tokens and keys of `make bench` (benchmarks/node/fixtures.mjs).
//
//   oidcore_verify_bench --fixtures fixtures.json [--seconds 2] [--rounds 5] [--meta-out meta.json]
//                        [any --benchmark_* flag, e.g. --benchmark_out=core.json
//                         --benchmark_out_format=json --benchmark_filter=RS256]
//
// For each algorithm (RS256 2048-bit, ES256, EdDSA), cycling through a pool of distinct tokens:
//   capi/verify         oidcore_verifier_verify + oidcore_result_free, token cache off
//   cpp/verify          oidcore::Verifier::verify (the C++ core API), token cache off
//   capi/verify_request_cookie, capi/verify_request_bearer
//                       oidcore_verifier_verify_request with the token in a Cookie header
//                       (access_token among two other cookies) or in Authorization: Bearer
//   capi/verify_cached  oidcore_verifier_verify with the verified-token cache on (every token
//                       of the pool seen before)
//   cpp/parse           the framing alone: split + base64url, header checks, payload JSON
//   floor/openssl       SHA-256 of the signing input + EVP_PKEY_verify with a context
//                       prepared once (ES256: the signature converted to DER beforehand);
//                       EdDSA: EVP_DigestVerify with Ed25519
//   floor/libsodium     EdDSA only: crypto_sign_verify_detached
// then capi/verify, capi/verify_cached and the floors again with two threads (one verifier
// shared by both; one context per thread for the floors).
//
// The token cache is configured with "token_cache_size" (0 for the uncached runs, 4096 for
// the cached one); a core that does not know the key is run without it, and --meta-out says so.
#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <simdjson.h>
#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "jose/jws.hpp"
#include "json/strict_json.hpp"
#include "oidcore.h"
#include "verifier/verifier.hpp"

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "oidcore_verify_bench: %s\n", what.c_str());
  std::exit(2);
}

std::string b64u_decode(std::string_view in) {
  static const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) die("bad base64url in the fixtures");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

struct Token {
  std::string token;          // the compact JWS
  std::string cookie;         // a Cookie header carrying it as access_token
  std::string authorization;  // "Bearer <token>"
  std::string signing_input;  // "<header>.<payload>"
  std::string signature;      // raw JWS signature bytes
  std::string der_signature;  // ES256: the same signature as DER, for OpenSSL
};

struct AlgFixture {
  std::string alg;
  std::vector<Token> tokens;
  EVP_PKEY* pkey = nullptr;
  unsigned char ed25519_public[32] = {};
  oidcore_verifier* capi = nullptr;         // token cache off
  oidcore_verifier* capi_cached = nullptr;  // token cache on
  std::unique_ptr<oidcore::Verifier> cpp;   // token cache off
};

std::vector<AlgFixture> g_algs;
std::string g_cache_mode = "token_cache_size";  // or "unsupported" when the core refuses the key

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string der_from_raw_p256(const std::string& raw) {
  if (raw.size() != 64) die("ES256 signature is not 64 bytes");
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

// A verifier over the fixture's JWKS; `cache` < 0 leaves token_cache_size out.
oidcore_verifier* make_capi_verifier(const std::string& base_config, long cache, std::string* refused) {
  std::string config = base_config;
  if (cache >= 0) {
    config.pop_back();  // the closing brace
    config += ",\"token_cache_size\":" + std::to_string(cache) + "}";
  }
  oidcore_verifier* v = nullptr;
  oidcore_error err;
  if (oidcore_verifier_new(config.data(), config.size(), &v, &err) != OIDCORE_OK) {
    if (refused && cache >= 0 && err.status == OIDCORE_INVALID_CONFIG && std::strstr(err.message, "token_cache_size")) {
      *refused = err.message;
      return nullptr;
    }
    die(std::string("verifier configuration refused: ") + err.message);
  }
  return v;
}

void load(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string text = read_file(path);
  if (parser.parse(text).get(root)) die("fixtures are not JSON");
  std::string issuer(root["issuer"].get_string().value());
  std::string audience(root["audience"].get_string().value());
  std::string jwks = simdjson::minify(root["jwks"]);
  std::string refused;
  for (const char* alg : {"RS256", "ES256", "EdDSA"}) {
    AlgFixture f;
    f.alg = alg;
    simdjson::dom::element a = root["algs"][alg];
    for (simdjson::dom::element t : a["tokens"].get_array()) {
      Token tok;
      tok.token = std::string(t.get_string().value());
      tok.cookie = "theme=dark; access_token=" + tok.token + "; lang=en";
      tok.authorization = "Bearer " + tok.token;
      size_t dot = tok.token.rfind('.');
      tok.signing_input = tok.token.substr(0, dot);
      tok.signature = b64u_decode(std::string_view(tok.token).substr(dot + 1));
      if (f.alg == "ES256") tok.der_signature = der_from_raw_p256(tok.signature);
      f.tokens.push_back(std::move(tok));
    }
    std::string pem(a["spki_pem"].get_string().value());
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    f.pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!f.pkey) die("bad public key in the fixtures");
    if (f.alg == "EdDSA") {
      std::string x = b64u_decode(std::string(a["jwk"]["x"].get_string().value()));
      if (x.size() != 32) die("bad Ed25519 key");
      std::memcpy(f.ed25519_public, x.data(), 32);
    }
    std::string base = "{\"issuer\":\"" + issuer + "\",\"audience\":\"" + audience + "\",\"algorithms\":[\"" + f.alg +
                       "\"],\"jwks\":" + jwks + "}";
    f.capi = make_capi_verifier(base, 0, &refused);
    if (!f.capi) {
      g_cache_mode = "unsupported";
      f.capi = make_capi_verifier(base, -1, nullptr);
      f.capi_cached = make_capi_verifier(base, -1, nullptr);
    } else {
      f.capi_cached = make_capi_verifier(base, 4096, nullptr);
    }
    oidcore::Error err;
    f.cpp = oidcore::Verifier::create(g_cache_mode == "unsupported" ? base : base.substr(0, base.size() - 1) +
                                                                               ",\"token_cache_size\":0}",
                                      err);
    if (!f.cpp) die("C++ verifier refused its configuration: " + err.message);
    // Every token must verify through every path, or the numbers mean nothing.
    for (const Token& t : f.tokens) {
      for (oidcore_verifier* v : {f.capi, f.capi_cached}) {
        oidcore_result* r = nullptr;
        oidcore_error e;
        if (oidcore_verifier_verify(v, t.token.data(), t.token.size(), &r, &e) != OIDCORE_OK)
          die(f.alg + " token refused: " + e.message);
        oidcore_result_free(r);
      }
      oidcore::VerifiedToken out;
      if (auto e = f.cpp->verify(t.token, out)) die(f.alg + " token refused by the C++ API: " + e.message);
    }
    g_algs.push_back(std::move(f));
  }
}

// ---------------------------------------------------------------------------------------

void capi_verify(benchmark::State& state, const AlgFixture* f, bool cached) {
  oidcore_verifier* v = cached ? f->capi_cached : f->capi;
  const size_t n = f->tokens.size();
  size_t i = static_cast<size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    const Token& t = f->tokens[i++ % n];
    oidcore_result* r = nullptr;
    if (oidcore_verifier_verify(v, t.token.data(), t.token.size(), &r, nullptr) != OIDCORE_OK) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(oidcore_result_claims(r, nullptr));
    oidcore_result_free(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// oidcore_verifier_verify_request with the token in the Cookie header or in Authorization.
void capi_verify_request(benchmark::State& state, const AlgFixture* f, bool cookie) {
  const size_t n = f->tokens.size();
  size_t i = static_cast<size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    const Token& t = f->tokens[i++ % n];
    oidcore_result* r = nullptr;
    oidcore_status st = cookie ? oidcore_verifier_verify_request(f->capi, t.cookie.data(), t.cookie.size(), nullptr, 0,
                                                                 nullptr, 0, &r, nullptr)
                               : oidcore_verifier_verify_request(f->capi, nullptr, 0, t.authorization.data(),
                                                                 t.authorization.size(), nullptr, 0, &r, nullptr);
    if (st != OIDCORE_OK) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(oidcore_result_claims(r, nullptr));
    oidcore_result_free(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void cpp_verify(benchmark::State& state, const AlgFixture* f) {
  const size_t n = f->tokens.size();
  size_t i = static_cast<size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    oidcore::VerifiedToken out;
    if (f->cpp->verify(f->tokens[i++ % n].token, out)) {
      state.SkipWithError("verification failed");
      break;
    }
    benchmark::DoNotOptimize(out.claims.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void cpp_parse(benchmark::State& state, const AlgFixture* f) {
  const size_t n = f->tokens.size();
  size_t i = 0;
  auto& parser = oidcore::json::thread_parser();
  for (auto _ : state) {
    oidcore::jose::CompactJws jws;
    oidcore::jose::JwsHeader header;
    simdjson::dom::element payload;
    if (oidcore::jose::split_compact(f->tokens[i++ % n].token, oidcore::jose::kDefaultMaxTokenBytes, jws) ||
        oidcore::jose::parse_header(jws.header_json, header) || parser.parse(jws.payload_json, payload)) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(payload);
  }
  state.SetItemsProcessed(state.iterations());
}

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

void floor_openssl(benchmark::State& state, const AlgFixture* f) {
  const size_t n = f->tokens.size();
  size_t i = static_cast<size_t>(state.thread_index()) * 7;
  bool ok = true;
  if (f->alg == "EdDSA") {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md(EVP_MD_CTX_new());
    for (auto _ : state) {
      const Token& t = f->tokens[i++ % n];
      EVP_MD_CTX_reset(md.get());
      ok = EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, f->pkey) == 1 &&
           EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(t.signature.data()), t.signature.size(),
                            reinterpret_cast<const unsigned char*>(t.signing_input.data()), t.signing_input.size()) == 1;
      if (!ok) break;
    }
  } else {
    // One verify context per thread, prepared once; per token: the digest and the verify.
    std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(f->pkey, nullptr));
    EVP_PKEY_verify_init(ctx.get());
    if (f->alg == "RS256") {
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING);
    }
    EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256());
    const bool es = f->alg == "ES256";
    for (auto _ : state) {
      const Token& t = f->tokens[i++ % n];
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned md_len = 0;
      const std::string& sig = es ? t.der_signature : t.signature;
      ok = EVP_Digest(t.signing_input.data(), t.signing_input.size(), md, &md_len, EVP_sha256(), nullptr) == 1 &&
           EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), md, md_len) == 1;
      if (!ok) break;
    }
  }
  if (!ok) state.SkipWithError("raw verification failed");
  state.SetItemsProcessed(state.iterations());
}

void floor_libsodium(benchmark::State& state, const AlgFixture* f) {
  const size_t n = f->tokens.size();
  size_t i = static_cast<size_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    const Token& t = f->tokens[i++ % n];
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(t.signature.data()),
                                    reinterpret_cast<const unsigned char*>(t.signing_input.data()),
                                    t.signing_input.size(), f->ed25519_public) != 0) {
      state.SkipWithError("raw verification failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void write_meta(const std::string& path) {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::string s = "{\"runner\":\"core\",\"peak_rss_kb\":" + std::to_string(ru.ru_maxrss) + ",\"token_cache\":\"" +
                  g_cache_mode + "\",\"crypto\":\"" + oidcore_crypto_version() + "\",\"libsodium\":\"" +
                  sodium_version_string() + "\",\"oidcore\":\"" + oidcore_version() + "\",\"stats\":{";
  bool first = true;
  for (const AlgFixture& f : g_algs) {
    for (auto [name, v] : {std::pair{"uncached", f.capi}, std::pair{"cached", f.capi_cached}}) {
      char* out = nullptr;
      size_t len = 0;
      if (oidcore_verifier_stats(v, &out, &len, nullptr) != OIDCORE_OK) continue;
      s += std::string(first ? "" : ",") + "\"" + f.alg + "/" + name + "\":" + std::string(out, len);
      oidcore_string_free(out);
      first = false;
    }
  }
  s += "}}\n";
  std::ofstream(path) << s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string fixtures, meta_out;
  double seconds = 2.0;
  int rounds = 5;
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string aggregates = "--benchmark_display_aggregates_only=true";
  std::vector<char*> rest{argv[0], interleave.data(), aggregates.data()};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fixtures" && i + 1 < argc) fixtures = argv[++i];
    else if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--meta-out" && i + 1 < argc) meta_out = argv[++i];
    else rest.push_back(argv[i]);
  }
  if (fixtures.empty()) die("usage: oidcore_verify_bench --fixtures fixtures.json [--seconds S] [--rounds N] [--meta-out F]");
  if (sodium_init() < 0) die("libsodium failed to initialise");
  load(fixtures);

  // --seconds of measurement per case in --rounds repetitions, interleaved at random across
  // the cases (a burst of other work on the machine is spread over several cases); the
  // report takes the median of each case's repetitions.
  const double warmup = std::min(0.25, std::max(0.05, seconds / 8));
  auto reg = [&](const std::string& name, auto fn, int threads) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), fn);
    b->MinTime(seconds / rounds)->MinWarmUpTime(warmup)->Repetitions(rounds)->UseRealTime();
    if (threads > 1) b->Threads(threads);
  };
  for (const AlgFixture& f : g_algs) {
    const AlgFixture* p = &f;
    reg("capi/verify/" + f.alg, [p](benchmark::State& s) { capi_verify(s, p, false); }, 1);
    reg("cpp/verify/" + f.alg, [p](benchmark::State& s) { cpp_verify(s, p); }, 1);
    reg("capi/verify_request_cookie/" + f.alg, [p](benchmark::State& s) { capi_verify_request(s, p, true); }, 1);
    reg("capi/verify_request_bearer/" + f.alg, [p](benchmark::State& s) { capi_verify_request(s, p, false); }, 1);
    reg("capi/verify_cached/" + f.alg, [p](benchmark::State& s) { capi_verify(s, p, true); }, 1);
    reg("cpp/parse/" + f.alg, [p](benchmark::State& s) { cpp_parse(s, p); }, 1);
    reg("floor/openssl/" + f.alg, [p](benchmark::State& s) { floor_openssl(s, p); }, 1);
    if (f.alg == "EdDSA") reg("floor/libsodium/" + f.alg, [p](benchmark::State& s) { floor_libsodium(s, p); }, 1);
  }
  for (const AlgFixture& f : g_algs) {
    const AlgFixture* p = &f;
    reg("capi/verify/" + f.alg, [p](benchmark::State& s) { capi_verify(s, p, false); }, 2);
    reg("capi/verify_cached/" + f.alg, [p](benchmark::State& s) { capi_verify(s, p, true); }, 2);
    if (f.alg == "EdDSA") reg("floor/libsodium/" + f.alg, [p](benchmark::State& s) { floor_libsodium(s, p); }, 2);
    else reg("floor/openssl/" + f.alg, [p](benchmark::State& s) { floor_openssl(s, p); }, 2);
  }

  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!meta_out.empty()) write_meta(meta_out);
  for (AlgFixture& f : g_algs) {
    oidcore_verifier_free(f.capi);
    oidcore_verifier_free(f.capi_cached);
    EVP_PKEY_free(f.pkey);
  }
  return 0;
}
