// Server-to-server HTTP through libcurl: bounded in time and size, TLS verification always
// on, redirects only to the same scheme, proxies from the usual environment variables,
// connections reused across fetches.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "status.hpp"

typedef void CURL;

namespace oidcore::http {

struct HttpOptions {
  long connect_timeout_ms = 2000;
  long total_timeout_ms = 5000;
  size_t max_response_bytes = 1 << 20;
  std::string ca_file;  // extra trust anchors (a private CA); the system store otherwise
  std::string ca_dir;
  // Authentik's AUTHENTIK_INTERNAL_URL pattern: requests to the public origin are sent to
  // this base instead (scheme, host and port replaced, path kept), carrying the public host
  // and scheme in Host / X-Forwarded-Proto / X-Forwarded-Host.
  std::string internal_url;
  std::string public_url;  // the public origin those requests are addressed to (the issuer)
};

struct HttpRequest {
  std::string url;
  std::string method = "GET";  // GET or POST
  std::string body;            // for POST (application/x-www-form-urlencoded unless set)
  std::vector<std::string> headers;
  // When set and it turns true, the transfer is abandoned within about a second
  // (Status::http_error, "cancelled"): what an owner going away uses not to wait out the
  // whole deadline of a request made on its behalf.
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string cache_control;
  std::string date;
  std::string effective_url;
};

// A URL split by libcurl's URL parser.
struct UrlParts {
  std::string scheme, host, port, path;  // port empty when default
};
[[nodiscard]] bool parse_url(const std::string& url, UrlParts& out);
// scheme://host[:port] of a URL, lower-cased as libcurl normalises it; empty when invalid.
std::string origin_of(const std::string& url);

// Thread-safe: each fetch takes a connection handle from a small pool (no lock is held
// while the request runs).
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs the request. Network failures, timeouts and TLS errors are Status::http_error
  // (detail = HTTP status when one was received); a body over the limit is
  // Status::too_large. Any HTTP status is returned as-is in `out` (the caller decides).
  [[nodiscard]] Error fetch(const HttpRequest& request, HttpResponse& out) const;

  const HttpOptions& options() const noexcept { return options_; }

  // The URL actually requested after internal-URL rewriting, plus the headers added.
  void rewrite(const std::string& url, std::string& target, std::vector<std::string>& headers) const;

 private:
  CURL* acquire() const;
  void release(CURL* handle) const;

  HttpOptions options_;
  UrlParts public_parts_;
  UrlParts internal_parts_;
  bool rewrite_enabled_ = false;
  mutable std::mutex pool_mutex_;
  mutable std::vector<CURL*> pool_;
};

}  // namespace oidcore::http
