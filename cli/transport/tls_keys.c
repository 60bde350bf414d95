/* Key derivation and record opening for TLS decryption. See tls_keys.h.
 * libcrypto (OpenSSL 3) does the primitives: SHA-256/384 (HKDF-Expand is
 * HMAC over them, here), the "TLS1-PRF" KDF, EVP ciphers (AES-GCM through
 * its provider's functions when it gives them: tls_gcm.h) and the "HMAC"
 * MAC. */
#include "transport/tls_keys.h"

#include <string.h>

/* SHA256_Init and the like (see struct hmac_key): before any OpenSSL
 * header. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/sha.h>

#include "transport/tls_gcm.h"

/* Key material is wiped with glibc's explicit_bzero: a memset the
 * compiler may not drop, without OPENSSL_cleanse's call through a
 * volatile function pointer (several per key derivation). */
static inline void wipe(void *p, size_t n)
{
    explicit_bzero(p, n);
}

/* The suites whose records can be opened. TLS 1.3 from RFC 8446 B.4; TLS 1.2
 * GCM from RFC 5288 and RFC 5289 (salt of 4 bytes, 8 explicit nonce bytes per
 * record, section 3 of RFC 5288); ChaCha20-Poly1305 from RFC 7905 (a 12-byte
 * IV, no explicit nonce); CBC with HMAC from RFC 5246 appendix C, RFC 4492
 * and RFC 5289 (an explicit 16-byte IV per record, RFC 5246 6.2.3.2). The
 * PRF hash is SHA-256 except for the SHA-384 suites (RFC 5246 5, RFC 5289). */
#define AEAD13(id, c, k, h) {id, true, c, k, h, 12, 0, 0}
#define GCM12(id, k, h) {id, false, (k) == 16 ? TLS_AES_128_GCM : TLS_AES_256_GCM, k, h, 4, 8, 0}
#define CHACHA12(id) {id, false, TLS_CHACHA20_POLY1305, 32, 32, 12, 0, 0}
#define CBC12(id, k, h, m) {id, false, (k) == 16 ? TLS_AES_128_CBC : TLS_AES_256_CBC, k, h, 0, 16, m}
static const struct tls_suite suites[] = {
    AEAD13(0x1301, TLS_AES_128_GCM, 16, 32),
    AEAD13(0x1302, TLS_AES_256_GCM, 32, 48),
    AEAD13(0x1303, TLS_CHACHA20_POLY1305, 32, 32),
    GCM12(0x009C, 16, 32), GCM12(0x009D, 32, 48), /* RSA */
    GCM12(0x009E, 16, 32), GCM12(0x009F, 32, 48), /* DHE_RSA */
    GCM12(0xC02B, 16, 32), GCM12(0xC02C, 32, 48), /* ECDHE_ECDSA */
    GCM12(0xC02F, 16, 32), GCM12(0xC030, 32, 48), /* ECDHE_RSA */
    CHACHA12(0xCCA8), CHACHA12(0xCCA9), CHACHA12(0xCCAA), /* ECDHE_RSA, _ECDSA, DHE_RSA */
    CBC12(0x002F, 16, 32, 20), CBC12(0x0035, 32, 32, 20), /* RSA, SHA-1 */
    CBC12(0x003C, 16, 32, 32), CBC12(0x003D, 32, 32, 32), /* RSA, SHA-256 */
    CBC12(0x0033, 16, 32, 20), CBC12(0x0039, 32, 32, 20), /* DHE_RSA, SHA-1 */
    CBC12(0x0067, 16, 32, 32), CBC12(0x006B, 32, 32, 32), /* DHE_RSA, SHA-256 */
    CBC12(0xC009, 16, 32, 20), CBC12(0xC00A, 32, 32, 20), /* ECDHE_ECDSA, SHA-1 */
    CBC12(0xC023, 16, 32, 32), CBC12(0xC024, 32, 48, 48), /* ECDHE_ECDSA, SHA-2 */
    CBC12(0xC013, 16, 32, 20), CBC12(0xC014, 32, 32, 20), /* ECDHE_RSA, SHA-1 */
    CBC12(0xC027, 16, 32, 32), CBC12(0xC028, 32, 48, 48), /* ECDHE_RSA, SHA-2 */
};

const struct tls_suite *tls_suite_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == id)
            return &suites[i];
    return NULL;
}

size_t tls_suite_min_body(const struct tls_suite *s)
{
    if (s->tls13)
        return TLS_TAG_LEN + 1;
    if (s->mac_len) /* IV, then at least one block (encrypt-then-MAC: + MAC) */
        return (size_t)s->explicit_len + TLS_CBC_BLOCK;
    return (size_t)s->explicit_len + TLS_TAG_LEN;
}

