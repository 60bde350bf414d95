/* MQTT-SN over UDP: from a datagram to a printed record.
 *
 * A datagram to or from an MQTT-SN port (1883 and 1884 by default, more
 * with --sn-port) is decoded with mqd_sn_parse (one message per datagram).
 * The side on the MQTT-SN port is the gateway; the other is the client, and
 * the (client, gateway) address pair names a "client": the unit of the
 * topic registry.
 *
 * The registry remembers, per client, topic id -> topic name as REGISTER /
 * REGACK (either side may register) and SUBSCRIBE / SUBACK (the gateway
 * assigns the id of a subscribed name) establish them (MQTT-SN 1.2 s6.5,
 * s6.9), so a PUBLISH naming a normal topic id can show its name. Memory is
 * bounded: at most max_topics per client (least recently used evicted) and
 * max_clients clients (least recently used evicted), and at most
 * SN_MEMORY_CAP bytes of names in all. Learning allocates (a copy of each
 * name); a PUBLISH allocates nothing.
 */
#ifndef MQD_CLI_SN_FLOW_H
#define MQD_CLI_SN_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttdissect/sn.h"
#include "output/out_sn.h"
#include "output/output.h"
#include "net/endpoint.h"

#define SN_DEFAULT_MAX_CLIENTS 10000u
#define SN_DEFAULT_MAX_TOPICS 1024u
#define SN_MAX_PORTS 32
/* Requests (REGISTER, SUBSCRIBE) remembered per client until answered. */
#define SN_PENDING_MAX 8
/* Bytes of topic names held by the registry in all. */
#define SN_MEMORY_CAP (32u << 20)

struct options;

struct sn_flow_config {
    uint16_t ports[SN_MAX_PORTS]; /* UDP ports of gateways */
    size_t nports;                /* 0: 1883 and 1884 */
    size_t max_clients;           /* 0: SN_DEFAULT_MAX_CLIENTS */
    size_t max_topics;            /* per client; 0: SN_DEFAULT_MAX_TOPICS */
    bool json;                    /* records as JSON Lines, else text */
    struct output_opts print;     /* verbose, show_secrets, color, out */
    bool to_memory;               /* records kept in memory (tests):
                                     sn_flow_output() returns them */
    struct output *main;          /* the MQTT printer: flushed before each
                                     record so the two stay in order, and
                                     used for events (may be NULL) */
};

struct sn_flow_stats {
    uint64_t datagrams;     /* on an MQTT-SN port */
    uint64_t messages;      /* decoded */
    uint64_t undecodable;   /* too short for Length and MsgType */
    uint64_t cut;           /* cut by the capture's snapshot length */
    uint64_t violations, messages_with_violations;
    uint64_t clients, clients_evicted;
    uint64_t topics_learned, topics_evicted, topics_unknown;
    uint64_t by_type[256];
};

struct sn_flow;
struct sn_client;

/* The configuration the command's options ask for (--sn-port, -T, -V,
 * --show-secrets, --color), records to stdout after `main`. */
void sn_flow_config_from_options(struct sn_flow_config *cfg,
                                 const struct options *o, struct output *main);

/* NULL when out of memory. */
struct sn_flow *sn_flow_new(const struct sn_flow_config *cfg);
void sn_flow_free(struct sn_flow *sn);

bool sn_flow_is_port(const struct sn_flow *sn, uint16_t port);

/* One UDP datagram (`len` bytes captured of `wirelen`). Not on an MQTT-SN
 * port: returns false, does nothing. Otherwise decodes it, learns topics,
 * prints a record when `print`, and returns true when a message was
 * decoded (the caller counts it for -c). */
bool sn_flow_udp(struct sn_flow *sn, const struct pkt_endpoint *src,
                 const struct pkt_endpoint *dst, const uint8_t *data,
                 size_t len, size_t wirelen, const struct pkt_info *pkt,
                 bool print);

/* Writes everything buffered (file mode). 0, or -1 after a write error. */
int sn_flow_flush(struct sn_flow *sn);

const struct sn_flow_stats *sn_flow_stats(const struct sn_flow *sn);

/* One summary line on f when any MQTT-SN datagram was seen. */
void sn_flow_print_summary(const struct sn_flow *sn, FILE *f);

/* Memory mode: the records written so far (not NUL-terminated). */
const char *sn_flow_output(const struct sn_flow *sn, size_t *len);

/* ---- the registry, exposed for tests ---- */

/* The client of the pair (client, gateway), created when absent (NULL when
 * out of memory). Touching it makes it the most recently used. */
struct sn_client *sn_flow_client(struct sn_flow *sn,
                                 const struct pkt_endpoint *client,
                                 const struct pkt_endpoint *gateway);

/* Learns what message m, sent in direction dir (0: client -> gateway, 1:
 * gateway -> client), says about topic ids. */
void sn_flow_learn(struct sn_flow *sn, struct sn_client *c,
                   const mqd_sn_msg *m, int dir);

/* The name registered for normal topic id `id`, or false. */
bool sn_client_topic(struct sn_client *c, uint16_t id, const uint8_t **name,
                     size_t *len);

/* How the topic of m is known, for the printers. */
void sn_flow_resolve(struct sn_client *c, const mqd_sn_msg *m,
                     struct sn_topic_view *out);

size_t sn_client_topic_count(const struct sn_client *c);
uint64_t sn_client_number(const struct sn_client *c);

#endif
