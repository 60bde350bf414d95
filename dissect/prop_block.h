/* Private: reading the MQTT 5.0 property block of a packet (props.c),
 * s2.2.2. Used by the packet parsers that have properties. */
#ifndef MQD_PROP_BLOCK_H
#define MQD_PROP_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "mqttdissect/frame.h"
#include "mqttdissect/props.h"

/* What the parsers need to know about a property block once it is walked. */
typedef struct mqd_props_seen {
    uint64_t ids;            /* bit n set: property n was present */
    uint32_t payload_format; /* Payload Format Indicator value, if present */
} mqd_props_seen;

static inline bool mqd_seen(const mqd_props_seen *s, uint8_t id)
{
    return id < 64 && (s->ids >> id & 1u) != 0;
}

/* The place bit of a packet type in mqd_prop_info.allowed. */
static inline uint32_t mqd_place_of(uint8_t type)
{
    return 1u << type;
}

/* Reads the property length and walks the block, checking every property
 * against the rules of s2.2.2 and the property's own section. `place` is
 * mqd_place_of(type) or MQD_PLACE_WILL. Returns enum mqd_read (fields.h):
 * OK when decoding can go on after the block; ABSENT when no byte was left
 * (nothing recorded, out->present false); CUT when it cannot go on (length
 * field cut or broken, or overrunning the packet: reported, cursor at the
 * end). The block's bytes are accounted for in every case. */
int mqd_props_parse(mqd_frame *f, mqd_cursor *c, mqd_props *out,
                    uint32_t place, mqd_props_seen *seen);

/* Outcome of reading one property (shared by the walker and iterators). */
enum mqd_prop_status {
    MQD_PROP_OK,
    MQD_PROP_UNKNOWN,   /* unknown identifier: cursor left at it */
    MQD_PROP_CUT,       /* the value runs past the block: cursor left */
    MQD_PROP_VARINT_BAD /* a variable byte integer value is too long */
};
int mqd_prop_read(mqd_cursor *c, mqd_prop *out);

#endif
