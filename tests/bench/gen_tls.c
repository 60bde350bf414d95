/* gen_tls: TLS 1.3 records for gen_capture -T. See gen_tls.h. Key schedule
 * from RFC 8446 7.1 and 7.3 (HKDF-Expand-Label "key" and "iv" from a
 * traffic secret), record protection from 5.2 and 5.3 (the nonce is the iv
 * XOR the 64-bit record sequence number; the additional data is the record
 * header). */
#include "gen_tls.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static uint64_t rng_state;
static FILE *keylog;
static EVP_CIPHER_CTX *ctx; /* AES-128-GCM, keyed per record */

static uint64_t rng_next(void) /* splitmix64, like gen_capture's */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void random_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next();
}

static void fail(const char *what)
{
    fprintf(stderr, "gen_capture: TLS: %s failed\n", what);
    exit(1);
}

void gtls_init(uint64_t seed, FILE *log)
{
    rng_state = seed ^ 0x544c53313300ull; /* apart from the traffic's PRNG */
    keylog = log;
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx || EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL) != 1)
        fail("EVP_EncryptInit_ex");
}

/* HKDF-Expand-Label(secret, label, "", n) with SHA-256, n <= 32: one
 * HMAC block, T(1) = HMAC(secret, HkdfLabel || 0x01) (RFC 5869 2.3). */
static void expand_label(const uint8_t secret[32], const char *label, uint8_t *out,
                         size_t n)
{
    uint8_t info[2 + 1 + 6 + 32 + 1 + 1];
    size_t ll = strlen(label), k = 0;
    info[k++] = 0;
    info[k++] = (uint8_t)n;
    info[k++] = (uint8_t)(6 + ll);
    memcpy(info + k, "tls13 ", 6);
    k += 6;
    memcpy(info + k, label, ll);
    k += ll;
    info[k++] = 0; /* no context */
    info[k++] = 1;
    uint8_t t[32];
    unsigned tl = 0;
    if (!HMAC(EVP_sha256(), secret, 32, info, k, t, &tl) || tl != 32)
        fail("HMAC");
    memcpy(out, t, n);
}

static void use_secret(struct gtls_conn *t, int dir, const uint8_t secret[32])
{
    expand_label(secret, "key", t->key[dir], 16);
    expand_label(secret, "iv", t->iv[dir], 12);
    t->seq[dir] = 0;
}

/* One protected record of content type `type` at out; returns its length. */
static size_t seal_record(struct gtls_conn *t, int dir, uint8_t type, const uint8_t *p,
                          size_t n, uint8_t *out)
{
    size_t body = n + 1 + 16;
    out[0] = 23; /* application_data, as every protected record */
    out[1] = 3;
    out[2] = 3;
    out[3] = (uint8_t)(body >> 8);
    out[4] = (uint8_t)body;
    uint8_t nonce[12];
    memcpy(nonce, t->iv[dir], 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(t->seq[dir] >> (56 - 8 * i));
    t->seq[dir]++;
    int l;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, t->key[dir], nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &l, out, 5) != 1 ||
        (n && EVP_EncryptUpdate(ctx, out + 5, &l, p, (int)n) != 1) ||
        EVP_EncryptUpdate(ctx, out + 5 + n, &l, &type, 1) != 1 ||
        EVP_EncryptFinal_ex(ctx, out + 5 + n + 1, &l) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + 5 + n + 1) != 1)
        fail("AES-128-GCM");
    return 5 + body;
}

size_t gtls_sealed_len(size_t n)
{
    size_t records = n ? (n + GTLS_RECORD_MAX - 1) / GTLS_RECORD_MAX : 0;
    return n + records * GTLS_OVERHEAD;
}

size_t gtls_seal(struct gtls_conn *t, int dir, const uint8_t *p, size_t n,
                 uint8_t *out)
{
    size_t at = 0;
    for (size_t off = 0; off < n; off += GTLS_RECORD_MAX) {
        size_t k = n - off < GTLS_RECORD_MAX ? n - off : GTLS_RECORD_MAX;
        at += seal_record(t, dir, 23, p + off, k, out + at);
    }
    return at;
}

