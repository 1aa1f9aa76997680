#include "jwks/jwks_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include "json/strict_json.hpp"

namespace oidcore::jwks {

using json::Presence;

namespace {

// The precise wall clock (glibc's time() reads the coarse clock, up to a tick behind).
int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Error read_url_member(simdjson::dom::object obj, std::string_view name, std::string& out, bool required,
                      bool https_only) {
  std::string_view s;
  switch (json::get_string(obj, name, s)) {
    case Presence::absent:
      if (required) return Error(Status::http_error, "discovery document has no \"" + std::string(name) + "\"");
      return {};
    case Presence::wrong_type:
      return Error(Status::http_error, "discovery document's \"" + std::string(name) + "\" is not a string");
    case Presence::present:
      break;
  }
  // An empty optional endpoint counts as absent; a required one must be there.
  if (s.empty() && required)
    return Error(Status::http_error, "discovery document's \"" + std::string(name) + "\" is empty");
  if (!s.empty() && http::origin_of(std::string(s)).empty())
    return Error(Status::http_error, "discovery document's \"" + std::string(name) + "\" is not an http(s) URL");
  if (!s.empty() && https_only && s.rfind("https://", 0) != 0)
    return Error(Status::http_error,
                 "discovery document's \"" + std::string(name) + "\" is not https although the issuer is");
  out.assign(s);
  return {};
}

// Why a body that is not JSON came back, when its Content-Type says: an HTML login or
// error page from a proxy is the usual suspect, and "invalid JSON" alone hides it.
std::string content_type_note(const std::string& content_type) {
  std::string lower = content_type;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (content_type.empty() || lower.find("json") != std::string::npos) return "";
  return " (the response is " + printable(content_type, 80) + ", not JSON)";
}

}  // namespace

Error parse_discovery(std::string_view text, const std::string& expected_issuer, ProviderMetadata& out) {
  out = ProviderMetadata{};
  json::StrictParser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text, root)) return Error(Status::http_error, "discovery document: " + err.message);
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return Error(Status::http_error, "discovery document is not a JSON object");
  std::string_view issuer;
  if (json::get_string(obj, "issuer", issuer) != Presence::present)
    return Error(Status::http_error, "discovery document has no string \"issuer\"");
  // OpenID Connect Discovery §4.3: exactly the issuer that was asked for.
  if (issuer != expected_issuer)
    return Error(Status::bad_issuer, "discovery names issuer \"" + printable(issuer, 200) + "\", expected \"" +
                                         printable(expected_issuer, 200) + "\"");
  out.issuer.assign(issuer);
  // An https issuer's endpoints must be https too: keys or tokens over plain http could be
  // swapped by anyone on the path.
  const bool https_only = http::origin_of(expected_issuer).rfind("https://", 0) == 0;
  if (auto err = read_url_member(obj, "jwks_uri", out.jwks_uri, true, https_only)) return err;
  for (auto [name, field] : {std::pair<std::string_view, std::string*>{"authorization_endpoint", &out.authorization_endpoint},
                             {"token_endpoint", &out.token_endpoint},
                             {"userinfo_endpoint", &out.userinfo_endpoint},
                             {"end_session_endpoint", &out.end_session_endpoint},
                             {"revocation_endpoint", &out.revocation_endpoint},
                             {"introspection_endpoint", &out.introspection_endpoint}}) {
    if (auto err = read_url_member(obj, name, *field, false, https_only)) return err;
  }
  simdjson::dom::element algs;
  if (!obj.at_key("id_token_signing_alg_values_supported").get(algs)) {
    simdjson::dom::array arr;
    if (algs.get_array().get(arr))
      return Error(Status::http_error, "\"id_token_signing_alg_values_supported\" is not an array");
    for (auto a : arr) {
      std::string_view name;
      if (a.get_string().get(name))
        return Error(Status::http_error, "\"id_token_signing_alg_values_supported\" holds a non-string");
      out.id_token_signing_alg_values_supported.emplace_back(name);
    }
  }
  return {};
}

