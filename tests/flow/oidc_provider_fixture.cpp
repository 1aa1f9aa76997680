#include "oidc_provider_fixture.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

extern char** environ;

namespace oidcore::testing {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Waits for `pid` up to `timeout` seconds, then kills it. The exit status, 128 + signal for
// a signalled child, -1 when it had to be killed.
int reap(pid_t pid, double timeout) {
  const auto start = Clock::now();
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (seconds_since(start) > timeout) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

void curl_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* s = nullptr;
  if (curl_url_get(u, part, &s, flags) != CURLUE_OK || !s) return "";
  std::string out(s);
  curl_free(s);
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// scheme://host:port of an absolute URL; "" when it is not one.
std::string origin_of(const std::string& url) {
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  return lower(url_part(u.get(), CURLUPART_SCHEME)) + "://" + lower(url_part(u.get(), CURLUPART_HOST)) + ":" +
         url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

// `ref` resolved against `base`.
std::string resolve(const std::string& base, const std::string& ref) {
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) return ref;
  if (curl_url_set(u.get(), CURLUPART_URL, ref.c_str(), 0) != CURLUE_OK) return ref;
  return url_part(u.get(), CURLUPART_URL);
}

size_t append_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t append_header(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue)
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name = lower(std::string(line.substr(0, colon)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  headers->emplace_back(std::move(name), std::string(value));
  return size * n;
}

// One exchange on `c` (whose cookie settings are the caller's).
WebResponse perform(CURL* c, const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                    const std::string& body, long timeout_ms) {
  WebResponse out;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 5000L));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, append_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out.headers);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, nullptr);
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body.c_str());
    if (method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  SlistPtr list;
  for (const auto& h : headers) {
    curl_slist* next = curl_slist_append(list.get(), h.c_str());
    if (!next) break;
    list.release();
    list.reset(next);
  }
  // No "Expect: 100-continue" round trip.
  curl_slist* next = curl_slist_append(list.get(), "Expect:");
  if (next) {
    list.release();
    list.reset(next);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  const CURLcode rc = curl_easy_perform(c);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    out.status = 0;
    out.error = std::string(curl_easy_strerror(rc)) + (errbuf[0] ? std::string(": ") + errbuf : "");
    return out;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  char* redirect = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) out.location = redirect;
  return out;
}

std::string html_unescape(std::string_view s) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''}, {"&#x2F;", '/'},
  };
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool done = false;
    if (s[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          done = true;
          break;
        }
      }
    }
    if (!done) out += s[i++];
  }
  return out;
}

// The value of attribute `name` in a start tag; nullopt when absent.
std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  for (size_t pos = 0; (pos = tag.find(name, pos)) != std::string_view::npos; pos += name.size()) {
    if (pos == 0 || !std::isspace(static_cast<unsigned char>(tag[pos - 1]))) continue;
    size_t i = pos + name.size();
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size() || tag[i] != '=') continue;
    ++i;
    while (i < tag.size() && std::isspace(static_cast<unsigned char>(tag[i]))) ++i;
    if (i >= tag.size()) return std::string();
    if (tag[i] == '"' || tag[i] == '\'') {
      const char q = tag[i];
      const size_t end = tag.find(q, i + 1);
      return html_unescape(tag.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1));
    }
    size_t end = i;
    while (end < tag.size() && !std::isspace(static_cast<unsigned char>(tag[end])) && tag[end] != '>') ++end;
    return html_unescape(tag.substr(i, end - i));
  }
  return std::nullopt;
}

struct Form {
  std::string action;
  std::vector<std::pair<std::string, std::string>> fields;
  bool has(std::string_view name) const {
    for (const auto& f : fields)
      if (f.first == name) return true;
    return false;
  }
};

// The first form of a page.
std::optional<Form> parse_form(const std::string& html) {
  const size_t open = html.find("<form");
  if (open == std::string::npos) return std::nullopt;
  const size_t tag_end = html.find('>', open);
  const size_t close = html.find("</form>", open);
  if (tag_end == std::string::npos || close == std::string::npos || close < tag_end) return std::nullopt;
  Form form;
  form.action = attribute(std::string_view(html).substr(open, tag_end - open), "action").value_or("");
  for (size_t pos = tag_end; (pos = html.find("<input", pos)) != std::string::npos && pos < close;) {
    const size_t end = html.find('>', pos);
    if (end == std::string::npos) break;
    const std::string_view tag = std::string_view(html).substr(pos, end - pos);
    if (auto name = attribute(tag, "name")) form.fields.emplace_back(*name, attribute(tag, "value").value_or(""));
    pos = end;
  }
  return form;
}

