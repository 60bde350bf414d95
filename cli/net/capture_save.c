/* -w FILE in two passes. See capture_save.h. */
#include "net/capture_save.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/pcapng_write.h"

struct capture_save {
    char *path;      /* -w FILE */
    char *tmp_path;  /* its temporary sibling, renamed at the end */
    FILE *out;       /* tmp_path */
    bool pcapng;     /* --pcapng */
    bool finished;   /* renamed */
    enum capture_save_input in;
    const char *file;   /* CAPTURE_SAVE_FILE */
    int copy_fd;        /* CAPTURE_SAVE_STREAM; -1: none */
    int copy_errno;     /* the copy failed */
    FILE *spool;        /* CAPTURE_SAVE_LIVE */
    pcap_t *spool_dead;
    pcap_dumper_t *spool_dump;
    uint64_t spooled;   /* frames spooled (LIVE: their index) */
    int spool_errno;
    uint32_t *tags;     /* tags[i]: the flow of record i (1-based) */
    uint64_t ntags, cap_tags;
    bool tags_lost;     /* out of memory for tags: the output is incomplete */
    uint8_t *marks[2];  /* bit per flow number: [0] TCP, [1] MQTT-SN */
    size_t nmarks[2];   /* bytes */
    /* Fragments waiting for their datagram's flow: a ring, allocated at
     * the first fragment. */
    struct pending_frag {
        uint32_t key;
        uint64_t index;
    } *frags;
    size_t frag_next;
};

static void set_err(char *err, size_t errlen, const char *fmt, const char *a,
                    const char *b)
{
    snprintf(err, errlen, fmt, a, b);
}

/* An unlinked file beside the output: spools. */
static int sibling_fd(const struct capture_save *s, const char *what, bool unlink_it)
{
    size_t n = strlen(s->path) + 32;
    char *name = malloc(n);
    if (!name)
        return -1;
    snprintf(name, n, "%s.%s-XXXXXX", s->path, what);
    int fd = mkstemp(name);
    if (fd >= 0 && unlink_it)
        (void)unlink(name);
    free(name);
    return fd;
}

