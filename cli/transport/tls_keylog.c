/* NSS key log parsing and the table of secrets. See tls_keylog.h. The format
 * is the one NSS documents for SSLKEYLOGFILE; the TLS 1.3 labels name the
 * secrets of RFC 8446 section 7.1. */
#include "transport/tls_keylog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "util/wire.h"

struct keylog_file {
    char *path;
    uint64_t offset;  /* bytes read up to the end of the last whole line */
    uint64_t line_no; /* lines read so far */
};

struct tls_keylog {
    /* The entries lie packed in arrival order; the hash table holds only
     * their numbers (plus one; 0: a free slot), so that growing it moves
     * 4 bytes per slot, not a whole entry, and half-empty slots cost 4. */
    struct tls_keylog_entry *ents;
    size_t ents_cap;
    uint32_t *slots; /* open addressing, linear probing */
    size_t cap;      /* a power of two, or 0 */
    size_t max_entries;
    struct keylog_file *files;
    size_t nfiles;
    struct tls_keylog_stats st;
    /* Two threads may decrypt (the reading one takes some connections,
     * pipeline_share.c): what adds secrets holds it for writing,
     * tls_keylog_lookup for reading. */
    pthread_rwlock_t lock;
};

#define LABEL(s, k) {s, sizeof s - 1, k}
static const struct {
    const char *label;
    size_t len;
    enum tls_secret_kind kind;
} labels[] = {
    LABEL("CLIENT_RANDOM", TLS_SECRET_MASTER),
    LABEL("CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLS_SECRET_CLIENT_HS),
    LABEL("SERVER_HANDSHAKE_TRAFFIC_SECRET", TLS_SECRET_SERVER_HS),
    LABEL("CLIENT_TRAFFIC_SECRET_0", TLS_SECRET_CLIENT_APP),
    LABEL("SERVER_TRAFFIC_SECRET_0", TLS_SECRET_SERVER_APP),
};
#undef LABEL

struct tls_keylog *tls_keylog_new(size_t max_entries)
{
    struct tls_keylog *kl = calloc(1, sizeof *kl);
    if (!kl)
        return NULL;
    if (pthread_rwlock_init(&kl->lock, NULL) != 0) {
        free(kl);
        return NULL;
    }
    kl->max_entries = max_entries ? max_entries : TLS_KEYLOG_DEFAULT_MAX;
    return kl;
}

void tls_keylog_free(struct tls_keylog *kl)
{
    if (!kl)
        return;
    for (size_t i = 0; i < kl->nfiles; i++)
        free(kl->files[i].path);
    free(kl->files);
    if (kl->ents) /* secrets do not outlive the table (none past the used) */
        OPENSSL_cleanse(kl->ents, kl->st.entries * sizeof *kl->ents);
    free(kl->ents);
    free(kl->slots);
    pthread_rwlock_destroy(&kl->lock);
    free(kl);
}

const struct tls_keylog_stats *tls_keylog_stats(const struct tls_keylog *kl)
{
    return &kl->st;
}

/* ---- the table ---- */

/* A client random is 32 random bytes (RFC 8446 4.1.2): its first eight
 * bytes are as good a hash as any. */
static size_t slot_of(const struct tls_keylog *kl, const uint8_t *random)
{
    uint64_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h << 8 | random[i];
    h ^= h >> 29;
    return (size_t)h & (kl->cap - 1);
}

/* The slot of random: the one naming its entry, or the free one where it
 * would go. NULL while the table is empty. */
static uint32_t *probe(const struct tls_keylog *kl, const uint8_t *random)
{
    if (kl->cap == 0)
        return NULL;
    size_t i = slot_of(kl, random);
    while (kl->slots[i]) {
        const struct tls_keylog_entry *e = &kl->ents[kl->slots[i] - 1];
        if (memcmp(e->client_random, random, TLS_RANDOM_LEN) == 0)
            return &kl->slots[i];
        i = (i + 1) & (kl->cap - 1);
    }
    return &kl->slots[i];
}

const struct tls_keylog_entry *tls_keylog_find(const struct tls_keylog *kl,
                                               const uint8_t *client_random)
{
    const uint32_t *sl = probe(kl, client_random);
    return sl && *sl ? &kl->ents[*sl - 1] : NULL;
}

bool tls_keylog_lookup(struct tls_keylog *kl, const uint8_t *client_random,
                       struct tls_keylog_entry *out)
{
    pthread_rwlock_rdlock(&kl->lock);
    const struct tls_keylog_entry *e = tls_keylog_find(kl, client_random);
    if (e)
        *out = *e;
    pthread_rwlock_unlock(&kl->lock);
    return e != NULL;
}

/* The index for cap slots (more than it has), entries placed again. */
static bool resize_slots(struct tls_keylog *kl, size_t cap)
{
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    free(kl->slots);
    kl->slots = slots;
    kl->cap = cap;
    for (size_t n = 0; n < kl->st.entries; n++)
        *probe(kl, kl->ents[n].client_random) = (uint32_t)(n + 1);
    return true;
}

/* Doubles the hash table (kept at most half full). */
static bool grow_slots(struct tls_keylog *kl)
{
    return resize_slots(kl, kl->cap ? kl->cap * 2 : 64);
}

/* The entry array for cap entries (more than it has); the old one is
 * wiped before it is freed. */
static bool resize_ents(struct tls_keylog *kl, size_t cap)
{
    struct tls_keylog_entry *ents = malloc(cap * sizeof *ents);
    if (!ents)
        return false;
    if (kl->ents) {
        memcpy(ents, kl->ents, kl->st.entries * sizeof *ents);
        OPENSSL_cleanse(kl->ents, kl->st.entries * sizeof *kl->ents);
        free(kl->ents);
    }
    kl->ents = ents;
    kl->ents_cap = cap;
    return true;
}

/* Doubles the entry array. */
static bool grow_ents(struct tls_keylog *kl)
{
    size_t cap = kl->ents_cap ? kl->ents_cap * 2 : 32;
    return resize_ents(kl, cap > kl->max_entries ? kl->max_entries : cap);
}

/* Room for `more` entries besides those there, made at once: a key log
 * of thousands of connections read into an array doubled a dozen times
 * copied and wiped each copy and rebuilt the index each time (a third of
 * the time to read it). Pages of the room not used are never touched
 * (an allocation that large is mapped, not taken from the heap). */
static void reserve(struct tls_keylog *kl, size_t more)
{
    size_t want = kl->st.entries + more;
    if (want > kl->ents_cap && want < 2 * kl->ents_cap)
        want = 2 * kl->ents_cap; /* a file growing line by line: amortised */
    if (want > kl->max_entries)
        want = kl->max_entries;
    if (want > kl->ents_cap && !resize_ents(kl, want))
        return; /* then it grows as it goes */
    size_t cap = kl->cap ? kl->cap : 64;
    while (cap < 2 * want)
        cap *= 2;
    if (cap > kl->cap)
        (void)resize_slots(kl, cap);
}

/* The entry for a client random, made when new; NULL past max_entries. */
static struct tls_keylog_entry *entry_for(struct tls_keylog *kl,
                                          const uint8_t *random)
{
    uint32_t *sl = probe(kl, random);
    if (sl && *sl)
        return &kl->ents[*sl - 1];
    if (kl->st.entries >= kl->max_entries || kl->st.entries >= UINT32_MAX - 1)
        return NULL;
    if ((kl->st.entries + 1) * 2 > kl->cap) {
        if (!grow_slots(kl))
            return NULL;
        sl = probe(kl, random);
    }
    if (kl->st.entries == kl->ents_cap && !grow_ents(kl))
        return NULL;
    struct tls_keylog_entry *e = &kl->ents[kl->st.entries];
    memset(e, 0, sizeof *e);
    e->used = true;
    memcpy(e->client_random, random, TLS_RANDOM_LEN);
    *sl = (uint32_t)++kl->st.entries;
    return e;
}

/* ---- lines ---- */

/* Hex digits by table: hex_hi holds a digit's value shifted to the high
 * nibble, hex_lo its value, both with bit 8 set; anything else is 0. A
 * byte is then hi | lo, and the AND of all the entries keeps bit 8 only
 * when every character was a digit: no branch on the (random) digits. */
#define HEX_DIGITS(X)                                                      \
    X('0', 0) X('1', 1) X('2', 2) X('3', 3) X('4', 4) X('5', 5) X('6', 6)  \
    X('7', 7) X('8', 8) X('9', 9) X('a', 10) X('b', 11) X('c', 12)         \
    X('d', 13) X('e', 14) X('f', 15) X('A', 10) X('B', 11) X('C', 12)      \
    X('D', 13) X('E', 14) X('F', 15)
#define HEX_HI(c, v) [c] = 0x100 | (v) << 4,
#define HEX_LO(c, v) [c] = 0x100 | (v),
static const uint16_t hex_hi[256] = {HEX_DIGITS(HEX_HI)};
static const uint16_t hex_lo[256] = {HEX_DIGITS(HEX_LO)};
#undef HEX_HI
#undef HEX_LO
#undef HEX_DIGITS

/* Decodes exactly 2*n hex digits. */
static bool unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
    if (slen != 2 * n)
        return false;
    unsigned ok = 0x100;
    for (size_t i = 0; i < n; i++) {
        unsigned hi = hex_hi[(unsigned char)s[2 * i]];
        unsigned lo = hex_lo[(unsigned char)s[2 * i + 1]];
        ok &= hi & lo;
        out[i] = (uint8_t)(hi | lo);
    }
    return ok != 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Splits off the next whitespace-separated field of s[*pos..len). */
static size_t next_field(const char *s, size_t len, size_t *pos,
                         const char **field)
{
    while (*pos < len && is_space(s[*pos]))
        (*pos)++;
    size_t start = *pos;
    while (*pos < len && !is_space(s[*pos]))
        (*pos)++;
    *field = s + start;
    return *pos - start;
}

static void malformed(struct tls_keylog *kl, const char *source, uint64_t line)
{
    if (kl->st.malformed++ == 0) {
        snprintf(kl->st.first_malformed_source,
                 sizeof kl->st.first_malformed_source, "%s",
                 source ? source : "");
        kl->st.first_malformed_line = line;
    }
}

/* Secret lengths by kind: the master secret is always 48 bytes (RFC 5246
 * 8.1); a TLS 1.3 secret is as long as the suite's hash, 32 or 48. */
static bool secret_len_ok(enum tls_secret_kind kind, size_t n)
{
    return kind == TLS_SECRET_MASTER ? n == 48 : n == 32 || n == 48;
}

/* The fields after the label as key loggers write them: one space, the
 * 64 hex digits of the random, one space, the secret's hex digits, then
 * at most trailing whitespace. Decodes them without splitting the line
 * into fields first (most of the time of reading a key log went there);
 * false when the line is not in that form or does not decode, and then
 * the general path below decides, so both read the same lines the same
 * way: a space inside a field is not a hex digit. */
static bool fast_fields(const char *s, size_t len, size_t pos,
                        enum tls_secret_kind kind, uint8_t *random,
                        struct tls_secret *sec)
{
    const size_t rhex = 2 * TLS_RANDOM_LEN;
    if (len - pos < 1 + rhex + 1 || s[pos] != ' ' || s[pos + 1 + rhex] != ' ')
        return false;
    const char *secret_hex = s + pos + 1 + rhex + 1;
    size_t slen = len - (pos + 1 + rhex + 1);
    while (slen > 0 && is_space(secret_hex[slen - 1]))
        slen--;
    if (slen % 2 != 0 || slen > 2 * TLS_SECRET_MAX ||
        !secret_len_ok(kind, slen / 2))
        return false;
    sec->len = (uint8_t)(slen / 2);
    return unhex(s + pos + 1, rhex, random, TLS_RANDOM_LEN) &&
           unhex(secret_hex, slen, sec->b, sec->len);
}

/* Stores a decoded secret under its random. Returns 1 when kept. */
static int keep_secret(struct tls_keylog *kl, const uint8_t *random,
                       enum tls_secret_kind kind, const struct tls_secret *sec)
{
    struct tls_keylog_entry *e = entry_for(kl, random);
    if (!e) {
        kl->st.dropped++;
        return 0;
    }
    e->secret[kind] = *sec;
    kl->st.secrets++;
    return 1;
}

/* One line without its newline. Returns 1 when a secret was kept. */
static int parse_line(struct tls_keylog *kl, const char *s, size_t len,
                      const char *source, uint64_t line_no)
{
    size_t pos = 0;
    const char *label, *random_hex, *secret_hex, *extra;
    size_t label_len = next_field(s, len, &pos, &label);
    kl->st.lines++;
    if (label_len == 0 || label[0] == '#') {
        kl->st.ignored++;
        return 0;
    }
    size_t k = 0;
    while (k < sizeof labels / sizeof labels[0] &&
           !(labels[k].len == label_len &&
             memcmp(labels[k].label, label, label_len) == 0))
        k++;
    if (k == sizeof labels / sizeof labels[0]) {
        kl->st.ignored++; /* a label this tool does not use */
        return 0;
    }
    uint8_t random[TLS_RANDOM_LEN];
    struct tls_secret sec = {0, {0}};
    if (fast_fields(s, len, pos, labels[k].kind, random, &sec))
        return keep_secret(kl, random, labels[k].kind, &sec);
    size_t rlen = next_field(s, len, &pos, &random_hex);
    size_t slen = next_field(s, len, &pos, &secret_hex);
    size_t xlen = next_field(s, len, &pos, &extra);
    sec.len = (uint8_t)(slen / 2);
    if (xlen != 0 || !unhex(random_hex, rlen, random, sizeof random) ||
        slen > 2 * TLS_SECRET_MAX || !secret_len_ok(labels[k].kind, slen / 2) ||
        !unhex(secret_hex, slen, sec.b, sec.len)) {
        malformed(kl, source, line_no);
        return 0;
    }
    return keep_secret(kl, random, labels[k].kind, &sec);
}

static size_t add_text(struct tls_keylog *kl, const char *text, size_t len,
                       const char *source)
{
    size_t added = 0, pos = 0;
    uint64_t line_no = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line_no++;
        if (end - pos > TLS_KEYLOG_LINE_MAX) {
            kl->st.lines++;
            malformed(kl, source, line_no);
        } else {
            added += (size_t)parse_line(kl, text + pos, end - pos, source,
                                        line_no);
        }
        pos = end + 1;
    }
    return added;
}

