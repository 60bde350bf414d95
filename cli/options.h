/* mqttdissect command-line options. */
#ifndef MQD_CLI_OPTIONS_H
#define MQD_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/select.h"
#include "analysis/topic_filter.h"
#include "output/output.h"

#define OPT_MAX_PORTS 32

#define OPT_MAX_DECODE 32 /* --decode rules */
#define OPT_MAX_KEYLOGS 16 /* --tls-keylog files (options.c's message says 16) */

#define OPT_MAX_THREADS 8 /* --threads: out_parallel.c's limit */

/* --max-conns: the default bounds the memory of open connections (about
 * 1.6 KB each when idle, more with buffered partial frames) near 420 MiB. */
#define OPT_MAX_CONNS_DEFAULT 262144u
#define OPT_MAX_CONNS_LIMIT (16u << 20)
#define OPT_STREAM_MEMCAP_DEFAULT ((uint64_t)64 << 20)
#define OPT_STREAM_MEMCAP_MIN 1024u

/* --shard K/N: N at most. */
#define OPT_MAX_SHARDS 65536u

enum out_format { OUT_TEXT, OUT_JSON, OUT_EVE };

struct options {
    const char *read_file;  /* -r FILE ("-" is stdin) */
    const char *interface;  /* -i IFACE */
    const char *output_file; /* -o FILE: records appended there; SIGHUP
                                reopens it */
    const char *write_file; /* -w FILE: the packets of the connections with a
                               selected message (net/capture_save.h) */
    bool pcapng;            /* --pcapng: -w writes pcapng */
    uint64_t count;         /* -c N: stop after N selected messages (MQTT and
                               MQTT-SN); 0 = no limit */
    uint16_t ports[OPT_MAX_PORTS]; /* MQTT over plain TCP */
    size_t nports;
    uint16_t tls_ports[OPT_MAX_PORTS]; /* reported as TLS; decrypted with a
                                          key log */
    size_t ntls_ports;
    const char *tls_keylogs[OPT_MAX_KEYLOGS]; /* --tls-keylog FILE, repeatable */
    size_t ntls_keylogs;
    uint16_t sn_ports[OPT_MAX_PORTS]; /* MQTT-SN over UDP (1883, 1884 always) */
    size_t nsn_ports;
    enum out_format format; /* -T text|json|eve */
    bool verbose;           /* -V */
    bool quiet;             /* -q: no per-message output, summary only */
    bool show_secrets;      /* --show-secrets */
    uint8_t time_format;    /* --time: enum text_time (output/output.h) */
    int color;              /* --color=auto|always|never: -1 auto, 0, 1 */
    uint32_t max_frame;     /* --max-frame BYTES: larger frames are skipped */
    uint64_t stream_memcap; /* --stream-memcap BYTES: partial frames held in all */
    uint32_t max_conns;     /* --max-conns N: TCP connections tracked at once;
                               the least recently active is evicted beyond */
    char *filter;           /* trailing arguments joined: a BPF expression */
    bool no_heuristics;     /* --no-heuristics: MQTT only on -p ports, TLS
                               ports and WebSocket ports (transport/transport.h) */
    bool no_checksum;       /* --no-checksum: keep segments and datagrams
                               whose checksums are wrong (net/checksum.h) */
    /* Selection: what is printed (the analysis still sees everything). */
    struct topic_sel topics;  /* --topic FILTER, repeatable: PUBLISH topics,
                                 SUBSCRIBE/UNSUBSCRIBE filters, their acks */
    uint16_t type_mask;       /* --type T[,T]: bit (1 << type); 0: all */
    uint8_t sn_type_mask[32]; /* --type: MQTT-SN-only types (SEARCHGW, REGISTER,
                                 ...), bit (1 << (t & 7)) of byte t >> 3;
                                 MQTT-SN types named like MQTT ones are in
                                 type_mask */
    bool type_sn_only;        /* --type named MQTT-SN-only types alone: no
                                 MQTT packet is selected */
    struct client_sel clients; /* --client PATTERN, repeatable: connections of
                                  these client ids (select.h) */
    struct violation_sel violation; /* --violation[=RULE,...]: messages with
                                       violations, state-violation events */
    bool stats;               /* --stats: summary tables / JSON at the end */
    uint32_t stats_interval;  /* --stats-interval N: also every N seconds */
    uint32_t stats_top;       /* --top N: rows of the text tables; 0 all */
    uint8_t payload_mode;     /* --payload auto|none|text|hex (output/payload.h) */
    struct decode_rule decode[OPT_MAX_DECODE]; /* --decode FILTER=FORMAT, in order; */
    size_t ndecode;                            /* filters malloc'ed (options_free) */
    uint32_t max_payload;     /* --max-payload N: payload bytes shown; 0 all */
    bool max_payload_set;     /* --max-payload given (text: else its previews) */
    unsigned threads;         /* --threads N: formatting threads; 0 auto */
    uint16_t community_id_seed; /* --community-id-seed N (Community ID v1) */
    /* Live capture and streamed output. */
    unsigned buffer_kib;      /* -B KiB: the kernel buffer; 0: 32 MiB */
    unsigned snaplen;         /* -s N: bytes kept per packet; 0: 262144 */
    bool list_interfaces;     /* -D: list the interfaces and exit */
    bool no_promisc;          /* --no-promisc */
    unsigned queue_mib;       /* --queue-size MiB: the capture queue; 0: 64 */
    bool line_buffered;       /* -l: output within ~100 ms, as it comes */
    bool fanout;               /* --fanout GROUP[,N] (live, Linux) */
    uint16_t fanout_group;
    bool list_rules;           /* --list-rules: print the rules, read nothing */
    const char *explain;       /* --explain RULE: one rule, read nothing */
    unsigned fanout_workers;   /* N: worker processes this command starts;
                                  0 or 1: this process alone */
    unsigned shard_k, shard_n; /* --shard K/N: only the flows whose symmetric
                                  hash (net/flow_hash.h) is in shard K of N;
                                  shard_n 0: every flow */
};

/* --fanout GROUP,N: N at most. */
#define OPT_MAX_FANOUT_WORKERS 64u

enum options_result { OPTIONS_OK, OPTIONS_EXIT_OK, OPTIONS_EXIT_ERROR };

/* Parses argv into *o (which it initialises). Prints help, version or an
 * error itself. OPTIONS_EXIT_*: the caller exits with 0 / 2. */
int options_parse(struct options *o, int argc, char **argv);
void options_free(struct options *o);

/* The capture filter for the configured ports when the user gave none:
 * "tcp port 1883 or tcp port 8883 or udp port 1883 or udp port 1884" (the
 * last two for MQTT-SN). Writes into buf. */
void options_default_filter(const struct options *o, char *buf, size_t len);

bool options_is_mqtt_port(const struct options *o, uint16_t port);
bool options_is_tls_port(const struct options *o, uint16_t port);

void options_usage(FILE *out);

#endif
