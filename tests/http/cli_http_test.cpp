// The oidcore command line against a live provider: `discover` and `doctor` exit codes and
// findings (issuer mismatch, invalid client credentials told apart from a refused grant),
// and `verify` with discovery, the internal URL and a private CA.
#include <simdjson.h>

#include "http_test_support.hpp"

namespace oidcore::testing {
namespace {

#ifdef OIDCORE_CLI
const char* const kCli = OIDCORE_CLI;
#else
const char* const kCli = nullptr;
#endif

struct CliRun {
  int status = -1;
  std::string out, err;
};

CliRun run_cli(std::vector<std::string> args) {
  CliRun r;
  args.insert(args.begin(), kCli);
  r.status = run_process(args, r.out, r.err, 60);
  return r;
}

// The "--json" report, parsed; `problems` joined with newlines.
struct Report {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string problems;
  bool parse(const std::string& text) {
    if (parser.parse(text).get(root)) return false;
    simdjson::dom::array list;
    if (root["problems"].get_array().get(list)) return false;
    for (auto p : list) problems += std::string(p.get_string().value_unsafe()) + "\n";
    return true;
  }
  std::string str(std::initializer_list<const char*> path) {
    simdjson::dom::element e = root;
    for (const char* k : path)
      if (e[k].get(e)) return "<absent>";
    std::string_view s;
    if (e.get_string().get(s)) return "<not a string>";
    return std::string(s);
  }
};

class CliAgainstIdp : public IdpTest {
 protected:
  void SetUp() override {
    if (!kCli) GTEST_SKIP() << "the oidcore command line is not built";
    IdpTest::SetUp();
    idp().set_jwks(jwks_of({&rsa_key(1)}));
  }
};

TEST_F(CliAgainstIdp, DiscoverHealthyProviderExitsZero) {
  const CliRun r = run_cli({"discover", idp().issuer()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(idp().jwks_url()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rsa-1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no problems found"), std::string::npos) << r.out;
  EXPECT_EQ(idp().requests().discovery, 1);
  EXPECT_EQ(idp().requests().jwks, 1);

  const CliRun j = run_cli({"discover", idp().issuer(), "--json"});
  EXPECT_EQ(j.status, 0) << j.err;
  Report rep;
  ASSERT_TRUE(rep.parse(j.out)) << j.out;
  EXPECT_EQ(rep.str({"jwks_uri"}), idp().jwks_url());
  EXPECT_EQ(rep.str({"discovery", "token_endpoint"}), idp().issuer() + "token/");
  EXPECT_EQ(rep.problems, "");
}

TEST_F(CliAgainstIdp, DiscoverReportsAnIssuerMismatch) {
  idp().set_discovery("{\"issuer\":\"https://evil.example/\"}");
  const CliRun r = run_cli({"discover", idp().issuer()});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("evil.example"), std::string::npos) << r.out;
  const CliRun j = run_cli({"discover", idp().issuer(), "--json"});
  EXPECT_EQ(j.status, 1);
  Report rep;
  ASSERT_TRUE(rep.parse(j.out)) << j.out;
  EXPECT_EQ(rep.str({"discovery_error", "code"}), "bad_issuer");
  EXPECT_NE(rep.problems.find("discovery failed"), std::string::npos) << rep.problems;
}

TEST_F(CliAgainstIdp, DiscoverUnreachableProviderExitsOne) {
  TestIdp gone;
  std::string error;
  ASSERT_TRUE(gone.start({}, error)) << error;
  const std::string issuer = gone.issuer();
  ASSERT_EQ(gone.stop(), 0);
  const CliRun r = run_cli({"discover", issuer});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("discovery failed"), std::string::npos) << r.out;
  EXPECT_EQ(run_cli({"discover"}).status, 2);  // usage
}

TEST_F(CliAgainstIdp, DoctorTellsInvalidClientApartFromAnAuthenticatedRefusal) {
  struct Case {
    long status;
    const char* body;
    const char* result;
    int exit_code;
  };
  const Case cases[] = {
      {400, "{\"error\":\"invalid_client\"}", "invalid_client", 1},
      {401, "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}", "invalid_client", 1},
      // The provider knew the client before refusing the grant: the credentials are right.
      {400, "{\"error\":\"unauthorized_client\"}", "accepted", 0},
      {400, "{\"error\":\"unsupported_grant_type\"}", "accepted", 0},
      {200, "{\"access_token\":\"x\",\"token_type\":\"Bearer\",\"expires_in\":60}", "accepted", 0},
      // Neither: not a verdict on the credentials.
      {500, "{\"error\":\"server_error\"}", "error", 1},
      {502, "\"<html>bad gateway</html>\"", "error", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    idp().reset_counts();
    idp().set_token_answer(c.status, c.body);
    const CliRun r = run_cli({"doctor", idp().issuer(), "--client-id", "app", "--client-secret", "s3cret&=", "--json"});
    EXPECT_EQ(r.status, c.exit_code) << r.out << r.err;
    Report rep;
    ASSERT_TRUE(rep.parse(r.out)) << r.out;
    EXPECT_EQ(rep.str({"client_check", "result"}), c.result);
    const RequestLog log = idp().requests();
    EXPECT_EQ(log.token, 1);
    ASSERT_FALSE(log.log.empty());
    EXPECT_EQ(log.log.back().method, "POST");
    EXPECT_EQ(log.log.back().path, "/application/o/test/token/");
    if (std::string(c.result) == "invalid_client") {
      EXPECT_NE(rep.problems.find("invalid_client"), std::string::npos) << rep.problems;
    }
  }
  // The human-readable form says the same.
  idp().set_token_answer(400, "{\"error\":\"invalid_client\"}");
  const CliRun r = run_cli({"doctor", idp().issuer(), "--client-id", "app", "--client-secret", "wrong"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("client check      invalid_client"), std::string::npos) << r.out;
}

TEST_F(CliAgainstIdp, DoctorWithoutCredentialsAndWithAnEmptyKeySet) {
  CliRun r = run_cli({"doctor", idp().issuer()});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("both sides: RS256"), std::string::npos) << r.out;
  EXPECT_EQ(idp().requests().token, 0);
  idp().set_jwks("{\"keys\":[]}");
  r = run_cli({"doctor", idp().issuer()});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("no usable signing key"), std::string::npos) << r.out;
}

TEST(CliInternalUrl, DoctorAndVerifyThroughTheInternalUrl) {
  if (!kCli) GTEST_SKIP() << "the oidcore command line is not built";
  TestIdp idp;
  std::string error;
  ASSERT_TRUE(idp.start({"--issuer-from-host"}, error)) << error;
  idp.set_jwks(jwks_of({&rsa_key(1)}));
  idp.set_token_answer(400, "{\"error\":\"invalid_client\"}");
  const std::string issuer = "https://auth.example.test/application/o/test/";
  CliRun r = run_cli({"doctor", issuer, "--internal-url", idp.origin(), "--client-id", "a", "--client-secret", "b"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("https://auth.example.test/application/o/test/token/"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("invalid_client"), std::string::npos) << r.out;
  RequestLog log = idp.requests();
  EXPECT_EQ(log.discovery, 1);
  EXPECT_EQ(log.jwks, 1);
  EXPECT_EQ(log.token, 1);
  for (const auto& e : log.log) {
    EXPECT_EQ(e.host, "auth.example.test") << e.path;
    EXPECT_EQ(e.x_forwarded_proto, "https") << e.path;
  }

  r = run_cli({"verify", "--discovery", issuer, "--internal-url", idp.origin(), "--audience", kAudience,
               token_for(rsa_key(1), issuer)});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"sub\":\"alice\""), std::string::npos) << r.out;
  // Without the internal URL the public name does not resolve from here.
  r = run_cli({"verify", "--discovery", issuer, "--audience", kAudience, token_for(rsa_key(1), issuer)});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("jwks_unavailable: ", 0), 0u) << r.err;
}

TEST(CliTls, VerifyAndDiscoverWithThePrivateCaOnly) {
  if (!kCli) GTEST_SKIP() << "the oidcore command line is not built";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string out, err;
  ASSERT_EQ(run_process({"sh", idp_dir() + "/make_test_ca.sh", dir.path()}, out, err, 60), 0) << err;
  TestIdp idp;
  std::string error;
  ASSERT_TRUE(idp.start({"--tls-cert", dir.path() + "/server.pem", "--tls-key", dir.path() + "/server.key"}, error))
      << error;
  idp.set_jwks(jwks_of({&rsa_key(1)}));
  const std::string t = token_for(rsa_key(1), idp.issuer());
  const std::string ca = dir.path() + "/ca.pem";

  CliRun r = run_cli({"verify", "--discovery", idp.issuer(), "--ca-file", ca, "--audience", kAudience, t});
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_cli({"verify", "--discovery", idp.issuer(), "--audience", kAudience, t});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("jwks_unavailable: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("certificate"), std::string::npos) << r.err;
  r = run_cli(
      {"verify", "--jwks", idp.jwks_url(), "--issuer", idp.issuer(), "--ca-file", ca, "--audience", kAudience, t});
  EXPECT_EQ(r.status, 0) << r.err;

  r = run_cli({"discover", idp.issuer(), "--ca-file", ca});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  r = run_cli({"discover", idp.issuer()});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("certificate"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace oidcore::testing
