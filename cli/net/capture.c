/* Packet input through libpcap; see capture.h. */
#include "net/capture.h"
#include "net/gzip_stream.h"
#include "net/pcapng_secrets.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

#include "net/capture_queue.h"
#include "net/linklayer.h"

#define LIVE_TIMEOUT_MS 50  /* kernel blocks are handed over at least this
                               often, and a blocked read checks for stop */
#define IDLE_MS 10          /* no frame for this long: the input is idle */
#define IDLE_AGAIN_MS 100   /* then a tick this often while it stays idle */
#define STATS_EVERY_MS 200  /* the reader refreshes the kernel's figures */
#define TICK_CHECK_FRAMES 64 /* the clock is read once per this many frames */

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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
    c->copy_fd = -1;
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
        char gzerr[160] = "";
        if (c->gz && gzip_stream_error(c->gz))
            snprintf(gzerr, sizeof gzerr, "%s", gzip_stream_error(c->gz));
        if (f != stdin)
            fclose(f);
        c->gz = NULL;
        c->streaming = false;
        c->mem = NULL;
        if (gzerr[0]) {
            set_err(err, errlen, "%s: %s", c->name, gzerr);
            return CAPTURE_EREAD;
        }
        if (is_format_error(ebuf)) {
            set_err(err, errlen, "%s: not a capture file (%s)", c->name, ebuf);
            return CAPTURE_EFORMAT;
        }
        set_err(err, errlen, "%s: cannot read capture: %s", c->name, ebuf);
        return CAPTURE_EFORMAT;
    }
    return check_link_type(c, err, errlen);
}

/* capture_open_offline_copy: what was read, to the copy. */
static void copy_out(struct capture *c, const char *buf, size_t n)
{
    while (c->copy_fd >= 0 && c->copy_errno == 0 && n > 0) {
        ssize_t w = write(c->copy_fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            c->copy_errno = w < 0 ? errno : EIO;
            break;
        }
        buf += w;
        n -= (size_t)w;
    }
}

/* "-" on a pipe or a terminal: a stream whose reads wait in poll(), so
 * that a tick can flush the output while the writer is quiet, and a stop
 * request ends the input cleanly (as its end) instead of as a read error. */
static ssize_t stream_read(void *cookie, char *buf, size_t size)
{
    struct capture *c = cookie;
    size_t again = replay_give(&c->replay, buf, size);
    if (again)
        return (ssize_t)again;
    int wait = IDLE_MS;
    for (;;) {
        if (c->stop)
            return 0;
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r == 0) {
            if (c->tick)
                c->tick(c->tick_ctx);
            wait = IDLE_AGAIN_MS;
            continue;
        }
        if (r < 0)
            continue;
        ssize_t n = read(STDIN_FILENO, buf, size);
        if (n > 0) {
            copy_out(c, buf, (size_t)n);
            replay_keep(&c->replay, buf, (size_t)n);
        }
        if (n >= 0 || (errno != EINTR && errno != EAGAIN))
            return n;
    }
}

/* Only back to the start, once, while its first blocks are read
 * (read_secrets). */
static int stream_seek(void *cookie, off64_t *pos, int whence)
{
    struct capture *c = cookie;
    return replay_seek(&c->replay, *pos, whence);
}

static int stream_close(void *cookie)
{
    struct capture *c = cookie;
    replay_stop(&c->replay);
    return 0; /* standard input stays open */
}

