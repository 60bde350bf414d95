/* Private: the field readers every packet parser shares (fields.c). They
 * read one field of a packet body through the cursor, record what is wrong
 * with it, and never look at anything but the field.
 *
 * A field cut by the end of the packet is reported once (FIELD_TRUNCATED,
 * as a span to the end) and the cursor moves to the end, so decoding stops
 * there. */
#ifndef MQD_FIELDS_H
#define MQD_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "mqttdissect/frame.h"
#include "violation.h"

enum mqd_read {
    MQD_READ_OK,     /* the field was read */
    MQD_READ_ABSENT, /* no bytes were left: nothing reported */
    MQD_READ_CUT     /* some bytes, but not enough: FIELD_TRUNCATED reported,
                        cursor moved to the end */
};

/* Reports the rest of the cursor as one span violation and consumes it. */
void mqd_span_rest(mqd_frame *f, mqd_cursor *c, uint16_t rule);

/* Each returns enum mqd_read. */
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

/* 5.0 reason code check: records `rule` when `code` is not one of the
 * type's reason codes (mqd_reason_valid). */
void mqd_check_reason(mqd_frame *f, const mqd_num *code, uint16_t rule);

#endif