// What an error page says (#error, #error_description), or the start of its text.
std::string describe(const WebResponse& r, const std::string& url) {
  if (r.status == 0) return r.error + " at " + url;
  auto pick = [&](std::string_view id) -> std::string {
    const std::string needle = "id=\"" + std::string(id) + "\"";
    const size_t at = r.body.find(needle);
    if (at == std::string::npos) return "";
    const size_t gt = r.body.find('>', at);
    const size_t lt = gt == std::string::npos ? gt : r.body.find('<', gt);
    if (lt == std::string::npos) return "";
    return html_unescape(std::string_view(r.body).substr(gt + 1, lt - gt - 1));
  };
  std::string text = pick("error");
  if (!text.empty()) {
    const std::string description = pick("error_description");
    if (!description.empty()) text += ": " + description;
  } else {
    bool in_tag = false, space = false;
    for (char c : r.body) {
      if (c == '<') in_tag = true;
      if (!in_tag) {
        if (std::isspace(static_cast<unsigned char>(c))) {
          space = true;
        } else {
          if (space && !text.empty()) text += ' ';
          space = false;
          text += c;
        }
      }
      if (c == '>') in_tag = false, space = true;
      if (text.size() > 300) break;
    }
  }
  return "HTTP " + std::to_string(r.status) + " at " + url + ": " + text;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// One libcurl handle with the cookie engine on, loaded from and saved to a CookieJar.
class Browser {
 public:
  explicit Browser(CookieJar* jar) : jar_(jar), c_(curl_easy_init()) {
    if (!c_) return;
    curl_easy_setopt(c_.get(), CURLOPT_COOKIEFILE, "");  // the cookie engine, no file
    if (jar_)
      for (const auto& line : jar_->lines) curl_easy_setopt(c_.get(), CURLOPT_COOKIELIST, line.c_str());
  }
  ~Browser() {
    if (!c_ || !jar_) return;
    curl_slist* cookies = nullptr;
    if (curl_easy_getinfo(c_.get(), CURLINFO_COOKIELIST, &cookies) == CURLE_OK) {
      jar_->lines.clear();
      for (curl_slist* s = cookies; s; s = s->next) jar_->lines.emplace_back(s->data);
      curl_slist_free_all(cookies);
    }
  }
  bool ok() const { return c_ != nullptr; }
  WebResponse get(const std::string& url) { return perform(c_.get(), "GET", url, {}, "", 15000); }
  WebResponse post_form(const std::string& url, const std::vector<std::pair<std::string, std::string>>& fields) {
    return perform(c_.get(), "POST", url, {"Content-Type: application/x-www-form-urlencoded"}, form_encode(fields), 15000);
  }

 private:
  CookieJar* jar_;
  CurlPtr c_;
};

std::string member(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "";
  return std::string(s);
}

}  // namespace

std::string oidc_provider_dir() {
  return OIDCORE_OIDC_PROVIDER_DIR;
}

std::string node_executable() {
  return OIDCORE_NODE;
}

OidcProvider::~OidcProvider() {
  stop();
}