static FILE *open_stream_stdin(struct capture *c)
{
    struct stat st;
    if (c->copy_fd < 0 && fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
        return stdin; /* a file on disk: read as fast as it goes */
    cookie_io_functions_t io = {.read = stream_read, .seek = stream_seek,
                                .close = stream_close};
    FILE *f = fopencookie(c, "rb", io);
    if (!f)
        return stdin;
    replay_start(&c->replay);
    c->streaming = true;
    c->mem = f; /* closed by pcap_close */
    return f;
}

/* A gzip-compressed input: *f becomes the stream of its decompressed
 * bytes (which closes the original). False, with *f closed (unless stdin),
 * when out of memory. */
static bool maybe_gunzip(struct capture *c, FILE **f, char *err, size_t errlen)
{
    if (!gzip_stream_detect(*f))
        return true;
    replay_stop(&c->replay); /* the decompressed bytes are kept instead */
    FILE *z = gzip_stream_open(*f, &c->gz);
    if (!z) {
        if (*f != stdin)
            fclose(*f);
        c->mem = NULL;
        c->streaming = false;
        set_err(err, errlen, "%s: out of memory", c->name);
        return false;
    }
    *f = z;
    return true;
}

/* pcapng_secrets_read's callback: a DSB's body, copied (the scan bounds
 * how many and how large). */
static void keep_secret(void *ctx, const uint8_t *body, size_t len, bool big_endian)
{
    struct capture *c = ctx;
    struct capture_secret *s = realloc(c->secrets, (c->nsecrets + 1) * sizeof *s);
    if (!s)
        return;
    c->secrets = s;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, body, len);
    s[c->nsecrets++] = (struct capture_secret){copy, len, big_endian};
}

const struct capture_secret *capture_secrets(const struct capture *c, size_t *n)
{
    *n = c->nsecrets;
    return c->secrets;
}

/* The file's secrets, read from its first blocks; then f is read again
 * from where it was (a pipe and decompressed bytes keep their first bytes
 * for that, net/replay_buf.h). False, with f closed (unless stdin), when
 * that cannot be. */
static bool read_secrets(struct capture *c, FILE *f, char *err, size_t errlen)
{
    off_t start = c->gz || c->streaming ? 0 : ftello(f);
    if (start < 0)
        return true; /* no position to come back to: not read */
    (void)pcapng_secrets_read(f, keep_secret, c);
    if (fseeko(f, start, SEEK_SET) == 0)
        return true;
    set_err(err, errlen, "%s: its first %s could not be read again", c->name,
            c->replay.overflow || (c->gz && gzip_stream_replay_overflow(c->gz))
                ? "64 MiB (before any packet)"
                : "bytes");
    if (f != stdin)
        fclose(f);
    c->mem = NULL;
    c->gz = NULL;
    c->streaming = false;
    return false;
}

/* libpcap reads a file through stdio, whose buffer is by default the
 * file system's block size: a system call for every 4 KiB. With 256 KiB,
 * -q on the 50 MB benchmark capture took 16 % less time (61 interleaved
 * rounds; 64 KiB and 1 MiB were no different from 256). Given before the
 * first read; without memory, the default stays. */
#define READ_BUF_BYTES ((size_t)256 << 10)

static void give_read_buffer(struct capture *c, FILE *f)
{
    c->read_buf = malloc(READ_BUF_BYTES);
    if (c->read_buf && setvbuf(f, c->read_buf, _IOFBF, READ_BUF_BYTES) != 0) {
        free(c->read_buf);
        c->read_buf = NULL;
    }
}

/* Once its stream is closed. */
static void drop_read_buffer(struct capture *c)
{
    free(c->read_buf);
    c->read_buf = NULL;
}

int capture_open_offline(struct capture *c, const char *path, char *err,
                         size_t errlen)
{
    return capture_open_offline_copy(c, path, -1, err, errlen);
}

