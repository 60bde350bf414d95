/* AES-GCM record opening through the functions of libcrypto's provider
 * (provider-cipher(7)), beneath EVP.
 *
 * OpenSSL 3.0 puts each EVP call on a cipher context through a few layers
 * that look parameters up by name: a record's nonce and tag are two
 * parameters, and re-keying a context asks it for its key length the same
 * way. The provider's own functions take the nonce as an argument and the
 * tag as the only parameter. Opening a record of 370 bytes, one of 4000
 * contexts in turn, took 300 ns through EVP and 250 ns through these (a
 * benchmark of that alone, medians of 9 runs). They are the same
 * implementation EVP calls (the default provider's), found once per
 * cipher through OSSL_PROVIDER_query_operation;
 * where they cannot be found, the caller keeps to EVP. */
#ifndef MQD_CLI_TLS_GCM_H
#define MQD_CLI_TLS_GCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ossl_param_st;  /* OSSL_PARAM */
struct ossl_provider_st; /* OSSL_PROVIDER */

/* One provider's AES-GCM functions for one key size. Valid while the
 * provider they were found in stays loaded. */
struct tls_gcm {
    void *provctx;
    void *(*newctx)(void *provctx);
    void (*freectx)(void *ctx);
    int (*dinit)(void *ctx, const unsigned char *key, size_t keylen,
                 const unsigned char *iv, size_t ivlen,
                 const struct ossl_param_st *params);
    int (*cipher)(void *ctx, unsigned char *out, size_t *outl, size_t outsize,
                  const unsigned char *in, size_t inl);
    int (*set_ctx_params)(void *ctx, const struct ossl_param_st *params);
};

/* The functions of `name` ("AES-128-GCM", "AES-256-GCM") in prov,
 * found by asking it for its ciphers (OSSL_PROVIDER_query_operation);
 * valid while it stays loaded. False when prov is NULL or does not give
 * all of them. Cheaper than fetching the cipher the first time: a fetch
 * builds the library's table of every algorithm, which took 0.7 ms (a
 * third of what TLS adds before the first packet), while loading the
 * provider by name and asking it took 0.02 ms after libcrypto's own
 * start. */
bool tls_gcm_find(struct ossl_provider_st *prov, const char *name,
                  struct tls_gcm *g);

/* A context keyed with key (the cipher's key length); NULL on failure. */
void *tls_gcm_new(const struct tls_gcm *g, const uint8_t *key, size_t key_len);
bool tls_gcm_rekey(const struct tls_gcm *g, void *ctx, const uint8_t *key,
                   size_t key_len);
void tls_gcm_free(const struct tls_gcm *g, void *ctx);

/* Authenticates and decrypts in[0..in_len) (ciphertext, then the 16-byte
 * tag) under the 12-byte nonce with aad, into out (in_len - 16 bytes). */
bool tls_gcm_open(const struct tls_gcm *g, void *ctx, const uint8_t nonce[12],
                  const uint8_t *aad, size_t aad_len, const uint8_t *in,
                  size_t in_len, uint8_t *out);

#endif
