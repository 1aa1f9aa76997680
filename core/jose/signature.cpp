#include "jose/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <memory>

#include "jose/openssl_support.hpp"

namespace oidcore::jose {
namespace {

// Verification contexts ready for use on this thread, by (key id, algorithm): copied once
// from the key's prepared context, then reused for every token that key verifies here
// instead of a copy per token. Bounded (round robin over kSlots entries) and freed when
// the thread exits. An entry is found by the key's unique, never reused id (never by its
// address, which a later key may get) and owns its context outright: an EVP_PKEY_CTX holds
// its own reference on the public key, an HMAC context its own copy of the keyed state. So
// an entry always verifies with the key it was made from, even after that key is freed, and
// no other key can reach it.
class ThreadContexts {
 public:
  static constexpr size_t kSlots = 16;

  ThreadContexts() = default;
  ThreadContexts(const ThreadContexts&) = delete;
  ThreadContexts& operator=(const ThreadContexts&) = delete;
  ~ThreadContexts() {
    for (auto& e : slots_) e.clear();
    gone_ = true;
  }

  // The calling thread's set; nullptr while the thread is being torn down.
  static ThreadContexts* mine() noexcept {
    if (gone_) return nullptr;
    thread_local ThreadContexts contexts;
    return &contexts;
  }

  // A context for `key` and `alg` (creating it from the prepared one when missing), or
  // nullptr when none can be made.
  EVP_PKEY_CTX* pkey_ctx(const Jwk& key, Alg alg) noexcept {
    if (Slot* e = find(key, alg)) return e->pkey;
    EVP_PKEY_CTX* prepared = key.prepared[static_cast<int>(alg)];
    EVP_PKEY_CTX* ctx = prepared ? EVP_PKEY_CTX_dup(prepared) : nullptr;
    if (ctx) take(key, alg).pkey = ctx;
    return ctx;
  }
  EVP_MAC_CTX* mac_ctx(const Jwk& key, Alg alg) noexcept {
    if (Slot* e = find(key, alg)) return e->mac;
    EVP_MAC_CTX* prepared = key.prepared_mac[static_cast<int>(alg)];
    EVP_MAC_CTX* ctx = prepared ? EVP_MAC_CTX_dup(prepared) : nullptr;
    if (ctx) take(key, alg).mac = ctx;
    return ctx;
  }

  // Drops the entry of `key` and `alg`: after a failed verification the context is not
  // reused (OpenSSL does not promise what a failure leaves behind).
  void forget(const Jwk& key, Alg alg) noexcept {
    if (Slot* e = find(key, alg)) e->clear();
  }

  // Entries in use, for the tests.
  size_t size() const noexcept {
    size_t n = 0;
    for (const auto& e : slots_) n += e.key_id != 0;
    return n;
  }

 private:
  struct Slot {
    uint64_t key_id = 0;  // 0: empty (key ids start at 1)
    Alg alg = Alg::RS256;
    EVP_PKEY_CTX* pkey = nullptr;
    EVP_MAC_CTX* mac = nullptr;
    void clear() noexcept {
      EVP_PKEY_CTX_free(pkey);
      EVP_MAC_CTX_free(mac);
      pkey = nullptr;
      mac = nullptr;
      key_id = 0;
    }
  };

  Slot* find(const Jwk& key, Alg alg) noexcept {
    for (auto& e : slots_)
      if (e.key_id == key.id && e.alg == alg) return &e;
    return nullptr;
  }

  // An empty slot for (key, alg): a free one, else the next in round robin.
  Slot& take(const Jwk& key, Alg alg) noexcept {
    Slot* slot = nullptr;
    for (auto& e : slots_)
      if (e.key_id == 0) {
        slot = &e;
        break;
      }
    if (!slot) {
      slot = &slots_[next_];
      next_ = (next_ + 1) % kSlots;
      slot->clear();
    }
    slot->key_id = key.id;
    slot->alg = alg;
    return *slot;
  }

  Slot slots_[kSlots];
  size_t next_ = 0;
  static thread_local bool gone_;
};

thread_local bool ThreadContexts::gone_ = false;

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

bool digest(Alg alg, std::string_view input, unsigned char* out, unsigned int* out_len) {
  return EVP_Digest(input.data(), input.size(), out, out_len, digest_for(alg), nullptr) == 1;
}

// EVP_PKEY_verify of a digest with this thread's context for (key, alg).
Status verify_digest(const Jwk& key, Alg alg, const unsigned char* sig, size_t sig_len, const unsigned char* md,
                     size_t md_len) {
  ThreadContexts* contexts = ThreadContexts::mine();
  if (!contexts) {
    // Thread teardown: a private copy for this one call.
    EVP_PKEY_CTX* prepared = key.prepared[static_cast<int>(alg)];
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(prepared ? EVP_PKEY_CTX_dup(prepared) : nullptr);
    if (!ctx) return Status::internal;
    return EVP_PKEY_verify(ctx.get(), sig, sig_len, md, md_len) == 1 ? Status::ok : Status::bad_signature;
  }
  EVP_PKEY_CTX* ctx = contexts->pkey_ctx(key, alg);
  if (!ctx) return Status::internal;
  if (EVP_PKEY_verify(ctx, sig, sig_len, md, md_len) == 1) return Status::ok;
  contexts->forget(key, alg);
  return Status::bad_signature;
}

Status verify_rsa(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig, size_t sig_len) {
  // RFC 8017 §8.2.2 step 1: the signature is exactly as long as the modulus.
  if (sig_len != key.rsa_modulus_bytes) return Status::bad_signature;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!digest(alg, input, md, &md_len)) return Status::internal;
  // PKCS#1 v1.5: OpenSSL re-encodes the DigestInfo and compares it whole (no lenient
  // ASN.1 parsing); PSS: salt length and MGF1 hash fixed by the prepared context.
  return verify_digest(key, alg, sig, sig_len, md, md_len);
}

// Big-endian a < b for equal-length buffers; the inputs are public, no need for constant time.
bool less_than(const unsigned char* a, const unsigned char* b, size_t len) {
  return std::memcmp(a, b, len) < 0;
}

bool all_zero(const unsigned char* a, size_t len) {
  for (size_t i = 0; i < len; ++i)
    if (a[i]) return false;
  return true;
}

Status verify_ec(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig, size_t sig_len) {
  const size_t coord = key.crv == Curve::p256 ? 32 : key.crv == Curve::p384 ? 48 : 66;
  // RFC 7518 §3.4: raw r || s, each exactly the coordinate size. DER or trimmed forms fail.
  if (sig_len != 2 * coord) return Status::bad_signature;
  const unsigned char* r = sig;
  const unsigned char* s = sig + coord;
  const unsigned char* n = ec_order(key.crv);
  if (!n) return Status::internal;
  // 0 < r, s < n, checked before any arithmetic ("psychic signatures", CVE-2022-21449).
  if (all_zero(r, coord) || all_zero(s, coord) || !less_than(r, n, coord) || !less_than(s, n, coord))
    return Status::bad_signature;

  // DER for OpenSSL, written directly (the same bytes as i2d_ECDSA_SIG, without BIGNUMs).
  unsigned char der[kMaxEcdsaDer];
  const size_t der_len = ecdsa_der_from_raw(r, s, coord, der);
  if (der_len == 0) return Status::internal;

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!digest(alg, input, md, &md_len)) return Status::internal;
  return verify_digest(key, alg, der, der_len, md, md_len);
}