static const char *digest_name(unsigned hash_len)
{
    return hash_len == 48 ? "SHA384" : hash_len == 32 ? "SHA256" : NULL;
}

/* ---- algorithms fetched once (tls_keys_hold) ----
 * OpenSSL 3 looks an algorithm up by name on every use of
 * EVP_aes_128_gcm() and the like, which costs more than keying a
 * context: while a holder exists, the ciphers used are fetched once per
 * thread. */
static _Thread_local EVP_CIPHER *cipher_cache[TLS_AES_256_CBC + 1];
/* AEAD cipher contexts given back by tls_cipher_free, re-keyed by the next
 * tls_cipher_new of the same algorithm: creating one (a provider context
 * and its allocation) costs more than keying it, and connections come and
 * go by the thousand. They hold an old key until reused or released. */
#define CTX_POOL_MAX 32
static _Thread_local EVP_CIPHER_CTX *ctx_pool[TLS_AES_256_CBC + 1][CTX_POOL_MAX];
static _Thread_local unsigned ctx_pool_len[TLS_AES_256_CBC + 1];
static _Thread_local size_t holders;
/* AES-GCM's provider functions (tls_gcm.h), found once per thread while a
 * holder exists, and contexts given back, kept as above. gcm_found: 0 not
 * looked for yet, 1 found, -1 not there (EVP is used). */
static _Thread_local struct tls_gcm gcm_fns[TLS_AES_256_GCM + 1];
static _Thread_local signed char gcm_found[TLS_AES_256_GCM + 1];
static _Thread_local void *gcm_pool[TLS_AES_256_GCM + 1][CTX_POOL_MAX];
static _Thread_local unsigned gcm_pool_len[TLS_AES_256_GCM + 1];
/* The provider they are found in: the default one, loaded by name rather
 * than through a fetched cipher (tls_gcm_find says why). It is the one a
 * fetch finds unless a configuration names others; opening recorded
 * traffic needs no other. NULL: not loaded. */
static _Thread_local OSSL_PROVIDER *gcm_provider;

void tls_keys_hold(void)
{
    holders++;
}

void tls_keys_release(void)
{
    if (!holders || --holders)
        return;
    /* the contexts first, while the fetched ciphers keep their provider */
    for (size_t i = 0; i < sizeof ctx_pool / sizeof ctx_pool[0]; i++)
        while (ctx_pool_len[i] > 0) {
            EVP_CIPHER_CTX_free(ctx_pool[i][--ctx_pool_len[i]]);
            ctx_pool[i][ctx_pool_len[i]] = NULL;
        }
    for (size_t i = 0; i < sizeof gcm_pool / sizeof gcm_pool[0]; i++) {
        while (gcm_pool_len[i] > 0) {
            tls_gcm_free(&gcm_fns[i], gcm_pool[i][--gcm_pool_len[i]]);
            gcm_pool[i][gcm_pool_len[i]] = NULL;
        }
        gcm_found[i] = 0;
    }
    if (gcm_provider)
        OSSL_PROVIDER_unload(gcm_provider);
    gcm_provider = NULL;
    for (size_t i = 0; i < sizeof cipher_cache / sizeof cipher_cache[0]; i++) {
        EVP_CIPHER_free(cipher_cache[i]);
        cipher_cache[i] = NULL;
    }
}

/* HMAC (RFC 2104) keyed once: the hash states after the inner and the
 * outer padded key. Each HMAC under the key then copies them and hashes
 * only its message and the inner hash (one block each for what TLS 1.3
 * derives) instead of both padded keys again. libcrypto's SHA-256/384
 * functions are used directly: their states are plain structures, copied
 * by assignment, where OpenSSL 3's EVP digests cost an allocation per copy
 * and a provider call per step, several times the hashing itself for
 * these short inputs (they are deprecated in OpenSSL 3 but present in every
 * build that keeps the 3.0 API, Debian's among them). */
struct hmac_key {
    unsigned hash_len; /* 32 SHA-256, 48 SHA-384 */
    union hash_state {
        SHA256_CTX s256;
        SHA512_CTX s512;
    } ipad, opad;
};

static void hash_init(unsigned hash_len, union hash_state *h)
{
    if (hash_len == 48)
        SHA384_Init(&h->s512);
    else
        SHA256_Init(&h->s256);
}

static void hash_update(unsigned hash_len, union hash_state *h,
                        const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (hash_len == 48)
        SHA384_Update(&h->s512, p, n);
    else
        SHA256_Update(&h->s256, p, n);
}