int64_t KeyCache::monotonic_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t KeyCache::monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool UnknownKids::absent_from(std::string_view kid, uint64_t generation) const {
  if (generation != generation_ || absent_.empty() || !rememberable(kid)) return false;
  return absent_.count(std::string(kid)) != 0;
}

void UnknownKids::note(std::string_view kid) {
  if (!rememberable(kid)) return;
  ++sequence_;
  if (waiting_.size() >= capacity_) return;  // full: the kid is just not remembered
  waiting_.emplace(std::string(kid), sequence_);  // an earlier note of the same kid stands
}

void UnknownKids::new_generation(uint64_t generation, uint64_t mark, const jose::KeySet& keys) {
  const auto held = [&](const std::string& kid) {
    return std::any_of(keys.keys.begin(), keys.keys.end(),
                       [&](const jose::JwkPtr& k) { return k->has_kid && k->kid == kid; });
  };
  // What was absent from the previous keys was asked for before this fetch started: judged
  // again by the new keys, it stays only if they lack it too. (Were the set simply emptied,
  // a handful of junk kids replayed in turn would cost a fetch every interval for ever.)
  generation_ = generation;
  for (auto it = absent_.begin(); it != absent_.end();) {
    if (held(*it))
      it = absent_.erase(it);
    else
      ++it;
  }
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second > mark) {  // noted after the fetch started: the next one judges it
      ++it;
      continue;
    }
    if (!held(it->first) && absent_.size() < capacity_) absent_.insert(it->first);
    it = waiting_.erase(it);
  }
}

namespace {

std::atomic<uint64_t> next_cache_id{1};

// The snapshots this thread saw last, of the few caches it used most recently.
struct SavedSnapshot {
  uint64_t cache_id = 0;  // 0: empty
  uint64_t version = 0;
  std::shared_ptr<const KeySnapshot> snap;
};
constexpr size_t kSavedSnapshots = 4;

}  // namespace

KeyCache::KeyCache(std::string jwks_uri, std::string discovery_issuer, std::shared_ptr<const http::HttpClient> http,
                   CacheOptions options)
    : discovery_issuer_(std::move(discovery_issuer)),
      http_(std::move(http)),
      options_(std::move(options)),
      id_(next_cache_id.fetch_add(1, std::memory_order_relaxed)),
      jwks_uri_(std::move(jwks_uri)),
      unknown_kids_(options_.unknown_kid_capacity),
      owner_pid_(::getpid()) {}

KeyCache::~KeyCache() {
  closing_.store(true, std::memory_order_release);  // a background fetch ends within a second
  std::lock_guard<std::mutex> lock(background_mutex_);
  if (!background_.joinable()) return;
  bool inherited;
  {
    std::lock_guard<std::mutex> fetch_lock(fetch_mutex_);
    inherited = background_inherited_ || ::getpid() != owner_pid_;
  }
  // In a child of fork() the thread does not exist: waiting for it would never end.
  if (inherited)
    background_.detach();
  else
    background_.join();  // without fetch_mutex_: the thread needs it to finish
}

std::shared_ptr<const KeySnapshot> KeyCache::snapshot() const {
  thread_local SavedSnapshot saved[kSavedSnapshots];
  thread_local size_t next_slot = 0;
  // Acquire: a version seen here was published after its snapshot_ was stored, so the read
  // below under the lock gets that snapshot or a newer one, never an older one.
  const uint64_t version = snapshot_version_.load(std::memory_order_acquire);
  SavedSnapshot* slot = nullptr;
  for (auto& s : saved) {
    if (s.cache_id != id_) continue;
    if (s.version == version) return s.snap;
    slot = &s;
  }
  std::shared_ptr<const KeySnapshot> current;
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    current = snapshot_;
  }
  if (!slot) {
    slot = &saved[next_slot];
    next_slot = (next_slot + 1) % kSavedSnapshots;
  }
  slot->cache_id = id_;
  slot->version = version;
  slot->snap = current;
  return current;
}

bool KeyCache::usable(const KeySnapshot* snap) const {
  return snap && monotonic_ms() < snap->expires_at_ms + options_.stale_if_error * 1000;
}