int capture_open_offline_copy(struct capture *c, const char *path, int copy_fd,
                              char *err, size_t errlen)
{
    init(c, path);
    c->copy_fd = copy_fd;
    FILE *f = stdin;
    if (strcmp(path, "-") == 0) {
        f = open_stream_stdin(c);
    } else {
        f = fopen(path, "rb");
        if (!f) {
            set_err(err, errlen, "%s: %s", path, strerror(errno));
            return CAPTURE_EOPEN;
        }
        give_read_buffer(c, f);
    }
    if (!maybe_gunzip(c, &f, err, errlen) || !read_secrets(c, f, err, errlen)) {
        drop_read_buffer(c); /* f was closed (standard input has none) */
        return CAPTURE_EOPEN;
    }
    int rc = open_stream(c, f, err, errlen);
    if (!c->pcap)
        drop_read_buffer(c);
    return rc;
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
    FILE *f = c->mem;
    if (!maybe_gunzip(c, &f, err, errlen) || !read_secrets(c, f, err, errlen))
        return CAPTURE_EOPEN;
    return open_stream(c, f, err, errlen);
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

int capture_open_live(struct capture *c, const char *iface,
                      const struct capture_live_cfg *cfg, char *err,
                      size_t errlen)
{
    static const struct capture_live_cfg defaults = {.promisc = true};
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    if (!cfg)
        cfg = &defaults;
    init(c, iface);
    c->live = true;
    c->queue_blocks = cfg->queue_mib;
    c->pcap = pcap_create(iface, ebuf);
    if (!c->pcap) {
        set_err(err, errlen, "%s: %s", c->name, ebuf);
        return CAPTURE_EOPEN;
    }
    unsigned kib = cfg->buffer_kib ? cfg->buffer_kib : CAPTURE_BUFFER_KIB_DEFAULT;
    pcap_set_snaplen(c->pcap, cfg->snaplen ? (int)cfg->snaplen : CAPTURE_SNAPLEN);
    pcap_set_promisc(c->pcap, cfg->promisc ? 1 : 0);
    pcap_set_timeout(c->pcap, LIVE_TIMEOUT_MS);
    pcap_set_buffer_size(c->pcap, (int)(kib > 2097151u ? 2097151u : kib) * 1024);
    int rc = pcap_activate(c->pcap);
    if (rc < 0)
        return activate_error(c, rc, err, errlen);
    if (rc > 0)
        note_warning(c, rc);
    return check_link_type(c, err, errlen);
}

int capture_list_interfaces(FILE *out, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *all = NULL;
    if (pcap_findalldevs(&all, ebuf) != 0) {
        set_err(err, errlen, "cannot list the interfaces: %s", ebuf);
        return CAPTURE_EOPEN;
    }
    static const struct {
        bpf_u_int32 bit;
        const char *name;
    } flags[] = {
        {PCAP_IF_UP, "Up"},
        {PCAP_IF_RUNNING, "Running"},
        {PCAP_IF_WIRELESS, "Wireless"},
        {PCAP_IF_LOOPBACK, "Loopback"},
    };
    unsigned i = 0;
    for (pcap_if_t *d = all; d; d = d->next) {
        fprintf(out, "%u.%s", ++i, d->name);
        if (d->description)
            fprintf(out, " (%s)", d->description);
        const char *sep = " [";
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
            if (d->flags & flags[k].bit) {
                fprintf(out, "%s%s", sep, flags[k].name);
                sep = ", ";
            }
        }
        bpf_u_int32 status = d->flags & PCAP_IF_CONNECTION_STATUS;
        const char *st = status == PCAP_IF_CONNECTION_STATUS_CONNECTED      ? "Connected"
                         : status == PCAP_IF_CONNECTION_STATUS_DISCONNECTED ? "Disconnected"
                         : status == PCAP_IF_CONNECTION_STATUS_UNKNOWN &&
                                 !(d->flags & PCAP_IF_LOOPBACK)
                             ? "Unknown"
                             : NULL;
        if (st) {
            fprintf(out, "%s%s", sep, st);
            sep = ", ";
        }
        fputs(sep[0] == ',' ? "]" : " [none]", out);
        fputc('\n', out);
    }
    pcap_freealldevs(all);
    return CAPTURE_OK;
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
    if (c->gz && gzip_stream_error(c->gz)) {
        set_err(err, errlen, "%s: %s after frame %llu", c->name,
                gzip_stream_error(c->gz), (unsigned long long)c->frames);
        return CAPTURE_EREAD;
    }
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

void capture_set_tick(struct capture *c, capture_tick_cb cb, void *ctx,
                      unsigned deadline_ms)
{
    c->tick = cb;
    c->tick_ctx = ctx;
    c->deadline_ms = deadline_ms ? deadline_ms : 1000;
}

/* A tick when the deadline has passed; `*next` is the next one. */
static void deadline_tick(struct capture *c, int64_t *next)
{
    int64_t now = now_ms();
    if (now < *next)
        return;
    c->tick(c->tick_ctx);
    *next = now + c->deadline_ms;
}

static int run_offline(struct capture *c, capture_packet_cb cb, void *ctx,
                       char *err, size_t errlen)
{
    struct pcap_pkthdr *h;
    const u_char *bytes;
    bool ticks = c->streaming && c->tick;
    int64_t next_tick = ticks ? now_ms() + c->deadline_ms : 0;
    unsigned since_check = 0;
    while (!c->stop) {
        int rc = pcap_next_ex(c->pcap, &h, &bytes);
        if (rc == PCAP_ERROR_BREAK)
            return CAPTURE_OK; /* end of file, or pcap_breakloop */
        if (rc < 0)
            /* A stop request ends a stream as if it ended there. */
            return c->stop ? CAPTURE_OK : read_error(c, err, errlen);
        if (rc == 0)
            continue;
        c->frames++;
        if (!passes_filter(c, h, bytes))
            continue;
        if (cb(ctx, h, bytes, c->frames) != 0)
            break;
        if (ticks && ++since_check >= TICK_CHECK_FRAMES) {
            since_check = 0;
            deadline_tick(c, &next_tick);
        }
    }
    return CAPTURE_OK;
}

/* ---- live: a thread that only moves packets into the queue ---- */

static void reader_packet(u_char *user, const struct pcap_pkthdr *h,
                          const u_char *bytes)
{
    struct capture *c = (struct capture *)(void *)user;
    c->frames++;
    (void)capture_queue_push(c->queue, h, bytes, c->frames);
}

static void reader_snapshot(struct capture *c)
{
    struct pcap_stat ps;
    if (pcap_stats(c->pcap, &ps) != 0)
        return;
    pthread_mutex_lock(&c->snap_mu);
    c->snap = ps;
    pthread_mutex_unlock(&c->snap_mu);
}

static void *reader_main(void *arg)
{
    struct capture *c = arg;
    int64_t next_stats = 0;
    while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
        int n = pcap_dispatch(c->pcap, -1, reader_packet, (u_char *)(void *)c);
        if (n == PCAP_ERROR_BREAK)
            break;
        if (n < 0) {
            snprintf(c->reader_err, sizeof c->reader_err, "%s", pcap_geterr(c->pcap));
            break;
        }
        /* A pause in the traffic hands the block over at once; otherwise
         * when the consumer waits for it, or when it is full. */
        capture_queue_publish(c->queue, n == 0);
        int64_t now = now_ms();
        if (now >= next_stats) {
            reader_snapshot(c);
            next_stats = now + STATS_EVERY_MS;
        }
    }
    capture_queue_end(c->queue);
    return NULL;
}

