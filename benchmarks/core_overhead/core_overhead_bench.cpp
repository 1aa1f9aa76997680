// Per-token cost of the core next to the raw primitive, in one process.
//
// For RS256 (2048-bit), PS256, ES256, EdDSA and HS256, on one Authentik-like access token
// per algorithm (same header and claims; 0.9 kB, 1.2 kB with an RSA signature), three paths
// are timed:
//   floor      the bare primitive on the same signing input, everything prepared once:
//              SHA-2 with a pre-fetched EVP_MD + EVP_PKEY_verify on a context initialised
//              once (RSA, PSS, ECDSA over a DER signature made beforehand);
//              crypto_sign_ed25519_verify_detached; HMAC on an EVP_MAC_CTX keyed once.
//   signature  oidcore::jose::verify_signature(key, alg, signing input, signature bytes)
//   verify     oidcore::Verifier::verify(token) with inline keys: framing, header, policy,
//              key lookup, signature, claims, copy of the claims out (verified-token
//              cache off).
// Runs are interleaved (every path of every algorithm once per round, order rotated) and
// timed in thread CPU time, so other jobs on a shared machine disturb the ratios little;
// the overhead printed is the median over rounds of (path / floor - 1).
//
// Not part of the CMake build; built by hand with the tests' token factory:
//   g++ -std=c++20 -O2 -I core -I tests/support benchmarks/core_overhead/core_overhead_bench.cpp
//       <build>/tests/liboidcore_test_support.a <build>/core/liboidcore_core.a
//       -lssl -lcrypto -lsodium -lsimdjson -lcurl -lhiredis -pthread -o core_overhead_bench
// (one command line; <build> is a CMake build folder).
// Options: --rounds N (default 15), --ms M per batch (default 30); --profile ALG P runs path
// P (0 floor, 1 signature, 2 verify) of one algorithm alone for N seconds (or exactly
// --iterations I times), for a profiler.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "jose/jwk.hpp"
#include "jose/signature.hpp"
#include "token_factory.hpp"
#include "verifier/verifier.hpp"

namespace {

namespace tf = oidcore::testing;
using oidcore::jose::Alg;

constexpr int64_t kNow = 1'760'000'000;
const std::string kIssuer = "https://auth.example.com/application/o/orders/";
const std::string kClient = "Yz7pX1q9LmN3rT5vW8bK2dF6hJ0sG4aCeQ1uI9oP";

std::string payload() {
  return "{\"iss\":\"" + kIssuer +
         "\",\"sub\":\"8f14e45fceea167a5a36dedd4bea2543b2a1c6a7b9d8e3f4a5b6c7d8e9f0a1b2\",\"aud\":\"" + kClient +
         "\",\"exp\":" + std::to_string(kNow + 300) + ",\"iat\":" + std::to_string(kNow - 10) +
         ",\"auth_time\":" + std::to_string(kNow - 60) +
         ",\"amr\":[\"pwd\",\"mfa\"],"
         "\"sid\":\"3b1c6a9f2d4e8b7a0c5f1e2d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b\","
         "\"email\":\"alice@example.com\",\"email_verified\":true,\"name\":\"Alice Example\","
         "\"preferred_username\":\"alice\",\"groups\":[\"authentik Admins\",\"orders-staff\"],"
         "\"azp\":\"" +
         kClient + "\",\"scope\":\"openid email profile\"}";
}

double thread_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct Ctx {
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_MAC_CTX* mac = nullptr;
  ~Ctx() {
    EVP_PKEY_CTX_free(pctx);
    EVP_MAC_CTX_free(mac);
  }
};

struct Case {
  std::string name;
  Alg alg;
  std::unique_ptr<tf::TestKey> key;
  std::string token, input, sig, der;
  oidcore::jose::JwkPtr jwk;
  std::unique_ptr<oidcore::Verifier> verifier;
  std::shared_ptr<Ctx> ctx;
  std::function<bool()> floor;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "core_overhead_bench: %s\n", what.c_str());
  std::exit(1);
}

