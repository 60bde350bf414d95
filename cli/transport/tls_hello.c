/* TLS ClientHello / ServerHello reading. See tls_hello.h. Structures from
 * RFC 8446 section 4.1.2 (ClientHello), 4.1.3 (ServerHello), 4.2.1
 * (supported_versions), RFC 6066 section 3 (server_name) and RFC 7301
 * section 3.1 (ALPN); records from RFC 8446 section 5.1. */
#include "transport/tls_hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/wire.h"

enum {
    TLS_CT_HANDSHAKE = 22,
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_EXT_SERVER_NAME = 0,
    TLS_EXT_ALPN = 16,
    TLS_EXT_ENCRYPT_THEN_MAC = 22,
    TLS_EXT_SUPPORTED_VERSIONS = 43,
};

/* RFC 8446 5.1: a record holds at most 2^14 bytes (plus expansion when
 * protected; hellos are not). */
#define TLS_RECORD_MAX (16384u + 2048u)

/* ---- names ---- */

const char *tls_version_name(uint16_t v, char *buf, size_t len)
{
    switch (v) {
    case 0x0300: return "SSL3.0";
    case 0x0301: return "TLS1.0";
    case 0x0302: return "TLS1.1";
    case 0x0303: return "TLS1.2";
    case 0x0304: return "TLS1.3";
    default:
        snprintf(buf, len, "0x%04x", (unsigned)v);
        return buf;
    }
}

static const struct {
    uint16_t id;
    const char *name;
} cipher_names[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
};

const char *tls_cipher_name(uint16_t suite)
{
    for (size_t i = 0; i < sizeof cipher_names / sizeof cipher_names[0]; i++)
        if (cipher_names[i].id == suite)
            return cipher_names[i].name;
    return NULL;
}

/* ---- checked helpers over struct wire ---- */

static bool wire_be24(struct wire *w, uint32_t *out)
{
    uint8_t a = 0, b = 0, c = 0;
    if (!wire_has(w, 3))
        return false;
    (void)wire_u8(w, &a);
    (void)wire_u8(w, &b);
    (void)wire_u8(w, &c);
    *out = (uint32_t)a << 16 | (uint32_t)b << 8 | c;
    return true;
}

/* A sub-cursor over the next n bytes (a length-prefixed vector). */
static bool wire_sub(struct wire *w, size_t n, struct wire *sub)
{
    if (!wire_has(w, n))
        return false;
    *sub = wire_make(wire_here(w), n);
    w->pos += n;
    return true;
}

static bool vec8(struct wire *w, struct wire *sub)
{
    uint8_t n;
    return wire_u8(w, &n) && wire_sub(w, n, sub);
}

static bool vec16(struct wire *w, struct wire *sub)
{
    uint16_t n;
    return wire_be16(w, &n) && wire_sub(w, n, sub);
}

