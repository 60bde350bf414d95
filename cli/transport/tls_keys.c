/* Key derivation and AEAD for TLS decryption. See tls_keys.h. libcrypto
 * (OpenSSL 3) does the primitives: the "HKDF" KDF in expand-only mode, the
 * "TLS1-PRF" KDF and EVP AEAD ciphers. */
#include "transport/tls_keys.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

/* The suites whose records can be opened. TLS 1.3 from RFC 8446 B.4; TLS 1.2
 * GCM from RFC 5288 and RFC 5289 (salt of 4 bytes, 8 explicit nonce bytes per
 * record, section 3 of RFC 5288); ChaCha20-Poly1305 from RFC 7905 (a 12-byte
 * IV, no explicit nonce). */
static const struct tls_suite suites[] = {
    {0x1301, true, TLS_AEAD_AES_128_GCM, 16, 32, 12, 0},
    {0x1302, true, TLS_AEAD_AES_256_GCM, 32, 48, 12, 0},
    {0x1303, true, TLS_AEAD_CHACHA20_POLY1305, 32, 32, 12, 0},
    {0x009C, false, TLS_AEAD_AES_128_GCM, 16, 32, 4, 8}, /* RSA */
    {0x009D, false, TLS_AEAD_AES_256_GCM, 32, 48, 4, 8},
    {0x009E, false, TLS_AEAD_AES_128_GCM, 16, 32, 4, 8}, /* DHE_RSA */
    {0x009F, false, TLS_AEAD_AES_256_GCM, 32, 48, 4, 8},
    {0xC02B, false, TLS_AEAD_AES_128_GCM, 16, 32, 4, 8}, /* ECDHE_ECDSA */
    {0xC02C, false, TLS_AEAD_AES_256_GCM, 32, 48, 4, 8},
    {0xC02F, false, TLS_AEAD_AES_128_GCM, 16, 32, 4, 8}, /* ECDHE_RSA */
    {0xC030, false, TLS_AEAD_AES_256_GCM, 32, 48, 4, 8},
    {0xCCA8, false, TLS_AEAD_CHACHA20_POLY1305, 32, 32, 12, 0}, /* ECDHE_RSA */
    {0xCCA9, false, TLS_AEAD_CHACHA20_POLY1305, 32, 32, 12, 0}, /* ECDHE_ECDSA */
    {0xCCAA, false, TLS_AEAD_CHACHA20_POLY1305, 32, 32, 12, 0}, /* DHE_RSA */
};

const struct tls_suite *tls_suite_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == id)
            return &suites[i];
    return NULL;
}

static const char *digest_name(unsigned hash_len)
{
    return hash_len == 48 ? "SHA384" : hash_len == 32 ? "SHA256" : NULL;
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

bool tls13_expand_label(unsigned hash_len, const uint8_t *secret,
                        size_t secret_len, const char *label,
                        const uint8_t *context, size_t context_len,
                        uint8_t *out, size_t out_len)
{
    /* RFC 8446 7.1: struct HkdfLabel { uint16 length; opaque
     * label<7..255> = "tls13 " + Label; opaque context<0..255>; } */
    static const char prefix[] = "tls13 ";
    size_t plen = sizeof prefix - 1, llen = strlen(label);
    uint8_t info[2 + 1 + 255 + 1 + 255];
    const char *md = digest_name(hash_len);
    if (!md || plen + llen > 255 || context_len > 255 || out_len > 0xFFFF)
        return false;
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
    n += context_len;

    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret,
                                          secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
        OSSL_PARAM_construct_end(),
    };
    return kdf_derive("HKDF", params, out, out_len);
}

bool tls13_traffic_keys(const struct tls_suite *s, const uint8_t *secret,
                        size_t secret_len, struct tls_traffic_keys *out)
{
    /* RFC 8446 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key",
     * "", key_length); [sender]_write_iv = ...("iv", "", iv_length). */
    return secret_len == s->hash_len &&
           tls13_expand_label(s->hash_len, secret, secret_len, "key", NULL, 0,
                              out->key, s->key_len) &&
           tls13_expand_label(s->hash_len, secret, secret_len, "iv", NULL, 0,
                              out->iv, TLS_IV_LEN);
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
     * server_write_MAC_key (both empty for AEAD), client_write_key,
     * server_write_key, client_write_IV, server_write_IV. */
    uint8_t seed[64], block[2 * (TLS_KEY_MAX + TLS_IV_LEN)];
    size_t k = s->key_len, iv = s->fixed_iv_len;
    memcpy(seed, server_random, 32);
    memcpy(seed + 32, client_random, 32);
    if (!tls12_prf(s->hash_len, master, 48, "key expansion", seed, sizeof seed,
                   block, 2 * (k + iv)))
        return false;
    memset(client, 0, sizeof *client);
    memset(server, 0, sizeof *server);
    memcpy(client->key, block, k);
    memcpy(server->key, block + k, k);
    memcpy(client->iv, block + 2 * k, iv);
    memcpy(server->iv, block + 2 * k + iv, iv);
    return true;
}