/* Starts the reader with the signals blocked: they are for the thread that
 * runs capture_run (main.c's handlers), whose requests reach the reader
 * through c->stop and pcap_breakloop. */
static int start_reader(struct capture *c, char *err, size_t errlen)
{
    c->queue = capture_queue_new(c->queue_blocks, true);
    if (!c->queue) {
        set_err(err, errlen, "%s: out of memory", c->name);
        return CAPTURE_EREAD;
    }
    pthread_mutex_init(&c->snap_mu, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&c->reader, NULL, reader_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&c->snap_mu);
        capture_queue_free(c->queue);
        c->queue = NULL;
        set_err(err, errlen, "%s: cannot start the capture thread: %s", c->name,
                strerror(rc));
        return CAPTURE_EREAD;
    }
    c->reader_running = true;
    return CAPTURE_OK;
}

static void stop_reader(struct capture *c)
{
    pthread_join(c->reader, NULL);
    c->reader_running = false;
    c->queue_dropped = capture_queue_dropped(c->queue);
    capture_queue_free(c->queue);
    c->queue = NULL;
    pthread_mutex_destroy(&c->snap_mu);
}

/* Delivers a block's frames; false once the callback asked to stop. */
static bool deliver_block(const struct capture_block *b, capture_packet_cb cb,
                          void *ctx)
{
    const struct capture_record *r;
    for (size_t at = 0; (r = capture_block_record(b, at)) != NULL; at += r->size)
        if (cb(ctx, &r->h, (const uint8_t *)(r + 1), r->frame) != 0)
            return false;
    return true;
}

