/* mqttdissect: framing MQTT control packets out of a byte stream.
 *
 * Push style: feed chunks of any size (one byte at a time works); complete
 * frames come back through a callback, pointing into the chunk when the frame
 * lies wholly inside it (no copy), else into the decoder's own buffer, which
 * holds at most one partial frame. A frame larger than max_frame is never
 * buffered: its header is reported and its bytes are skipped. After broken
 * framing or a gap in the stream the decoder resynchronises at the next
 * plausible fixed header.
 */
#ifndef MQTTDISSECT_STREAM_H
#define MQTTDISSECT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttdissect/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Memory for the partial-frame buffer: realloc semantics (size 0 frees and
 * returns NULL). Lets a caller account for or cap memory. NULL means the C
 * library's realloc/free. Returning NULL for a non-zero size makes the
 * decoder skip that frame as if it were oversized (an OVERSIZE event, its
 * size at most max_frame), also when it refuses to grow a partial frame's
 * buffer: a partial frame holds the bytes that arrived, the buffer growing
 * as more come, never sized by the length the header announces. Its first
 * 16 bytes are held inside the mqd_stream: the allocator is called only
 * for a partial frame (or resynchronisation window) larger than that. */
typedef void *(*mqd_realloc_fn)(void *ctx, void *ptr, size_t size);

typedef struct mqd_stream_cfg {
    uint32_t max_frame;        /* largest frame to buffer; 0: 1 MiB */
    uint8_t version;           /* enum mqd_version, for resync scoring */
    mqd_realloc_fn realloc_fn; /* NULL: realloc */
    void *alloc_ctx;
} mqd_stream_cfg;

enum mqd_stream_event_kind {
    MQD_SE_FRAME,    /* data/len: one whole frame */
    MQD_SE_OVERSIZE, /* a frame above max_frame: hdr says what; its bytes
                        will be skipped (data/len: what is there of its
                        first bytes in this chunk, possibly less than all) */
    MQD_SE_ERROR,    /* framing broken at `offset` (err says why); the
                        decoder now looks for the next plausible frame */
    MQD_SE_RESYNC    /* found a plausible frame at `offset` after skipping
                        `skipped` bytes */
};

typedef struct mqd_stream_event {
    int kind;              /* enum mqd_stream_event_kind */
    const uint8_t *data;   /* valid only during the callback */
    uint32_t len;
    uint64_t offset;       /* stream offset of the first byte the event is about */
    uint64_t skipped;      /* OVERSIZE: bytes that will be skipped (whole frame);
                              RESYNC: bytes discarded before the frame */
    mqd_fixed_header hdr;  /* FRAME, OVERSIZE: the fixed header */
    mqd_result err;        /* ERROR */
} mqd_stream_event;

typedef void (*mqd_stream_cb)(void *ctx, const mqd_stream_event *ev);

/* What a decoder has done so far. */
typedef struct mqd_stream_counts {
    uint64_t offset;        /* stream bytes consumed (fed, skipped, lost) */
    uint64_t frames;        /* MQD_SE_FRAME events */
    uint64_t oversize;      /* MQD_SE_OVERSIZE events */
    uint64_t errors;        /* MQD_SE_ERROR events */
    uint64_t resyncs;       /* MQD_SE_RESYNC events */
    uint64_t bytes_skipped; /* bytes not delivered in a frame (oversize,
                               discarded while resynchronising) */
} mqd_stream_counts;

/* The size of a stream decoder, in bytes. ABI note: mqd_stream is opaque;
 * its contents are private to the library and may change in any release,
 * but its size and alignment are part of the ABI (a caller allocates it,
 * on the stack or inside its own structures, without a call into the
 * library): they change only with the library's major version (the
 * soname). Read the decoder through mqd_stream_offset and
 * mqd_stream_get_counts; copy it only before mqd_stream_init or after
 * mqd_stream_free (a copy would share the held partial frame
 * or point into the original). 160 bytes: the
 * size the struct had when its fields were public, so callers built then
 * keep working. */
#define MQD_STREAM_SIZE 160

typedef struct mqd_stream {
    union {
        uint64_t align_u64_; /* aligned for the private state's integers */
        void *align_ptr_;    /* and pointers */
        unsigned char bytes[MQD_STREAM_SIZE];
    } opaque_; /* private */
} mqd_stream;

