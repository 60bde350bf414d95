/* Packet input through libpcap; see capture.h. */
#include "net/capture.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#ifdef __linux__
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

#include "net/linklayer.h"

#define LIVE_TIMEOUT_MS 100 /* how often a blocked read checks for stop */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void init(struct capture *c, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name ? name : "?");
}

/* The link type must be one linklayer.c decodes. */
static int check_link_type(struct capture *c, char *err, size_t errlen)
{
    c->dlt = pcap_datalink(c->pcap);
    if (linklayer_supported(c->dlt))
        return CAPTURE_OK;
    const char *name = pcap_datalink_val_to_name(c->dlt);
    set_err(err, errlen, "%s: unsupported link type %d (%s)", c->name, c->dlt,
            name ? name : "unknown");
    capture_close(c);
    return CAPTURE_ELINKTYPE;
}

/* libpcap's wording for a file that is not pcap/pcapng. */
static bool is_format_error(const char *msg)
{
    return strstr(msg, "unknown file format") != NULL ||
           strstr(msg, "bad dump file format") != NULL ||
           strstr(msg, "archaic") != NULL;
}

/* Hands an open stream to libpcap; on failure closes it (unless stdin). */
static int open_stream(struct capture *c, FILE *f, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    c->pcap = pcap_fopen_offline(f, ebuf);
    if (!c->pcap) {
        if (f != stdin)
            fclose(f);
        c->mem = NULL;
        if (is_format_error(ebuf)) {
            set_err(err, errlen, "%s: not a capture file (%s)", c->name, ebuf);
            return CAPTURE_EFORMAT;
        }
        set_err(err, errlen, "%s: cannot read capture: %s", c->name, ebuf);
        return CAPTURE_EFORMAT;
    }
    return check_link_type(c, err, errlen);
}

int capture_open_offline(struct capture *c, const char *path, char *err,
                         size_t errlen)
{
    init(c, path);
    FILE *f = stdin;
    if (strcmp(path, "-") != 0) {
        f = fopen(path, "rb");
        if (!f) {
            set_err(err, errlen, "%s: %s", path, strerror(errno));
            return CAPTURE_EOPEN;
        }
    }
    return open_stream(c, f, err, errlen);
}

int capture_open_buffer(struct capture *c, const void *buf, size_t len,
                        const char *name, char *err, size_t errlen)
{
    init(c, name);
    if (len == 0) {
        set_err(err, errlen, "%s: not a capture file (empty)", c->name);
        return CAPTURE_EFORMAT;
    }
    /* fmemopen takes a non-const buffer but mode "rb" only reads it. */
    c->mem = fmemopen((void *)(uintptr_t)buf, len, "rb");
    if (!c->mem) {
        set_err(err, errlen, "%s: %s", c->name, strerror(errno));
        return CAPTURE_EOPEN;
    }
    return open_stream(c, c->mem, err, errlen);
}

/* Turns a pcap_activate failure into one line naming the interface. */
static int activate_error(struct capture *c, int rc, char *err, size_t errlen)
{
    const char *why = pcap_geterr(c->pcap);
    int code = CAPTURE_EOPEN;
    switch (rc) {
    case PCAP_ERROR_PERM_DENIED:
        set_err(err, errlen,
                "%s: permission denied (capturing needs root or "
                "CAP_NET_RAW): %s", c->name, why);
        code = CAPTURE_EPERM;
        break;
    case PCAP_ERROR_NO_SUCH_DEVICE:
        if (!*why || strcasestr(why, "no such device") != NULL)
            set_err(err, errlen, "%s: no such device", c->name);
        else
            set_err(err, errlen, "%s: no such device (%s)", c->name, why);
        break;
    case PCAP_ERROR_IFACE_NOT_UP:
        set_err(err, errlen, "%s: interface is not up", c->name);
        break;
    default:
        set_err(err, errlen, "%s: cannot capture: %s (%s)", c->name,
                pcap_statustostr(rc), why);
        break;
    }
    pcap_close(c->pcap);
    c->pcap = NULL;
    return code;
}

static void note_warning(struct capture *c, int rc)
{
    snprintf(c->warning, sizeof c->warning, "%s: warning: %s (%s)", c->name,
             pcap_statustostr(rc), pcap_geterr(c->pcap));
}

int capture_open_live(struct capture *c, const char *iface, bool promisc,
                      char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    init(c, iface);
    c->live = true;
    c->pcap = pcap_create(iface, ebuf);
    if (!c->pcap) {
        set_err(err, errlen, "%s: %s", c->name, ebuf);
        return CAPTURE_EOPEN;
    }
    pcap_set_snaplen(c->pcap, CAPTURE_SNAPLEN);
    pcap_set_promisc(c->pcap, promisc ? 1 : 0);
    pcap_set_immediate_mode(c->pcap, 1);
    pcap_set_timeout(c->pcap, LIVE_TIMEOUT_MS);
    int rc = pcap_activate(c->pcap);
    if (rc < 0)
        return activate_error(c, rc, err, errlen);
    if (rc > 0)
        note_warning(c, rc);
    return check_link_type(c, err, errlen);
}

