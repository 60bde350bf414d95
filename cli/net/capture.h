/* Packet input: pcap/pcapng files (or "-" for stdin), an in-memory capture
 * file image, or a live interface, with an optional BPF filter, delivered
 * frame by frame to a callback.
 *
 * Errors are one line naming the file or interface and the cause, written
 * into the caller's `err` buffer. Functions return 0 on success and a
 * negative CAPTURE_E* code on failure. */
#ifndef MQD_CLI_CAPTURE_H
#define MQD_CLI_CAPTURE_H

#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/replay_buf.h"

#define CAPTURE_SNAPLEN 262144

enum capture_error {
    CAPTURE_OK = 0,
    CAPTURE_EOPEN = -1,        /* missing, unreadable, no such device */
    CAPTURE_EFORMAT = -2,      /* not a capture file */
    CAPTURE_ELINKTYPE = -3,    /* unsupported link type */
    CAPTURE_EPERM = -4,        /* no permission to capture */
    CAPTURE_EFILTER = -5,      /* the filter does not compile or apply */
    CAPTURE_ETRUNCATED = -6,   /* the file ends inside a record */
    CAPTURE_EREAD = -7,        /* any other read error */
    CAPTURE_EUNSUPPORTED = -8  /* e.g. statistics of a file */
};

/* Called on the thread that runs capture_run, between frames: when the
 * input has been idle a little while (about 10 ms, then every 100 ms while
 * it stays idle), and at least every `deadline_ms` while frames keep
 * coming. Live captures and streamed input (a pipe on "-") only: a file on
 * disk is read as fast as it goes. */
typedef void (*capture_tick_cb)(void *ctx);

struct capture_queue;
struct gzip_stream;

struct capture {
    pcap_t *pcap;
    int dlt;                 /* pcap_datalink() */
    bool live;
    char name[256];          /* file path, "-" or interface, for messages */
    char warning[PCAP_ERRBUF_SIZE + 300]; /* live: pcap_activate warning */
    FILE *mem;               /* capture_open_buffer's stream */
    char *read_buf;          /* a file's stdio buffer, until capture_close */
    struct gzip_stream *gz;  /* a gzip-compressed file: its reader
                                (net/gzip_stream.h), until capture_close */
    struct bpf_program filter; /* offline: applied per frame */
    bool has_filter;
    uint64_t frames;         /* frames read so far (before filtering) */
    volatile sig_atomic_t stop; /* set by capture_request_stop */
    bool streaming;          /* "-" is a pipe: read as it arrives (poll) */
    capture_tick_cb tick;    /* capture_set_tick */
    void *tick_ctx;
    unsigned deadline_ms;
    /* Live: the reading thread and what it shares (capture.c). */
    struct capture_queue *queue;
    unsigned queue_blocks;       /* capture_live_cfg.queue_mib */
    pthread_t reader;
    bool reader_running;
    pthread_mutex_t snap_mu;     /* guards snap while the reader runs */
    struct pcap_stat snap;       /* the reader's latest pcap_stats */
    uint64_t queue_dropped;      /* after the run */
    char reader_err[PCAP_ERRBUF_SIZE + 64];
    /* capture_open_offline_copy: standard input's bytes also go here. */
    int copy_fd;                 /* -1: none */
    int copy_errno;              /* a copy failed (then no more copies) */
    /* A pcapng file's Decryption Secrets Blocks (capture_secrets). */
    struct capture_secret *secrets;
    size_t nsecrets;
    struct replay_buf replay;    /* "-" a pipe: its first bytes, read again */
};

/* One Decryption Secrets Block: its body after type and length. */
struct capture_secret {
    uint8_t *body;
    size_t len;
    bool big_endian;
};

/* Called for every frame that passes the filter; `frame` is its 1-based
 * number among all frames read (so it matches Wireshark's for files).
 * Return 0 to go on, nonzero to stop capture_run. */
typedef int (*capture_packet_cb)(void *ctx, const struct pcap_pkthdr *h,
                                 const uint8_t *bytes, uint64_t frame);

/* The Decryption Secrets Blocks of the file opened (none for live
 * capture), in order: *n of them. */
const struct capture_secret *capture_secrets(const struct capture *c, size_t *n);