static void hash_final(unsigned hash_len, union hash_state *h, uint8_t *out)
{
    if (hash_len == 48)
        SHA384_Final(out, &h->s512);
    else
        SHA256_Final(out, &h->s256);
}

/* The bytes of a state in use (wiped and copied: a SHA-256 state is half
 * the union). */
static size_t state_size(unsigned hash_len)
{
    return hash_len == 48 ? sizeof(SHA512_CTX) : sizeof(SHA256_CTX);
}

static void state_copy(unsigned hash_len, union hash_state *to,
                       const union hash_state *from)
{
    if (hash_len == 48)
        to->s512 = from->s512;
    else
        to->s256 = from->s256;
}

static void hmac_key_done(struct hmac_key *h)
{
    wipe(&h->ipad, state_size(h->hash_len));
    wipe(&h->opad, state_size(h->hash_len));
}

/* Keys h with key (at most one block of the hash); hash_len 32 or 48. */
static bool hmac_key_set(struct hmac_key *h, unsigned hash_len,
                         const uint8_t *key, size_t key_len)
{
    size_t block = hash_len == 48 ? 128 : 64;
    uint8_t pad[128];
    if ((hash_len != 32 && hash_len != 48) || key_len > block)
        return false;
    h->hash_len = hash_len;
    for (int k = 0; k < 2; k++) {
        union hash_state *st = k ? &h->opad : &h->ipad;
        memset(pad, k ? 0x5c : 0x36, block);
        for (size_t i = 0; i < key_len; i++)
            pad[i] ^= key[i];
        hash_init(hash_len, st);
        hash_update(hash_len, st, pad, block);
    }
    wipe(pad, block);
    return true;
}

/* HMAC under h of a || b || c into out (hash_len bytes). */
static void hmac3(const struct hmac_key *h, const uint8_t *a, size_t a_len,
                  const uint8_t *b, size_t b_len, const uint8_t *c,
                  size_t c_len, uint8_t *out)
{
    uint8_t inner[TLS_HASH_MAX];
    union hash_state w;
    state_copy(h->hash_len, &w, &h->ipad);
    hash_update(h->hash_len, &w, a, a_len);
    hash_update(h->hash_len, &w, b, b_len);
    hash_update(h->hash_len, &w, c, c_len);
    hash_final(h->hash_len, &w, inner);
    state_copy(h->hash_len, &w, &h->opad);
    hash_update(h->hash_len, &w, inner, h->hash_len);
    hash_final(h->hash_len, &w, out);
    wipe(&w, state_size(h->hash_len));
    wipe(inner, h->hash_len);
}

/* HKDF-Expand (RFC 5869 2.3) under the keyed PRK:
 * T(i) = HMAC(PRK, T(i-1) || info || i). */
static bool hkdf_expand(const struct hmac_key *prk, const uint8_t *info,
                        size_t info_len, uint8_t *out, size_t out_len)
{
    uint8_t t[TLS_HASH_MAX];
    size_t t_len = 0, done = 0, hash_len = prk->hash_len;
    if (out_len > 255 * hash_len)
        return false;
    for (uint8_t i = 1; done < out_len; i++) {
        hmac3(prk, t, t_len, info, info_len, &i, 1, t);
        t_len = hash_len;
        size_t n = out_len - done < hash_len ? out_len - done : hash_len;
        memcpy(out + done, t, n);
        done += n;
    }
    wipe(t, sizeof t);
    return true;
}

/* Runs the named KDF with params; out_len bytes. */
static bool kdf_derive(const char *kdf_name, OSSL_PARAM *params, uint8_t *out,
                       size_t out_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, kdf_name, NULL);
    if (!kdf)
        return false;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!ctx)
        return false;
    bool ok = EVP_KDF_derive(ctx, out, out_len, params) > 0;
    EVP_KDF_CTX_free(ctx);
    return ok;
}

/* RFC 8446 7.1: struct HkdfLabel { uint16 length; opaque
 * label<7..255> = "tls13 " + Label; opaque context<0..255>; } into info
 * (at least 2 + 1 + 255 + 1 + 255 bytes): its length, or 0 when a length
 * is out of range. */
