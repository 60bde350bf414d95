/* Fuzz target "tls": TLS decryption with a key log (cli/transport/
 * tls_decrypt.h), with fixed keys: the secrets of six connections of
 * captures/tls/ (TLS 1.3 AES-128-GCM and ChaCha20, TLS 1.2 AES-256-GCM,
 * ChaCha20 and AES-CBC with HMAC, encrypt-then-MAC and MAC-then-encrypt), so
 * seeds made from those captures decrypt and mutations reach every path
 * past the authentication tag.
 *
 * Input: data[0] picks a chunk size (low 4 bits: 1..15, or 0: byte by
 * byte); the rest is a sequence of records as in target_ws.c: a header byte
 * h (direction h >> 7, length (h & 0x7F) + 1) and that many bytes of the
 * direction's TCP stream; h & 0x7F == 0x7F is instead a hole (tls_decrypt_gap)
 * of as many bytes as the byte after it says, plus one. The records are fed
 * once whole and once in chunks: both runs must give the same events (kind,
 * direction, sequence number, bytes) and the same plaintext per direction;
 * plaintext pieces are at most one record (16384 bytes); "keys" and "no
 * key" come at most once per connection. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"
#include "transport/tls_decrypt.h"
#include "transport/tls_keylog.h"

#define TLS_MAX_EVENTS 2048

/* Test secrets of captures/tls/{tls13_aes128gcm,tls12_chacha20,
 * tls13_chacha20,tls12_aes256gcm,tls12_cbc_sha256_etm,tls12_cbc_sha1_mte}
 * .keylog (throwaway connections). */
static const char fuzz_keylog[] =
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "19c84bf5ee217b62b3e9cf5661991cfd3619a5a10364bbbf15a33487e39a3e37 "
    "79569c66cfa629727110bef22b0ef103f18c4a508112d62128954903ee3973f3\n"
    "SERVER_TRAFFIC_SECRET_0 "
    "19c84bf5ee217b62b3e9cf5661991cfd3619a5a10364bbbf15a33487e39a3e37 "
    "c3dbeee99cca494e7308c3d93f951b872ed663ce0fe6319fdb07c67e4d859d15\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "19c84bf5ee217b62b3e9cf5661991cfd3619a5a10364bbbf15a33487e39a3e37 "
    "9877054df43f2d4fab67ab874e41d4ccbfb6ed85cc4bb95c345d92ff412af493\n"
    "CLIENT_TRAFFIC_SECRET_0 "
    "19c84bf5ee217b62b3e9cf5661991cfd3619a5a10364bbbf15a33487e39a3e37 "
    "9934a6b0b2a1e305f52eae7eca1171e8e8560eeeb1363a7a86bd26531c5701ca\n"
    "CLIENT_RANDOM "
    "a864a599d917ae24b76951ee651a34c6997f0befce321581af3b6b2e1978cbc0 "
    "3523014f5f4407098e2406de6a499ef0f9d3aff6b7e0b981d7adcba1daf3f6d52475d86c0d1233d4628dbec19fd44e63\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET "
    "21304032633719440ef64b2068080f017f56a19c46ca09fb0ba731e6ee50ad85 "
    "a88861c4c38d3b5a49257cded4513dda097e18ef9e5684ca45e124a195baaf9f\n"
    "SERVER_TRAFFIC_SECRET_0 "
    "21304032633719440ef64b2068080f017f56a19c46ca09fb0ba731e6ee50ad85 "
    "b63c719b5fe19fe3b7cba03c21cc174c57b5b320cfce5c7211210d22c408db5a\n"
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET "
    "21304032633719440ef64b2068080f017f56a19c46ca09fb0ba731e6ee50ad85 "
    "46002f3d16da61858f5ba27378a86da837b11450115c6215b2f9efd9d4d200f0\n"
    "CLIENT_TRAFFIC_SECRET_0 "
    "21304032633719440ef64b2068080f017f56a19c46ca09fb0ba731e6ee50ad85 "
    "05d9ed04b23b2c5e8316994ec40599e49197424cdfb5203c76dcfde4cbb6c4c9\n"
    "CLIENT_RANDOM "
    "46371bba339128d44db118469a30aa3cec4970c6352101bcdea1c81a8dfadab3 "
    "d93e53f1de89ce4cd921a7b4bae800f7f0743fecf51165058da91209e6649cb7a09e271395de6eea40a059665efcf41c\n"
    "CLIENT_RANDOM "
    "c2fe8241593079d663cb8e291ed5a7b58688f06c87cf9e990edc8661234f3e6c "
    "6e0fc018bdb7f1f0c3c755422744708d74623ef8eb4e82e316e73034d414fafe4635fa6b6b9adfbf75f2f3387ab2f79f\n"
    "CLIENT_RANDOM "
    "e91c1519d09dd0f0f4c2809d9867e6b53bdd6433ee5a1744f794a434d9c5c41b "
    "078a95c132865000cbdf547c2fe757492a445b93dcd37df0c38373ecfa4feab952b0385ee1d3625eb50dc40e280a1e45\n";