bool OidcProvider::start(const std::vector<std::string>& args, std::string& error) {
  stop();
  curl_init_once();
  std::error_code ec;
  std::string stderr_template = (std::filesystem::temp_directory_path(ec) / "oidc_provider_stderr.XXXXXX").string();
  const int err_fd = ::mkostemp(stderr_template.data(), O_CLOEXEC);
  if (err_fd < 0) {
    error = std::string("mkostemp: ") + std::strerror(errno);
    return false;
  }
  ::unlink(stderr_template.c_str());  // nothing is left behind, whatever happens to this process
  stderr_fd_ = ::fcntl(err_fd, F_DUPFD_CLOEXEC, 0);
  // Close-on-exec pipes: the server gets only the ends dup2'ed onto 0 and 1, and no other
  // child inherits the write end of its stdin (which would keep it alive after stop()).
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    ::close(err_fd);
    return false;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    ::close(in[0]);
    ::close(in[1]);
    ::close(err_fd);
    return false;
  }
  std::vector<std::string> argv = {node_executable(), oidc_provider_dir() + "/server.mjs"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err_fd);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    error = "cannot start " + argv[0] + ": " + std::strerror(rc);
    stop();
    return false;
  }
  pid_ = pid;
  stdin_fd_ = in[1];
  stdout_fd_ = out[0];

  // "READY {json}\n", and nothing else, ever.
  std::string line;
  const auto started = Clock::now();
  while (line.empty() || line.back() != '\n') {
    const double left = 20.0 - seconds_since(started);
    pollfd p{stdout_fd_, POLLIN, 0};
    const int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left * 1000) + 1) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "server.mjs printed no READY line within 20 s\n" + stderr_text();
      stop();
      return false;
    }
    char buf[4096];
    // One byte at a time would be slow for a long line; the READY line is the only output.
    const ssize_t r = ::read(stdout_fd_, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const std::string text = stderr_text();
      const int status = stop();
      error = "server.mjs exited before READY (status " + std::to_string(status) + ")\n" + text;
      return false;
    }
    line.append(buf, static_cast<size_t>(r));
    if (line.find('\n') != std::string::npos) line.resize(line.find('\n') + 1);
  }
  if (line.rfind("READY ", 0) != 0) {
    error = "unexpected first line from server.mjs: " + line;
    stop();
    return false;
  }
  ready_json_ = line.substr(6, line.size() - 7);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  int64_t port = 0;
  if (parser.parse(ready_json_).get(root) || root["port"].get_int64().get(port) || port <= 0) {
    error = "cannot parse the READY line: " + line;
    stop();
    return false;
  }
  port_ = static_cast<int>(port);
  issuer_ = member(root, "issuer");
  client_id_ = member(root, "client_id");
  client_secret_ = member(root, "client_secret");
  alg_ = member(root, "alg");
  kid_ = member(root, "kid");
  redirect_uris_.clear();
  simdjson::dom::array uris;
  if (!root["redirect_uris"].get_array().get(uris)) {
    for (auto u : uris) {
      std::string_view s;
      if (!u.get_string().get(s)) redirect_uris_.emplace_back(s);
    }
  }
  subs_.clear();
  simdjson::dom::object users;
  if (!root["users"].get_object().get(users)) {
    for (auto field : users) subs_.emplace_back(std::string(field.key), member(field.value, "sub"));
  }
  return true;
}

int OidcProvider::stop() {
  int status = 0;
  if (pid_ > 0) {
    close_fd(stdin_fd_);  // EOF on its stdin: the server exits at once
    status = reap(pid_, 5.0);
    pid_ = -1;
  }
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  port_ = 0;
  return status;
}

std::string OidcProvider::origin() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string OidcProvider::sub_of(std::string_view user) const {
  for (const auto& [name, sub] : subs_)
    if (name == user) return sub;
  return "";
}

std::string OidcProvider::stderr_text() const {
  std::string out;
  if (stderr_fd_ < 0) return out;
  char buf[4096];
  for (off_t at = 0;;) {
    const ssize_t r = ::pread(stderr_fd_, buf, sizeof buf, at);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
    at += r;
  }
  return out;
}

long OidcProvider::control(std::string_view name, std::string_view json_body, std::string* response) const {
  if (port_ <= 0) return 0;
  const WebResponse r = web_request("POST", origin() + "/_control/" + std::string(name),
                                    {"Content-Type: application/json"}, std::string(json_body), 10000);
  if (response) *response = r.status ? r.body : r.error;
  return r.status;
}