int capture_join_fanout(struct capture *c, uint16_t group, char *err,
                        size_t errlen)
{
#if defined(__linux__) && defined(PACKET_FANOUT)
    /* Flow hashing: the kernel's flow hash is the same for both directions
     * of a connection; defragmentation first, so the fragments of one
     * datagram go with their flow. */
    int arg = (int)((unsigned)group |
                    ((unsigned)(PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16));
    int fd = c->live ? pcap_fileno(c->pcap) : -1;
    if (fd < 0) {
        set_err(err, errlen, "%s: --fanout needs a live interface", c->name);
        return CAPTURE_EUNSUPPORTED;
    }
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
        set_err(err, errlen, "%s: cannot join fanout group %u: %s", c->name,
                (unsigned)group, strerror(errno));
        return errno == EPERM ? CAPTURE_EPERM : CAPTURE_EUNSUPPORTED;
    }
    return CAPTURE_OK;
#else
    (void)group;
    set_err(err, errlen, "%s: --fanout needs Linux (AF_PACKET)", c->name);
    return CAPTURE_EUNSUPPORTED;
#endif
}

int capture_set_filter(struct capture *c, const char *expr, char *err,
                       size_t errlen)
{
    if (!expr || !*expr)
        return CAPTURE_OK;
    struct bpf_program prog;
    if (pcap_compile(c->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        set_err(err, errlen, "%s: invalid filter \"%s\": %s", c->name, expr,
                pcap_geterr(c->pcap));
        return CAPTURE_EFILTER;
    }
    if (!c->live) {
        if (c->has_filter)
            pcap_freecode(&c->filter);
        c->filter = prog;
        c->has_filter = true;
        return CAPTURE_OK;
    }
    int rc = pcap_setfilter(c->pcap, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        set_err(err, errlen, "%s: cannot apply filter \"%s\": %s", c->name,
                expr, pcap_geterr(c->pcap));
        return CAPTURE_EFILTER;
    }
    return CAPTURE_OK;
}

/* A read error: for files, everything read so far has been delivered. */
static int read_error(struct capture *c, char *err, size_t errlen)
{
    const char *why = pcap_geterr(c->pcap);
    if (!c->live && strstr(why, "truncated") != NULL) {
        set_err(err, errlen, "%s: truncated capture after frame %llu: %s",
                c->name, (unsigned long long)c->frames, why);
        return CAPTURE_ETRUNCATED;
    }
    set_err(err, errlen, "%s: read error after frame %llu: %s", c->name,
            (unsigned long long)c->frames, why);
    return CAPTURE_EREAD;
}

static bool passes_filter(const struct capture *c,
                          const struct pcap_pkthdr *h, const uint8_t *bytes)
{
    return !c->has_filter || pcap_offline_filter(&c->filter, h, bytes) != 0;
}

int capture_run(struct capture *c, capture_packet_cb cb, void *ctx, char *err,
                size_t errlen)
{
    struct pcap_pkthdr *h;
    const u_char *bytes;
    while (!c->stop) {
        int rc = pcap_next_ex(c->pcap, &h, &bytes);
        if (rc == 0)
            continue; /* live timeout: look at the stop flag */
        if (rc == PCAP_ERROR_BREAK)
            return CAPTURE_OK; /* end of file, or pcap_breakloop */
        if (rc < 0)
            return read_error(c, err, errlen);
        c->frames++;
        if (!passes_filter(c, h, bytes))
            continue;
        if (cb(ctx, h, bytes, c->frames) != 0)
            break;
    }
    return CAPTURE_OK;
}

void capture_request_stop(struct capture *c)
{
    c->stop = 1;
    if (c->pcap)
        pcap_breakloop(c->pcap);
}

int capture_stats(struct capture *c, struct capture_stats *out, char *err,
                  size_t errlen)
{
    struct pcap_stat ps;
    memset(out, 0, sizeof *out);
    if (!c->live) {
        set_err(err, errlen, "%s: no statistics for a file", c->name);
        return CAPTURE_EUNSUPPORTED;
    }
    if (pcap_stats(c->pcap, &ps) != 0) {
        set_err(err, errlen, "%s: statistics: %s", c->name,
                pcap_geterr(c->pcap));
        return CAPTURE_EREAD;
    }
    out->received = ps.ps_recv;
    out->dropped = ps.ps_drop;
    out->if_dropped = ps.ps_ifdrop;
    return CAPTURE_OK;
}

void capture_close(struct capture *c)
{
    if (c->has_filter)
        pcap_freecode(&c->filter);
    c->has_filter = false;
    if (c->pcap)
        pcap_close(c->pcap); /* also closes the FILE it read from */
    c->pcap = NULL;
    c->mem = NULL;
}
