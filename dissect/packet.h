/* Private: the packet parsers frame.c dispatches to, one per packet type
 * (connect.c, connack.c, publish.c, subscribe.c, ack.c).
 *
 * Each parser gets the frame (fixed header already filled in, version
 * chosen) and a cursor over the packet body: [1 + nbytes, size). It decodes
 * what it can with the field readers of fields.h, records violations, and
 * leaves the cursor after the last field it understood; frame.c then
 * reports any bytes left as trailing. A field cut by the end of the packet
 * is reported once (FIELD_TRUNCATED, as a span to the end) and decoding
 * stops there. The parsers never call back into frame.c. */
#ifndef MQD_PACKET_H
#define MQD_PACKET_H

#include "cursor.h"
#include "mqttdissect/frame.h"

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

#endif