struct capture_save *capture_save_open(const char *path, bool pcapng, char *err,
                                       size_t errlen)
{
    struct capture_save *s = calloc(1, sizeof *s);
    size_t n = strlen(path) + 16;
    if (!s || !(s->path = strdup(path)) || !(s->tmp_path = malloc(n))) {
        set_err(err, errlen, "-w %s: %s", path, "out of memory");
        capture_save_free(s);
        return NULL;
    }
    s->copy_fd = -1;
    s->pcapng = pcapng;
    snprintf(s->tmp_path, n, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(s->tmp_path);
    if (fd < 0 || !(s->out = fdopen(fd, "wb"))) {
        set_err(err, errlen, "-w %s: cannot write there: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            (void)unlink(s->tmp_path);
        }
        free(s->tmp_path);
        s->tmp_path = NULL;
        capture_save_free(s);
        return NULL;
    }
    mode_t mask = umask(0); /* mkstemp's 0600 becomes what fopen would make */
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    return s;
}

int capture_save_copy_fd(struct capture_save *s, char *err, size_t errlen)
{
    if (s->copy_fd < 0 && (s->copy_fd = sibling_fd(s, "spool", true)) < 0)
        set_err(err, errlen, "-w %s: cannot make a spool file beside it: %s", s->path,
                strerror(errno));
    return s->copy_fd;
}

int capture_save_input(struct capture_save *s, enum capture_save_input in,
                       const char *file, int dlt, char *err, size_t errlen)
{
    s->in = in;
    s->file = file;
    if (in != CAPTURE_SAVE_LIVE)
        return 0;
    int fd = sibling_fd(s, "spool", true);
    if (fd < 0 || !(s->spool = fdopen(fd, "w+b"))) {
        set_err(err, errlen, "-w %s: cannot make a spool file beside it: %s", s->path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Live timestamps are microseconds: a microsecond pcap keeps them. */
    s->spool_dead = pcap_open_dead(dlt, 262144);
    s->spool_dump = s->spool_dead ? pcap_dump_fopen(s->spool_dead, s->spool) : NULL;
    if (!s->spool_dump) {
        set_err(err, errlen, "-w %s: cannot start the spool: %s", s->path,
                s->spool_dead ? pcap_geterr(s->spool_dead) : "out of memory");
        return -1;
    }
    return 0;
}

static void set_tag(struct capture_save *s, uint64_t index, uint32_t tag)
{
    if (index == 0 || s->tags_lost)
        return;
    if (index >= s->cap_tags) {
        uint64_t cap = s->cap_tags ? s->cap_tags : 4096;
        while (cap <= index)
            cap *= 2;
        uint32_t *t = cap <= SIZE_MAX / sizeof *t ? realloc(s->tags, cap * sizeof *t) : NULL;
        if (!t) {
            s->tags_lost = true;
            return;
        }
        memset(t + s->cap_tags, 0, (cap - s->cap_tags) * sizeof *t);
        s->tags = t;
        s->cap_tags = cap;
    }
    s->tags[index] = tag;
    if (index >= s->ntags)
        s->ntags = index + 1;
}

/* A fragment: remembered until its datagram completes (tag 0), or the
 * datagram's flow given to the fragments remembered before. */
static void fragment_frame(struct capture_save *s, uint64_t index, uint32_t tag,
                           uint32_t key)
{
    if (!s->frags && !(s->frags = calloc(CAPTURE_SAVE_FRAGMENTS, sizeof *s->frags))) {
        s->tags_lost = true;
        return;
    }
    if (tag == 0) {
        s->frags[s->frag_next] = (struct pending_frag){key, index};
        s->frag_next = (s->frag_next + 1) % CAPTURE_SAVE_FRAGMENTS;
        return;
    }
    for (size_t i = 0; i < CAPTURE_SAVE_FRAGMENTS; i++) {
        if (s->frags[i].key == key && s->frags[i].index) {
            set_tag(s, s->frags[i].index, tag);
            s->frags[i].key = 0;
            s->frags[i].index = 0;
        }
    }
}

void capture_save_frame(struct capture_save *s, uint64_t frame,
                        const struct pcap_pkthdr *h, const uint8_t *bytes,
                        uint32_t tag, uint32_t fragment)
{
    uint64_t index = frame;
    if (s->in == CAPTURE_SAVE_LIVE) {
        /* The spool holds every frame delivered, so its record numbers,
         * not the capture's, index the tags. */
        pcap_dump((u_char *)s->spool_dump, h, bytes);
        index = ++s->spooled;
    }
    set_tag(s, index, tag);
    if (fragment)
        fragment_frame(s, index, tag, fragment);
}

static bool marked(const struct capture_save *s, uint32_t tag)
{
    int k = (tag & CAPTURE_SAVE_SN_BIT) ? 1 : 0;
    uint32_t n = tag & ~CAPTURE_SAVE_SN_BIT;
    return n != 0 && n / 8 < s->nmarks[k] && (s->marks[k][n / 8] & (1u << (n % 8)));
}

void capture_save_mark(struct capture_save *s, uint32_t tag)
{
    int k = (tag & CAPTURE_SAVE_SN_BIT) ? 1 : 0;
    uint32_t n = tag & ~CAPTURE_SAVE_SN_BIT;
    if (n == 0 || marked(s, tag))
        return;
    if (n / 8 >= s->nmarks[k]) {
        size_t size = s->nmarks[k] ? s->nmarks[k] : 1024;
        while (size <= n / 8)
            size *= 2;
        uint8_t *m = realloc(s->marks[k], size);
        if (!m) {
            s->tags_lost = true;
            return;
        }
        memset(m + s->nmarks[k], 0, size - s->nmarks[k]);
        s->marks[k] = m;
        s->nmarks[k] = size;
    }
    s->marks[k][n / 8] = (uint8_t)(s->marks[k][n / 8] | (1u << (n % 8)));
}

void capture_save_copy_failed(struct capture_save *s, int errnum)
{
    s->copy_errno = errnum;
}

/* The second pass's input, at its start; NULL with err set. */
static FILE *reopen_input(struct capture_save *s, char *err, size_t errlen)
{
    FILE *f = NULL;
    if (s->in == CAPTURE_SAVE_FILE) {
        if (!(f = fopen(s->file, "rb")))
            set_err(err, errlen, "-w: cannot read %s again: %s", s->file, strerror(errno));
        return f;
    }
    int fd = s->in == CAPTURE_SAVE_LIVE ? fileno(s->spool) : s->copy_fd;
    if (s->in == CAPTURE_SAVE_LIVE && (pcap_dump_flush(s->spool_dump) != 0 || ferror(s->spool)))
        s->spool_errno = errno ? errno : EIO;
    int err_no = s->in == CAPTURE_SAVE_LIVE ? s->spool_errno : s->copy_errno;
    if (err_no) {
        set_err(err, errlen, "-w %s: the spool file failed: %s", s->path, strerror(err_no));
        return NULL;
    }
    int dfd = fd >= 0 ? dup(fd) : -1;
    if (dfd < 0 || lseek(dfd, 0, SEEK_SET) != 0 || !(f = fdopen(dfd, "rb"))) {
        set_err(err, errlen, "-w %s: cannot read the spool file: %s", s->path,
                strerror(errno));
        if (dfd >= 0)
            close(dfd);
    }
    return f;
}

/* What the input is: pcapng, or pcap with nanosecond timestamps. */
static void sniff_format(FILE *f, bool *pcapng, bool *nano)
{
    uint8_t m[4] = {0};
    size_t n = fread(m, 1, 4, f);
    rewind(f);
    uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    *pcapng = n == 4 && be == 0x0A0D0D0Au;
    *nano = n == 4 && (be == 0xA1B23C4Du || be == 0x4D3CB2A1u);
}

/* Writes the marked records of `in` to s->out. */
static int copy_marked(struct capture_save *s, pcap_t *in, bool ng, bool nano,
                       uint64_t *written, char *err, size_t errlen)
{
    int dlt = pcap_datalink(in);
    uint32_t snaplen = (uint32_t)pcap_snapshot(in);
    pcap_t *dead = NULL;
    pcap_dumper_t *dump = NULL;
    if (ng) {
        if (pcapng_write_header(s->out, dlt, snaplen) != 0) {
            set_err(err, errlen, "-w %s: %s", s->path, strerror(errno));
            return -1;
        }
    } else {
        dead = pcap_open_dead_with_tstamp_precision(
            dlt, (int)snaplen, nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
        dump = dead ? pcap_dump_fopen(dead, s->out) : NULL;
        if (!dump) {
            set_err(err, errlen, "-w %s: %s", s->path,
                    dead ? pcap_geterr(dead) : "out of memory");
            if (dead)
                pcap_close(dead);
            return -1;
        }
    }
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int rc = 0;
    for (uint64_t i = 1; i < s->ntags; i++) {
        int r = pcap_next_ex(in, &h, &bytes);
        if (r != 1) {
            set_err(err, errlen, "-w: reading the input again: %s",
                    r == -2 ? "it ended early" : pcap_geterr(in), "");
            rc = -1;
            break;
        }
        if (!marked(s, s->tags[i]))
            continue;
        /* The reader gives nanoseconds (in tv_usec). */
        if (ng) {
            if (pcapng_write_packet(s->out, (int64_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec,
                                    h->caplen, h->len, bytes) != 0) {
                set_err(err, errlen, "-w %s: %s", s->path, strerror(errno));
                rc = -1;
                break;
            }
        } else {
            struct pcap_pkthdr oh = *h;
            if (!nano)
                oh.ts.tv_usec /= 1000;
            pcap_dump((u_char *)dump, &oh, bytes);
        }
        ++*written;
    }
    if (dump) {
        if (pcap_dump_flush(dump) != 0 && rc == 0) {
            set_err(err, errlen, "-w %s: %s", s->path, strerror(errno));
            rc = -1;
        }
        /* libpcap's dumper is the stream itself (pcap_dump_close is an
         * fclose): capture_save_finish closes s->out after syncing it. */
    }
    if (dead)
        pcap_close(dead);
    return rc;
}

int capture_save_finish(struct capture_save *s, uint64_t *written, char *err,
                        size_t errlen)
{
    *written = 0;
    int rc = -1;
    if (s->tags_lost) {
        set_err(err, errlen, "-w %s: %s", s->path, "out of memory for the packet tags");
        goto out;
    }
    FILE *f = reopen_input(s, err, errlen);
    if (!f)
        goto out;
    bool ng, nano;
    sniff_format(f, &ng, &nano);
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *in = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!in) {
        fclose(f);
        set_err(err, errlen, "-w: cannot read the input again: %s%s", ebuf, "");
        goto out;
    }
    rc = copy_marked(s, in, ng || s->pcapng, nano, written, err, errlen);
    pcap_close(in); /* closes f */
out:;
    FILE *out = s->out;
    s->out = NULL;
    if (out && (fflush(out) != 0 || fsync(fileno(out)) != 0 || ferror(out)) && rc == 0) {
        set_err(err, errlen, "-w %s: %s", s->path, strerror(errno));
        rc = -1;
    }
    if (out && fclose(out) != 0 && rc == 0) {
        set_err(err, errlen, "-w %s: %s", s->path, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(s->tmp_path, s->path) != 0) {
        set_err(err, errlen, "-w %s: cannot rename the finished file into place: %s",
                s->path, strerror(errno));
        rc = -1;
    }
    if (rc == 0)
        s->finished = true;
    return rc;
}

void capture_save_free(struct capture_save *s)
{
    if (!s)
        return;
    if (s->out)
        fclose(s->out);
    if (s->tmp_path && !s->finished)
        (void)unlink(s->tmp_path);
    if (s->spool_dump)
        pcap_dump_close(s->spool_dump); /* closes s->spool */
    else if (s->spool)
        fclose(s->spool);
    if (s->spool_dead)
        pcap_close(s->spool_dead);
    if (s->copy_fd >= 0)
        close(s->copy_fd);
    free(s->tags);
    free(s->frags);
    free(s->marks[0]);
    free(s->marks[1]);
    free(s->tmp_path);
    free(s->path);
    free(s);
}