/* Opens a pcap or pcapng file; "-" is standard input. A gzip-compressed
 * one (found by its first bytes, not its name) is decompressed as it is
 * read; corrupt or cut gzip data is a read error naming the file. The
 * Decryption Secrets Blocks before a pcapng file's first packet are read
 * at once, whatever it comes from (capture_secrets). */
int capture_open_offline(struct capture *c, const char *path, char *err,
                         size_t errlen);

/* As capture_open_offline; for "-", every byte read from standard input
 * is also written to `copy_fd` (so that the input can be read again:
 * -w), and a failed write leaves its errno in c->copy_errno. */
int capture_open_offline_copy(struct capture *c, const char *path, int copy_fd,
                              char *err, size_t errlen);

/* Opens a capture file image held in memory (the buffer must outlive the
 * capture), gzip-compressed or not. `name` is used in messages. */
int capture_open_buffer(struct capture *c, const void *buf, size_t len,
                        const char *name, char *err, size_t errlen);

#define CAPTURE_BUFFER_KIB_DEFAULT 32768 /* the kernel buffer: 32 MiB */

struct capture_live_cfg {
    bool promisc;        /* promiscuous mode (tcpdump's default) */
    unsigned buffer_kib; /* the kernel buffer; 0: CAPTURE_BUFFER_KIB_DEFAULT */
    unsigned snaplen;    /* bytes kept of each packet; 0: CAPTURE_SNAPLEN */
    unsigned queue_mib;  /* the in-process queue; 0: CAPTURE_QUEUE_BLOCKS
                            (capture_queue.h), 1 MiB a block */
};

/* Lists the interfaces libpcap can capture on, as tcpdump -D does: one
 * line each, "N.NAME (DESCRIPTION) [Up, Running, Loopback, ...]". 0, or
 * CAPTURE_EOPEN with the reason in err. */
int capture_list_interfaces(FILE *out, char *err, size_t errlen);

/* Opens interface `iface` ("any" works on Linux) with full snaplen as cfg
 * says (NULL: the defaults, promiscuous). Packets come from the kernel in
 * blocks at least every 50 ms (not immediate mode). A warning from activation is left
 * in c->warning (empty if none). capture_run then reads it on a thread of
 * its own into a bounded queue (capture_queue.h), and delivers the frames
 * on the calling thread. When the queue is full the reading thread waits
 * for room (back-pressure): the kernel buffer takes the burst, and what
 * does not fit there is dropped and counted by the kernel. */
int capture_open_live(struct capture *c, const char *iface,
                      const struct capture_live_cfg *cfg, char *err,
                      size_t errlen);

/* Live (Linux): joins AF_PACKET fanout group `group` with flow hashing and
 * defragmentation, so that every process in the group sees whole
 * connections and each packet reaches one of them. */
int capture_join_fanout(struct capture *c, uint16_t group, char *err,
                        size_t errlen);

/* Compiles and applies a BPF filter expression (NULL or "" = none). For
 * files the filter is applied per frame so frame numbers stay absolute. */
int capture_set_filter(struct capture *c, const char *expr, char *err,
                       size_t errlen);

/* Reads frames until the end of the file, a stop request or a callback
 * asking to stop (0), or an error (negative, message in err) -- every frame
 * before the error has been delivered. A file that ends inside a record is
 * CAPTURE_ETRUNCATED: "FILE: truncated capture after frame N: <why>". */
int capture_run(struct capture *c, capture_packet_cb cb, void *ctx, char *err,
                size_t errlen);

/* See capture_tick_cb. Before capture_run. */
void capture_set_tick(struct capture *c, capture_tick_cb cb, void *ctx,
                      unsigned deadline_ms);

/* Asks capture_run to return soon, after delivering what was read.
 * Async-signal-safe. */
void capture_request_stop(struct capture *c);

struct capture_stats {
    uint64_t received;      /* ps_recv */
    uint64_t dropped;       /* ps_drop: no room in the kernel buffer */
    uint64_t if_dropped;    /* ps_ifdrop: dropped by the interface/driver */
    uint64_t queue_dropped; /* no room in the in-process queue */
};

/* Live captures only; CAPTURE_EUNSUPPORTED for files. From the thread that
 * runs capture_run (a tick or a frame callback) or after it: while it runs
 * the kernel's figures are at most a few hundred milliseconds old. */
int capture_stats(struct capture *c, struct capture_stats *out, char *err,
                  size_t errlen);

void capture_close(struct capture *c);

#endif
