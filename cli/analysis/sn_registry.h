/* MQTT-SN over UDP: the per-client registry (topics and client ids).
 *
 * A datagram to or from an MQTT-SN port (1883 and 1884 by default, more
 * with --sn-port) carries one MQTT-SN message. The side on the MQTT-SN port
 * is the gateway; the other is the client, and the (client, gateway)
 * address pair names a "client": the unit of the registry.
 *
 * The registry remembers, per client, topic id -> topic name as REGISTER /
 * REGACK (either side may register) and SUBSCRIBE / SUBACK (the gateway
 * assigns the id of a subscribed name) establish them (MQTT-SN 1.2 s6.5,
 * s6.9), so a PUBLISH naming a normal topic id can show its name; and the
 * client id its last CONNECT carried (s5.4.4), for --client. Memory is
 * bounded: at most max_topics per client (least recently used evicted) and
 * max_clients clients (least recently used evicted), and at most
 * SN_MEMORY_CAP bytes of names in all. Learning allocates (a copy of each
 * name); a PUBLISH allocates nothing.
 *
 * Nothing here prints: the pipeline (pipeline_sn.c) parses each datagram,
 * asks the registry, and hands a record (record.h) to the output.
 */
#ifndef MQD_CLI_SN_REGISTRY_H
#define MQD_CLI_SN_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttdissect/sn.h"
#include "net/endpoint.h"
#include "record.h"

#define SN_DEFAULT_MAX_CLIENTS 10000u
#define SN_DEFAULT_MAX_TOPICS 1024u
#define SN_MAX_PORTS 32
/* Requests (REGISTER, SUBSCRIBE) remembered per client until answered. */
#define SN_PENDING_MAX 8
/* Bytes of topic names held by the registry in all. */
#define SN_MEMORY_CAP (32u << 20)
/* Bytes of a client id remembered (s5.4.4: 1 to 23 characters). */
#define SN_CLIENT_ID_MAX 256

struct sn_registry_config {
    uint16_t ports[SN_MAX_PORTS]; /* UDP ports of gateways */
    size_t nports;                /* 0: 1883 and 1884 */
    size_t max_clients;           /* 0: SN_DEFAULT_MAX_CLIENTS */
    size_t max_topics;            /* per client; 0: SN_DEFAULT_MAX_TOPICS */
    uint16_t community_id_seed;   /* for each client's Community ID */
};

struct sn_registry_stats {
    uint64_t datagrams;     /* on an MQTT-SN port */
    uint64_t messages;      /* decoded */
    uint64_t undecodable;   /* too short for Length and MsgType */
    uint64_t cut;           /* cut by the capture's snapshot length */
    uint64_t violations, messages_with_violations;
    uint64_t clients, clients_evicted;
    uint64_t topics_learned, topics_evicted, topics_unknown;
    uint64_t by_type[256];
};

struct sn_registry;
struct sn_client;

/* NULL when out of memory. */
struct sn_registry *sn_registry_new(const struct sn_registry_config *cfg);
void sn_registry_free(struct sn_registry *sn);

bool sn_registry_is_port(const struct sn_registry *sn, uint16_t port);

/* The client of a datagram from src to dst, created when absent, and its
 * direction in *dir (0: client -> gateway, 1: gateway -> client); the
 * datagram is counted. NULL when neither port is an MQTT-SN port (nothing
 * counted) or when out of memory. */
struct sn_client *sn_registry_datagram(struct sn_registry *sn,
                                       const struct pkt_endpoint *src,
                                       const struct pkt_endpoint *dst,
                                       int *dir);

/* The client of the pair (client, gateway), created when absent (NULL when
 * out of memory). Touching it makes it the most recently used. */
struct sn_client *sn_registry_client(struct sn_registry *sn,
                                     const struct pkt_endpoint *client,
                                     const struct pkt_endpoint *gateway);

/* Learns what message m, sent in direction dir, says about topic ids and
 * the client id. */
void sn_registry_learn(struct sn_registry *sn, struct sn_client *c,
                       const mqd_sn_msg *m, int dir);

/* How the topic of m is known (for the printers and --topic); a normal id
 * the registry does not know is counted (topics_unknown). */
void sn_registry_resolve(struct sn_registry *sn, struct sn_client *c,
                         const mqd_sn_msg *m, struct sn_topic_view *out);

/* Counting what the pipeline found in a datagram. */
void sn_registry_count_cut(struct sn_registry *sn);
void sn_registry_count_undecodable(struct sn_registry *sn);
void sn_registry_count_message(struct sn_registry *sn, const mqd_sn_msg *m);

const struct sn_registry_stats *sn_registry_stats(const struct sn_registry *sn);

/* The name registered for normal topic id `id`, or false. */
bool sn_client_topic(struct sn_client *c, uint16_t id, const uint8_t **name,
                     size_t *len);

/* The client id of the client's last CONNECT, or false (none seen, or
 * longer than SN_CLIENT_ID_MAX). */
bool sn_client_id(const struct sn_client *c, const uint8_t **id, size_t *len);

/* The address of the client (0) or of its gateway (1): "ip:port". */
const char *sn_client_addr(const struct sn_client *c, int side);
/* The Community ID (v1, UDP) of the client's flow, computed once when the
 * client is first seen; "" when it has none (net/community_id.h). */
const char *sn_client_community_id(const struct sn_client *c);

size_t sn_client_topic_count(const struct sn_client *c);
uint64_t sn_client_number(const struct sn_client *c);

#endif
