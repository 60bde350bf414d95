/* transport/tls_gcm: AES-GCM through the provider's functions, against
 * records sealed with EVP; and tls_keys' use of it (a held cipher of an
 * AES-GCM suite takes that path, opens what EVP opens, refuses what EVP
 * refuses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "transport/tls_gcm.h"
#include "transport/tls_keys.h"

/* ct||tag of pt under key, nonce, aad, sealed with EVP. */
static size_t seal(const char *name, const uint8_t *key, const uint8_t nonce[12],
                   const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                   size_t pt_len, uint8_t *out)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    assert_non_null(c);
    assert_int_equal(EVP_EncryptInit_ex(x, c, NULL, key, nonce), 1);
    assert_int_equal(EVP_EncryptUpdate(x, NULL, &n, aad, (int)aad_len), 1);
    if (pt_len)
        assert_int_equal(EVP_EncryptUpdate(x, out, &n, pt, (int)pt_len), 1);
    assert_int_equal(EVP_EncryptFinal_ex(x, out + pt_len, &fin), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, out + pt_len), 1);
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
    return pt_len + 16;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* The provider of a cipher fetched by name. */
static OSSL_PROVIDER *provider_of(const EVP_CIPHER *c)
{
    return (OSSL_PROVIDER *)EVP_CIPHER_get0_provider(c);
}

/* The functions found in the provider of a fetched cipher, or (prov) in a
 * provider loaded by name. */
static void open_sizes_in(const char *name, size_t key_len, OSSL_PROVIDER *prov)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
    struct tls_gcm g;
    assert_non_null(c);
    assert_true(tls_gcm_find(prov ? prov : provider_of(c), name, &g));
    uint8_t key[32], key2[32], nonce[12], aad[13], pt[3000], rec[3016], out[3016];
    fill(key, sizeof key, 1);
    fill(key2, sizeof key2, 2);
    fill(aad, sizeof aad, 3);
    fill(pt, sizeof pt, 4);
    void *ctx = tls_gcm_new(&g, key, key_len);
    assert_non_null(ctx);
    /* every size through the bulk path's thresholds, and empty */
    static const size_t sizes[] = {0, 1, 15, 16, 17, 95, 96, 97, 255, 288, 289, 1000, 3000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        fill(nonce, sizeof nonce, (unsigned)i + 10);
        size_t len = seal(name, key, nonce, aad, 5 + (i % 2) * 8, pt, n, rec);
        memset(out, 0xEE, sizeof out);
        assert_true(tls_gcm_open(&g, ctx, nonce, aad, 5 + (i % 2) * 8, rec, len, out));
        assert_memory_equal(out, pt, n);
        /* a flipped bit anywhere, the wrong nonce or additional data: refused */
        rec[len / 2] ^= 0x20;
        assert_false(tls_gcm_open(&g, ctx, nonce, aad, 5 + (i % 2) * 8, rec, len, out));
        rec[len / 2] ^= 0x20;
        nonce[11] ^= 1;
        assert_false(tls_gcm_open(&g, ctx, nonce, aad, 5 + (i % 2) * 8, rec, len, out));
        nonce[11] ^= 1;
        assert_false(tls_gcm_open(&g, ctx, nonce, aad, 4, rec, len, out));
        /* and the context opens the next record after a refusal */
        assert_true(tls_gcm_open(&g, ctx, nonce, aad, 5 + (i % 2) * 8, rec, len, out));
    }
    assert_false(tls_gcm_open(&g, ctx, nonce, aad, 5, rec, 15, out)); /* shorter than a tag */
    /* re-keyed: the new key's records only */
    size_t len = seal(name, key2, nonce, aad, 5, pt, 100, rec);
    assert_false(tls_gcm_open(&g, ctx, nonce, aad, 5, rec, len, out));
    assert_true(tls_gcm_rekey(&g, ctx, key2, key_len));
    assert_true(tls_gcm_open(&g, ctx, nonce, aad, 5, rec, len, out));
    assert_memory_equal(out, pt, 100);
    assert_false(tls_gcm_rekey(&g, ctx, key2, key_len == 16 ? 32 : 16)); /* wrong size */
    tls_gcm_free(&g, ctx);
    EVP_CIPHER_free(c);
}

static void open_sizes(const char *name, size_t key_len)
{
    open_sizes_in(name, key_len, NULL);
}

static void test_open_aes128(void **state)
{
    (void)state;
    open_sizes("AES-128-GCM", 16);
}

static void test_open_aes256(void **state)
{
    (void)state;
    open_sizes("AES-256-GCM", 32);
}

