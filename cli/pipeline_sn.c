/* MQTT-SN over UDP in the pipeline. See pipeline_sn.h. */
#include "pipeline_sn.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/topic_filter.h"
#include "net/community_id.h"
#include "net/flow_hash.h"
#include "mqttdissect/names.h"
#include "options.h"

struct pipeline_sn {
    const struct options *opts;
    struct output *out;
    struct sn_registry *reg;
    /* The MQTT packet type of the same name as each MQTT-SN type (0:
     * none): how --type selects an MQTT-SN message (filled with it only). */
    uint8_t mqtt_type[256];
    uint64_t last_client; /* pipeline_sn_last_client */
};

struct pipeline_sn *pipeline_sn_new(const struct options *o,
                                    struct output *out)
{
    struct pipeline_sn *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    struct sn_registry_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (size_t i = 0; i < o->nsn_ports && i < SN_MAX_PORTS; i++)
        cfg.ports[cfg.nports++] = o->sn_ports[i];
    cfg.community_id_seed = o->community_id_seed;
    s->reg = sn_registry_new(&cfg);
    if (!s->reg) {
        free(s);
        return NULL;
    }
    s->opts = o;
    s->out = out;
    /* Only --type reads it (3,840 name comparisons: they were most of
     * setting up a run of a small capture). */
    if (o->type_mask)
        for (unsigned sn = 0; sn < 256; sn++)
            for (uint8_t t = 1; t < 16; t++)
                if (strcmp(mqd_sn_type_name((uint8_t)sn), mqd_type_name(t)) == 0)
                    s->mqtt_type[sn] = t;
    return s;
}

void pipeline_sn_free(struct pipeline_sn *s)
{
    if (!s)
        return;
    sn_registry_free(s->reg);
    free(s);
}

uint64_t pipeline_sn_last_client(const struct pipeline_sn *s)
{
    return s->last_client;
}

const struct sn_registry_stats *pipeline_sn_stats(const struct pipeline_sn *s)
{
    return sn_registry_stats(s->reg);
}

static void meta_fill(struct msg_meta *meta, const struct sn_client *c, int dir,
                      const struct pkt_info *pkt)
{
    const char *src = sn_client_addr(c, dir), *dst = sn_client_addr(c, 1 - dir);
    memset(meta, 0, sizeof *meta);
    memcpy(meta->src, src, strnlen(src, sizeof meta->src - 1));
    memcpy(meta->dst, dst, strnlen(dst, sizeof meta->dst - 1));
    meta->conn = sn_client_number(c);
    /* Computed once per client (the registry), copied per record. */
    memcpy(meta->community_id, sn_client_community_id(c), COMMUNITY_ID_SIZE);
    meta->transport = "udp";
    meta->frame = pkt->frame;
    meta->ts_us = pkt->ts_us;
}

/* An event record ("truncated", "sn_undecodable"). */
static void print_event(struct pipeline_sn *s, const struct msg_meta *meta,
                        const char *name, const char *key, uint64_t v)
{
    output_event_begin(s->out, meta, name);
    output_event_u64(s->out, key, v);
    output_event_end(s->out);
}

/* --type: an MQTT-SN type named in the list, or the MQTT type of the same
 * name. */
static bool type_selected(const struct pipeline_sn *s, const mqd_sn_msg *m)
{
    const struct options *o = s->opts;
    uint16_t mask = o->type_mask;
    if (!mask && !o->type_sn_only)
        return true;
    if (o->sn_type_mask[m->type >> 3] & (1u << (m->type & 7)))
        return true;
    uint8_t t = s->mqtt_type[m->type];
    return t != 0 && (mask & (1u << t)) != 0;
}

/* --topic: the resolved topic name; a (UN)SUBSCRIBE's names a filter. */
static bool topic_selected(const struct pipeline_sn *s, const struct sn_record *r)
{
    const struct topic_sel *sel = &s->opts->topics;
    if (sel->n == 0)
        return true;
    if (!r->topic.name)
        return false; /* no topic, or its name is not known */
    if (r->msg->type == MQD_SN_SUBSCRIBE || r->msg->type == MQD_SN_UNSUBSCRIBE)
        return topic_sel_match_filter(sel, r->topic.name, r->topic.len);
    return topic_sel_match_topic(sel, r->topic.name, r->topic.len);
}

/* --client: the client id of the client's CONNECT. */
static bool client_selected(const struct pipeline_sn *s,
                            const struct sn_client *c)
{
    const struct client_sel *want = &s->opts->clients;
    const uint8_t *id;
    size_t len;
    if (want->n == 0)
        return true;
    return sn_client_id(c, &id, &len) && client_sel_match(want, id, len);
}

bool pipeline_sn_udp(struct pipeline_sn *s, const struct pkt_endpoint *src,
                     const struct pkt_endpoint *dst, const uint8_t *data,
                     size_t len, size_t wirelen, const struct pkt_info *pkt,
                     bool print)
{
    int dir;
    s->last_client = 0;
    /* --shard: the flow belongs to another run; not even counted. */
    if (s->opts->shard_n > 1 &&
        !flow_hash_in_shard(flow_hash_symmetric(17, src, dst), s->opts->shard_k,
                            s->opts->shard_n))
        return false;
    struct sn_client *c = sn_registry_datagram(s->reg, src, dst, &dir);
    if (!c)
        return false;
    s->last_client = sn_client_number(c);
    struct msg_meta meta;
    meta_fill(&meta, c, dir, pkt);
    if (len < wirelen) { /* the snapshot length cut it: do not guess */
        sn_registry_count_cut(s->reg);
        if (print)
            print_event(s, &meta, "truncated", "bytes", wirelen - len);
        return false;
    }
    mqd_sn_msg m;
    if (mqd_sn_parse(data, len, &m).status != MQD_OK) {
        sn_registry_count_undecodable(s->reg);
        if (print)
            print_event(s, &meta, "sn_undecodable", "bytes", len);
        return false;
    }
    sn_registry_count_message(s->reg, &m);
    sn_registry_learn(s->reg, c, &m, dir);
    struct sn_record rec = {&m, dir, {SN_TOPIC_NONE, NULL, 0}};
    sn_registry_resolve(s->reg, c, &m, &rec.topic);
    if (!type_selected(s, &m) || !topic_selected(s, &rec) ||
        !client_selected(s, c) ||
        !violation_sel_message(&s->opts->violation, m.violations,
                               m.nviolations < MQD_MAX_VIOLATIONS ? m.nviolations
                                                                  : MQD_MAX_VIOLATIONS,
                               m.violations_dropped, NULL))
        return false;
    if (print)
        output_sn(s->out, &meta, &rec);
    return true;
}