static void log_secret(const char *label, const uint8_t random[32], const uint8_t s[32])
{
    fprintf(keylog, "%s ", label);
    for (int i = 0; i < 32; i++)
        fprintf(keylog, "%02x", random[i]);
    fputc(' ', keylog);
    for (int i = 0; i < 32; i++)
        fprintf(keylog, "%02x", s[i]);
    fputc('\n', keylog);
}

/* A plaintext handshake record holding one message of type mt. */
static size_t hs_record(uint8_t *out, uint8_t mt, const uint8_t *body, size_t n)
{
    size_t len = 4 + n;
    out[0] = 22;
    out[1] = 3;
    out[2] = 1;
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    out[5] = mt;
    out[6] = 0;
    out[7] = (uint8_t)(n >> 8);
    out[8] = (uint8_t)n;
    memcpy(out + 9, body, n);
    return 5 + len;
}

static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};

size_t gtls_client_hello(struct gtls_conn *t, uint8_t *out)
{
    static const char *const labels[4] = {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"};
    random_bytes(t->client_random, 32);
    for (int i = 0; i < 4; i++) {
        random_bytes(t->secret[i], 32);
        log_secret(labels[i], t->client_random, t->secret[i]);
    }
    uint8_t b[128];
    size_t k = 0;
    b[k++] = 3; b[k++] = 3;                      /* legacy_version */
    memcpy(b + k, t->client_random, 32); k += 32;
    b[k++] = 32; random_bytes(b + k, 32); k += 32; /* legacy_session_id */
    b[k++] = 0; b[k++] = 2; b[k++] = 0x13; b[k++] = 0x01; /* TLS_AES_128_GCM_SHA256 */
    b[k++] = 1; b[k++] = 0;                      /* compression: null */
    b[k++] = 0; b[k++] = 7 + 4 + 38;             /* extensions */
    b[k++] = 0x00; b[k++] = 0x2b; b[k++] = 0; b[k++] = 3; /* supported_versions */
    b[k++] = 2; b[k++] = 3; b[k++] = 4;
    b[k++] = 0x00; b[k++] = 0x33; b[k++] = 0; b[k++] = 38; /* key_share */
    b[k++] = 0; b[k++] = 36; b[k++] = 0x00; b[k++] = 0x1d; /* x25519 */
    b[k++] = 0; b[k++] = 32; random_bytes(b + k, 32); k += 32;
    return hs_record(out, 1, b, k);
}

size_t gtls_server_flight(struct gtls_conn *t, uint8_t *out)
{
    uint8_t b[128];
    size_t k = 0;
    b[k++] = 3; b[k++] = 3;
    random_bytes(b + k, 32); k += 32;            /* server random */
    b[k++] = 32; random_bytes(b + k, 32); k += 32;
    b[k++] = 0x13; b[k++] = 0x01;
    b[k++] = 0;
    b[k++] = 0; b[k++] = 6 + 40;
    b[k++] = 0x00; b[k++] = 0x2b; b[k++] = 0; b[k++] = 2; b[k++] = 3; b[k++] = 4;
    b[k++] = 0x00; b[k++] = 0x33; b[k++] = 0; b[k++] = 36;
    b[k++] = 0x00; b[k++] = 0x1d; b[k++] = 0; b[k++] = 32;
    random_bytes(b + k, 32); k += 32;
    size_t at = hs_record(out, 2, b, k);
    memcpy(out + at, ccs, sizeof ccs);
    at += sizeof ccs;
    /* EncryptedExtensions (empty) and Finished, under the handshake keys */
    uint8_t m[4 + 2 + 4 + 32] = {8, 0, 0, 2, 0, 0, 20, 0, 0, 32};
    random_bytes(m + 10, 32);
    use_secret(t, 1, t->secret[1]);
    at += seal_record(t, 1, 22, m, sizeof m, out + at);
    use_secret(t, 1, t->secret[3]);
    return at;
}

size_t gtls_client_finished(struct gtls_conn *t, uint8_t *out)
{
    memcpy(out, ccs, sizeof ccs);
    size_t at = sizeof ccs;
    uint8_t m[4 + 32] = {20, 0, 0, 32};
    random_bytes(m + 4, 32);
    use_secret(t, 0, t->secret[0]);
    at += seal_record(t, 0, 22, m, sizeof m, out + at);
    use_secret(t, 0, t->secret[2]);
    return at;
}
