/* TLS record protection keys and the AEAD ciphers, over OpenSSL's libcrypto:
 * the supported cipher suites (a table), TLS 1.3 traffic keys from a traffic
 * secret (RFC 8446 section 7.3, HKDF-Expand-Label "key" / "iv", and
 * "traffic upd" for KeyUpdate, 7.2), TLS 1.2 key blocks from the master
 * secret (RFC 5246 section 6.3, the PRF of section 5), and one AEAD open
 * (authenticate and decrypt) per record. Key material stays in these
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

enum tls_aead_alg { TLS_AEAD_AES_128_GCM, TLS_AEAD_AES_256_GCM, TLS_AEAD_CHACHA20_POLY1305 };

struct tls_suite {
    uint16_t id;
    bool tls13;               /* a TLS 1.3 suite; else TLS 1.2 */
    enum tls_aead_alg aead;
    uint8_t key_len;
    uint8_t hash_len;         /* 32: SHA-256, 48: SHA-384 */
    uint8_t fixed_iv_len;     /* from the key schedule: 12, or 4 (1.2 GCM salt) */
    uint8_t explicit_len;     /* nonce bytes at the start of each record: 8 (1.2 GCM) */
};

/* The suite with this IANA id, if it can be decrypted; NULL otherwise
 * (CBC suites, CCM, export and others). */
const struct tls_suite *tls_suite_find(uint16_t id);

/* One direction's write key and IV. */
struct tls_traffic_keys {
    uint8_t key[TLS_KEY_MAX];
    uint8_t iv[TLS_IV_LEN]; /* fixed_iv_len bytes used */
};

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

/* RFC 5246 6.3: the client and server write keys and IVs from the master
 * secret and the two randoms (AEAD suites: no MAC keys). */
bool tls12_traffic_keys(const struct tls_suite *s, const uint8_t master[48],
                        const uint8_t client_random[32],
                        const uint8_t server_random[32],
                        struct tls_traffic_keys *client,
                        struct tls_traffic_keys *server);

/* An AEAD cipher context with its key set. */
struct tls_aead;
struct tls_aead *tls_aead_new(const struct tls_suite *s, const uint8_t *key);
void tls_aead_free(struct tls_aead *a);

/* Authenticates and decrypts in[0..in_len) (ciphertext then the 16-byte
 * tag) with nonce (12 bytes) and aad into out (in_len - 16 bytes). True
 * only when the tag is right; out is then the plaintext. */
bool tls_aead_open(struct tls_aead *a, const uint8_t nonce[TLS_IV_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in,
                   size_t in_len, uint8_t *out);

/* One protected record: rec is its 5-byte header then body_len bytes.
 * Builds the nonce and additional data of the suite's version for sequence
 * number seq, authenticates and decrypts into out (at least body_len
 * bytes). True when the tag checked; *type is then the content type (TLS
 * 1.3: the inner one, padding removed) and *plen the plaintext length. */
bool tls_record_open(const struct tls_suite *s,
                     const struct tls_traffic_keys *keys, struct tls_aead *a,
                     uint64_t seq, const uint8_t *rec, size_t body_len,
                     uint8_t *out, uint8_t *type, size_t *plen);

#endif
