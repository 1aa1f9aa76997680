#include "http/http_fetch.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

namespace oidcore::http {
namespace {

constexpr size_t kMaxPooledHandles = 8;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  HttpResponse* response;
  size_t limit;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  if (t->response->body.size() + n > t->limit) {
    t->too_large = true;
    return 0;  // aborts the transfer: nothing past the limit is read
  }
  t->response->body.append(data, n);
  return n;
}

// libcurl's progress callback, called about once a second even while nothing moves:
// non-zero abandons the transfer.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load(std::memory_order_acquire) ? 1 : 0;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

size_t on_header(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * nmemb;
  std::string_view line(data, n);
  // A new response (after a redirect or 100-continue) starts with its status line.
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->cache_control.clear();
    t->response->date.clear();
    t->response->content_type.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::string value = trim(line.substr(colon + 1));
  if (name == "cache-control") t->response->cache_control = value;
  else if (name == "date") t->response->date = value;
  else if (name == "content-type") t->response->content_type = value;
  return n;
}

std::string part(CURLU* u, CURLUPart which) {
  char* p = nullptr;
  std::string out;
  if (curl_url_get(u, which, &p, 0) == CURLUE_OK && p) out = p;
  curl_free(p);
  return out;
}

}  // namespace

bool parse_url(const std::string& url, UrlParts& out) {
  CURLU* u = curl_url();
  if (!u) return false;
  const bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  if (ok) {
    out.scheme = part(u, CURLUPART_SCHEME);
    out.host = part(u, CURLUPART_HOST);
    out.port = part(u, CURLUPART_PORT);
    out.path = part(u, CURLUPART_PATH);
  }
  curl_url_cleanup(u);
  return ok && (out.scheme == "http" || out.scheme == "https") && !out.host.empty();
}

std::string origin_of(const std::string& url) {
  UrlParts p;
  if (!parse_url(url, p)) return "";
  return p.scheme + "://" + p.host + (p.port.empty() ? "" : ":" + p.port);
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  global_init();
  if (!options_.internal_url.empty() && parse_url(options_.internal_url, internal_parts_) &&
      parse_url(options_.public_url, public_parts_))
    rewrite_enabled_ = true;
}

HttpClient::~HttpClient() {
  for (CURL* h : pool_) curl_easy_cleanup(h);
}

CURL* HttpClient::acquire() const {
  {
    std::lock_guard<std::mutex> lock(pool_mutex_);
    if (!pool_.empty()) {
      CURL* h = pool_.back();
      pool_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::release(CURL* handle) const {
  curl_easy_reset(handle);  // keeps the connection cache, drops every option
  std::lock_guard<std::mutex> lock(pool_mutex_);
  if (pool_.size() < kMaxPooledHandles) {
    pool_.push_back(handle);
    return;
  }
  curl_easy_cleanup(handle);
}

void HttpClient::rewrite(const std::string& url, std::string& target, std::vector<std::string>& headers) const {
  target = url;
  if (!rewrite_enabled_) return;
  UrlParts p;
  if (!parse_url(url, p)) return;
  if (p.scheme != public_parts_.scheme || p.host != public_parts_.host || p.port != public_parts_.port) return;
  CURLU* u = curl_url();
  if (!u) return;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_SCHEME, internal_parts_.scheme.c_str(), 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_HOST, internal_parts_.host.c_str(), 0) == CURLUE_OK &&
      curl_url_set(u, CURLUPART_PORT, internal_parts_.port.empty() ? nullptr : internal_parts_.port.c_str(), 0) ==
          CURLUE_OK) {
    char* out = nullptr;
    if (curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK && out) {
      target = out;
      const std::string host = public_parts_.host + (public_parts_.port.empty() ? "" : ":" + public_parts_.port);
      // The identity provider builds its issuer and URLs from these (see Authentik).
      headers.push_back("Host: " + host);
      headers.push_back("X-Forwarded-Proto: " + public_parts_.scheme);
      headers.push_back("X-Forwarded-Host: " + host);
    }
    curl_free(out);
  }
  curl_url_cleanup(u);
}

Error HttpClient::fetch(const HttpRequest& request, HttpResponse& out) const {
  out = HttpResponse{};
  std::string target;
  std::vector<std::string> extra;
  rewrite(request.url, target, extra);
  UrlParts parts;
  if (!parse_url(target, parts)) return Error(Status::http_error, "not an http(s) URL: " + printable(target, 200));

  CURL* h = acquire();
  if (!h) return Error(Status::internal, "cannot create an HTTP handle");
  Transfer transfer{&out, options_.max_response_bytes};
  curl_slist* headers = nullptr;
  for (const auto& hd : extra) headers = curl_slist_append(headers, hd.c_str());
  for (const auto& hd : request.headers) headers = curl_slist_append(headers, hd.c_str());

  curl_easy_setopt(h, CURLOPT_URL, target.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
  // A redirect may not change the scheme (no downgrade to http, no file:, no gopher:).
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, parts.scheme.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.total_timeout_ms);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_bytes));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.ca_dir.empty()) curl_easy_setopt(h, CURLOPT_CAPATH, options_.ca_dir.c_str());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "oidcore");
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // any encoding libcurl can decode
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  if (headers) curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (request.cancel) {
    if (request.cancel->load(std::memory_order_acquire)) {
      curl_slist_free_all(headers);
      release(h);
      return Error(Status::http_error, "request to " + printable(request.url, 200) + " cancelled");
    }
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(request.cancel));
  }

  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  char* effective = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective) out.effective_url = effective;
  curl_slist_free_all(headers);
  release(h);

  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED)
    return Error(Status::too_large, "response from " + printable(request.url, 200) + " is larger than " +
                                        std::to_string(options_.max_response_bytes) + " bytes");
  if (rc != CURLE_OK) {
    std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT) why = "timed out: " + why;
    if (rc == CURLE_ABORTED_BY_CALLBACK) why = "cancelled";
    return Error(Status::http_error, "request to " + printable(request.url, 200) + " failed: " + printable(why, 200),
                 out.status);
  }
  return {};
}

}  // namespace oidcore::http