/* Appends printable bytes of a vector to a NUL-terminated string. */
static void append_text(char *dst, size_t cap, const struct wire *v,
                        const char *sep)
{
    size_t used = strlen(dst);
    if (used && sep) {
        size_t sl = strlen(sep);
        if (used + sl >= cap)
            return;
        memcpy(dst + used, sep, sl);
        used += sl;
    }
    struct wire r = *v;
    uint8_t c;
    while (used + 1 < cap && wire_u8(&r, &c))
        dst[used++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    dst[used] = '\0';
}

/* ---- extensions ---- */

/* RFC 6066 3: ServerNameList; the first host_name (type 0). */
static void ext_server_name(struct wire *e, struct tls_info *info)
{
    struct wire list, name;
    uint8_t type;
    if (!vec16(e, &list))
        return;
    while (wire_u8(&list, &type) && vec16(&list, &name)) {
        if (type == 0 && info->sni[0] == '\0') {
            append_text(info->sni, sizeof info->sni, &name, NULL);
            return;
        }
    }
}

/* RFC 7301 3.1: ProtocolNameList of 8-bit length strings. */
static void ext_alpn(struct wire *e, char *dst, size_t cap, bool *mqtt)
{
    struct wire list, name;
    if (!vec16(e, &list))
        return;
    while (vec8(&list, &name)) {
        append_text(dst, cap, &name, ",");
        if (mqtt && name.len >= 4 && memmem(name.p, name.len, "mqtt", 4))
            *mqtt = true;
    }
}

/* RFC 8446 4.2.1: the client lists versions (8-bit length), the server
 * names one. GREASE values (0x?a?a) are skipped. */
static void ext_versions(struct wire *e, struct tls_info *info, bool client)
{
    uint16_t v;
    if (!client) {
        if (wire_be16(e, &v))
            info->server_version = v;
        return;
    }
    struct wire list;
    if (!vec8(e, &list))
        return;
    while (wire_be16(&list, &v))
        if ((v & 0x0F0F) != 0x0A0A && v > info->client_max_version)
            info->client_max_version = v;
}

static void extensions(struct wire *w, struct tls_info *info, bool client)
{
    struct wire all, body;
    uint16_t type;
    if (!vec16(w, &all))
        return; /* extensions are optional before TLS 1.3 */
    while (wire_be16(&all, &type) && vec16(&all, &body)) {
        switch (type) {
        case TLS_EXT_SERVER_NAME:
            if (client)
                ext_server_name(&body, info);
            break;
        case TLS_EXT_ALPN:
            if (client)
                ext_alpn(&body, info->alpn, sizeof info->alpn, &info->alpn_mqtt);
            else
                ext_alpn(&body, info->server_alpn, sizeof info->server_alpn, NULL);
            break;
        case TLS_EXT_SUPPORTED_VERSIONS:
            ext_versions(&body, info, client);
            break;
        case TLS_EXT_ENCRYPT_THEN_MAC: /* RFC 7366 2: empty, echoed by the server */
            if (!client)
                info->encrypt_then_mac = true;
            break;
        default:
            break;
        }
    }
}

/* ---- hellos ---- */

/* The handshake header: type and 24-bit length that must fit. */
static bool handshake_body(const uint8_t *msg, size_t len, uint8_t want_type,
                           struct wire *body)
{
    struct wire w = wire_make(msg, len);
    uint8_t type;
    uint32_t blen;
    return wire_u8(&w, &type) && type == want_type && wire_be24(&w, &blen) &&
           wire_sub(&w, blen, body);
}

bool tls_parse_client_hello(const uint8_t *msg, size_t len,
                            struct tls_info *info)
{
    struct wire w, v;
    uint16_t version;
    struct wire sid;
    uint8_t random[32];
    if (!handshake_body(msg, len, TLS_HS_CLIENT_HELLO, &w) ||
        !wire_be16(&w, &version) || !wire_bytes(&w, random, 32) ||
        !vec8(&w, &sid) || /* session id */
        !vec16(&w, &v) ||  /* cipher suites */
        !vec8(&w, &v))     /* compression */
        return false;
    memcpy(info->client_random, random, 32);
    if (sid.len <= 32) { /* legacy_session_id<0..32> */
        info->client_session_id_len = (uint8_t)sid.len;
        (void)wire_bytes(&sid, info->client_session_id, sid.len);
    }
    info->client_version = version;
    info->client_max_version = version;
    extensions(&w, info, true);
    info->client_hello = true;
    return true;
}

bool tls_parse_server_hello(const uint8_t *msg, size_t len,
                            struct tls_info *info)
{
    struct wire w, v;
    uint16_t version, suite;
    uint8_t compression;
    uint8_t random[32];
    if (!handshake_body(msg, len, TLS_HS_SERVER_HELLO, &w) ||
        !wire_be16(&w, &version) || !wire_bytes(&w, random, 32) ||
        !vec8(&w, &v) || !wire_be16(&w, &suite) ||
        !wire_u8(&w, &compression))
        return false;
    memcpy(info->server_random, random, 32);
    if (v.len <= 32) {
        info->server_session_id_len = (uint8_t)v.len;
        (void)wire_bytes(&v, info->server_session_id, v.len);
    }
    info->server_version = version;
    info->cipher_suite = suite;
    extensions(&w, info, false); /* supported_versions overrides */
    info->server_hello = true;
    return true;
}

int tls_looks_like_client_hello(const uint8_t *data, size_t len)
{
    /* RFC 8446 5.1: type 22, legacy version 0x0300-0x0304, then the
     * handshake header whose first byte is client_hello (1). */
    static const uint8_t lo[6] = {TLS_CT_HANDSHAKE, 0x03, 0x00, 0x00, 0x00, 1};
    static const uint8_t hi[6] = {TLS_CT_HANDSHAKE, 0x03, 0x04, 0xFF, 0xFF, 1};
    struct wire w = wire_make(data, len);
    uint8_t b;
    for (size_t i = 0; i < 6; i++) {
        if (!wire_u8(&w, &b))
            return -1;
        if (b < lo[i] || b > hi[i])
            return 0;
    }
    return 1;
}

/* ---- the incremental reader ---- */

void tls_hello_init(struct tls_hello *t)
{
    memset(t, 0, sizeof *t);
}

void tls_hello_free(struct tls_hello *t)
{
    for (int i = 0; i < 2; i++) {
        free(t->dir[i].msg);
        t->dir[i].msg = NULL;
    }
}

static void give_up(struct tls_dir *d)
{
    d->done = true;
    d->bad = true;
    free(d->msg);
    d->msg = NULL;
}

/* The first handshake message is whole: parse it. */
static void message_done(struct tls_hello *t, int dir)
{
    struct tls_dir *d = &t->dir[dir];
    bool ok = dir == 0
                  ? tls_parse_client_hello(d->msg, d->msg_len, &t->info)
                  : tls_parse_server_hello(d->msg, d->msg_len, &t->info);
    d->done = true;
    d->bad = !ok;
    free(d->msg);
    d->msg = NULL;
}

/* Handshake bytes (record payload) into the first message. Returns used. */
static size_t handshake_bytes(struct tls_hello *t, int dir, const uint8_t *data,
                              size_t len)
{
    struct tls_dir *d = &t->dir[dir];
    size_t used = 0;
    while (used < len && d->msg_hdr_len < 4)
        d->msg_hdr[d->msg_hdr_len++] = data[used++];
    if (d->msg_hdr_len < 4)
        return used;
    if (!d->msg) {
        struct wire w = wire_make(d->msg_hdr + 1, 3);
        uint32_t blen = 0;
        (void)wire_be24(&w, &blen);
        if (blen + 4u > TLS_HELLO_MAX || (d->msg = malloc(blen + 4u)) == NULL) {
            give_up(d);
            return len;
        }
        memcpy(d->msg, d->msg_hdr, 4);
        d->msg_len = 4;
        d->msg_want = blen + 4u;
    }
    size_t take = d->msg_want - d->msg_len;
    if (take > len - used)
        take = len - used;
    memcpy(d->msg + d->msg_len, data + used, take);
    d->msg_len += (uint32_t)take;
    used += take;
    if (d->msg_len == d->msg_want)
        message_done(t, dir);
    return used;
}

/* A record header is whole: check it. */
static void record_header(struct tls_hello *t, int dir)
{
    struct tls_dir *d = &t->dir[dir];
    struct wire w = wire_make(d->rec_hdr, 5);
    uint8_t type = 0;
    uint16_t version = 0, len = 0;
    (void)wire_u8(&w, &type);
    (void)wire_be16(&w, &version);
    (void)wire_be16(&w, &len);
    d->rec_hdr_len = 0;
    d->rec_type = type;
    d->rec_left = len;
    if (dir == 0 && t->info.record_version == 0)
        t->info.record_version = version;
    if (type != TLS_CT_HANDSHAKE || (version >> 8) != 0x03 ||
        len > TLS_RECORD_MAX)
        give_up(d);
}

bool tls_hello_feed(struct tls_hello *t, int dir, const uint8_t *data,
                    size_t len)
{
    struct tls_dir *d = &t->dir[dir & 1];
    dir &= 1;
    size_t pos = 0;
    while (!d->done && pos < len) {
        if (d->rec_left == 0) {
            d->rec_hdr[d->rec_hdr_len++] = data[pos++];
            if (d->rec_hdr_len == 5)
                record_header(t, dir);
            continue;
        }
        size_t n = d->rec_left < len - pos ? d->rec_left : len - pos;
        size_t used = handshake_bytes(t, dir, data + pos, n);
        if (used > n)
            used = n;
        d->rec_left -= (uint32_t)used;
        pos += used;
    }
    return d->done;
}
