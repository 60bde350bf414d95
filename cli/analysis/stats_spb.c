/* The --stats Sparkplug B section (stats.h): Edge Nodes, devices, births,
 * rebirths, deaths, seq gaps, metrics and the violations of the Sparkplug
 * rules, from analysis/spb_state.h's counts. Written only when Sparkplug
 * traffic was seen. */
#include "analysis/stats_priv.h"

#include "util/json_writer.h"

static const struct spb_counts *seen(const struct stats *st)
{
    if (!st->spb)
        return NULL;
    const struct spb_counts *c = spb_state_counts(st->spb);
    return c->messages || c->edge_nodes ? c : NULL;
}

void stats_spb_json(struct json_writer *w, const struct stats *st)
{
    const struct spb_counts *c = seen(st);
    if (!c)
        return;
    jw_key(w, "sparkplug");
    jw_object_begin(w);
    jw_kv_u64(w, "messages", c->messages);
    jw_kv_u64(w, "edge_nodes", c->edge_nodes);
    jw_kv_u64(w, "devices", c->devices);
    jw_kv_u64(w, "nbirths", c->nbirths);
    jw_kv_u64(w, "dbirths", c->dbirths);
    jw_kv_u64(w, "rebirths", c->rebirths);
    jw_kv_u64(w, "ndeaths", c->ndeaths);
    jw_kv_u64(w, "ddeaths", c->ddeaths);
    jw_kv_u64(w, "seq_gaps", c->seq_gaps);
    jw_kv_u64(w, "metrics", c->metrics);
    jw_kv_u64(w, "states", c->states);
    jw_kv_u64(w, "overflow", c->overflow);
    jw_key(w, "violations");
    jw_object_begin(w);
    jw_kv_u64(w, "total", c->violations);
    jw_key(w, "by_rule");
    jw_array_begin(w);
    for (unsigned r = 0; r < SPB_RULE_COUNT; r++) {
        if (!c->by_rule[r])
            continue;
        const struct rule_entry *e = spb_rule_get(r);
        stats_json_rule_count(w, e->id, e->name, e->severity, c->by_rule[r]);
    }
    jw_array_end(w);
    jw_object_end(w);
    jw_object_end(w);
}

void stats_spb_text(FILE *out, const struct stats *st)
{
    const struct spb_counts *c = seen(st);
    if (!c)
        return;
    fprintf(out, "\nSparkplug B (%llu messages from clients)\n",
            (unsigned long long)c->messages);
    const struct {
        const char *label;
        uint64_t v;
    } rows[] = {
        {"edge nodes", c->edge_nodes}, {"devices", c->devices},
        {"NBIRTH", c->nbirths},        {"DBIRTH", c->dbirths},
        {"rebirths", c->rebirths},     {"NDEATH", c->ndeaths},
        {"DDEATH", c->ddeaths},        {"seq gaps", c->seq_gaps},
        {"metrics", c->metrics},       {"STATE", c->states},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(out, "  %-28s %12llu\n", rows[i].label, (unsigned long long)rows[i].v);
    if (c->overflow)
        fprintf(out, "  %-28s %12llu\n", "not kept (bounds reached)",
                (unsigned long long)c->overflow);
    fprintf(out, "  Violations by rule (%llu in all)\n", (unsigned long long)c->violations);
    for (unsigned r = 0; r < SPB_RULE_COUNT; r++) {
        if (!c->by_rule[r])
            continue;
        const struct rule_entry *e = spb_rule_get(r);
        fprintf(out, "    %-52s %-30s %-8s %8llu\n", e->id, e->name,
                mqd_severity_name(e->severity), (unsigned long long)c->by_rule[r]);
    }
}
