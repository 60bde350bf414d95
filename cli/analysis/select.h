/* What is printed: the selection options --type and --client, applied to
 * a message after the connection analysis (analysis/session.h) has seen it
 * (the analysis itself always sees everything). */
#ifndef MQD_CLI_SELECT_H
#define MQD_CLI_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/session.h"

/* Whether a packet is printed: step->selected (--topic), its type in
 * type_mask (0: any), and the connection's client id equal to `client`
 * (NULL: any; s may be NULL, then only a NULL client matches). */
bool select_message(const struct session *s, const struct session_step *step,
                    uint8_t type, uint16_t type_mask, const char *client);

/* "PUBLISH,puback" → bits (1 << type) added to *mask; false on an unknown
 * name. For --type. */
bool select_type_mask_parse(const char *list, uint16_t *mask);

#endif
