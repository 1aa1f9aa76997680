// The oidcore command line: for people debugging an integration. It talks to the library
// through the public C ABI only, like any other language would.
#include <oidcore.h>

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
    "  oidcore verify --jwks FILE --issuer ISS --audience AUD [--audience AUD2 ...]\n"
    "                 [--algorithms A,B] [--clock-tolerance SEC] [--now UNIX] [--typ TYP]\n"
    "                 [--require CLAIM ...] [--max-token-bytes N] [TOKEN | -]\n"
    "  oidcore --version\n"
    "\n"
    "verify: prints the claims as one JSON object and exits 0 when the token is valid;\n"
    "prints 'CODE: message' on stderr and exits 1 when it is rejected; exits 2 on usage errors.\n"
    "The token is read from standard input when it is '-' or not given.\n";

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
  std::string jwks, issuer, typ;
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
      if (!value(jwks)) return usage("--jwks needs a file");
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
  if (jwks.empty()) return usage("--jwks is required");
  if (issuer.empty()) return usage("--issuer is required");
  if (audiences.empty()) return usage("--audience is required");

  if (!have_token || read_stdin) {
    token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    // A token piped from a file usually ends with a newline; nothing else is trimmed.
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }

  std::string config = "{\"jwks_file\":";
  append_json_string(config, jwks);
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
  return usage("unknown command " + cmd);
}