/* Found in the default provider loaded by name, as tls_keys does: the
 * same records open and the same are refused. */
static void test_open_in_provider(void **state)
{
    (void)state;
    OSSL_PROVIDER *prov = OSSL_PROVIDER_try_load(NULL, "default", 1);
    assert_non_null(prov);
    open_sizes_in("AES-128-GCM", 16, prov);
    open_sizes_in("AES-256-GCM", 32, prov);
    OSSL_PROVIDER_unload(prov);
}

static void test_not_found(void **state)
{
    (void)state;
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    struct tls_gcm g;
    assert_false(tls_gcm_find(provider_of(c), "NO-SUCH-CIPHER", &g));
    assert_false(tls_gcm_find(NULL, "AES-128-GCM", &g));
    EVP_CIPHER_free(c);
    OSSL_PROVIDER *prov = OSSL_PROVIDER_try_load(NULL, "default", 1);
    assert_non_null(prov);
    assert_false(tls_gcm_find(prov, "NO-SUCH-CIPHER", &g));
    OSSL_PROVIDER_unload(prov);
}

/* A TLS 1.3 record (RFC 8446 5.2) of suite id under keys, sequence
 * number seq: header, ciphertext of content || type, tag. */
static size_t tls13_record(const struct tls_suite *s, const struct tls_traffic_keys *k,
                           uint64_t seq, const uint8_t *content, size_t n, uint8_t *rec)
{
    uint8_t inner[600], nonce[12];
    memcpy(inner, content, n);
    inner[n] = 23;
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
    size_t body = n + 1 + 16;
    rec[0] = 23;
    rec[1] = 3;
    rec[2] = 3;
    rec[3] = (uint8_t)(body >> 8);
    rec[4] = (uint8_t)body;
    return 5 + seal(s->key_len == 16 ? "AES-128-GCM" : "AES-256-GCM", k->key, nonce,
                    rec, 5, inner, n + 1, rec + 5);
}

/* Held (as a decryptor holds), an AES-GCM suite's cipher takes the
 * provider path; without a holder, EVP. Both open the same records and
 * refuse the same corruption. */
static void test_tls_keys_paths(void **state)
{
    (void)state;
    static const uint16_t ids[] = {0x1301, 0x1302};
    for (int held = 0; held < 2; held++) {
        if (held)
            tls_keys_hold();
        for (size_t i = 0; i < 2; i++) {
            const struct tls_suite *s = tls_suite_find(ids[i]);
            struct tls_traffic_keys k;
            struct tls_cipher c;
            memset(&k, 0, sizeof k);
            memset(&c, 0, sizeof c);
            fill(k.key, sizeof k.key, 20 + (unsigned)i);
            fill(k.iv, sizeof k.iv, 30 + (unsigned)i);
            assert_true(tls_cipher_set(&c, s, &k));
            assert_int_equal(c.gcm != NULL, held);
            assert_int_equal(c.ctx != NULL, !held);
            uint8_t content[500], rec[600], out[600], type = 0;
            size_t plen = 0;
            fill(content, sizeof content, 40);
            for (uint64_t seq = 0; seq < 3; seq++) {
                size_t len = tls13_record(s, &k, seq, content, 100 * (seq + 1), rec);
                assert_true(tls_record_open(s, &c, seq, rec, len - 5, out, &type, &plen));
                assert_int_equal(type, 23);
                assert_int_equal(plen, 100 * (seq + 1));
                assert_memory_equal(out, content, plen);
                assert_false(tls_record_open(s, &c, seq + 1, rec, len - 5, out, &type, &plen));
                rec[len - 1] ^= 1;
                assert_false(tls_record_open(s, &c, seq, rec, len - 5, out, &type, &plen));
            }
            /* re-keyed for the next epoch, the same context */
            void *before = c.gcm;
            fill(k.key, sizeof k.key, 50);
            assert_true(tls_cipher_set(&c, s, &k));
            if (held)
                assert_ptr_equal(c.gcm, before);
            size_t len = tls13_record(s, &k, 0, content, 64, rec);
            assert_true(tls_record_open(s, &c, 0, rec, len - 5, out, &type, &plen));
            assert_memory_equal(out, content, 64);
            tls_cipher_clear(&c);
            assert_null(c.gcm);
            assert_null(c.ctx);
        }
        if (held)
            tls_keys_release();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_aes128),
        cmocka_unit_test(test_open_aes256),
        cmocka_unit_test(test_open_in_provider),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_tls_keys_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