struct tls_aead {
    EVP_CIPHER_CTX *ctx;
};

static const EVP_CIPHER *aead_cipher(enum tls_aead_alg alg)
{
    switch (alg) {
    case TLS_AEAD_AES_128_GCM: return EVP_aes_128_gcm();
    case TLS_AEAD_AES_256_GCM: return EVP_aes_256_gcm();
    case TLS_AEAD_CHACHA20_POLY1305: return EVP_chacha20_poly1305();
    }
    return NULL;
}

struct tls_aead *tls_aead_new(const struct tls_suite *s, const uint8_t *key)
{
    struct tls_aead *a = OPENSSL_zalloc(sizeof *a);
    const EVP_CIPHER *c = aead_cipher(s->aead);
    if (!a || !c || (a->ctx = EVP_CIPHER_CTX_new()) == NULL ||
        EVP_DecryptInit_ex(a->ctx, c, NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_IVLEN, TLS_IV_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(a->ctx, NULL, NULL, key, NULL) != 1) {
        tls_aead_free(a);
        return NULL;
    }
    return a;
}

void tls_aead_free(struct tls_aead *a)
{
    if (!a)
        return;
    EVP_CIPHER_CTX_free(a->ctx);
    OPENSSL_free(a);
}

bool tls_aead_open(struct tls_aead *a, const uint8_t nonce[TLS_IV_LEN],
                   const uint8_t *aad, size_t aad_len, const uint8_t *in,
                   size_t in_len, uint8_t *out)
{
    int n = 0, fin = 0;
    if (in_len < TLS_TAG_LEN || in_len - TLS_TAG_LEN > 0x7FFFFFFF ||
        aad_len > 0x7FFFFFFF)
        return false;
    int ct_len = (int)(in_len - TLS_TAG_LEN);
    if (EVP_DecryptInit_ex(a->ctx, NULL, NULL, NULL, nonce) != 1 ||
        EVP_DecryptUpdate(a->ctx, NULL, &n, aad, (int)aad_len) != 1 ||
        (ct_len > 0 && EVP_DecryptUpdate(a->ctx, out, &n, in, ct_len) != 1) ||
        EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, TLS_TAG_LEN,
                            (void *)(in + ct_len)) != 1)
        return false;
    return EVP_DecryptFinal_ex(a->ctx, out + ct_len, &fin) == 1;
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
static bool open13(const struct tls_traffic_keys *keys, struct tls_aead *a,
                   uint64_t seq, const uint8_t *rec, size_t body_len,
                   uint8_t *out, uint8_t *type, size_t *plen)
{
    uint8_t nonce[TLS_IV_LEN];
    if (body_len < TLS_TAG_LEN + 1)
        return false;
    xor_nonce(keys->iv, seq, nonce);
    if (!tls_aead_open(a, nonce, rec, 5, rec + 5, body_len, out))
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
static bool open12(const struct tls_suite *s,
                   const struct tls_traffic_keys *keys, struct tls_aead *a,
                   uint64_t seq, const uint8_t *rec, size_t body_len,
                   uint8_t *out, uint8_t *type, size_t *plen)
{
    const uint8_t *body = rec + 5;
    size_t ex = s->explicit_len;
    uint8_t nonce[TLS_IV_LEN], aad[13];
    if (body_len < ex + TLS_TAG_LEN)
        return false;
    if (ex) {
        memcpy(nonce, keys->iv, s->fixed_iv_len);
        memcpy(nonce + s->fixed_iv_len, body, ex);
    } else {
        xor_nonce(keys->iv, seq, nonce);
    }
    size_t n = body_len - ex - TLS_TAG_LEN;
    put_be64(aad, seq);
    aad[8] = rec[0];
    aad[9] = rec[1];
    aad[10] = rec[2];
    aad[11] = (uint8_t)(n >> 8);
    aad[12] = (uint8_t)n;
    if (!tls_aead_open(a, nonce, aad, sizeof aad, body + ex, body_len - ex, out))
        return false;
    *type = rec[0];
    *plen = n;
    return true;
}

bool tls_record_open(const struct tls_suite *s,
                     const struct tls_traffic_keys *keys, struct tls_aead *a,
                     uint64_t seq, const uint8_t *rec, size_t body_len,
                     uint8_t *out, uint8_t *type, size_t *plen)
{
    if (!a)
        return false;
    return s->tls13 ? open13(keys, a, seq, rec, body_len, out, type, plen)
                    : open12(s, keys, a, seq, rec, body_len, out, type, plen);
}
