/* MQTT over WebSocket (RFC 6455; MQTT 3.1.1 and 5.0 section 6): the HTTP
 * Upgrade handshake (its header blocks read by ws_handshake.h) and the frame
 * layer, decoded incrementally in each direction. Push style: feed chunks of
 * any size (one byte at a time works); events come back through a callback.
 * Data frame payloads come out unmasked in small pieces (through a fixed
 * scratch buffer), ready for the MQTT stream decoder: no frame or message is
 * ever buffered whole. Only the HTTP header block (at most WS_HTTP_MAX bytes)
 * and control frame payloads (at most 125 bytes) are held.
 *
 * Usage:
 *   struct ws_conn *ws = calloc(1, sizeof *ws); ws_init(ws);
 *   ws_feed(ws, dir, data, len, cb, ctx);   dir 0: client -> server
 *   ws_handshake_state(ws)                  WS_HS_* (not an upgrade, ...)
 */
#ifndef MQD_CLI_WEBSOCKET_H
#define MQD_CLI_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/ws_handshake.h"

#define WS_HTTP_MAX 4096   /* bytes of HTTP header block held per direction */
#define WS_CTRL_MAX 125    /* RFC 6455 5.5: control frame payloads */
#define WS_SCRATCH 2048    /* unmasking buffer */
#define WS_RESYNC_WINDOW 256 /* bytes searched at a time for a frame after a hole */

/* Opcodes, RFC 6455 5.2. */
enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA
};

enum ws_event_kind {
    WS_EV_REQUEST,   /* the client's Upgrade request was read: ev.hs */
    WS_EV_RESPONSE,  /* the server's response was read: ev.hs */
    WS_EV_FRAME,     /* a frame header was decoded: ev.frame */
    WS_EV_DATA,      /* payload of a text/binary/continuation frame, unmasked:
                        ev.data/len (any number of pieces per frame) */
    WS_EV_CONTROL,   /* a whole close/ping/pong frame: ev.frame, payload
                        unmasked in ev.data/len; close: ev.close_code (0:
                        none) and the reason in ev.data+2 */
    WS_EV_VIOLATION, /* ev.rule (e.g. "RFC6455-5.1-client-unmasked"),
                        ev.message */
    WS_EV_RESYNC     /* after a hole (ws_gap), frames are read again from
                        ev.offset; ev.skipped bytes before it were passed
                        over (after the hole) */
};

/* The handshake state of a connection. */
enum ws_hs_state {
    WS_HS_REQUEST,     /* reading the client's request */
    WS_HS_RESPONSE,    /* request read (an upgrade), reading the response */
    WS_HS_OPEN,        /* 101 seen: frames flow */
    WS_HS_NOT_WS,      /* the request is not a WebSocket upgrade */
    WS_HS_FAILED       /* no 101, or broken HTTP: frames are not decoded */
};

struct ws_frame {
    bool fin;
    uint8_t rsv;          /* RSV1..3 as bits 2..0 */
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    uint64_t len;         /* payload length */
    uint8_t hdr[14];      /* the header bytes as sent */
    uint8_t hdr_len;
    uint64_t offset;      /* of the header in its direction's TCP stream */
    uint8_t msg_opcode;   /* the data message it belongs to (TEXT/BINARY),
                             also for continuations; 0 for control frames */
};

struct ws_event {
    int kind;                 /* enum ws_event_kind */
    int dir;
    uint64_t offset;          /* TCP stream offset the event is about */
    const struct ws_frame *frame;
    const struct ws_handshake *hs;
    const uint8_t *data;
    size_t len;
    unsigned close_code;
    const char *rule, *message;
    uint64_t skipped;         /* WS_EV_RESYNC */
};

typedef void (*ws_cb)(void *ctx, const struct ws_event *ev);

struct ws_dir {
    int state;               /* private */
    uint8_t http[WS_HTTP_MAX];
    size_t http_len;
    struct ws_frame cur;     /* the frame being read */
    uint8_t need;            /* header bytes wanted in all so far */
    uint64_t left;           /* payload bytes still to come */
    uint64_t pos;            /* payload bytes seen (mask index) */
    uint8_t ctrl[WS_CTRL_MAX];
    size_t ctrl_len;
    bool in_message;         /* a fragmented data message is open */
    uint8_t msg_opcode;
    bool close_seen;
    uint64_t offset;         /* bytes consumed in this direction */
    /* After a hole: bytes being searched for the next frame header, from
     * stream offset resync_base, and how many were given up so far. */
    uint8_t resync[WS_RESYNC_WINDOW];
    size_t resync_len;
    uint64_t resync_base, resync_skipped;
    uint8_t trial;           /* frames after a resync still on probation */
};

struct ws_conn {
    int hs_state;            /* enum ws_hs_state */
    struct ws_handshake req, resp;
    bool rsv1_allowed;       /* an extension (e.g. permessage-deflate) agreed */
    struct ws_dir dir[2];
    uint8_t scratch[WS_SCRATCH];
    uint64_t frames[2];      /* frames per direction */
};

void ws_init(struct ws_conn *ws);

/* Feeds the next bytes of direction `dir` (0: client -> server). */
void ws_feed(struct ws_conn *ws, int dir, const uint8_t *data, size_t len,
             ws_cb cb, void *ctx);

/* For a connection picked up mid-stream (no handshake seen): frames are
 * assumed to flow and both directions search for the first plausible one,
 * as after a hole (WS_EV_RESYNC when found). */
void ws_start_midstream(struct ws_conn *ws);

/* `len` bytes of direction dir were lost (a hole in the TCP stream). A
 * hole inside a frame's payload only shortens what is delivered of it.
 * Otherwise the frame being read is abandoned and the next bytes are
 * searched for a
 * plausible frame header (the mask bit this direction uses, a known opcode,
 * a sane length, and for a binary frame an MQTT fixed header at the start
 * of its payload, confirmed by the header after it when that is in view);
 * decoding resumes there with a WS_EV_RESYNC. True when the hole lay
 * inside a payload: the bytes lost above are exactly len, and the framing
 * is kept. */
bool ws_gap(struct ws_conn *ws, int dir, uint64_t len);

/* An unknown number of bytes of direction dir were lost (decrypted TLS
 * whose lost records' size cannot be told): frames are looked for again, as
 * after a hole that is not inside a payload. */
void ws_lost(struct ws_conn *ws, int dir);

static inline int ws_handshake_state(const struct ws_conn *ws)
{
    return ws->hs_state;
}

/* Name of an opcode: "continuation", "text", "binary", "close", "ping",
 * "pong", "reserved". */
const char *ws_opcode_name(uint8_t opcode);

#endif
