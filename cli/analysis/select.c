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