Status verify_eddsa(const Jwk& key, std::string_view input, const unsigned char* sig, size_t sig_len) {
  if (sig_len != crypto_sign_ed25519_BYTES) return Status::bad_signature;
  // libsodium rejects S >= L, small-order R and A, and non-canonical encodings (RFC 8032 §5.1.7).
  return crypto_sign_ed25519_verify_detached(sig, reinterpret_cast<const unsigned char*>(input.data()),
                                             input.size(), key.ed25519.data()) == 0
             ? Status::ok
             : Status::bad_signature;
}

Status verify_hmac(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig, size_t sig_len) {
  const size_t want = digest_size(alg);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  ThreadContexts* contexts = ThreadContexts::mine();
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> own;  // thread teardown only
  EVP_MAC_CTX* ctx = nullptr;
  if (contexts) {
    ctx = contexts->mac_ctx(key, alg);
  } else if (EVP_MAC_CTX* prepared = key.prepared_mac[static_cast<int>(alg)]) {
    own.reset(EVP_MAC_CTX_dup(prepared));
    ctx = own.get();
  }
  if (!ctx) return Status::internal;
  // A null key restarts the MAC with the key the context was prepared with.
  if (EVP_MAC_init(ctx, nullptr, 0, nullptr) != 1 || EVP_MAC_update(ctx, data, input.size()) != 1 ||
      EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) != 1 || mac_len != want) {
    if (contexts) contexts->forget(key, alg);
    return Status::internal;
  }
  // Length is public; the comparison of the bytes is constant-time.
  const bool ok = sig_len == want && CRYPTO_memcmp(mac, sig, want) == 0;
  OPENSSL_cleanse(mac, sizeof mac);
  return ok ? Status::ok : Status::bad_signature;
}

}  // namespace

size_t thread_context_count() noexcept {
  const ThreadContexts* contexts = ThreadContexts::mine();
  return contexts ? contexts->size() : 0;
}

Status verify_signature(const Jwk& key, Alg alg, std::string_view input, const unsigned char* sig,
                        size_t sig_len) noexcept {
  if (!key.usable_with(alg)) return Status::key_not_found;
  Status st;
  switch (key.kty) {
    case KeyType::rsa: st = verify_rsa(key, alg, input, sig, sig_len); break;
    case KeyType::ec: st = verify_ec(key, alg, input, sig, sig_len); break;
    case KeyType::okp: st = verify_eddsa(key, input, sig, sig_len); break;
    case KeyType::oct: st = verify_hmac(key, alg, input, sig, sig_len); break;
    default: st = Status::internal;
  }
  // A failed verification leaves reasons in OpenSSL's thread-local queue; inside Node they
  // would leak into Node's own crypto error messages.
  if (st != Status::ok) ERR_clear_error();
  return st;
}

Error verify_with_key_set(const CompactJws& jws, const JwsHeader& header, const KeySet& keys,
                          const Jwk*& used) noexcept {
  used = nullptr;
  const Alg alg = header.alg;
  const auto* sig = reinterpret_cast<const unsigned char*>(jws.signature.data());
  size_t candidates = 0;
  for (const auto& key : keys.keys) {
    if (header.has_kid && !(key->has_kid && key->kid == header.kid)) continue;
    if (!key->usable_with(alg)) continue;
    if (!header.has_kid && candidates >= kMaxKidlessCandidates) break;
    ++candidates;
    const Status st = verify_signature(*key, alg, jws.signing_input, sig, jws.signature.size());
    if (st == Status::ok) {
      used = key.get();
      return {};
    }
    if (st != Status::bad_signature) return Error(st, "signature verification failed");
  }
  if (candidates == 0)
    return Error(Status::key_not_found,
                 header.has_kid ? "no " + std::string(alg_name(alg)) + " key with kid \"" + printable(header.kid) + "\""
                                : "no key for " + std::string(alg_name(alg)));
  return Error(Status::bad_signature, "signature does not verify");
}

}  // namespace oidcore::jose
