// The cross-language conformance cases (tests/conformance/cases.json): the Node and Python
// tests run the same file and must give the same verdicts.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "verifier/verifier.hpp"

#ifndef OIDCORE_CONFORMANCE_CASES
#error "OIDCORE_CONFORMANCE_CASES must name tests/conformance/cases.json"
#endif

TEST(Conformance, SharedCasesGiveTheirVerdicts) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.load(OIDCORE_CONFORMANCE_CASES).get(root), simdjson::SUCCESS);
  const std::string config = simdjson::minify(root["config"]);
  oidcore::Error err;
  auto verifier = oidcore::Verifier::create(config, err);
  ASSERT_TRUE(verifier) << err.message;
  size_t count = 0, ok = 0;
  for (auto c : root["cases"].get_array()) {
    const std::string name(c["name"].get_string().value());
    const std::string token(c["token"].get_string().value());
    const std::string expected(c["expected"].get_string().value());
    oidcore::VerifiedToken out;
    const oidcore::Error e = verifier->verify(token, out);
    EXPECT_EQ(std::string(e ? oidcore::status_name(e.status) : "ok"), expected) << name << ": " << e.message;
    ++count;
    if (expected == "ok") ++ok;
  }
  EXPECT_EQ(count, 32u);
  EXPECT_EQ(ok, 4u);
}