void mqd_stream_init(mqd_stream *s, const mqd_stream_cfg *cfg);
/* Releases the buffer; the decoder can be initialised again. */
void mqd_stream_free(mqd_stream *s);

/* Feeds data[0..len). Calls cb for every event, in stream order. Returns 0,
 * or -1 when the allocator refused memory (the frame concerned is then
 * skipped as oversize; decoding goes on). */
int mqd_stream_feed(mqd_stream *s, const uint8_t *data, size_t len,
                    mqd_stream_cb cb, void *ctx);

/* The end of the stream: no more bytes will come (call before
 * mqd_stream_pending at the end of a connection). A resynchronisation that
 * waits for the bytes a candidate frame claims gives it up and judges the
 * candidates behind it on the bytes held, so frames after a false candidate
 * are still delivered through cb. Whatever is held afterwards is a frame cut
 * off at the end. Returns 0, or -1 as mqd_stream_feed. Feeding may go on
 * afterwards (as after a gap). */
int mqd_stream_finish(mqd_stream *s, mqd_stream_cb cb, void *ctx);

/* `missing` bytes of the stream were lost: any partial frame is dropped and
 * the decoder resynchronises on what follows. */
void mqd_stream_gap(mqd_stream *s, uint64_t missing);

/* `n` bytes before the next byte fed are not part of the MQTT stream (a
 * connection picked up mid-stream: what came before its first frame). Only
 * the offsets of later events move; the framing state is kept, so call it
 * before the first byte of a frame is fed. */
void mqd_stream_skip(mqd_stream *s, uint64_t n);

/* Framing is unknown from here on (a connection picked up mid-stream): the
 * decoder drops any partial frame and looks for the next plausible frame,
 * reporting MQD_SE_RESYNC when it finds one. */
void mqd_stream_resync(mqd_stream *s);

/* Memory pressure (a caller's cap on what all its decoders hold): gives up
 * what the decoder holds and frees its buffer. The rest of a partial frame
 * is then skipped without an event (its length is known: framing is kept);
 * a resynchronisation window's bytes count as skipped. Returns the bytes of
 * stream data given up (0: only an idle buffer was freed, or none). Not
 * from inside a callback of the same decoder. */
size_t mqd_stream_shed(mqd_stream *s);

/* Is the next byte fed the first of a frame (framing known, nothing of a
 * frame held or still to skip)? */
bool mqd_stream_at_boundary(const mqd_stream *s);

/* Bytes held of an incomplete frame (at the end of a capture: a message cut
 * off). */
size_t mqd_stream_pending(const mqd_stream *s);

/* Does a frame start at buf[0..len)? The one rule of every search for a
 * frame boundary: this decoder's resynchronisation (one candidate, within
 * its look-ahead) and a caller's search for where frames start in a
 * connection picked up mid-stream (a run of frames, each judged by this).
 * With the scores of mqd_frame_plausibility (buf, len, version):
 *   a fifth length byte                                   NO
 *   the length cut: a legal type byte (score 10)          WAIT, else NO
 *   the frame not all in buf: header judged (score 30)    WAIT, else NO
 *   whole, with what follows it (score 50)                YES
 *   whole, ending at len, a clean frame (score 35)        YES when `final`,
 *                                                         else WAIT
 *   anything else                                         NO
 * `final`: no more bytes will come (a WAIT becomes NO). *size: the frame's
 * size when its length is read (untouched otherwise). */
typedef enum mqd_boundary {
    MQD_BOUNDARY_NO,
    MQD_BOUNDARY_WAIT,
    MQD_BOUNDARY_YES
} mqd_boundary;

mqd_boundary mqd_stream_boundary(const uint8_t *buf, size_t len, uint8_t version,
                                 bool final, uint32_t *size);

/* Sets the version used to score resynchronisation candidates. */
void mqd_stream_set_version(mqd_stream *s, uint8_t version);

/* Stream bytes consumed so far (fed, skipped with mqd_stream_skip, lost in
 * gaps): the offset of the next byte fed. */
uint64_t mqd_stream_offset(const mqd_stream *s);

/* The decoder's counts so far. */
mqd_stream_counts mqd_stream_get_counts(const mqd_stream *s);

#ifdef __cplusplus
}
#endif

#endif