struct tls_log {
    size_t n;
    uint64_t bytes[2], hash[2];
    unsigned keys, no_key;
    struct {
        int kind, dir;
        uint64_t seq, bytes;
    } ev[TLS_MAX_EVENTS];
};

static void hash_bytes(uint64_t *h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ p[i]) * 1099511628211u;
}

static void on_tls_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
    struct tls_log *log = ctx;
    FUZZ_CHECK(dir == 0 || dir == 1, "direction");
    FUZZ_CHECK(n > 0 && n <= 16384, "plaintext piece larger than a record");
    log->bytes[dir] += n;
    hash_bytes(&log->hash[dir], p, n);
}

static void on_tls_event(void *ctx, const struct tls_dec_event *ev)
{
    struct tls_log *log = ctx;
    FUZZ_CHECK(ev->dir >= -1 && ev->dir <= 1, "event direction");
    FUZZ_CHECK(ev->reason != NULL, "event without reason");
    if (ev->kind == TLS_DEC_KEYS)
        FUZZ_CHECK(++log->keys == 1, "keys twice");
    if (ev->kind == TLS_DEC_NO_KEY)
        FUZZ_CHECK(++log->no_key == 1, "no key twice");
    if (log->n >= TLS_MAX_EVENTS)
        return;
    log->ev[log->n].kind = ev->kind;
    log->ev[log->n].dir = ev->dir;
    log->ev[log->n].seq = ev->seq;
    log->ev[log->n].bytes = ev->bytes;
    log->n++;
}

static void tls_play_feed(void *ctx, int dir, const uint8_t *p, size_t n)
{
    tls_decrypt_feed(ctx, dir, p, n);
}

static void tls_play_gap(void *ctx, int dir, uint64_t n)
{
    tls_decrypt_gap(ctx, dir, n);
}

static void run_tls(const uint8_t *data, size_t size, size_t chunk,
                    struct tls_keylog *kl, struct tls_log *log)
{
    memset(log, 0, sizeof *log);
    log->hash[0] = log->hash[1] = 1469598103934665603u;
    struct tls_dec_callbacks cb = {on_tls_data, on_tls_event, log, NULL};
    struct tls_decrypt *t = tls_decrypt_new(kl, &cb);
    if (!t)
        return;
    fuzz_play_script(data, size, chunk, tls_play_feed, tls_play_gap, t);
    tls_decrypt_free(t);
}

void fuzz_tls(const uint8_t *data, size_t size)
{
    static struct tls_keylog *kl;
    static struct tls_log whole, chunked;
    if (size < 1)
        return;
    if (!kl) {
        kl = tls_keylog_new(16);
        FUZZ_CHECK(kl != NULL, "key log");
        tls_keylog_add_text(kl, fuzz_keylog, sizeof fuzz_keylog - 1, "fuzz");
        FUZZ_CHECK(tls_keylog_stats(kl)->entries == 6, "fixed key log");
    }
    size_t chunk = data[0] & 0x0F;
    run_tls(data + 1, size - 1, 0, kl, &whole);
    run_tls(data + 1, size - 1, chunk ? chunk : 1, kl, &chunked);
    FUZZ_CHECK(whole.bytes[0] == chunked.bytes[0] && whole.bytes[1] == chunked.bytes[1],
               "chunking changed the plaintext length");
    FUZZ_CHECK(whole.hash[0] == chunked.hash[0] && whole.hash[1] == chunked.hash[1],
               "chunking changed the plaintext");
    FUZZ_CHECK(whole.n == chunked.n, "chunking changed the number of events");
    for (size_t i = 0; i < whole.n; i++) {
        FUZZ_CHECK(whole.ev[i].kind == chunked.ev[i].kind, "event kind differs");
        FUZZ_CHECK(whole.ev[i].dir == chunked.ev[i].dir, "event direction differs");
        FUZZ_CHECK(whole.ev[i].seq == chunked.ev[i].seq, "event sequence differs");
        FUZZ_CHECK(whole.ev[i].bytes == chunked.ev[i].bytes, "event bytes differ");
    }
}