static size_t hkdf_label(const char *label, const uint8_t *context,
                         size_t context_len, size_t out_len, uint8_t *info)
{
    static const char prefix[] = "tls13 ";
    size_t plen = sizeof prefix - 1, llen = strlen(label);
    if (plen + llen > 255 || context_len > 255 || out_len > 0xFFFF)
        return 0;
    size_t n = 0;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(plen + llen);
    memcpy(info + n, prefix, plen);
    n += plen;
    memcpy(info + n, label, llen);
    n += llen;
    info[n++] = (uint8_t)context_len;
    if (context_len)
        memcpy(info + n, context, context_len);
    return n + context_len;
}

/* HKDF-Expand-Label under an already keyed secret. */
static bool expand_label_keyed(const struct hmac_key *secret, const char *label,
                               const uint8_t *context, size_t context_len,
                               uint8_t *out, size_t out_len)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t n = hkdf_label(label, context, context_len, out_len, info);
    return n > 0 && hkdf_expand(secret, info, n, out, out_len);
}

bool tls13_expand_label(unsigned hash_len, const uint8_t *secret,
                        size_t secret_len, const char *label,
                        const uint8_t *context, size_t context_len,
                        uint8_t *out, size_t out_len)
{
    struct hmac_key h;
    if (!digest_name(hash_len) || !hmac_key_set(&h, hash_len, secret, secret_len))
        return false;
    bool ok = expand_label_keyed(&h, label, context, context_len, out, out_len);
    hmac_key_done(&h);
    return ok;
}

bool tls13_traffic_keys(const struct tls_suite *s, const uint8_t *secret,
                        size_t secret_len, struct tls_traffic_keys *out)
{
    /* RFC 8446 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key",
     * "", key_length); [sender]_write_iv = ...("iv", "", iv_length). Both
     * under the secret keyed once. */
    struct hmac_key h;
    if (secret_len != s->hash_len ||
        !hmac_key_set(&h, s->hash_len, secret, secret_len))
        return false;
    bool ok = expand_label_keyed(&h, "key", NULL, 0, out->key, s->key_len) &&
              expand_label_keyed(&h, "iv", NULL, 0, out->iv, TLS_IV_LEN);
    hmac_key_done(&h);
    return ok;
}

bool tls13_next_secret(const struct tls_suite *s, uint8_t *secret,
                       size_t secret_len)
{
    uint8_t next[TLS_HASH_MAX];
    if (secret_len != s->hash_len ||
        !tls13_expand_label(s->hash_len, secret, secret_len, "traffic upd",
                            NULL, 0, next, secret_len))
        return false;
    memcpy(secret, next, secret_len);
    wipe(next, sizeof next);
    return true;
}

bool tls12_prf(unsigned hash_len, const uint8_t *secret, size_t secret_len,
               const char *label, const uint8_t *seed, size_t seed_len,
               uint8_t *out, size_t out_len)
{
    /* RFC 5246 5: PRF(secret, label, seed) = P_<hash>(secret, label + seed) */
    uint8_t full_seed[256];
    size_t llen = strlen(label);
    const char *md = digest_name(hash_len);
    if (!md || llen + seed_len > sizeof full_seed)
        return false;
    memcpy(full_seed, label, llen);
    memcpy(full_seed + llen, seed, seed_len);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret,
                                          secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, full_seed,
                                          llen + seed_len),
        OSSL_PARAM_construct_end(),
    };
    return kdf_derive("TLS1-PRF", params, out, out_len);
}

bool tls12_traffic_keys(const struct tls_suite *s, const uint8_t master[48],
                        const uint8_t client_random[32],
                        const uint8_t server_random[32],
                        struct tls_traffic_keys *client,
                        struct tls_traffic_keys *server)
{
    /* RFC 5246 6.3: key_block = PRF(master_secret, "key expansion",
     * server_random + client_random), cut into client_write_MAC_key,
     * server_write_MAC_key (empty for AEAD), client_write_key,
     * server_write_key, client_write_IV, server_write_IV (empty for CBC,
     * whose IVs travel in the records). */
    uint8_t seed[64], block[2 * (TLS_HASH_MAX + TLS_KEY_MAX + TLS_IV_LEN)];
    size_t m = s->mac_len, k = s->key_len, iv = s->fixed_iv_len;
    memcpy(seed, server_random, 32);
    memcpy(seed + 32, client_random, 32);
    if (!tls12_prf(s->hash_len, master, 48, "key expansion", seed, sizeof seed,
                   block, 2 * (m + k + iv)))
        return false;
    memset(client, 0, sizeof *client);
    memset(server, 0, sizeof *server);
    const uint8_t *p = block;
    memcpy(client->mac, p, m);
    memcpy(server->mac, p + m, m);
    p += 2 * m;
    memcpy(client->key, p, k);
    memcpy(server->key, p + k, k);
    p += 2 * k;
    memcpy(client->iv, p, iv);
    memcpy(server->iv, p + iv, iv);
    wipe(block, sizeof block);
    return true;
}

