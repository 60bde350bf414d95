/* Private declarations shared by the packet parsers of dissect/.
 *
 * Each parser gets the frame (fixed header already filled in, version
 * chosen) and a cursor over the packet body: [1 + nbytes, size). It decodes
 * what it can, records violations, and leaves the cursor after the last
 * field it understood; frame.c then reports any bytes left as trailing. A
 * field cut by the end of the packet is reported once (FIELD_TRUNCATED, as a
 * span to the end) and decoding stops there. */
#ifndef MQD_PACKET_H
#define MQD_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "mqttdissect/frame.h"
#include "mqttdissect/props.h"
#include "violation.h"

/* ---- reading fields (frame.c) ------------------------------------------ */

enum mqd_read {
    MQD_READ_OK,     /* the field was read */
    MQD_READ_ABSENT, /* no bytes were left: nothing reported */
    MQD_READ_CUT     /* some bytes, but not enough: FIELD_TRUNCATED reported,
                        cursor moved to the end */
};

/* Reports the rest of the cursor as one span violation and consumes it. */
void mqd_span_rest(mqd_frame *f, mqd_cursor *c, uint16_t rule);

int mqd_read_u8(mqd_frame *f, mqd_cursor *c, mqd_num *out);
int mqd_read_u16(mqd_frame *f, mqd_cursor *c, mqd_num *out);
/* Binary data (s1.5.6): 2-byte length and bytes. */
int mqd_read_binary(mqd_frame *f, mqd_cursor *c, mqd_str *out);
/* UTF-8 string (s1.5.4): as binary, then checked. */
int mqd_read_utf8(mqd_frame *f, mqd_cursor *c, mqd_str *out);

/* For a field that must be there: ABSENT becomes FIELD_TRUNCATED with a
 * zero-length span. True only when the field was read. */
bool mqd_required(mqd_frame *f, const mqd_cursor *c, int read_status);

/* Checks a UTF-8 string field and records what is wrong with it. */
void mqd_check_utf8(mqd_frame *f, const mqd_str *s);

/* ---- properties (props.c) ---------------------------------------------- */

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
 * mqd_place_of(type) or MQD_PLACE_WILL. Returns enum mqd_read: OK when
 * decoding can go on after the block; ABSENT when no byte was left (nothing
 * recorded, out->present false); CUT when it cannot go on (length field cut
 * or broken, or overrunning the packet: reported, cursor at the end). The
 * block's bytes are accounted for in every case. */
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

/* ---- topics (topic.c) --------------------------------------------------- */
#include "topic.h"

/* ---- packet parsers ------------------------------------------------------ */
void mqd_parse_connect(mqd_frame *f, mqd_cursor *c);
void mqd_parse_connack(mqd_frame *f, mqd_cursor *c);
void mqd_parse_publish(mqd_frame *f, mqd_cursor *c);
void mqd_parse_pub_ack(mqd_frame *f, mqd_cursor *c); /* PUBACK..PUBCOMP */
void mqd_parse_disconnect(mqd_frame *f, mqd_cursor *c);
void mqd_parse_auth(mqd_frame *f, mqd_cursor *c);
void mqd_parse_no_body(mqd_frame *f, mqd_cursor *c); /* PINGREQ/PINGRESP */
void mqd_parse_subscribe(mqd_frame *f, mqd_cursor *c);
void mqd_parse_unsubscribe(mqd_frame *f, mqd_cursor *c);
void mqd_parse_suback(mqd_frame *f, mqd_cursor *c);
void mqd_parse_unsuback(mqd_frame *f, mqd_cursor *c);

/* 5.0 reason code check: records `rule` when `code` is not one of the
 * type's reason codes (mqd_reason_valid). */
void mqd_check_reason(mqd_frame *f, const mqd_num *code, uint16_t rule);

#endif
