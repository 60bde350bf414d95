/* The selection options (--type, --client; --topic is decided by the
 * session as it sees each packet): whether a message is printed. See
 * select.h. */
#include "analysis/select.h"

#include <string.h>
#include <strings.h>

#include "analysis/spb_rules.h"
#include "mqttdissect/names.h"
#include "util/comma_list.h"

bool select_type_mask_parse(const char *list, uint16_t *mask)
{
    const char *p = list, *item;
    size_t n;
    if (*p == '\0')
        return false;
    while (comma_list_next(&p, &item, &n)) {
        bool found = false;
        for (uint8_t t = 1; t < 16 && !found && n > 0; t++) {
            const char *name = mqd_type_name(t);
            if (strlen(name) == n && strncasecmp(item, name, n) == 0) {
                *mask = (uint16_t)(*mask | (1u << t));
                found = true;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

bool client_sel_add(struct client_sel *cs, const char *pattern)
{
    if (cs->n == SELECT_MAX_CLIENTS)
        return false;
    cs->pat[cs->n++] = pattern;
    return true;
}

/* Glob matching with '*' (zero or more bytes) and '+' (one or more):
 * the classic greedy walk that remembers the last star and retries from
 * one byte further, so time is O(pattern x id), no recursion. A '+' is a
 * byte that must be there followed by a star. */
static bool glob_match(const char *pat, const uint8_t *s, size_t len)
{
    const char *star_p = NULL;
    size_t star_i = 0, i = 0;
    while (i < len || *pat) {
        if (*pat == '*' || *pat == '+') {
            if (*pat == '+') {
                if (i == len)
                    return false;
                i++; /* the one byte '+' needs */
            }
            star_p = ++pat;
            star_i = i;
            continue;
        }
        if (*pat && i < len && (uint8_t)*pat == s[i]) {
            pat++;
            i++;
            continue;
        }
        if (!star_p || star_i >= len)
            return false;
        pat = star_p; /* the last star takes one byte more */
        i = ++star_i;
    }
    return true;
}

bool client_sel_match(const struct client_sel *cs, const uint8_t *id, size_t len)
{
    if (!cs || cs->n == 0)
        return true;
    for (size_t k = 0; k < cs->n; k++)
        if (glob_match(cs->pat[k], id, len))
            return true;
    return false;
}

bool select_message(const struct session *s, const struct session_step *step,
                      uint8_t type, uint16_t type_mask, const struct client_sel *clients)
{
    if (!step->selected)
        return false;
    if (type_mask && !(type_mask & (1u << (type & 0x0F))))
        return false;
    if (!clients || clients->n == 0)
        return true;
    const struct session_info *in = s ? session_info(s) : NULL;
    if (!in || !in->client_id.present || in->client_id.cut)
        return false;
    return client_sel_match(clients, (const uint8_t *)in->client_id.s, in->client_id.len);
}

/* A Sparkplug B rule by id or name: its bit; false when none has it. */
static bool spb_sel_add(struct violation_sel *vs, const char *item)
{
    bool found = false;
    for (unsigned i = 0; i < SPB_RULE_COUNT; i++) {
        const struct rule_entry *e = spb_rule_get(i);
        if (strcmp(e->id, item) == 0 || strcmp(e->name, item) == 0) {
            vs->spb_rules[i >> 3] = (uint8_t)(vs->spb_rules[i >> 3] | (1u << (i & 7)));
            found = true;
        }
    }
    return found;
}

bool violation_sel_parse(struct violation_sel *vs, const char *list,
                         const char **bad, size_t *badlen)
{
    vs->on = true;
    if (!list) {
        vs->any = true;
        return true;
    }
    const char *p = list, *at;
    size_t n;
    *bad = p;
    *badlen = 0;
    if (*p == '\0')
        return false;
    while (comma_list_next(&p, &at, &n)) {
        char item[128];
        *bad = at;
        *badlen = n;
        if (n == 0 || n >= sizeof item)
            return false;
        memcpy(item, at, n);
        item[n] = '\0';
        const mqd_rule_info *r = mqd_rule_find(item);
        if (!r) {
            if (!spb_sel_add(vs, item))
                return false;
            continue;
        }
        /* A name is one rule; an id, every rule of that statement. */
        bool by_id = strcmp(r->id, item) == 0;
        for (uint16_t i = 0; i < MQD_RULE_COUNT; i++) {
            const mqd_rule_info *ri = mqd_rule_get(i);
            if (ri == r || (by_id && strcmp(ri->id, item) == 0))
                vs->rules[i >> 3] = (uint8_t)(vs->rules[i >> 3] | (1u << (i & 7)));
        }
    }
    return true;
}

bool violation_sel_rule(const struct violation_sel *vs, uint16_t rule)
{
    if (!vs->on || vs->any)
        return true;
    return rule < MQD_RULE_COUNT && (vs->rules[rule >> 3] & (1u << (rule & 7))) != 0;
}

/* Whether one of the message's Sparkplug B hits is of a selected rule. */
static bool spb_hit_selected(const struct violation_sel *vs, const struct msg_analysis *an)
{
    for (unsigned i = 0; i < an->nhits && i < MSG_MAX_RULE_HITS; i++)
        for (unsigned k = 0; k < SPB_RULE_COUNT; k++)
            if (an->hits[i].rule == spb_rule_get(k) &&
                (vs->spb_rules[k >> 3] & (1u << (k & 7))))
                return true;
    return false;
}

bool violation_sel_message(const struct violation_sel *vs, const mqd_violation *v,
                           size_t n, uint32_t dropped, const struct msg_analysis *an)
{
    if (!vs->on)
        return true;
    if (vs->any)
        return n > 0 || dropped > 0 || (an && (an->nhits > 0 || an->hits_dropped > 0));
    for (size_t i = 0; i < n; i++)
        if (violation_sel_rule(vs, v[i].rule))
            return true;
    return an && spb_hit_selected(vs, an);
}
