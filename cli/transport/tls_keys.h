/* TLS record protection keys and ciphers, over OpenSSL's libcrypto:
 * the supported cipher suites (a table), TLS 1.3 traffic keys from a traffic
 * secret (RFC 8446 section 7.3, HKDF-Expand-Label "key" / "iv", and
 * "traffic upd" for KeyUpdate, 7.2), TLS 1.2 key blocks from the master
 * secret (RFC 5246 section 6.3, the PRF of section 5), and the opening
 * (authenticate and decrypt) of one record: AEAD, or for TLS 1.2 AES-CBC
 * with HMAC, MAC-then-encrypt (RFC 5246 6.2.3.2) or encrypt-then-MAC
 * (RFC 7366). Key material stays in these
 * structures; nothing here prints it.
 */
#ifndef MQD_CLI_TLS_KEYS_H
#define MQD_CLI_TLS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_KEY_MAX 32
#define TLS_IV_LEN 12  /* every supported AEAD takes a 96-bit nonce */
#define TLS_TAG_LEN 16
#define TLS_HASH_MAX 48

#define TLS_CBC_BLOCK 16

enum tls_cipher_alg {
    TLS_AES_128_GCM,
    TLS_AES_256_GCM,
    TLS_CHACHA20_POLY1305,
    TLS_AES_128_CBC, /* TLS 1.2 only, with an HMAC */
    TLS_AES_256_CBC,
};

struct tls_suite {
    uint16_t id;
    bool tls13;               /* a TLS 1.3 suite; else TLS 1.2 */
    enum tls_cipher_alg cipher;
    uint8_t key_len;
    uint8_t hash_len;         /* the PRF's / HKDF's hash: 32 SHA-256, 48 SHA-384 */
    uint8_t fixed_iv_len;     /* from the key schedule: 12, 4 (1.2 GCM salt), 0 (CBC) */
    uint8_t explicit_len;     /* bytes at the start of each record: 8 (1.2 GCM nonce),
                                 16 (CBC IV) */
    uint8_t mac_len;          /* CBC: the HMAC's length (20 SHA-1, 32, 48); else 0 */
};

/* The suite with this IANA id, if it can be decrypted; NULL otherwise
 * (CCM, 3DES, export and others). */
const struct tls_suite *tls_suite_find(uint16_t id);

/* One direction's write keys. */
struct tls_traffic_keys {
    uint8_t key[TLS_KEY_MAX];
    uint8_t iv[TLS_IV_LEN];   /* fixed_iv_len bytes used */
    uint8_t mac[TLS_HASH_MAX]; /* CBC: the MAC key (mac_len bytes) */
    bool encrypt_then_mac;     /* CBC: RFC 7366 negotiated */
};

/* The smallest protected record body of a suite (TLS 1.3: with the inner
 * content type). */
size_t tls_suite_min_body(const struct tls_suite *s);

/* While a holder exists (one per decryptor), the ciphers used are fetched
 * from libcrypto once per thread instead of on every use, and freed AEAD
 * contexts are kept for re-keying: hold when a decryptor is made, release
 * when it is freed, on the same thread. Without a holder everything still
 * works, only slower. */
void tls_keys_hold(void);
void tls_keys_release(void);

/* RFC 8446 7.1: HKDF-Expand-Label(secret, label, context, out_len) with the
 * suite's hash (hash_len 32 or 48). The label is given without "tls13 ".
 * False on a libcrypto failure or bad lengths. */
bool tls13_expand_label(unsigned hash_len, const uint8_t *secret,
                        size_t secret_len, const char *label,
                        const uint8_t *context, size_t context_len,
                        uint8_t *out, size_t out_len);

/* RFC 8446 7.3: the write key and IV of a traffic secret. */
bool tls13_traffic_keys(const struct tls_suite *s, const uint8_t *secret,
                        size_t secret_len, struct tls_traffic_keys *out);

/* RFC 8446 7.2: application_traffic_secret_N+1 from _N, in place. */
bool tls13_next_secret(const struct tls_suite *s, uint8_t *secret,
                       size_t secret_len);

/* RFC 5246 5: PRF(secret, label, seed) with SHA-256 (hash_len 32) or
 * SHA-384 (48), out_len bytes. */
bool tls12_prf(unsigned hash_len, const uint8_t *secret, size_t secret_len,
               const char *label, const uint8_t *seed, size_t seed_len,
               uint8_t *out, size_t out_len);

/* RFC 5246 6.3: the client and server write keys (MAC keys for CBC suites)
 * and IVs from the master secret and the two randoms. */
bool tls12_traffic_keys(const struct tls_suite *s, const uint8_t master[48],
                        const uint8_t client_random[32],
                        const uint8_t server_random[32],
                        struct tls_traffic_keys *client,
                        struct tls_traffic_keys *server);

/* A cipher context with its keys set (and the HMAC for CBC suites); it
 * keeps the IV and the encrypt-then-MAC flag too, so that keys can be
 * wiped once it is made. Kept by value in its user's per-direction state
 * (what each record reads first, then the context, is in one cache line
 * there): all zero is "no cipher"; set by tls_cipher_set, released by
 * tls_cipher_clear, moved by assignment (nothing points into it). The
 * fields are tls_keys.c's. */
struct evp_cipher_ctx_st; /* OpenSSL's EVP_CIPHER_CTX, EVP_MAC_CTX */
struct evp_mac_ctx_st;
struct tls_cipher {
    struct evp_cipher_ctx_st *ctx;
    void *gcm; /* instead of ctx: AES-GCM through the provider (tls_gcm.h) */
    /* What each record needs besides the keyed context: the IV
     * (fixed_iv_len bytes used) and, for AES-GCM, its first 4 bytes given
     * once to the context as the "fixed" field (gcm_inv: each record then
     * gives only the 8-byte invocation field and the tag, in one
     * parameter call, OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, RFC 5116
     * 3.2's split, instead of a re-initialisation with the whole IV plus a
     * control call for the tag). */
    uint8_t iv[TLS_IV_LEN];
    uint8_t fixed[4];
    bool gcm_inv;
    bool pooled;           /* an AEAD context: back to the pool when cleared */
    bool encrypt_then_mac; /* CBC: RFC 7366 negotiated */
    uint8_t alg;           /* enum tls_cipher_alg */
    struct evp_mac_ctx_st *mac; /* CBC suites: HMAC with the MAC key */
};

/* c (all zero, or holding keys not needed any more) keyed for keys of
 * suite s. A context c has for the same AEAD is re-keyed (a fraction of
 * the cost of a new one); otherwise it is released and one is made. False
 * on failure, c then cleared. */
bool tls_cipher_set(struct tls_cipher *c, const struct tls_suite *s,
                    const struct tls_traffic_keys *keys);
/* Asks for the first cache lines of c's cipher context (c is read, its
 * context not). */
void tls_cipher_prefetch(const struct tls_cipher *c);
/* Releases c's contexts and wipes it (all zero after). */
void tls_cipher_clear(struct tls_cipher *c);

/* One protected record: rec is its 5-byte header then body_len bytes.
 * Builds the nonce and additional data of the suite's version for sequence
 * number seq, authenticates and decrypts into out (at least body_len
 * bytes). True when the tag (or the MAC and padding) checked; *type is then
 * the content type (TLS 1.3: the inner one, padding removed) and *plen the
 * plaintext length. */
bool tls_record_open(const struct tls_suite *s, const struct tls_cipher *c,
                     uint64_t seq, const uint8_t *rec, size_t body_len,
                     uint8_t *out, uint8_t *type, size_t *plen);

#endif