static const EVP_CIPHER *evp_cipher(enum tls_cipher_alg alg)
{
    const EVP_CIPHER *c = NULL;
    const char *name = NULL;
    switch (alg) {
    case TLS_AES_128_GCM: c = EVP_aes_128_gcm(); name = "AES-128-GCM"; break;
    case TLS_AES_256_GCM: c = EVP_aes_256_gcm(); name = "AES-256-GCM"; break;
    case TLS_CHACHA20_POLY1305: c = EVP_chacha20_poly1305(); name = "ChaCha20-Poly1305"; break;
    case TLS_AES_128_CBC: c = EVP_aes_128_cbc(); name = "AES-128-CBC"; break;
    case TLS_AES_256_CBC: c = EVP_aes_256_cbc(); name = "AES-256-CBC"; break;
    }
    if (!name || !holders)
        return c; /* fetched implicitly on use */
    if (!cipher_cache[alg])
        cipher_cache[alg] = EVP_CIPHER_fetch(NULL, name, NULL);
    return cipher_cache[alg] ? cipher_cache[alg] : c;
}

/* AES-GCM's provider functions for alg, when a holder exists and they
 * were found; NULL: EVP. */
static const struct tls_gcm *direct_gcm(enum tls_cipher_alg alg)
{
    if (alg != TLS_AES_128_GCM && alg != TLS_AES_256_GCM)
        return NULL;
    if (!holders)
        return NULL;
    if (gcm_found[alg] == 0) {
        if (!gcm_provider)
            gcm_provider = OSSL_PROVIDER_try_load(NULL, "default", 1);
        bool ok = tls_gcm_find(gcm_provider,
                               alg == TLS_AES_128_GCM ? "AES-128-GCM" : "AES-256-GCM",
                               &gcm_fns[alg]);
        gcm_found[alg] = ok ? 1 : -1;
    }
    return gcm_found[alg] > 0 ? &gcm_fns[alg] : NULL;
}

static const char *mac_digest(unsigned mac_len)
{
    return mac_len == 20 ? "SHA1" : mac_len == 32 ? "SHA256" : "SHA384";
}

/* The HMAC of a CBC suite, keyed once. */
static EVP_MAC_CTX *hmac_new(const struct tls_suite *s, const uint8_t *key)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac)
        return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)mac_digest(s->mac_len), 0),
        OSSL_PARAM_construct_end(),
    };
    if (ctx && EVP_MAC_init(ctx, key, s->mac_len, params) == 1)
        return ctx;
    EVP_MAC_CTX_free(ctx);
    return NULL;
}

/* AES-GCM: both TLS 1.3 (IV XOR sequence number, RFC 8446 5.3) and TLS 1.2
 * (salt, then the explicit nonce, RFC 5288 3) keep the first 4 bytes of the
 * IV in every nonce; they are given once as the "fixed" field. Without the
 * parameter (another provider) the whole IV is set per record. */
static void gcm_fixed_set(struct tls_cipher *c, const struct tls_suite *s,
                          const struct tls_traffic_keys *keys)
{
    if (s->cipher != TLS_AES_128_GCM && s->cipher != TLS_AES_256_GCM)
        return;
    memcpy(c->fixed, keys->iv, sizeof c->fixed);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
                                          c->fixed, sizeof c->fixed),
        OSSL_PARAM_construct_end(),
    };
    c->gcm_inv = EVP_CIPHER_CTX_set_params(c->ctx, params) == 1;
}

/* A new context for c->alg keyed with keys (c has none): one from the
 * pool, re-keyed, when there is one. */
static bool cipher_make(struct tls_cipher *c, const struct tls_suite *s,
                        const struct tls_traffic_keys *keys)
{
    if (c->pooled && holders && ctx_pool_len[c->alg] > 0) {
        unsigned i = --ctx_pool_len[c->alg];
        c->ctx = ctx_pool[c->alg][i];
        ctx_pool[c->alg][i] = NULL;
        /* cipher and IV length stay; only the key changes */
        return EVP_DecryptInit_ex(c->ctx, NULL, NULL, keys->key, NULL) == 1;
    }
    const EVP_CIPHER *evp = evp_cipher(s->cipher);
    if (!evp || (c->ctx = EVP_CIPHER_CTX_new()) == NULL)
        return false;
    if (s->mac_len)
        return EVP_DecryptInit_ex(c->ctx, evp, NULL, keys->key, NULL) == 1 &&
               EVP_CIPHER_CTX_set_padding(c->ctx, 0) == 1 &&
               (c->mac = hmac_new(s, keys->mac)) != NULL;
    if (EVP_CIPHER_get_iv_length(evp) == TLS_IV_LEN)
        /* the AEADs' default nonce is the 96 bits TLS uses: cipher and
         * key in one call */
        return EVP_DecryptInit_ex(c->ctx, evp, NULL, keys->key, NULL) == 1;
    return EVP_DecryptInit_ex(c->ctx, evp, NULL, NULL, NULL) == 1 &&
           EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_IVLEN, TLS_IV_LEN,
                               NULL) == 1 &&
           EVP_DecryptInit_ex(c->ctx, NULL, NULL, keys->key, NULL) == 1;
}