size_t tls_keylog_add_text(struct tls_keylog *kl, const char *text, size_t len,
                           const char *source)
{
    pthread_rwlock_wrlock(&kl->lock);
    size_t added = add_text(kl, text, len, source);
    pthread_rwlock_unlock(&kl->lock);
    return added;
}

/* ---- files ---- */

/* The shortest line that brings a secret: a TLS 1.3 label of 23 letters, a
 * space, the random's 64 hex digits, a space, a 32-byte secret's 64 and
 * the newline. Every connection of a file has one: its size over this
 * bounds how many the file can add. */
#define KEYLOG_LINE_MIN 154

/* Reads f->path from f->offset: whole lines only; a last line with no
 * newline yet is left for the next read. */
static size_t read_file(struct tls_keylog *kl, struct keylog_file *f)
{
    FILE *fp = fopen(f->path, "rb");
    if (!fp)
        return 0;
    struct stat sb;
    bool sized = fstat(fileno(fp), &sb) == 0;
    if (sized && (uint64_t)sb.st_size < f->offset) {
        f->offset = 0; /* truncated or replaced: start again */
        f->line_no = 0;
    }
    if (fseeko(fp, (off_t)f->offset, SEEK_SET) != 0) {
        fclose(fp);
        return 0;
    }
    if (sized && (uint64_t)sb.st_size > f->offset)
        reserve(kl, ((uint64_t)sb.st_size - f->offset) / KEYLOG_LINE_MIN + 1);
    /* Read in blocks; a line wholly inside a block is parsed where it
     * lies, one that spans blocks is gathered in line[]. */
    char block[16384], line[TLS_KEYLOG_LINE_MAX + 1];
    size_t n = 0, added = 0, got;
    bool overlong = false;
    uint64_t consumed = 0; /* bytes of the line being read */
    while ((got = fread(block, 1, sizeof block, fp)) > 0) {
        size_t pos = 0;
        while (pos < got) {
            const char *nl = memchr(block + pos, '\n', got - pos);
            size_t end = nl ? (size_t)(nl - block) : got, seg = end - pos;
            const char *text = block + pos;
            consumed += seg;
            if (n > 0 || !nl) { /* gather */
                size_t room = sizeof line - n;
                memcpy(line + n, text, seg < room ? seg : room);
                n += seg < room ? seg : room;
                overlong |= seg > room;
                text = line;
            } else {
                overlong = seg > sizeof line;
                n = seg;
            }
            if (!nl)
                break;
            consumed++; /* the newline */
            f->line_no++;
            if (overlong) {
                kl->st.lines++;
                malformed(kl, f->path, f->line_no);
            } else {
                added += (size_t)parse_line(kl, text, n, f->path, f->line_no);
            }
            f->offset += consumed;
            consumed = 0;
            n = 0;
            overlong = false;
            pos = end + 1;
        }
    }
    fclose(fp);
    return added;
}