static int run_live(struct capture *c, capture_packet_cb cb, void *ctx,
                    char *err, size_t errlen)
{
    int rc = start_reader(c, err, errlen);
    if (rc != CAPTURE_OK)
        return rc;
    bool delivering = true;
    int64_t next_tick = now_ms() + c->deadline_ms;
    int wait = IDLE_MS;
    for (;;) {
        bool ended;
        const struct capture_block *b = capture_queue_take(c->queue, wait, &ended);
        if (ended)
            break;
        if (!b) {
            /* Idle: a tick now, then every IDLE_AGAIN_MS. */
            if (c->tick && delivering)
                c->tick(c->tick_ctx);
            next_tick = now_ms() + c->deadline_ms;
            wait = IDLE_AGAIN_MS;
            continue;
        }
        if (delivering && !deliver_block(b, cb, ctx)) {
            delivering = false; /* e.g. -c N reached: stop reading */
            capture_request_stop(c);
        }
        capture_queue_release(c->queue);
        wait = IDLE_MS;
        if (c->tick && delivering)
            deadline_tick(c, &next_tick);
    }
    stop_reader(c);
    if (c->reader_err[0] && !c->stop) {
        set_err(err, errlen, "%s: read error after frame %llu: %s", c->name,
                (unsigned long long)c->frames, c->reader_err);
        return CAPTURE_EREAD;
    }
    return CAPTURE_OK;
}

int capture_run(struct capture *c, capture_packet_cb cb, void *ctx, char *err,
                size_t errlen)
{
    if (c->live)
        return run_live(c, cb, ctx, err, errlen);
    return run_offline(c, cb, ctx, err, errlen);
}

void capture_request_stop(struct capture *c)
{
    __atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED); /* the reader reads it */
    if (c->pcap)
        pcap_breakloop(c->pcap);
}

int capture_stats(struct capture *c, struct capture_stats *out, char *err,
                  size_t errlen)
{
    struct pcap_stat ps;
    memset(out, 0, sizeof *out);
    memset(&ps, 0, sizeof ps);
    if (!c->live) {
        set_err(err, errlen, "%s: no statistics for a file", c->name);
        return CAPTURE_EUNSUPPORTED;
    }
    if (c->reader_running) {
        pthread_mutex_lock(&c->snap_mu);
        ps = c->snap;
        pthread_mutex_unlock(&c->snap_mu);
        out->queue_dropped = capture_queue_dropped(c->queue);
    } else if (pcap_stats(c->pcap, &ps) != 0) {
        set_err(err, errlen, "%s: statistics: %s", c->name,
                pcap_geterr(c->pcap));
        return CAPTURE_EREAD;
    } else {
        out->queue_dropped = c->queue_dropped;
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
    drop_read_buffer(c);
    c->mem = NULL;
    c->gz = NULL; /* freed with its FILE */
    for (size_t i = 0; i < c->nsecrets; i++) {
        explicit_bzero(c->secrets[i].body, c->secrets[i].len);
        free(c->secrets[i].body);
    }
    free(c->secrets);
    c->secrets = NULL;
    c->nsecrets = 0;
}