/* A provider context for c->alg keyed with keys (c has none): one from
 * the pool, re-keyed, when there is one. */
static bool gcm_make(struct tls_cipher *c, const struct tls_gcm *g,
                     const struct tls_suite *s, const struct tls_traffic_keys *keys)
{
    if (gcm_pool_len[c->alg] > 0) {
        unsigned i = --gcm_pool_len[c->alg];
        c->gcm = gcm_pool[c->alg][i];
        gcm_pool[c->alg][i] = NULL;
        return tls_gcm_rekey(g, c->gcm, keys->key, s->key_len);
    }
    return (c->gcm = tls_gcm_new(g, keys->key, s->key_len)) != NULL;
}

bool tls_cipher_set(struct tls_cipher *c, const struct tls_suite *s,
                    const struct tls_traffic_keys *keys)
{
    bool ok;
    const struct tls_gcm *g = direct_gcm(s->cipher);
    if (g && c->gcm && c->alg == s->cipher) {
        ok = tls_gcm_rekey(g, c->gcm, keys->key, s->key_len);
    } else if (g) {
        tls_cipher_clear(c);
        c->alg = (uint8_t)s->cipher;
        c->pooled = true;
        ok = gcm_make(c, g, s, keys);
    } else if (c->ctx && c->pooled && c->alg == s->cipher && !s->mac_len) {
        /* the same AEAD: cipher and IV length stay, only key and IV change */
        ok = EVP_DecryptInit_ex(c->ctx, NULL, NULL, keys->key, NULL) == 1;
    } else {
        tls_cipher_clear(c);
        c->alg = (uint8_t)s->cipher;
        c->pooled = s->mac_len == 0;
        ok = cipher_make(c, s, keys);
    }
    if (!ok) {
        c->pooled = false; /* a context that failed is not reused */
        tls_cipher_clear(c);
        return false;
    }
    memcpy(c->iv, keys->iv, sizeof c->iv);
    c->encrypt_then_mac = keys->encrypt_then_mac;
    c->gcm_inv = false;
    if (c->ctx)
        gcm_fixed_set(c, s, keys);
    return true;
}

void tls_cipher_prefetch(const struct tls_cipher *c)
{
    /* An EVP_CIPHER_CTX is a few lines; opening a record starts with its
     * first (the cipher) and reads its provider context pointer further
     * on. */
    const char *ctx = (const char *)c->ctx;
    if (ctx) {
        __builtin_prefetch(ctx);
        __builtin_prefetch(ctx + 64);
        __builtin_prefetch(ctx + 128);
    }
    /* A provider's AES-GCM context is about 15 lines, nearly all read:
     * nonce, hash key table, key schedule. */
    const char *gcm = (const char *)c->gcm;
    if (gcm)
        for (int i = 0; i < 1024; i += 64)
            __builtin_prefetch(gcm + i);
}

void tls_cipher_clear(struct tls_cipher *c)
{
    if (c->ctx && c->pooled && holders && ctx_pool_len[c->alg] < CTX_POOL_MAX)
        ctx_pool[c->alg][ctx_pool_len[c->alg]++] = c->ctx;
    else
        EVP_CIPHER_CTX_free(c->ctx);
    if (c->gcm && c->pooled && holders && gcm_pool_len[c->alg] < CTX_POOL_MAX)
        gcm_pool[c->alg][gcm_pool_len[c->alg]++] = c->gcm;
    else if (c->gcm)
        tls_gcm_free(&gcm_fns[c->alg], c->gcm);
    EVP_MAC_CTX_free(c->mac);
    wipe(c, sizeof *c);
}

/* Authenticates and decrypts in[0..in_len) (ciphertext then the 16-byte
 * tag) with nonce and aad into out (in_len - 16 bytes). */
