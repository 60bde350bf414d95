/* zlib- or gzip-compressed payloads (RFC 1950 / RFC 1952, told apart by
 * their header), decompressed into a buffer of a fixed size that the
 * inflater owns: a payload that would decompress to more than that is
 * refused (INFLATE_TOO_BIG) after writing at most `cap` bytes, so a zip
 * bomb costs neither memory nor time beyond the cap. zlib's own state
 * (about 40 KiB) is allocated once, with the inflater, and reused. */
#ifndef MQD_CLI_DECODE_INFLATE_H
#define MQD_CLI_DECODE_INFLATE_H

#include <stddef.h>
#include <stdint.h>

enum inflate_status {
    INFLATE_OK = 0,
    INFLATE_BAD,     /* not a complete zlib or gzip stream, or bytes after it */
    INFLATE_TOO_BIG, /* decompresses to more than the cap */
    INFLATE_NOMEM
};

/* "not zlib or gzip data", ... */
const char *inflate_status_text(enum inflate_status s);

struct inflater;
/* An inflater whose output is at most cap bytes; NULL when out of memory. */
struct inflater *inflater_new(size_t cap);
void inflater_free(struct inflater *z);

/* Decompresses in[0..n) whole; on INFLATE_OK *out, *outlen are the bytes
 * (valid until the next call). */
enum inflate_status inflater_run(struct inflater *z, const uint8_t *in, size_t n,
                                 const uint8_t **out, size_t *outlen);

#endif
