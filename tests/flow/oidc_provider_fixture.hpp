// The real test identity provider (tests/idp/oidc-provider/server.mjs: the npm package
// oidc-provider configured like Authentik) as a child process, and scripted logins through
// its pages without a browser. See tests/idp/oidc-provider/README.md.
//
//   OidcProvider idp;
//   std::string error, callback;
//   ASSERT_TRUE(idp.start({"--alg", "ES256"}, error)) << error;
//   ASSERT_TRUE(drive_login(authorization_url, "alice", "alice-password", callback, error)) << error;
//
// Needs libcurl and simdjson only (no oidcore code), so any test can link it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oidcore::testing {

class OidcProvider {
 public:
  OidcProvider() = default;
  ~OidcProvider();  // stop()
  OidcProvider(const OidcProvider&) = delete;
  OidcProvider& operator=(const OidcProvider&) = delete;

  // Spawns `node server.mjs ARGS...` from the fixture folder with its stdin and stdout on
  // pipes and waits (up to 20 s) for its READY line. On failure returns false with `error`
  // set (including what the server wrote on stderr) and no process left behind.
  [[nodiscard]] bool start(const std::vector<std::string>& args, std::string& error);
  // Closes the server's stdin (its signal to exit) and reaps it; kills it after 5 s.
  // Returns the exit status (-1 when it had to be killed). Idempotent.
  int stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  // http://127.0.0.1:PORT/application/o/SLUG/ (trailing slash).
  const std::string& issuer() const { return issuer_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& client_secret() const { return client_secret_; }
  // "RS256", "ES256" or "HS256"; the signing key's kid ("" in HS256 mode) at start.
  const std::string& alg() const { return alg_; }
  const std::string& kid() const { return kid_; }
  // http://127.0.0.1:PORT
  std::string origin() const;
  // issuer() + ".well-known/openid-configuration"
  std::string discovery_url() const { return issuer_ + ".well-known/openid-configuration"; }
  // The registered redirect URIs (from the READY line).
  const std::vector<std::string>& redirect_uris() const { return redirect_uris_; }
  // The `sub` of a fixed user ("alice", "bob"); "" when unknown.
  std::string sub_of(std::string_view user) const;
  // The whole JSON object of the READY line.
  const std::string& ready_json() const { return ready_json_; }
  // What the server wrote on stderr so far.
  std::string stderr_text() const;

  // POST /_control/NAME with a JSON body. Returns the HTTP status (200 when done, 0 when
  // the request failed) and the answer in *response when given.
  long control(std::string_view name, std::string_view json_body = "{}", std::string* response = nullptr) const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int port_ = 0;
  int stderr_fd_ = -1;  // an unlinked temporary file the server's stderr goes to
  std::string issuer_, client_id_, client_secret_, alg_, kid_, ready_json_;
  std::vector<std::string> redirect_uris_;
  std::vector<std::pair<std::string, std::string>> subs_;
};

// The fixture folder (tests/idp/oidc-provider) and the node executable found at configure
// time.
std::string oidc_provider_dir();
std::string node_executable();

// Cookies as libcurl keeps them (Netscape cookie-file lines, CURLINFO_COOKIELIST). Pass the
// same jar to drive_login() and drive_logout() to log out of the session logged in to.
struct CookieJar {
  std::vector<std::string> lines;
};

// Logs in through the provider's pages with libcurl (cookie engine on, redirects not
// followed automatically): GETs the authorization URL, follows redirects to the login page,
// posts the login form (#login, #password), posts the consent form when shown, and stops at
// the first redirect whose Location leaves the provider's origin (scheme, host and port):
// the redirect URI, not followed. `callback_url` is that full URL (code and state, or error
// and error_description). False with `error` when the provider shows an error page, rejects
// the password, or the flow does not end within 30 requests.
[[nodiscard]] bool drive_login(const std::string& authorization_url, const std::string& user, const std::string& password,
                               std::string& callback_url, std::string& error, CookieJar* jar = nullptr);

// Follows an end-session URL: posts the self-submitting logout form (hidden xsrf and
// logout=yes), follows redirects and returns the final Location in `final_location`: the
// post_logout_redirect_uri with state when the provider sends the browser there, else the
// provider's own "signed out" page URL (…/end-session/success).
[[nodiscard]] bool drive_logout(const std::string& end_session_url, std::string& final_location, std::string& error,
                                CookieJar* jar = nullptr);

// A plain HTTP exchange for tests that talk to the provider by hand (code exchange,
// introspection...). Never follows redirects.
struct WebResponse {
  long status = 0;  // 0 when the request failed (see error)
  std::string body;
  std::string location;  // the absolute redirect target, when any
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string error;  // libcurl's message when status is 0
  // The first header of that (lower-case) name; "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};
WebResponse web_request(const std::string& method, const std::string& url, const std::vector<std::string>& headers = {},
                        const std::string& body = {}, long timeout_ms = 10000);

// application/x-www-form-urlencoded, as RFC 6749 Appendix B asks ("+" for space).
std::string form_urlencode(std::string_view value);
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
// The value of a query parameter of a URL, decoded; "" when absent.
std::string query_param(const std::string& url, std::string_view name);
// Standard base64 (with padding), for Basic credentials.
std::string base64_encode(std::string_view bytes);
// "Authorization: Basic base64(user:password)", user and password used as given.
std::string basic_auth_header(std::string_view user, std::string_view password);

}  // namespace oidcore::testing