bool drive_login(const std::string& authorization_url, const std::string& user, const std::string& password,
                 std::string& callback_url, std::string& error, CookieJar* jar) {
  curl_init_once();
  callback_url.clear();
  Browser browser(jar);
  if (!browser.ok()) {
    error = "curl_easy_init failed";
    return false;
  }
  const std::string origin = origin_of(authorization_url);
  if (origin.empty()) {
    error = "not an absolute URL: " + authorization_url;
    return false;
  }
  std::string url = authorization_url;
  std::optional<std::vector<std::pair<std::string, std::string>>> form;
  bool login_posted = false;
  for (int step = 0; step < 30; ++step) {
    const WebResponse r = form ? browser.post_form(url, *form) : browser.get(url);
    if (is_redirect(r.status)) {
      if (r.location.empty()) {
        error = "HTTP " + std::to_string(r.status) + " without Location at " + url;
        return false;
      }
      if (origin_of(r.location) != origin) {
        callback_url = r.location;
        return true;
      }
      url = r.location;
      form.reset();
      continue;
    }
    const std::optional<Form> page = r.status == 200 ? parse_form(r.body) : std::nullopt;
    if (!page) {
      error = "login failed: " + describe(r, url);
      return false;
    }
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& f : page->fields)
      if (f.first != "login" && f.first != "password") fields.push_back(f);
    if (page->has("password")) {
      if (login_posted) {
        error = "login rejected for " + user + ": " + describe(r, url);
        return false;
      }
      fields.emplace_back("login", user);
      fields.emplace_back("password", password);
      login_posted = true;
    }
    const std::string action = resolve(url, page->action.empty() ? url : page->action);
    if (origin_of(action) != origin) {
      error = "the provider answered with a form posting to " + action + " (response_mode=form_post is not supported)";
      return false;
    }
    url = action;
    form = std::move(fields);
  }
  error = "login did not reach the redirect URI within 30 requests";
  return false;
}

bool drive_logout(const std::string& end_session_url, std::string& final_location, std::string& error, CookieJar* jar) {
  curl_init_once();
  final_location.clear();
  Browser browser(jar);
  if (!browser.ok()) {
    error = "curl_easy_init failed";
    return false;
  }
  const std::string origin = origin_of(end_session_url);
  std::string url = end_session_url;
  std::string last_location;
  std::optional<std::vector<std::pair<std::string, std::string>>> form;
  for (int step = 0; step < 10; ++step) {
    const WebResponse r = form ? browser.post_form(url, *form) : browser.get(url);
    if (is_redirect(r.status)) {
      if (r.location.empty()) {
        error = "HTTP " + std::to_string(r.status) + " without Location at " + url;
        return false;
      }
      if (origin_of(r.location) != origin) {
        final_location = r.location;
        return true;
      }
      url = last_location = r.location;
      form.reset();
      continue;
    }
    if (r.status != 200) {
      error = "logout failed: " + describe(r, url);
      return false;
    }
    std::optional<Form> page = parse_form(r.body);
    if (!page) {
      if (!last_location.empty()) {
        final_location = last_location;
        return true;
      }
      error = "logout failed: no redirect from " + url;
      return false;
    }
    if (!page->has("logout")) page->fields.emplace_back("logout", "yes");
    url = resolve(url, page->action.empty() ? url : page->action);
    form = std::move(page->fields);
  }
  error = "logout did not finish within 10 requests";
  return false;
}

std::string WebResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

bool WebResponse::has_header(std::string_view name) const {
  for (const auto& h : headers)
    if (h.first == name) return true;
  return false;
}

WebResponse web_request(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                        const std::string& body, long timeout_ms) {
  curl_init_once();
  CurlPtr c(curl_easy_init());
  if (!c) {
    WebResponse r;
    r.error = "curl_easy_init failed";
    return r;
  }
  return perform(c.get(), method, url, headers, body, timeout_ms);
}

std::string form_urlencode(std::string_view value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '*') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += form_urlencode(k) + "=" + form_urlencode(v);
  }
  return out;
}

std::string query_param(const std::string& url, std::string_view name) {
  UrlPtr u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  const std::string query = url_part(u.get(), CURLUPART_QUERY);
  std::string_view rest(query);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string value(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    for (auto& c : value)
      if (c == '+') c = ' ';
    int len = 0;
    char* decoded = curl_easy_unescape(nullptr, value.c_str(), static_cast<int>(value.size()), &len);
    if (!decoded) return "";
    std::string out(decoded, static_cast<size_t>(len));
    curl_free(decoded);
    return out;
  }
  return "";
}

std::string base64_encode(std::string_view bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string basic_auth_header(std::string_view user, std::string_view password) {
  return "Authorization: Basic " + base64_encode(std::string(user) + ":" + std::string(password));
}

}  // namespace oidcore::testing