bool KeyCache::refresh_due(const KeySnapshot* snap) {
  if (!snap) return true;
  const int64_t now = monotonic_ms();
  if (now < snap->refresh_at_ms) return false;
  if (now >= snap->expires_at_ms) return true;
  // Near the end of the TTL: the keys are still good, the next ones are fetched meanwhile.
  if (!background_busy_.load(std::memory_order_acquire)) start_background_refresh(snap->generation);
  return false;
}

void KeyCache::start_background_refresh(uint64_t generation) {
  std::unique_lock<std::mutex> lock(background_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another verification is starting it
  {
    std::lock_guard<std::mutex> fetch_lock(fetch_mutex_);
    forget_inherited_state_locked();
    if (background_inherited_) {
      background_.detach();  // a handle to a thread of the parent process
      background_inherited_ = false;
    }
    if (background_busy_.load(std::memory_order_acquire) || in_flight_) return;
    if (backoff_error_locked(monotonic_ms())) return;  // a failed provider is left alone
    auto snap = snapshot();
    if (!snap || snap->generation != generation) return;  // already refreshed
  }
  // The previous thread set background_busy_ to false as its last act: joining it is quick.
  if (background_.joinable()) background_.join();
  background_busy_.store(true, std::memory_order_release);
  try {
    background_ = std::thread([this, generation] {
      {
        std::lock_guard<std::mutex> fetch_lock(fetch_mutex_);
        ++stats_.background_refreshes;
      }
      (void)refresh(Reason::expired, generation);  // its outcome shows in the statistics
      background_busy_.store(false, std::memory_order_release);
    });
  } catch (...) {
    // No thread to be had: the first verification after the TTL refreshes, as when idle.
    background_busy_.store(false, std::memory_order_release);
  }
}

void KeyCache::forget_inherited_state_locked() {
  const pid_t pid = ::getpid();
  if (pid == owner_pid_) return;
  // A child of fork(): a fetch the parent had in flight, and its thread, never end here.
  owner_pid_ = pid;
  if (in_flight_) {
    in_flight_ = false;
    ++flight_id_;
  }
  if (background_busy_.exchange(false, std::memory_order_acq_rel)) background_inherited_ = true;
}

bool KeyCache::backing_off() const {
  std::lock_guard<std::mutex> lock(fetch_mutex_);
  return static_cast<bool>(backoff_error_locked(monotonic_ms()));
}

Error KeyCache::backoff_error() const {
  std::lock_guard<std::mutex> lock(fetch_mutex_);
  return backoff_error_locked(monotonic_ms());
}

Error KeyCache::backoff_error_locked(int64_t now_ms) const {
  if (last_failure_ms_ < 0 || now_ms - last_failure_ms_ >= options_.retry_interval * 1000) return {};
  return Error(Status::jwks_unavailable, "keys could not be fetched " +
                                             std::to_string((now_ms - last_failure_ms_) / 1000) + " s ago (" +
                                             stats_.last_error + "); retrying after " +
                                             std::to_string(options_.retry_interval) + " s");
}

Error KeyCache::unknown_kid_refusal_locked(std::string_view kid, uint64_t generation, int64_t now_ms) {
  if (unknown_kids_.absent_from(kid, generation)) {
    ++stats_.unknown_kid_cached;
    return Error(Status::key_not_found, "no key with this kid: the key set was fetched after it was first seen");
  }
  if (options_.refetch_interval_ms <= 0)
    return Error(Status::key_not_found, "no key with this kid (refetching on an unknown kid is off)");
  if (auto err = backoff_error_locked(now_ms)) {
    unknown_kids_.note(kid);
    return Error(Status::key_not_found, "no key with this kid; not refetched: " + err.message);
  }
  const int64_t wait_ms = last_refetch_ms_ + options_.refetch_interval_ms - now_ms;
  if (wait_ms > 0 || in_flight_) {
    unknown_kids_.note(kid);
    ++stats_.rate_limited;
    return Error(Status::key_not_found,
                 wait_ms > 0 ? "no key with this kid; the next refetch is allowed in " +
                                   std::to_string((wait_ms + 999) / 1000) + " s (jwks_refetch_interval)"
                             : std::string("no key with this kid; a key fetch is under way"));
  }
  return {};
}

bool KeyCache::refetch_allowed(std::string_view kid, uint64_t generation) {
  std::lock_guard<std::mutex> lock(fetch_mutex_);
  forget_inherited_state_locked();
  {
    auto snap = snapshot();
    if (snap && snap->generation > generation) return true;  // newer keys: worth another look
  }
  return !unknown_kid_refusal_locked(kid, generation, monotonic_ms());
}

Error KeyCache::refresh(Reason reason, uint64_t seen, std::string_view kid) {
  std::unique_lock<std::mutex> lock(fetch_mutex_);
  forget_inherited_state_locked();
  {
    auto snap = snapshot();
    if (snap && snap->generation > seen) return {};  // someone else already brought newer keys
  }
  const int64_t now = monotonic_ms();
  if (reason == Reason::unknown_kid) {
    // Never waits: refused at once, or the caller's own refetch below.
    if (auto err = unknown_kid_refusal_locked(kid, seen, now)) return err;
    last_refetch_ms_ = now;
    unknown_kids_.note(kid);
  }
  if (in_flight_) {
    // Single flight: join the fetch under way and take its outcome.
    const uint64_t id = flight_id_;
    const auto limit = std::chrono::milliseconds(http_->options().total_timeout_ms * 2 + 1000);
    if (!fetch_done_.wait_for(lock, limit, [&] { return flight_id_ != id; }))
      return Error(Status::jwks_unavailable, "timed out waiting for the key fetch in progress");
    return last_flight_error_;
  }
  if (auto err = backoff_error_locked(now)) return err;
  in_flight_ = true;
  // The kids noted so far are judged by what this fetch brings.
  const uint64_t mark = unknown_kids_.mark();
  lock.unlock();
  Error err;
  try {
    err = fetch_once(now);
  } catch (const std::exception& e) {
    err = Error(Status::internal, std::string("key fetch failed: ") + e.what());
  }
  lock.lock();
  in_flight_ = false;
  ++flight_id_;
  ++stats_.fetches;
  if (err) {
    ++stats_.fetch_failures;
    stats_.last_failure_unix = unix_now();
    stats_.last_error = err.message;
    last_failure_ms_ = monotonic_ms();
  } else {
    stats_.last_success_unix = unix_now();
    last_failure_ms_ = -1;
    // Only this flight publishes snapshots: the current one is what it brought.
    if (auto snap = snapshot()) unknown_kids_.new_generation(snap->generation, mark, snap->keys);
  }
  last_flight_error_ = err;
  fetch_done_.notify_all();
  return err;
}

Error fetch_discovery(const http::HttpClient& http, const std::string& issuer, ProviderMetadata& out,
                      const std::atomic<bool>* cancel) {
  std::string url = issuer;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/.well-known/openid-configuration";
  http::HttpResponse resp;
  if (auto err = http.fetch({url, "GET", "", {"Accept: application/json"}, cancel}, resp)) return err;
  if (resp.status != 200)
    return Error(Status::http_error, "discovery answered HTTP " + std::to_string(resp.status), resp.status);
  Error err = parse_discovery(resp.body, issuer, out);
  if (err && err.status != Status::bad_issuer) err.message += content_type_note(resp.content_type);
  return err;
}

Error KeyCache::discover(ProviderMetadata& out) { return fetch_discovery(*http_, discovery_issuer_, out, &closing_); }

int64_t KeyCache::ttl_from(const std::string& cache_control) const {
  int64_t ttl = options_.ttl;
  // Directives are comma-separated; only max-age and no-store/no-cache matter here.
  size_t pos = 0;
  while (pos < cache_control.size()) {
    size_t end = cache_control.find(',', pos);
    if (end == std::string::npos) end = cache_control.size();
    std::string d = cache_control.substr(pos, end - pos);
    pos = end + 1;
    while (!d.empty() && d.front() == ' ') d.erase(0, 1);
    while (!d.empty() && d.back() == ' ') d.pop_back();
    // Directive names are case-insensitive (RFC 9111 section 5.2).
    for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (d.rfind("max-age=", 0) == 0) {
      const std::string v = d.substr(8);
      if (!v.empty() && v.size() < 12 && v.find_first_not_of("0123456789") == std::string::npos) ttl = std::stoll(v);
    } else if (d == "no-store" || d == "no-cache") {
      ttl = options_.min_ttl;
    }
  }
  if (ttl < options_.min_ttl) ttl = options_.min_ttl;
  if (ttl > options_.max_ttl) ttl = options_.max_ttl;
  return ttl;
}

Error KeyCache::fetch_once(int64_t started_ms) {
  // Only the single fetch in flight runs this, so jwks_uri_ and metadata_ have one writer.
  std::optional<jose::AlgSet> advertised;
  if (!discovery_issuer_.empty()) {
    ProviderMetadata md;
    if (auto err = discover(md)) return err;
    jose::AlgSet algs;
    for (const auto& name : md.id_token_signing_alg_values_supported) {
      auto a = jose::alg_from_name(name);
      if (a && !jose::is_hmac(*a)) algs.add(*a);  // HS* and none never come from discovery
    }
    if (!algs.empty()) advertised = algs;
    std::lock_guard<std::mutex> lock(fetch_mutex_);
    jwks_uri_ = md.jwks_uri;
    metadata_ = std::move(md);
  }
  http::HttpResponse resp;
  if (auto err = http_->fetch({jwks_uri_, "GET", "", {"Accept: application/json"}, &closing_}, resp)) return err;
  if (resp.status != 200)
    return Error(Status::http_error, "JWKS answered HTTP " + std::to_string(resp.status), resp.status);
  jose::KeyPolicy policy = options_.key_policy;
  // A key set from the network never supplies HMAC secrets (alg confusion).
  policy.allow_symmetric = false;
  auto next = std::make_shared<KeySnapshot>();
  if (auto err = jose::parse_jwks(resp.body, policy, next->keys))
    return Error(err.status == Status::too_large ? Status::too_large : Status::jwks_unavailable,
                 "JWKS refused: " + err.message + content_type_note(resp.content_type));
  auto current = snapshot();
  if (current && !current->keys.keys.empty() && next->keys.keys.empty())
    return Error(Status::jwks_unavailable, "JWKS refused: it would replace the current keys with an empty set");
  // The TTL runs from the start of the request: whatever the response holds was published
  // then or later, so a key removed at the provider is used at most one TTL after its removal.
  const int64_t ttl_ms = ttl_from(resp.cache_control) * 1000;
  // The background refresh starts a tenth of the TTL before its end (at least one HTTP
  // timeout, so that it can finish in time; at most half of the TTL).
  const int64_t ahead_ms =
      std::min(ttl_ms / 2, std::max<int64_t>(ttl_ms / 10, static_cast<int64_t>(http_->options().total_timeout_ms)));
  next->generation = current ? current->generation + 1 : 1;
  next->requested_at_ms = started_ms;
  next->fetched_at_ms = monotonic_ms();
  next->expires_at_ms = started_ms + ttl_ms;
  next->refresh_at_ms = next->expires_at_ms - ahead_ms;
  next->fetched_at_unix = unix_now();
  next->advertised = advertised ? advertised : (current ? current->advertised : std::nullopt);
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    snapshot_ = std::move(next);
  }
  snapshot_version_.fetch_add(1, std::memory_order_release);
  return {};
}

Stats KeyCache::stats() const {
  Stats s;
  {
    std::lock_guard<std::mutex> lock(fetch_mutex_);
    s = stats_;
  }
  if (auto snap = snapshot()) {
    const int64_t now = monotonic_ms();
    s.key_count = snap->keys.keys.size();
    s.cache_age = (now - snap->fetched_at_ms) / 1000;
    s.stale = now >= snap->expires_at_ms;
  }
  return s;
}

std::optional<ProviderMetadata> KeyCache::metadata() const {
  std::lock_guard<std::mutex> lock(fetch_mutex_);
  return metadata_;
}

}  // namespace oidcore::jwks