static bool aead_open(const struct tls_cipher *c, const uint8_t nonce[TLS_IV_LEN],
                      const uint8_t *aad, size_t aad_len, const uint8_t *in,
                      size_t in_len, uint8_t *out)
{
    int n = 0, fin = 0;
    if (in_len < TLS_TAG_LEN || in_len - TLS_TAG_LEN > 0x7FFFFFFF ||
        aad_len > 0x7FFFFFFF)
        return false;
    if (c->gcm)
        return tls_gcm_open(&gcm_fns[c->alg], c->gcm, nonce, aad, aad_len, in,
                            in_len, out);
    int ct_len = (int)(in_len - TLS_TAG_LEN);
    if (c->gcm_inv && memcmp(nonce, c->fixed, sizeof c->fixed) == 0) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_octet_string(
                OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV,
                (void *)(nonce + sizeof c->fixed), TLS_IV_LEN - sizeof c->fixed),
            OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                              (void *)(in + ct_len), TLS_TAG_LEN),
            OSSL_PARAM_construct_end(),
        };
        /* EVP_Cipher straight into the provider's one-shot function: AAD
         * (out NULL), the ciphertext, then the tag check (in NULL); -1 on
         * failure. It skips EVP_DecryptUpdate's and _Final's checks, a
         * measurable part of a small record's cost. */
        return EVP_CIPHER_CTX_set_params(c->ctx, params) == 1 &&
               EVP_Cipher(c->ctx, NULL, aad, (unsigned)aad_len) >= 0 &&
               (ct_len == 0 || EVP_Cipher(c->ctx, out, in, (unsigned)ct_len) >= 0) &&
               EVP_Cipher(c->ctx, NULL, NULL, 0) >= 0;
    }
    if (EVP_DecryptInit_ex(c->ctx, NULL, NULL, NULL, nonce) != 1 ||
        EVP_DecryptUpdate(c->ctx, NULL, &n, aad, (int)aad_len) != 1 ||
        (ct_len > 0 && EVP_DecryptUpdate(c->ctx, out, &n, in, ct_len) != 1) ||
        EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_TAG, TLS_TAG_LEN,
                            (void *)(in + ct_len)) != 1)
        return false;
    return EVP_DecryptFinal_ex(c->ctx, out + ct_len, &fin) == 1;
}

/* RFC 8446 5.3 (and RFC 7905 2 for TLS 1.2 ChaCha20): the 64-bit sequence
 * number, left-padded, XORed into the IV. */
