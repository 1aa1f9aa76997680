// Shared pieces of the HTTP tests: keys and tokens, verifiers from JSON, and a fixture
// with one test identity provider for the whole binary, reset before every test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "status.hpp"
#include "test_idp_process.hpp"
#include "token_factory.hpp"
#include "verifier/verifier.hpp"

namespace oidcore::testing {

inline constexpr const char* kAudience = "oidcore-http-tests";

// Keys generated once per run: RSA "rsa-1".."rsa-3" and P-256 "ec-1".
const TestKey& rsa_key(int n);
const TestKey& ec_key();

// {"keys":[...]} of the public JWKs, each with "use":"sig" (and "alg" for RSA).
std::string jwks_of(const std::vector<const TestKey*>& keys);

int64_t unix_now();
// A valid claim set for `issuer` and kAudience.
std::string claims_for(const std::string& issuer);
std::string token_for(const TestKey& key, const std::string& issuer, const std::string& alg = "RS256");
// A token whose header names `kid` (signature made with rsa-1 over another header, so
// only a key lookup can be tested with it).
std::string token_with_kid(const std::string& kid, const std::string& issuer);

// {"issuer":ISSUER,"audience":kAudience,MEMBERS}
std::string config_json(const std::string& issuer, const std::string& members);
// A verifier from that configuration; a failed assertion (and nullptr) when refused.
std::unique_ptr<Verifier> make_verifier(const std::string& issuer, const std::string& members);

Error verify(const Verifier& v, const std::string& token, bool allow_fetch = true);
// The stable code of an outcome ("ok", "key_not_found", ...), for readable assertions.
std::string code(const Error& e);

void sleep_for(double seconds);
double elapsed_since(std::chrono::steady_clock::time_point start);

// The identity provider shared by every test of the binary, started on first use.
TestIdp& shared_idp();
void stop_shared_idp();

// Tests against the shared identity provider: it is reset (documents, faults, counters)
// before each test.
class IdpTest : public ::testing::Test {
 protected:
  void SetUp() override;
  TestIdp& idp() { return shared_idp(); }
};

}  // namespace oidcore::testing
