/* The part of the pipeline for MQTT-SN over UDP: from a datagram to a
 * record through struct output, like an MQTT message (pipeline.c). Each
 * datagram on an MQTT-SN port is parsed (mqd_sn_parse), what it says about
 * topic ids and client ids is learned (analysis/sn_registry.h), its topic
 * resolved, the selection (--type, --topic, --client) applied, and the
 * chosen message printed with output_sn. */
#ifndef MQD_CLI_PIPELINE_SN_H
#define MQD_CLI_PIPELINE_SN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/sn_registry.h"
#include "net/endpoint.h"
#include "output/output.h"

struct options;
struct pipeline_sn;

/* NULL when out of memory. Records go to `out`. The options are read on
 * every datagram (they must outlive the pipeline). */
struct pipeline_sn *pipeline_sn_new(const struct options *o,
                                    struct output *out);
void pipeline_sn_free(struct pipeline_sn *s);

/* One UDP datagram (`len` bytes captured of `wirelen`). Not on an MQTT-SN
 * port: returns false, does nothing. Otherwise decodes and counts it, and
 * when the selection chooses the message returns true (the caller counts
 * it for -c) and, when `print`, prints it. Events (cut, undecodable) are
 * printed when `print`. */
bool pipeline_sn_udp(struct pipeline_sn *s, const struct pkt_endpoint *src,
                     const struct pkt_endpoint *dst, const uint8_t *data,
                     size_t len, size_t wirelen, const struct pkt_info *pkt,
                     bool print);

/* The number of the MQTT-SN client flow of the last pipeline_sn_udp's
 * datagram; 0: none (not MQTT-SN, another shard). */
uint64_t pipeline_sn_last_client(const struct pipeline_sn *s);

const struct sn_registry_stats *pipeline_sn_stats(const struct pipeline_sn *s);

#endif
