/* AES-GCM through the provider's functions. See tls_gcm.h. */
#include "transport/tls_gcm.h"

#include <string.h>
#include <strings.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#define TAG_LEN 16
#define NONCE_LEN 12

/* Whether the colon-separated list of names has `name`. */
static bool names_have(const char *names, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = names; p && *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncasecmp(p, name, len) == 0)
            return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static void take(const OSSL_DISPATCH *d, struct tls_gcm *g)
{
    for (; d->function_id != 0; d++) {
        switch (d->function_id) {
        case OSSL_FUNC_CIPHER_NEWCTX: g->newctx = OSSL_FUNC_cipher_newctx(d); break;
        case OSSL_FUNC_CIPHER_FREECTX: g->freectx = OSSL_FUNC_cipher_freectx(d); break;
        case OSSL_FUNC_CIPHER_DECRYPT_INIT:
            g->dinit = OSSL_FUNC_cipher_decrypt_init(d);
            break;
        case OSSL_FUNC_CIPHER_CIPHER: g->cipher = OSSL_FUNC_cipher_cipher(d); break;
        case OSSL_FUNC_CIPHER_SET_CTX_PARAMS:
            g->set_ctx_params = OSSL_FUNC_cipher_set_ctx_params(d);
            break;
        default: break;
        }
    }
}

bool tls_gcm_find(struct ossl_provider_st *prov, const char *name,
                  struct tls_gcm *g)
{
    memset(g, 0, sizeof *g);
    if (!prov)
        return false;
    int no_cache = 0;
    const OSSL_ALGORITHM *alg = OSSL_PROVIDER_query_operation(prov, OSSL_OP_CIPHER, &no_cache);
    for (const OSSL_ALGORITHM *a = alg; a && a->algorithm_names; a++)
        if (names_have(a->algorithm_names, name)) {
            take(a->implementation, g);
            break;
        }
    if (alg)
        OSSL_PROVIDER_unquery_operation(prov, OSSL_OP_CIPHER, alg);
    g->provctx = OSSL_PROVIDER_get0_provider_ctx(prov);
    if (g->newctx && g->freectx && g->dinit && g->cipher && g->set_ctx_params)
        return true;
    memset(g, 0, sizeof *g);
    return false;
}

void *tls_gcm_new(const struct tls_gcm *g, const uint8_t *key, size_t key_len)
{
    void *ctx = g->newctx(g->provctx);
    if (ctx && !tls_gcm_rekey(g, ctx, key, key_len)) {
        g->freectx(ctx);
        ctx = NULL;
    }
    return ctx;
}

bool tls_gcm_rekey(const struct tls_gcm *g, void *ctx, const uint8_t *key,
                   size_t key_len)
{
    /* the provider checks the length against its key size */
    return g->dinit(ctx, key, key_len, NULL, 0, NULL) == 1;
}

void tls_gcm_free(const struct tls_gcm *g, void *ctx)
{
    if (ctx)
        g->freectx(ctx); /* the provider wipes it */
}

bool tls_gcm_open(const struct tls_gcm *g, void *ctx, const uint8_t nonce[12],
                  const uint8_t *aad, size_t aad_len, const uint8_t *in,
                  size_t in_len, uint8_t *out)
{
    if (in_len < TAG_LEN)
        return false;
    size_t ct_len = in_len - TAG_LEN, n = 0;
    OSSL_PARAM tag[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                          (void *)(in + ct_len), TAG_LEN),
        OSSL_PARAM_construct_end(),
    };
    /* The nonce (decrypting), the tag to check, the additional data (no
     * output), the ciphertext, then the check (no input). */
    return g->dinit(ctx, NULL, 0, nonce, NONCE_LEN, NULL) == 1 &&
           g->set_ctx_params(ctx, tag) == 1 &&
           g->cipher(ctx, NULL, &n, aad_len, aad, aad_len) == 1 &&
           (ct_len == 0 || g->cipher(ctx, out, &n, ct_len, in, ct_len) == 1) &&
           g->cipher(ctx, NULL, &n, 0, NULL, 0) == 1;
}
