/* The selection options (--type, --client; --topic is decided by the
 * session as it sees each packet): whether a message is printed. See
 * select.h. */
#include "analysis/select.h"

#include <string.h>
#include <strings.h>

#include "mqttdissect/names.h"

bool select_type_mask_parse(const char *list, uint16_t *mask)
{
    const char *p = list;
    if (*p == '\0')
        return false;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (uint8_t t = 1; t < 16 && !found; t++) {
            const char *name = mqd_type_name(t);
            if (strlen(name) == n && strncasecmp(p, name, n) == 0) {
                *mask = (uint16_t)(*mask | (1u << t));
                found = true;
            }
        }
        if (!found)
            return false;
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

bool select_message(const struct session *s, const struct session_step *step,
                      uint8_t type, uint16_t type_mask, const char *client)
{
    if (!step->selected)
        return false;
    if (type_mask && !(type_mask & (1u << (type & 0x0F))))
        return false;
    if (!client)
        return true;
    const struct session_info *in = s ? session_info(s) : NULL;
    if (!in || !in->client_id.present || in->client_id.cut)
        return false;
    size_t n = strlen(client);
    return n == in->client_id.len && memcmp(client, in->client_id.s, n) == 0;
}

bool violation_sel_parse(struct violation_sel *vs, const char *list,
                         const char **bad, size_t *badlen)
{
    vs->on = true;
    if (!list) {
        vs->any = true;
        return true;
    }
    const char *p = list;
    do {
        size_t n = strcspn(p, ",");
        char item[128];
        *bad = p;
        *badlen = n;
        if (n == 0 || n >= sizeof item)
            return false;
        memcpy(item, p, n);
        item[n] = '\0';
        const mqd_rule_info *r = mqd_rule_find(item);
        if (!r)
            return false;
        /* A name is one rule; an id, every rule of that statement. */
        bool by_id = strcmp(r->id, item) == 0;
        for (uint16_t i = 0; i < MQD_RULE_COUNT; i++) {
            const mqd_rule_info *ri = mqd_rule_get(i);
            if (ri == r || (by_id && strcmp(ri->id, item) == 0))
                vs->rules[i >> 3] = (uint8_t)(vs->rules[i >> 3] | (1u << (i & 7)));
        }
        p += n;
    } while (*p++ == ',');
    return true;
}

bool violation_sel_rule(const struct violation_sel *vs, uint16_t rule)
{
    if (!vs->on || vs->any)
        return true;
    return rule < MQD_RULE_COUNT && (vs->rules[rule >> 3] & (1u << (rule & 7))) != 0;
}

bool violation_sel_message(const struct violation_sel *vs, const mqd_violation *v,
                           size_t n, uint32_t dropped)
{
    if (!vs->on)
        return true;
    if (vs->any)
        return n > 0 || dropped > 0;
    for (size_t i = 0; i < n; i++)
        if (violation_sel_rule(vs, v[i].rule))
            return true;
    return false;
}
