// parse_discovery() on its own: the issuer check and the endpoint rules.
#include <gtest/gtest.h>

#include "jwks/jwks_cache.hpp"

using oidcore::Status;
using oidcore::jwks::ProviderMetadata;
using oidcore::jwks::parse_discovery;

TEST(DiscoveryParse, HttpsIssuerRefusesPlainHttpEndpoints) {
  ProviderMetadata md;
  const std::string iss = "https://auth.example.com/application/o/app/";
  EXPECT_EQ(parse_discovery(R"({"issuer":")" + iss + R"(","jwks_uri":"https://auth.example.com/jwks"})", iss, md).status,
            Status::ok);
  EXPECT_EQ(md.jwks_uri, "https://auth.example.com/jwks");
  const auto downgraded = parse_discovery(R"({"issuer":")" + iss + R"(","jwks_uri":"http://auth.example.com/jwks"})", iss, md);
  EXPECT_EQ(downgraded.status, Status::http_error);
  EXPECT_NE(downgraded.message.find("not https"), std::string::npos) << downgraded.message;
  EXPECT_EQ(parse_discovery(R"({"issuer":")" + iss +
                                R"(","jwks_uri":"https://auth.example.com/jwks","token_endpoint":"http://auth.example.com/t"})",
                            iss, md)
                .status,
            Status::http_error);
  // A plain-http issuer (a loopback test provider) may use plain-http endpoints.
  const std::string local = "http://127.0.0.1:9000/application/o/app/";
  EXPECT_EQ(parse_discovery(R"({"issuer":")" + local + R"(","jwks_uri":"http://127.0.0.1:9000/jwks"})", local, md).status,
            Status::ok);
}

TEST(DiscoveryParse, IssuerMustMatchByteForByte) {
  ProviderMetadata md;
  const std::string iss = "https://auth.example.com/application/o/app/";
  for (const std::string other : {"https://auth.example.com/application/o/app", "https://AUTH.example.com/application/o/app/",
                                  "https://auth.example.com:443/application/o/app/", "https://evil.example/"}) {
    SCOPED_TRACE(other);
    EXPECT_EQ(parse_discovery(R"({"issuer":")" + other + R"(","jwks_uri":"https://auth.example.com/jwks"})", iss, md).status,
              Status::bad_issuer);
  }
}
