// Writes a sample key set and tokens into a folder, for the demo and the CLI tests:
//   jwks.json                       public keys (RS256, ES256, EdDSA), as an IdP publishes them
//   rs256.jwt es256.jwt eddsa.jwt   valid for one hour from now
//   expired.jwt                     expired ten minutes ago
//   tampered.jwt                    rs256.jwt with its payload changed (role escalated)
//   wrong-audience.jwt              valid signature, another audience
//   alg-none.jwt                    the classic unsigned token
// usage: sample_token OUTDIR ISSUER AUDIENCE
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

#include "token_factory.hpp"

using namespace oidcore::testing;

namespace {

void write(const std::string& dir, const std::string& name, const std::string& text) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out << text << "\n";
  if (!out) throw std::runtime_error("cannot write " + dir + "/" + name);
}

std::string claims(const std::string& iss, const std::string& aud, long long now, long long exp) {
  return "{\"iss\":" + json_string(iss) + ",\"sub\":\"4f1d9c0e\",\"aud\":" + json_string(aud) +
         ",\"exp\":" + std::to_string(exp) + ",\"iat\":" + std::to_string(now) +
         ",\"email\":\"ada@example.com\",\"name\":\"Ada Lovelace\",\"groups\":[\"engineering\",\"app-admins\"]}";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: sample_token OUTDIR ISSUER AUDIENCE\n");
    return 2;
  }
  try {
    const std::string dir = argv[1], iss = argv[2], aud = argv[3];
    const long long now = static_cast<long long>(std::time(nullptr));
    const TestKey rsa = TestKey::generate(KeyKind::rsa2048, "rsa-2026");
    const TestKey ec = TestKey::generate(KeyKind::p256, "ec-2026");
    const TestKey ed = TestKey::generate(KeyKind::ed25519, "ed-2026");
    write(dir, "jwks.json",
          "{\"keys\":[" + rsa.public_jwk("\"alg\":\"RS256\",\"use\":\"sig\"") + "," +
              ec.public_jwk("\"alg\":\"ES256\",\"use\":\"sig\"") + "," + ed.public_jwk("\"alg\":\"EdDSA\",\"use\":\"sig\"") +
              "]}");
    const std::string good = claims(iss, aud, now, now + 3600);
    const std::string rs = make_jwt(rsa, "RS256", good);
    write(dir, "rs256.jwt", rs);
    write(dir, "es256.jwt", make_jwt(ec, "ES256", good));
    write(dir, "eddsa.jwt", make_jwt(ed, "EdDSA", good));
    write(dir, "expired.jwt", make_jwt(rsa, "RS256", claims(iss, aud, now - 4200, now - 600)));
    write(dir, "wrong-audience.jwt", make_jwt(rsa, "RS256", claims(iss, "another-api", now, now + 3600)));
    // Same header and signature, payload swapped for one that claims more.
    const auto first = rs.find('.'), last = rs.rfind('.');
    std::string escalated = good;
    escalated.replace(escalated.find("engineering"), 11, "superadmins");
    write(dir, "tampered.jwt", rs.substr(0, first + 1) + b64url(escalated) + rs.substr(last));
    write(dir, "alg-none.jwt", b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64url(good) + ".");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sample_token: %s\n", e.what());
    return 1;
  }
}
