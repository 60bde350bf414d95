/* The topic filters of SUBSCRIBEs awaiting their SUBACK, per connection:
 * a SUBACK carries one reason code per filter, in order (MQTT 5.0 s3.9.3,
 * 3.1.1 s3.9.3), so with the filters kept the analysis can say which filter
 * each code grants. A few slots, each a buffer sized to what the SUBSCRIBE
 * carried; filters past SUB_SLOT_BYTES are not listed. */
#ifndef MQD_CLI_SUB_SLOTS_H
#define MQD_CLI_SUB_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttdissect/frame.h"

#define SUB_SLOTS 16
#define SUB_SLOT_BYTES 4096u /* filters listed per SUBSCRIBE at most */

struct sub_slot {
    bool used;
    uint16_t count;
    uint32_t len, cap;
    uint8_t *buf; /* count strings: 2-byte big endian length, bytes */
};

struct sub_slots {
    struct sub_slot slot[SUB_SLOTS];
};

/* Keeps the filters of SUBSCRIBE f in a free slot: its number, or -1 when
 * none is free (or memory ran out). */
int16_t sub_slots_keep(struct sub_slots *t, const mqd_frame *f);

/* Slot i, or NULL when i is not a slot in use. */
const struct sub_slot *sub_slots_get(const struct sub_slots *t, int16_t i);

/* Slot i is free again (its buffer stays for the next SUBSCRIBE). */
void sub_slots_release(struct sub_slots *t, int16_t i);

/* Frees the buffers. */
void sub_slots_free(struct sub_slots *t);

#endif
