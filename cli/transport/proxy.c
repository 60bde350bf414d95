/* The PROXY protocol header; see proxy.h. Spec: haproxy doc/proxy-protocol.txt
 * (s2.1: the v1 line; s2.2: the v2 binary header). */
#include "transport/proxy.h"
#include "util/hex.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t v1_sig[] = "PROXY ";
static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* Does buf[0..len) start like sig[0..n) (as far as it goes)? */
static bool prefix_of(const uint8_t *buf, size_t len, const uint8_t *sig,
                      size_t n)
{
    return memcmp(buf, sig, len < n ? len : n) == 0;
}

/* A decimal port, 0..65535, no leading zero. */
static bool parse_port(const char *s, uint16_t *out)
{
    if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 5)
        return false;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* A dotted IPv4 address: four decimal octets. */
static bool parse_ipv4(const char *s, uint8_t *out)
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 3) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (digits == 0 || v > 255 || (i < 3 && *s++ != '.'))
            return false;
        out[i] = (uint8_t)v;
    }
    return *s == '\0';
}

/* An IPv6 address in RFC 4291 s2.2 text form (forms 1 and 2; not the
 * embedded-IPv4 form 3). */
static bool parse_ipv6(const char *s, uint8_t *out)
{
    uint16_t words[8];
    int n = 0, gap = -1;
    if (s[0] == ':' && s[1] == ':') {
        gap = 0;
        s += 2;
    }
    while (*s) {
        unsigned v = 0;
        int digits = 0, d;
        while ((d = hex_value(*s)) >= 0 && digits < 4) {
            v = v * 16 + (unsigned)d;
            s++;
            digits++;
        }
        if (digits == 0 || n == 8)
            return false;
        words[n++] = (uint16_t)v;
        if (*s == '\0')
            break;
        if (*s++ != ':')
            return false;
        if (*s == ':') {
            if (gap >= 0)
                return false;
            gap = n;
            s++;
        } else if (*s == '\0') {
            return false;
        }
    }
    if ((gap < 0 && n != 8) || (gap >= 0 && n > 7))
        return false;
    memset(out, 0, 16);
    int tail = gap < 0 ? 0 : n - gap;
    for (int i = 0; i < n; i++) {
        int at = gap >= 0 && i >= gap ? 8 - tail + (i - gap) : i;
        out[2 * at] = (uint8_t)(words[i] >> 8);
        out[2 * at + 1] = (uint8_t)words[i];
    }
    return true;
}

/* v1: "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY UNKNOWN...\r\n",
 * at most 107 bytes. */
static long parse_v1(const uint8_t *buf, size_t len, struct proxy_header *h)
{
    size_t max = len < 107 ? len : 107, end = 0;
    while (end + 1 < max && !(buf[end] == '\r' && buf[end + 1] == '\n'))
        end++;
    if (end + 1 >= max)
        return len < 107 ? PROXY_NEED_MORE : PROXY_MALFORMED;
    char line[108];
    memcpy(line, buf, end);
    line[end] = '\0';
    h->version = 1;
    char *f[6];
    int nf = 0;
    for (char *p = line; nf < 6;) {
        f[nf++] = p;
        char *sp = strchr(p, ' ');
        if (!sp)
            break;
        *sp = '\0';
        p = sp + 1;
    }
    if (nf >= 2 && strcmp(f[1], "UNKNOWN") == 0)
        return (long)end + 2; /* s2.1: the rest is to be ignored */
    if (nf != 6)
        return PROXY_MALFORMED;
    bool v4 = strcmp(f[1], "TCP4") == 0, v6 = strcmp(f[1], "TCP6") == 0;
    uint8_t fam = v4 ? PKT_AF_INET : PKT_AF_INET6;
    memset(&h->src, 0, sizeof h->src);
    memset(&h->dst, 0, sizeof h->dst);
    h->src.family = h->dst.family = fam;
    bool ok = v4 ? parse_ipv4(f[2], h->src.addr) && parse_ipv4(f[3], h->dst.addr)
            : v6 ? parse_ipv6(f[2], h->src.addr) && parse_ipv6(f[3], h->dst.addr)
                 : false;
    if (!ok || !parse_port(f[4], &h->src.port) || !parse_port(f[5], &h->dst.port))
        return PROXY_MALFORMED;
    h->has_addr = true;
    return (long)end + 2;
}

/* v2: 12-byte signature, version/command, family/protocol, length (the
 * bytes that follow), then the addresses. */
static long parse_v2(const uint8_t *buf, size_t len, struct proxy_header *h)
{
    if (len < 16)
        return PROXY_NEED_MORE;
    if (buf[12] >> 4 != 2 || (buf[12] & 0x0F) > 1)
        return PROXY_MALFORMED;
    size_t n = (size_t)buf[14] << 8 | buf[15];
    h->version = 2;
    bool proxy = (buf[12] & 0x0F) == 1; /* else LOCAL: no addresses */
    uint8_t fam = buf[13] >> 4, proto = buf[13] & 0x0F;
    size_t need = fam == 1 ? 12 : fam == 2 ? 36 : 0;
    if (!proxy || proto != 1 || need == 0)
        return (long)(16 + n); /* LOCAL, UDP, UNIX, UNSPEC: nothing to offer */
    if (n < need)
        return PROXY_MALFORMED;
    if (len < 16 + need)
        return PROXY_NEED_MORE;
    size_t alen = fam == 1 ? 4 : 16;
    const uint8_t *a = buf + 16;
    memset(&h->src, 0, sizeof h->src);
    memset(&h->dst, 0, sizeof h->dst);
    h->src.family = h->dst.family = fam == 1 ? PKT_AF_INET : PKT_AF_INET6;
    memcpy(h->src.addr, a, alen);
    memcpy(h->dst.addr, a + alen, alen);
    h->src.port = (uint16_t)(a[2 * alen] << 8 | a[2 * alen + 1]);
    h->dst.port = (uint16_t)(a[2 * alen + 2] << 8 | a[2 * alen + 3]);
    h->has_addr = true;
    return (long)(16 + n);
}

long proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *h)
{
    memset(h, 0, sizeof *h);
    if (len == 0)
        return PROXY_NEED_MORE;
    if (prefix_of(buf, len, v1_sig, 6))
        return len < 6 ? PROXY_NEED_MORE : parse_v1(buf, len, h);
    if (prefix_of(buf, len, v2_sig, 12))
        return len < 12 ? PROXY_NEED_MORE : parse_v2(buf, len, h);
    return PROXY_NOT;
}