std::unique_ptr<Case> make_case(const std::string& name, Alg alg, tf::KeyKind kind) {
  auto c = std::make_unique<Case>();
  c->name = name;
  c->alg = alg;
  c->key = std::make_unique<tf::TestKey>(tf::TestKey::generate(kind, "b64a7c5e2f0d9e8a1c3b4d6f8e0a2c4e6b8d0f1a3", 32));
  const std::string header = "{\"alg\":\"" + name + "\",\"kid\":\"" + c->key->kid() + "\",\"typ\":\"JWT\"}";
  c->token = tf::make_jws(*c->key, name, header, payload());
  c->input = c->token.substr(0, c->token.rfind('.'));
  c->sig = tf::b64url_decode(c->token.substr(c->token.rfind('.') + 1));
  const bool hmac = alg == Alg::HS256;
  oidcore::jose::KeyPolicy policy;
  policy.allow_symmetric = hmac;
  const std::string jwk = c->key->public_jwk("\"alg\":\"" + name + "\",\"use\":\"sig\"");
  auto load = oidcore::jose::parse_jwk(jwk, policy);
  if (load.error) die(name + ": " + load.error.message);
  c->jwk = load.key;
  const std::string config = "{\"issuer\":\"" + kIssuer + "\",\"audience\":\"" + kClient + "\",\"azp\":\"" + kClient +
                             "\",\"algorithms\":[\"" + name + "\"],\"now\":" + std::to_string(kNow) +
                             ",\"jwks\":" + tf::make_jwks({jwk});
  // Every call must do the whole verification: the verified-token cache (where the build
  // has one) is switched off.
  oidcore::Error err;
  c->verifier = oidcore::Verifier::create(config + ",\"token_cache_size\":0}", err);
  if (!c->verifier && err.message.find("token_cache_size") != std::string::npos)
    c->verifier = oidcore::Verifier::create(config + "}", err);
  if (!c->verifier) die(name + ": " + err.message);

  c->ctx = std::make_shared<Ctx>();
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  const auto* in = reinterpret_cast<const unsigned char*>(c->input.data());
  const size_t in_len = c->input.size();
  Case* cp = c.get();
  if (alg == Alg::RS256 || alg == Alg::PS256 || alg == Alg::ES256) {
    EVP_PKEY_CTX* p = EVP_PKEY_CTX_new_from_pkey(nullptr, c->key->pkey(), nullptr);
    if (!p || EVP_PKEY_verify_init(p) <= 0) die("verify_init");
    if (alg != Alg::ES256) {
      const bool pss = alg == Alg::PS256;
      if (EVP_PKEY_CTX_set_rsa_padding(p, pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) <= 0 ||
          EVP_PKEY_CTX_set_signature_md(p, sha256) <= 0)
        die("rsa ctx");
      if (pss && (EVP_PKEY_CTX_set_rsa_mgf1_md(p, sha256) <= 0 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(p, RSA_PSS_SALTLEN_DIGEST) <= 0))
        die("pss ctx");
      c->der = c->sig;
    } else {
      c->der = tf::ecdsa_raw_to_der(c->sig);
    }
    c->ctx->pctx = p;
    c->floor = [cp, in, in_len] {
      unsigned char md[32];
      unsigned int md_len = 0;
      if (EVP_Digest(in, in_len, md, &md_len, sha256, nullptr) != 1) return false;
      return EVP_PKEY_verify(cp->ctx->pctx, reinterpret_cast<const unsigned char*>(cp->der.data()), cp->der.size(),
                             md, md_len) == 1;
    };
  } else if (alg == Alg::EdDSA) {
    unsigned char pk[32];
    size_t pk_len = sizeof pk;
    if (EVP_PKEY_get_raw_public_key(c->key->pkey(), pk, &pk_len) != 1) die("ed25519 raw key");
    c->der.assign(reinterpret_cast<char*>(pk), 32);
    c->floor = [cp, in, in_len] {
      return crypto_sign_ed25519_verify_detached(reinterpret_cast<const unsigned char*>(cp->sig.data()), in, in_len,
                                                 reinterpret_cast<const unsigned char*>(cp->der.data())) == 0;
    };
  } else {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    c->ctx->mac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
                           OSSL_PARAM_construct_end()};
    const std::string& secret = c->key->secret();
    if (!c->ctx->mac ||
        EVP_MAC_init(c->ctx->mac, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), params) != 1)
      die("hmac ctx");
    c->floor = [cp, in, in_len] {
      unsigned char out[32];
      size_t out_len = 0;
      // A NULL key re-initialises with the key already set (the precomputed pads).
      if (EVP_MAC_init(cp->ctx->mac, nullptr, 0, nullptr) != 1 || EVP_MAC_update(cp->ctx->mac, in, in_len) != 1 ||
          EVP_MAC_final(cp->ctx->mac, out, &out_len, sizeof out) != 1)
        return false;
      return out_len == cp->sig.size() && CRYPTO_memcmp(out, cp->sig.data(), out_len) == 0;
    };
  }
  return c;
}

