/* Wire bytes shown on a terminal: the one escaper of everything text
 * output shows from the wire (the message printer, --stats, MQTT-SN).
 * Printable ASCII and well-formed UTF-8 are shown as they are; \" \\ \n
 * \r \t; \xNN for other control bytes, DEL and every byte that is not part
 * of a well-formed UTF-8 sequence; \u{N} for C1 controls, line and
 * paragraph separators, bidirectional formatting characters and the BOM,
 * which could otherwise make a terminal act or show text in another order
 * than it is. */
#ifndef MQD_CLI_TEXT_ESCAPE_H
#define MQD_CLI_TEXT_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

#include "util/obuf.h"

/* "…", where something was cut. */
#define TEXT_ELLIPSIS "\xE2\x80\xA6"

/* s[0..n) escaped, without quotes. */
void text_escape(struct obuf *b, const uint8_t *s, size_t n);

/* "..." around text_escape of at most `limit` input bytes (0: all); "…"
 * follows the closing quote when cut. */
void text_quoted(struct obuf *b, const uint8_t *s, size_t n, size_t limit);

/* Binary data for a terminal: "0x" and the hex of at most `limit` bytes,
 * "…" when cut. */
void text_hex(struct obuf *b, const uint8_t *s, size_t n, size_t limit);

#endif
