// Runs oidcore's cookie helpers over a list of requests, for cookie_compat.mjs to compare with
// the npm packages. Reads a JSON array from stdin, each element one of
//   {"op":"sign","value":S,"secret":S}          {"op":"unsign","signed":S,"secrets":[S...]}
//   {"op":"serialize","name":S,"value":S,"options":{...}|null}
//   {"op":"clear","name":S,"options":{...}|null}  {"op":"parse","header":S}
// and writes a JSON array of {"status":"ok"|CODE,"out":S|null} to stdout, in order. Goes
// through the C ABI of liboidcore, as every binding does.
#include <simdjson.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

#include "oidcore.h"

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string_view str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v)) throw std::runtime_error(std::string("request without string \"") + key + "\"");
  return v;
}

// The options member as JSON text, or "" when it is absent or null.
std::string options_of(simdjson::dom::element e) {
  simdjson::dom::element o;
  if (e["options"].get(o) || o.is_null()) return {};
  return simdjson::minify(o);
}

}  // namespace

int main() {
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  simdjson::dom::parser parser;
  simdjson::dom::array requests;
  if (parser.parse(input).get_array().get(requests)) {
    std::cerr << "cookie_vectors: stdin is not a JSON array\n";
    return 2;
  }
  std::string result = "[";
  try {
    for (auto req : requests) {
      const std::string_view op = str(req, "op");
      char* out = nullptr;
      size_t out_len = 0;
      oidcore_status st;
      if (op == "sign") {
        const auto value = str(req, "value"), secret = str(req, "secret");
        st = oidcore_cookie_sign(value.data(), value.size(), secret.data(), secret.size(), &out, &out_len, nullptr);
      } else if (op == "unsign") {
        const auto signed_value = str(req, "signed");
        simdjson::dom::element secrets;
        if (req["secrets"].get(secrets)) throw std::runtime_error("unsign without secrets");
        const std::string secrets_json = simdjson::minify(secrets);
        st = oidcore_cookie_unsign(signed_value.data(), signed_value.size(), secrets_json.data(), secrets_json.size(),
                                   &out, &out_len, nullptr);
      } else if (op == "serialize") {
        const auto name = str(req, "name"), value = str(req, "value");
        const std::string options = options_of(req);
        st = oidcore_cookie_serialize(name.data(), name.size(), value.data(), value.size(),
                                      options.empty() ? nullptr : options.data(), options.size(), &out, &out_len,
                                      nullptr);
      } else if (op == "clear") {
        const auto name = str(req, "name");
        const std::string options = options_of(req);
        st = oidcore_cookie_clear(name.data(), name.size(), options.empty() ? nullptr : options.data(), options.size(),
                                  &out, &out_len, nullptr);
      } else if (op == "parse") {
        const auto header = str(req, "header");
        st = oidcore_cookie_parse(header.data(), header.size(), &out, &out_len, nullptr);
      } else {
        throw std::runtime_error("unknown op " + std::string(op));
      }
      if (result.size() > 1) result += ',';
      result += "{\"status\":";
      append_json_string(result, oidcore_status_name(st));
      result += ",\"out\":";
      if (out) {
        append_json_string(result, std::string_view(out, out_len));
      } else {
        result += "null";
      }
      result += '}';
      oidcore_string_free(out);
    }
  } catch (const std::exception& e) {
    std::cerr << "cookie_vectors: " << e.what() << "\n";
    return 2;
  }
  result += "]\n";
  std::fwrite(result.data(), 1, result.size(), stdout);
  return 0;
}
