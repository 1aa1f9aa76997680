#include "web/request_verification.hpp"

#include <string>

#include "json/strict_json.hpp"
#include "web/json_options.hpp"

namespace oidcore::web {
namespace {

// How much a failure says about the request (higher: more specific). -1: not ranked, the
// walk stops and the failure is returned as it is.
int specificity(Status s) noexcept {
  switch (s) {
    case Status::not_found:
      return 0;  // no token
    case Status::malformed:
    case Status::too_large:
      return 1;  // a value that is not even a token
    case Status::jwks_unavailable:
    case Status::http_error:
    case Status::idp_error:
    case Status::store_unavailable:
      return 3;  // the verdict is unknown: retryable
    case Status::needs_fetch:
    case Status::invalid_argument:
    case Status::invalid_config:
    case Status::internal:
    case Status::ok:
      return -1;
    default:
      return 2;  // a token, rejected
  }
}

std::string source_label(TokenSource s, const TokenSourceOptions& o) {
  if (s == TokenSource::bearer) return "the bearer token";
  return "the " + printable(o.cookie_name) + " cookie";
}

std::string not_found_message(const TokenSourceOptions& o, bool skipped_signed_cookie) {
  std::string m = "no token in the request (";
  for (size_t i = 0; i < o.order.size(); ++i) {
    if (i)
      m += " nor ";
    else if (o.order.size() > 1)
      m += "neither ";
    m += o.order[i] == TokenSource::bearer ? "an Authorization: Bearer header" : source_label(o.order[i], o);
  }
  m += ')';
  if (skipped_signed_cookie)
    m += "; " + source_label(TokenSource::cookie, o) + " is not signed with a configured secret";
  return m;
}

}  // namespace

Error parse_request_verification_options(std::string_view text, RequestVerificationOptions& out) {
  out = RequestVerificationOptions();
  if (text.empty()) return {};
  json::StrictParser parser;
  simdjson::dom::object obj;
  if (auto err = detail::parse_object(parser, text, "request verification options", obj)) return err;
  for (auto field : obj) {
    if (field.key == "allow_fetch") {
      if (auto err = detail::read_bool(field.value, field.key, out.allow_fetch)) return err;
      continue;
    }
    Error err;
    if (!detail::read_token_source_option(field.key, field.value, out.sources, err))
      return detail::keyed(field.key, "is not a known request verification option");
    if (err) return err;
  }
  return {};
}

Error verify_request(std::string_view cookie_header, std::string_view authorization, const TokenSourceOptions& options,
                     TokenVerification verify, TokenSource& source) {
  source = options.order.empty() ? TokenSource::cookie : options.order.front();
  if (auto err = check_token_source_options(options)) return err;
  Error best;
  int best_rank = -1;
  bool skipped_signed_cookie = false;
  std::string token;
  for (const TokenSource s : options.order) {
    bool bad_signature = false;
    Error err = find_source_token(cookie_header, authorization, s, options, token, &bad_signature);
    skipped_signed_cookie = skipped_signed_cookie || bad_signature;
    if (!err) {
      err = verify(token);
      if (!err) {
        source = s;
        return {};
      }
      if (specificity(err.status) < 0) return err;  // needs_fetch, a caller error or a bug
      err.message = source_label(s, options) + ": " +
                    (err.message.empty() ? std::string(status_message(err.status)) : err.message);
    } else if (specificity(err.status) < 0) {
      return err;
    }
    const int rank = specificity(err.status);
    if (rank > best_rank) {
      best = std::move(err);
      best_rank = rank;
    }
  }
  if (best_rank <= 0) return Error(Status::not_found, not_found_message(options, skipped_signed_cookie));
  return best;
}

Error verify_request(std::string_view cookie_header, std::string_view authorization, const TokenSourceOptions& options,
                     const Verifier& verifier, const VerifyOptions& verify_options, VerifiedToken& out,
                     TokenSource& source) {
  const auto check = [&](std::string_view token) { return verifier.verify(token, out, verify_options); };
  return verify_request(cookie_header, authorization, options, check, source);
}

}  // namespace oidcore::web