/* Remembers path and reads it; with the lock held (the list of files is
 * what tls_keylog_reload walks). */
static int add_file(struct tls_keylog *kl, const char *path)
{
    struct keylog_file *files =
        realloc(kl->files, (kl->nfiles + 1) * sizeof *files);
    if (!files) {
        errno = ENOMEM;
        return -1;
    }
    kl->files = files;
    struct keylog_file *f = &files[kl->nfiles];
    memset(f, 0, sizeof *f);
    if ((f->path = strdup(path)) == NULL) {
        errno = ENOMEM;
        return -1;
    }
    kl->nfiles++;
    read_file(kl, f);
    return 0;
}

int tls_keylog_add_file(struct tls_keylog *kl, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    fclose(fp);
    pthread_rwlock_wrlock(&kl->lock);
    int rc = add_file(kl, path);
    pthread_rwlock_unlock(&kl->lock);
    return rc;
}

size_t tls_keylog_reload(struct tls_keylog *kl)
{
    size_t added = 0;
    pthread_rwlock_wrlock(&kl->lock);
    for (size_t i = 0; i < kl->nfiles; i++)
        added += read_file(kl, &kl->files[i]);
    pthread_rwlock_unlock(&kl->lock);
    return added;
}

/* ---- pcapng ---- */

int tls_keylog_add_dsb(struct tls_keylog *kl, const uint8_t *body, size_t len,
                       bool big_endian)
{
    /* pcapng (draft-ietf-opsawg-pcapng) 4.7: Secrets Type, Secrets Length,
     * Secrets Data padded to 32 bits, options. */
    struct wire w = wire_make(body, len);
    uint32_t type, slen;
    bool ok = big_endian ? wire_be32(&w, &type) && wire_be32(&w, &slen)
                         : wire_le32(&w, &type) && wire_le32(&w, &slen);
    if (!ok || !wire_has(&w, slen))
        return -1;
    if (type != TLS_KEYLOG_DSB_TYPE)
        return 0;
    tls_keylog_add_text(kl, (const char *)wire_here(&w), slen, "pcapng");
    return 1;
}
