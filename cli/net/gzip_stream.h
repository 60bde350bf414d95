/* Transparent gzip input: a stdio stream that yields the decompressed bytes
 * of a gzip file (RFC 1952; several members one after the other, as gzip -d
 * reads them) read from another stream, so that libpcap reads a
 * .pcap.gz or .pcapng.gz as it reads the plain file. Inflated with zlib a
 * buffer at a time; nothing is sized by the data. */
#ifndef MQD_CLI_GZIP_STREAM_H
#define MQD_CLI_GZIP_STREAM_H

#include <stdbool.h>
#include <stdio.h>

struct gzip_stream;

/* The next two bytes of f are the gzip magic (1f 8b); they are left
 * unread (pushed back). */
bool gzip_stream_detect(FILE *f);

/* A stream of the decompressed bytes of src, which it takes over: closing
 * the returned FILE closes src too (but never stdin). *state, for
 * gzip_stream_error, lives until then. NULL when out of memory (src is
 * left open). */
FILE *gzip_stream_open(FILE *src, struct gzip_stream **state);

/* Why a read failed ("corrupt gzip data (invalid block type)", "gzip data
 * ends early (truncated file)", ...), or NULL when none has. A failed read
 * returns an error to the reader (errno EIO), never a short end. */
const char *gzip_stream_error(const struct gzip_stream *g);

/* The stream keeps its first bytes until it is sought back to its start
 * (net/replay_buf.h); true when they were too many for that. */
bool gzip_stream_replay_overflow(const struct gzip_stream *g);

#endif
