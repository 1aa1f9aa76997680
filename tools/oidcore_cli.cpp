// The oidcore command line: for people debugging an integration. It talks to the library
// through the public C ABI only, like any other language would.
#include <oidcore.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

constexpr int kExitRejected = 1;
constexpr int kExitUsage = 2;

const char* const kUsage =
    "usage:\n"
    "  oidcore verify (--jwks FILE|URL --issuer ISS | --discovery ISSUER) --audience AUD\n"
    "                 [--audience AUD2 ...] [--internal-url URL] [--ca-file FILE]\n"
    "                 [--algorithms A,B] [--clock-tolerance SEC] [--now UNIX] [--typ TYP]\n"
    "                 [--require CLAIM ...] [--max-token-bytes N] [TOKEN | -]\n"
    "  oidcore discover ISSUER [--internal-url URL] [--jwks-uri URL] [--ca-file FILE] [--json]\n"
    "  oidcore doctor ISSUER [--internal-url URL] [--jwks-uri URL] [--ca-file FILE]\n"
    "                 [--client-id ID --client-secret SECRET] [--json]\n"
    "  oidcore --version\n"
    "\n"
    "verify: prints the claims as one JSON object and exits 0 when the token is valid;\n"
    "prints 'CODE: message' on stderr and exits 1 when it is rejected; exits 2 on usage errors.\n"
    "The token is read from standard input when it is '-' or not given.\n"
    "discover: the provider's endpoints and keys; doctor adds the algorithms both sides\n"
    "support, the clock skew and (with client credentials) a check at the token endpoint.\n"
    "Both exit 0 when nothing is wrong and 1 when they found problems (listed).\n";

int usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "oidcore: %s\n", problem.c_str());
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

void append_json_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

