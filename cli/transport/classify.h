/* Pure classifiers of a TCP connection's bytes, no state: what the client's
 * first bytes are (an MQTT CONNECT, an HTTP GET, a TLS ClientHello), and
 * where in a stream picked up mid-stream a run of MQTT frames starts.
 * transport.h uses them to route a connection.
 */
#ifndef MQD_CLI_CLASSIFY_H
#define MQD_CLI_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLASSIFY_CHAIN 3 /* frames in a row to believe */

/* What the first bytes look like. */
enum classify_start {
    CLASSIFY_MORE,      /* too few bytes to tell */
    CLASSIFY_NONE,
    CLASSIFY_CONNECT,   /* CONNECT with protocol name "MQTT" / "MQIsdp" */
    CLASSIFY_HTTP_GET,  /* "GET " */
    CLASSIFY_TLS_HELLO  /* a TLS record with a ClientHello */
};

enum classify_chain_result { CHAIN_MORE, CHAIN_FOUND, CHAIN_NONE };

/* Classifies the first bytes of a client's stream. */
enum classify_start classify_first_bytes(const uint8_t *data, size_t len);

/* Where a search for a run of frames stands: every offset before
 * `frontier` was judged; those that wait for more bytes are listed in
 * order, each with the buffer length before which its verdict cannot become
 * a run (a frame is believed only once it is whole), so that each append
 * judges the new offsets and only the waiting ones whose bytes came, not
 * every offset again (quadratic in the window). Zero it to start. */
struct classify_wait {
    uint32_t off, ready;
};

struct classify_scan {
    size_t frontier;
    struct classify_wait *wait;
    size_t nwait, capwait;
};

/* Frees the list and starts afresh (a new buffer). */
void classify_scan_reset(struct classify_scan *s);

/* Looks in buf[0..len) (the bytes of earlier calls, then more) for the
 * first offset where CLASSIFY_CHAIN well-formed frames follow each other.
 * CHAIN_FOUND: *start is that offset. CHAIN_MORE: more bytes are needed.
 * CHAIN_NONE: `final` (no more bytes will come) and no offset fits; with
 * `final` a shorter run that ends exactly at len is also accepted. */
enum classify_chain_result classify_frame_chain(const uint8_t *buf, size_t len,
                                                struct classify_scan *s, bool final,
                                                size_t *start);

/* Whether buf[0..len) is exactly one or more well-formed frames, the last
 * ending at len: on an MQTT port, a segment that starts a frame and ends
 * with one is believed at once, so a connection picked up mid-stream is
 * decoded from its next such segment instead of waiting for a run of
 * CLASSIFY_CHAIN frames (a quiet connection sends one PINGREQ a minute). */
bool classify_whole_frames(const uint8_t *buf, size_t len);

#endif