static void xor_nonce(const uint8_t iv[TLS_IV_LEN], uint64_t seq,
                      uint8_t nonce[TLS_IV_LEN])
{
    memcpy(nonce, iv, TLS_IV_LEN);
    for (int i = 0; i < 8; i++)
        nonce[TLS_IV_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* RFC 8446 5.2: additional_data is the record header; the inner plaintext
 * is the content, its type, then zero padding. */
static bool open13(const struct tls_cipher *c, uint64_t seq, const uint8_t *rec,
                   size_t body_len, uint8_t *out, uint8_t *type, size_t *plen)
{
    uint8_t nonce[TLS_IV_LEN];
    if (body_len < TLS_TAG_LEN + 1)
        return false;
    xor_nonce(c->iv, seq, nonce);
    if (!aead_open(c, nonce, rec, 5, rec + 5, body_len, out))
        return false;
    size_t n = body_len - TLS_TAG_LEN;
    while (n > 0 && out[n - 1] == 0)
        n--;
    if (n == 0)
        return false; /* no content type: not a valid record */
    *type = out[n - 1];
    *plen = n - 1;
    return true;
}

/* RFC 5246 6.2.3.3: additional_data = seq_num + type + version + length
 * of the plaintext. GCM (RFC 5288 3): nonce = salt (4 bytes from the key
 * block) + the explicit part sent at the start of the record (8). */
static bool open12(const struct tls_suite *s, const struct tls_cipher *c,
                   uint64_t seq, const uint8_t *rec, size_t body_len,
                   uint8_t *out, uint8_t *type, size_t *plen)
{
    const uint8_t *body = rec + 5;
    size_t ex = s->explicit_len;
    uint8_t nonce[TLS_IV_LEN], aad[13];
    if (body_len < ex + TLS_TAG_LEN)
        return false;
    if (ex) {
        memcpy(nonce, c->iv, s->fixed_iv_len);
        memcpy(nonce + s->fixed_iv_len, body, ex);
    } else {
        xor_nonce(c->iv, seq, nonce);
    }
    size_t n = body_len - ex - TLS_TAG_LEN;
    put_be64(aad, seq);
    aad[8] = rec[0];
    aad[9] = rec[1];
    aad[10] = rec[2];
    aad[11] = (uint8_t)(n >> 8);
    aad[12] = (uint8_t)n;
    if (!aead_open(c, nonce, aad, sizeof aad, body + ex, body_len - ex, out))
        return false;
    *type = rec[0];
    *plen = n;
    return true;
}

/* The TLS 1.2 MAC input (RFC 5246 6.2.3.1): seq_num, type, version,
 * length, then the bytes. */
static bool hmac_record(const struct tls_cipher *c, uint64_t seq, const uint8_t *rec,
                        const uint8_t *p, size_t n, uint8_t *mac, size_t mac_len)
{
    uint8_t hdr[13];
    size_t out_len = 0;
    put_be64(hdr, seq);
    hdr[8] = rec[0];
    hdr[9] = rec[1];
    hdr[10] = rec[2];
    hdr[11] = (uint8_t)(n >> 8);
    hdr[12] = (uint8_t)n;
    return EVP_MAC_init(c->mac, NULL, 0, NULL) == 1 &&
           EVP_MAC_update(c->mac, hdr, sizeof hdr) == 1 &&
           EVP_MAC_update(c->mac, p, n) == 1 &&
           EVP_MAC_final(c->mac, mac, &out_len, TLS_HASH_MAX) == 1 &&
           out_len == mac_len;
}

/* AES-CBC over in[0..n) (whole blocks) with iv into out; then the padding
 * (RFC 5246 6.2.3.2: padding_length + 1 bytes all equal to it) is checked
 * and removed: the length left, or SIZE_MAX when it is wrong. */
static size_t cbc_decrypt(const struct tls_cipher *c, const uint8_t *iv,
                          const uint8_t *in, size_t n, uint8_t *out)
{
    int len = 0, fin = 0;
    if (n == 0 || n % TLS_CBC_BLOCK != 0 || n > 0x7FFFFFFF ||
        EVP_DecryptInit_ex(c->ctx, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(c->ctx, out, &len, in, (int)n) != 1 ||
        EVP_DecryptFinal_ex(c->ctx, out + len, &fin) != 1)
        return SIZE_MAX;
    size_t pad = out[n - 1];
    if (pad + 1 > n)
        return SIZE_MAX;
    for (size_t i = n - 1 - pad; i < n - 1; i++)
        if (out[i] != pad)
            return SIZE_MAX;
    return n - 1 - pad;
}

/* TLS 1.2 CBC: IV, then either CBC(content + MAC + padding) (MAC then
 * encrypt, RFC 5246 6.2.3.2) or CBC(content + padding) + MAC over IV and
 * ciphertext (encrypt then MAC, RFC 7366 3). */
static bool open12_cbc(const struct tls_suite *s, const struct tls_cipher *c,
                       uint64_t seq, const uint8_t *rec,
                       size_t body_len, uint8_t *out, uint8_t *type,
                       size_t *plen)
{
    const uint8_t *body = rec + 5;
    size_t m = s->mac_len, iv = s->explicit_len;
    uint8_t mac[TLS_HASH_MAX];
    if (c->encrypt_then_mac) {
        if (body_len < iv + TLS_CBC_BLOCK + m ||
            !hmac_record(c, seq, rec, body, body_len - m, mac, m) ||
            CRYPTO_memcmp(mac, body + body_len - m, m) != 0)
            return false;
        size_t n = cbc_decrypt(c, body, body + iv, body_len - iv - m, out);
        if (n == SIZE_MAX)
            return false;
        *type = rec[0];
        *plen = n;
        return true;
    }
    size_t n = body_len < iv ? SIZE_MAX
                             : cbc_decrypt(c, body, body + iv, body_len - iv, out);
    if (n == SIZE_MAX || n < m || !hmac_record(c, seq, rec, out, n - m, mac, m) ||
        CRYPTO_memcmp(mac, out + n - m, m) != 0)
        return false;
    *type = rec[0];
    *plen = n - m;
    return true;
}

bool tls_record_open(const struct tls_suite *s, const struct tls_cipher *c,
                     uint64_t seq, const uint8_t *rec, size_t body_len,
                     uint8_t *out, uint8_t *type, size_t *plen)
{
    if (!c || (!c->ctx && !c->gcm))
        return false;
    if (s->tls13)
        return open13(c, seq, rec, body_len, out, type, plen);
    if (s->mac_len)
        return open12_cbc(s, c, seq, rec, body_len, out, type, plen);
    return open12(s, c, seq, rec, body_len, out, type, plen);
}
