#include "http_test_support.hpp"

#include <cstdlib>
#include <ctime>
#include <mutex>

namespace oidcore::testing {

const TestKey& rsa_key(int n) {
  static const std::vector<TestKey> keys = [] {
    std::vector<TestKey> k;
    for (int i = 1; i <= 3; ++i) k.push_back(TestKey::generate(KeyKind::rsa2048, "rsa-" + std::to_string(i)));
    return k;
  }();
  return keys.at(static_cast<size_t>(n - 1));
}

const TestKey& ec_key() {
  static const TestKey key = TestKey::generate(KeyKind::p256, "ec-1");
  return key;
}

std::string jwks_of(const std::vector<const TestKey*>& keys) {
  std::vector<std::string> jwks;
  for (const TestKey* k : keys)
    jwks.push_back(k->public_jwk(k->kind() == KeyKind::p256 ? "\"use\":\"sig\"" : "\"use\":\"sig\",\"alg\":\"RS256\""));
  return make_jwks(jwks);
}

int64_t unix_now() {
  return static_cast<int64_t>(std::time(nullptr));
}

std::string claims_for(const std::string& issuer) {
  const int64_t now = unix_now();
  return "{\"iss\":" + json_string(issuer) + ",\"aud\":" + json_string(kAudience) +
         ",\"sub\":\"alice\",\"iat\":" + std::to_string(now - 5) + ",\"exp\":" + std::to_string(now + 600) + "}";
}

std::string token_for(const TestKey& key, const std::string& issuer, const std::string& alg) {
  return make_jwt(key, alg, claims_for(issuer));
}

std::string token_with_kid(const std::string& kid, const std::string& issuer) {
  const std::string signed_token = token_for(rsa_key(1), issuer);
  const auto parts = split_compact(signed_token);
  return b64url(jwt_header("RS256", kid)) + "." + parts.at(1) + "." + parts.at(2);
}

std::string config_json(const std::string& issuer, const std::string& members) {
  return "{\"issuer\":" + json_string(issuer) + ",\"audience\":" + json_string(kAudience) +
         (members.empty() ? "" : "," + members) + "}";
}

std::unique_ptr<Verifier> make_verifier(const std::string& issuer, const std::string& members) {
  Error err;
  const std::string config = config_json(issuer, members);
  auto v = Verifier::create(config, err);
  EXPECT_FALSE(err) << code(err) << ": " << err.message << "\nconfiguration: " << config;
  return v;
}

Error verify(const Verifier& v, const std::string& token, bool allow_fetch) {
  VerifiedToken out;
  VerifyOptions options;
  options.allow_fetch = allow_fetch;
  return v.verify(token, out, options);
}

std::string code(const Error& e) {
  return std::string(status_name(e.status));
}

void sleep_for(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

double elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {
std::mutex shared_mutex;
std::unique_ptr<TestIdp> shared;
}  // namespace

TestIdp& shared_idp() {
  std::lock_guard<std::mutex> lock(shared_mutex);
  if (!shared) {
    shared = std::make_unique<TestIdp>();
    std::string error;
    if (!shared->start({}, error)) ADD_FAILURE() << "cannot start the test identity provider: " << error;
  }
  return *shared;
}

void stop_shared_idp() {
  std::lock_guard<std::mutex> lock(shared_mutex);
  if (shared) {
    const int status = shared->stop();
    EXPECT_EQ(status, 0) << "test_idp.py exit status";
    shared.reset();
  }
}

void IdpTest::SetUp() {
  ASSERT_TRUE(idp().running());
  idp().reset();
}

}  // namespace oidcore::testing

namespace {

// Requests to the local test servers never go through a proxy from the environment, and
// the shared server is stopped (and its exit status checked) once every test has run.
class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  }
  void TearDown() override { oidcore::testing::stop_shared_idp(); }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new Environment);
  return RUN_ALL_TESTS();
}