bool parse_number(const std::string& s, long long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(s.c_str(), &end, 10);
  return errno == 0 && end && *end == '\0';
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string part = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

int verify_command(int argc, char** argv) {
  std::string jwks, issuer, typ, discovery, internal_url, ca_file;
  std::vector<std::string> audiences, algorithms, required;
  long long clock_tolerance = -1, now = -1, max_token_bytes = -1;
  std::string token;
  bool have_token = false;
  bool read_stdin = false;

  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    auto number = [&](long long& out) -> bool {
      std::string v;
      return value(v) && parse_number(v, out);
    };
    std::string v;
    if (arg == "--jwks") {
      if (!value(jwks)) return usage("--jwks needs a file or URL");
    } else if (arg == "--discovery") {
      if (!value(discovery)) return usage("--discovery needs the issuer");
    } else if (arg == "--internal-url") {
      if (!value(internal_url)) return usage("--internal-url needs a URL");
    } else if (arg == "--ca-file") {
      if (!value(ca_file)) return usage("--ca-file needs a file");
    } else if (arg == "--issuer") {
      if (!value(issuer)) return usage("--issuer needs a value");
    } else if (arg == "--audience") {
      if (!value(v)) return usage("--audience needs a value");
      audiences.push_back(v);
    } else if (arg == "--algorithms") {
      if (!value(v)) return usage("--algorithms needs a comma-separated list");
      const auto names = split_commas(v);
      // An empty list must not quietly fall back to the default (wider) list.
      if (names.empty()) return usage("--algorithms needs at least one algorithm");
      for (auto& a : names) algorithms.push_back(a);
    } else if (arg == "--clock-tolerance") {
      if (!number(clock_tolerance) || clock_tolerance < 0) return usage("--clock-tolerance needs seconds");
    } else if (arg == "--now") {
      if (!number(now) || now < 0) return usage("--now needs Unix seconds");
    } else if (arg == "--typ") {
      if (!value(typ)) return usage("--typ needs a value");
    } else if (arg == "--require") {
      if (!value(v)) return usage("--require needs a claim name");
      required.push_back(v);
    } else if (arg == "--max-token-bytes") {
      if (!number(max_token_bytes) || max_token_bytes <= 0) return usage("--max-token-bytes needs a size");
    } else if (arg == "-" || arg.rfind("--", 0) != 0) {
      if (have_token) return usage("more than one token given");
      have_token = true;
      read_stdin = arg == "-";
      if (!read_stdin) token = arg;
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (jwks.empty() == discovery.empty()) return usage("one of --jwks or --discovery is required");
  if (!discovery.empty()) {
    if (issuer.empty()) issuer = discovery;
    if (issuer != discovery) return usage("--issuer and --discovery name different issuers");
  }
  if (issuer.empty()) return usage("--issuer is required");
  if (audiences.empty()) return usage("--audience is required");

  if (!have_token || read_stdin) {
    token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    // A token piped from a file usually ends with a newline; nothing else is trimmed.
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }

  const bool remote = jwks.rfind("http://", 0) == 0 || jwks.rfind("https://", 0) == 0;
  std::string config = "{";
  if (!discovery.empty()) {
    config += "\"discovery\":true";
  } else {
    config += remote ? "\"jwks_uri\":" : "\"jwks_file\":";
    append_json_string(config, jwks);
  }
  if (!internal_url.empty()) {
    config += ",\"internal_url\":";
    append_json_string(config, internal_url);
  }
  if (!ca_file.empty()) {
    config += ",\"ca_file\":";
    append_json_string(config, ca_file);
  }
  config += ",\"issuer\":";
  append_json_string(config, issuer);
  config += ",\"audience\":[";
  for (size_t i = 0; i < audiences.size(); ++i) {
    if (i) config += ',';
    append_json_string(config, audiences[i]);
  }
  config += ']';
  if (!algorithms.empty()) {
    config += ",\"algorithms\":[";
    for (size_t i = 0; i < algorithms.size(); ++i) {
      if (i) config += ',';
      append_json_string(config, algorithms[i]);
    }
    config += ']';
  }
  if (!required.empty()) {
    config += ",\"required_claims\":[";
    for (size_t i = 0; i < required.size(); ++i) {
      if (i) config += ',';
      append_json_string(config, required[i]);
    }
    config += ']';
  }
  if (!typ.empty()) {
    config += ",\"typ\":";
    append_json_string(config, typ);
  }
  if (clock_tolerance >= 0) config += ",\"clock_tolerance\":" + std::to_string(clock_tolerance);
  if (now >= 0) config += ",\"now\":" + std::to_string(now);
  if (max_token_bytes > 0) config += ",\"max_token_bytes\":" + std::to_string(max_token_bytes);
  config += '}';

  oidcore_error err;
  oidcore_verifier* verifier = nullptr;
  if (oidcore_verifier_new(config.data(), config.size(), &verifier, &err) != OIDCORE_OK) {
    // A bad option value is a usage problem; the message names the option.
    std::fprintf(stderr, "%s: %s\n", oidcore_status_name(err.status), err.message);
    return kExitUsage;
  }
  oidcore_result* result = nullptr;
  const oidcore_status st = oidcore_verifier_verify(verifier, token.data(), token.size(), &result, &err);
  int code = 0;
  if (st == OIDCORE_OK) {
    size_t len = 0;
    const char* claims = oidcore_result_claims(result, &len);
    std::fwrite(claims, 1, len, stdout);
    std::fputc('\n', stdout);
  } else {
    std::fprintf(stderr, "%s: %s\n", oidcore_status_name(err.status), err.message);
    code = kExitRejected;
  }
  oidcore_result_free(result);
  oidcore_verifier_free(verifier);
  return code;
}

std::string member(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "";
  return std::string(s);
}

std::string number_or_dash(simdjson::dom::element e, const char* key) {
  int64_t n = 0;
  if (e[key].get_int64().get(n)) return "-";
  return std::to_string(n);
}

void print_report(simdjson::dom::element r, bool doctor) {
  std::printf("issuer            %s\n", member(r, "issuer").c_str());
  simdjson::dom::element d;
  if (!r["discovery"].get(d) && d.is_object()) {
    for (const char* k : {"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "end_session_endpoint",
                          "revocation_endpoint", "introspection_endpoint"}) {
      const std::string v = member(d, k);
      std::printf("%-17s %s\n", std::string(k).substr(0, std::string(k).find("_endpoint")).c_str(),
                  v.empty() ? "-" : v.c_str());
    }
  }
  std::printf("jwks_uri          %s\n", member(r, "jwks_uri").empty() ? "-" : member(r, "jwks_uri").c_str());
  simdjson::dom::array keys, skipped;
  if (!r["keys"].get_array().get(keys)) {
    std::printf("\nkeys (%zu usable)\n", keys.size());
    if (keys.size()) std::printf("  %-24s %-4s %-6s %-8s %-4s %s\n", "KID", "KTY", "ALG", "SIZE", "USE", "THUMBPRINT");
    for (auto k : keys) {
      std::string size = member(k, "crv");
      if (size.empty()) size = number_or_dash(k, "bits") + " bit";
      const std::string alg = member(k, "alg"), use = member(k, "use");
      std::printf("  %-24s %-4s %-6s %-8s %-4s %s\n", member(k, "kid").empty() ? "-" : member(k, "kid").c_str(),
                  member(k, "kty").c_str(), alg.empty() ? "-" : alg.c_str(), size.c_str(),
                  use.empty() ? "-" : use.c_str(), member(k, "thumbprint").c_str());
    }
  }
  if (doctor) {
    simdjson::dom::element algs;
    if (!r["algorithms"].get(algs)) {
      std::string provider, common;
      for (auto a : algs["provider"].get_array()) provider += std::string(a.get_string().value_unsafe()) + " ";
      for (auto a : algs["common"].get_array()) common += std::string(a.get_string().value_unsafe()) + " ";
      std::printf("\nalgorithms        provider: %s\n                  both sides: %s\n",
                  provider.empty() ? "(not advertised)" : provider.c_str(), common.empty() ? "(none)" : common.c_str());
    }
    std::printf("clock skew        %s\n",
                number_or_dash(r, "clock_skew") == "-" ? "unknown (no Date header)"
                                                       : (number_or_dash(r, "clock_skew") + " s").c_str());
    simdjson::dom::element c;
    if (!r["client_check"].get(c) && c.is_object())
      std::printf("client check      %s (%s)\n", member(c, "result").c_str(), member(c, "detail").c_str());
  }
  simdjson::dom::array problems;
  if (!r["problems"].get_array().get(problems) && problems.size()) {
    std::printf("\nproblems\n");
    for (auto p : problems) std::printf("  - %s\n", std::string(p.get_string().value_unsafe()).c_str());
  } else {
    std::printf("\nno problems found\n");
  }
}

int inspect_command(int argc, char** argv, bool doctor) {
  std::string issuer, internal_url, jwks_uri, ca_file, client_id, client_secret;
  bool json_out = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (arg == "--internal-url") {
      if (!value(internal_url)) return usage("--internal-url needs a URL");
    } else if (arg == "--jwks-uri") {
      if (!value(jwks_uri)) return usage("--jwks-uri needs a URL");
    } else if (arg == "--ca-file") {
      if (!value(ca_file)) return usage("--ca-file needs a file");
    } else if (doctor && arg == "--client-id") {
      if (!value(client_id)) return usage("--client-id needs a value");
    } else if (doctor && arg == "--client-secret") {
      if (!value(client_secret)) return usage("--client-secret needs a value");
    } else if (arg == "--json") {
      json_out = true;
    } else if (arg.rfind("--", 0) != 0 && issuer.empty()) {
      issuer = arg;
    } else {
      return usage("unexpected argument " + arg);
    }
  }
  if (issuer.empty()) return usage("the issuer is required");
  if (client_id.empty() != client_secret.empty()) return usage("--client-id and --client-secret go together");
  std::string config = "{\"issuer\":";
  append_json_string(config, issuer);
  for (auto [key, v] : {std::pair<const char*, const std::string*>{"internal_url", &internal_url},
                        {"jwks_uri", &jwks_uri}, {"ca_file", &ca_file}, {"client_id", &client_id},
                        {"client_secret", &client_secret}}) {
    if (v->empty()) continue;
    config += ",\"";
    config += key;
    config += "\":";
    append_json_string(config, *v);
  }
  config += '}';
  oidcore_error err;
  char* report = nullptr;
  size_t len = 0;
  if (oidcore_provider_inspect(config.data(), config.size(), &report, &len, &err) != OIDCORE_OK) {
    std::fprintf(stderr, "%s: %s\n", oidcore_status_name(err.status), err.message);
    return kExitUsage;
  }
  const std::string text(report, len);
  oidcore_string_free(report);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) {
    std::fprintf(stderr, "internal: unreadable report\n");
    return kExitRejected;
  }
  simdjson::dom::array problems;
  const bool has_problems = !root["problems"].get_array().get(problems) && problems.size() > 0;
  if (json_out) std::printf("%s\n", text.c_str());
  else print_report(root, doctor);
  return has_problems ? kExitRejected : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("");
  const std::string cmd = argv[1];
  if (cmd == "--version" || cmd == "version") {
    std::printf("oidcore %s (ABI %d)\n", oidcore_version(), oidcore_abi_version());
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "verify") return verify_command(argc - 2, argv + 2);
  if (cmd == "discover") return inspect_command(argc - 2, argv + 2, false);
  if (cmd == "doctor") return inspect_command(argc - 2, argv + 2, true);
  return usage("unknown command " + cmd);
}