using Path = std::function<bool()>;

// ns per call of `path` over a batch of `n` calls.
double time_batch(const Path& path, long n) {
  const double t0 = thread_ns();
  for (long i = 0; i < n; ++i)
    if (!path()) die("a verification failed");
  return (thread_ns() - t0) / static_cast<double>(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 15;
  double batch_ms = 30;
  std::string profile_alg;
  int profile_path = 0;
  long iterations = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--ms")) batch_ms = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--iterations")) iterations = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--profile") && i + 2 < argc) {
      profile_alg = argv[i + 1];
      profile_path = std::atoi(argv[i + 2]);
      ++i;
    }
  }
  if (sodium_init() < 0) die("sodium_init");

  std::vector<std::unique_ptr<Case>> cases;
  cases.push_back(make_case("RS256", Alg::RS256, tf::KeyKind::rsa2048));
  cases.push_back(make_case("PS256", Alg::PS256, tf::KeyKind::rsa2048));
  cases.push_back(make_case("ES256", Alg::ES256, tf::KeyKind::p256));
  cases.push_back(make_case("EdDSA", Alg::EdDSA, tf::KeyKind::ed25519));
  cases.push_back(make_case("HS256", Alg::HS256, tf::KeyKind::hmac));

  constexpr int kPaths = 3;
  const char* path_names[kPaths] = {"floor", "signature", "verify"};
  struct Series {
    std::vector<double> ns[kPaths];
    std::vector<double> ratio[kPaths];
    long n = 0;
  };
  std::vector<Series> series(cases.size());
  std::vector<std::vector<Path>> paths(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    Case* c = cases[i].get();
    paths[i].push_back(c->floor);
    paths[i].push_back([c] {
      return oidcore::jose::verify_signature(*c->jwk, c->alg, c->input,
                                             reinterpret_cast<const unsigned char*>(c->sig.data()),
                                             c->sig.size()) == oidcore::Status::ok;
    });
    paths[i].push_back([c] {
      thread_local oidcore::VerifiedToken out;
      return !c->verifier->verify(c->token, out);
    });
    if (!profile_alg.empty()) continue;
    // Calibrate on the floor: a batch takes about batch_ms.
    for (auto& p : paths[i]) (void)time_batch(p, 200);
    const double ns = time_batch(paths[i][0], 500);
    series[i].n = std::max<long>(100, static_cast<long>(batch_ms * 1e6 / ns));
  }

  if (!profile_alg.empty()) {
    // --profile ALG PATH: one path alone for `rounds` seconds, for perf.
    for (size_t i = 0; i < cases.size(); ++i) {
      if (cases[i]->name != profile_alg) continue;
      if (iterations > 0) {
        (void)time_batch(paths[i][profile_path], iterations);
      } else {
        const double until = thread_ns() + rounds * 1e9;
        while (thread_ns() < until) (void)time_batch(paths[i][profile_path], 1000);
      }
    }
    return 0;
  }

  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < cases.size(); ++i) {
      double ns[kPaths];
      for (int k = 0; k < kPaths; ++k) {
        const int p = (k + r) % kPaths;
        ns[p] = time_batch(paths[i][p], series[i].n);
      }
      for (int p = 0; p < kPaths; ++p) {
        series[i].ns[p].push_back(ns[p]);
        series[i].ratio[p].push_back(ns[p] / ns[0] - 1);
      }
    }
  }

  std::printf("%d rounds, %.0f ms batches, thread CPU time; overhead = median of (path / floor - 1) per round\n",
              rounds, batch_ms);
  std::printf("%-6s %6s | %10s | %10s %9s | %10s %9s\n", "alg", "bytes", "floor ns", path_names[1], "overhead",
              path_names[2], "overhead");
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& s = series[i];
    std::printf("%-6s %6zu | %10.0f | %10.0f %8.1f%% | %10.0f %8.1f%%\n", cases[i]->name.c_str(),
                cases[i]->token.size(), median(s.ns[0]), median(s.ns[1]), 100 * median(s.ratio[1]), median(s.ns[2]),
                100 * median(s.ratio[2]));
  }
  return 0;
}
