/* -w FILE: the packets of the connections (and MQTT-SN client flows) in
 * which a selected message was printed, written in capture order.
 *
 * Two passes, so that a connection's packets from before its first
 * selected message come out in their place: while the input is read, each
 * packet is given a tag, the flow it belongs to (a 4-byte number per
 * packet, in a growable array), and flows are marked as selected messages
 * are printed; at the end the input is read again and the packets of
 * marked flows are written. A file is read again from its path; a pipe or
 * an interface cannot be, so its packets are spooled to an unlinked
 * temporary file beside FILE as they are read (a pipe: the bytes as they
 * come, capture_open_offline_copy; an interface: a pcap file). Memory: 4
 * bytes per packet and a bit per flow.
 *
 * The output is pcap, or pcapng when the input is pcapng or when asked;
 * link type and timestamps are the input's (nanosecond pcap stays
 * nanosecond; pcapng is written in nanoseconds). It is written to a
 * temporary name beside FILE (FILE.tmp-XXXXXX) and renamed over FILE at
 * the end, so a failed or interrupted run never leaves half a file in
 * FILE's place.
 *
 * Here, in net/, because it handles raw frames and capture files (libpcap)
 * and nothing of MQTT: the pipeline says which flow a frame belongs to and
 * which flows to keep. */
#ifndef MQD_CLI_CAPTURE_SAVE_H
#define MQD_CLI_CAPTURE_SAVE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A flow's tag: a TCP connection's number (flow_conn.number) or an
 * MQTT-SN client flow's (with the high bit); 0: no flow. Numbers from
 * 2^31 on have no tag (their packets are not written). */
#define CAPTURE_SAVE_SN_BIT 0x80000000u

static inline uint32_t capture_save_tag(uint64_t number, bool sn)
{
    if (number == 0 || number >= CAPTURE_SAVE_SN_BIT)
        return 0;
    return (uint32_t)number | (sn ? CAPTURE_SAVE_SN_BIT : 0u);
}

struct capture_save;

/* Creates the temporary output beside `path`. NULL with one line naming
 * the path in err when it cannot be created (or out of memory). */
struct capture_save *capture_save_open(const char *path, bool pcapng, char *err,
                                       size_t errlen);

/* Where the second pass reads. */
enum capture_save_input {
    CAPTURE_SAVE_FILE,   /* the input file, again, from `file` */
    CAPTURE_SAVE_STREAM, /* standard input: its bytes copied to the
                            descriptor capture_save_copy_fd gave */
    CAPTURE_SAVE_LIVE    /* an interface: frames spooled as a pcap file of
                            link type `dlt` */
};

/* CAPTURE_SAVE_STREAM: an unlinked file beside the output for the input's
 * bytes; -1 with err set when it cannot be made. Owned by the save. */
int capture_save_copy_fd(struct capture_save *s, char *err, size_t errlen);

/* Before the first frame. 0, or -1 with err set (the spool). */
int capture_save_input(struct capture_save *s, enum capture_save_input in,
                       const char *file, int dlt, char *err, size_t errlen);

/* Frame number `frame` (capture.h's, 1-based) belongs to flow `tag`.
 * `fragment`: nonzero for an IP fragment, naming its datagram
 * (flow_table_frame_fragment): the fragments before the one that completes
 * it have no flow yet, and get that one's. The last CAPTURE_SAVE_FRAGMENTS
 * such fragments are remembered. */
#define CAPTURE_SAVE_FRAGMENTS 4096

void capture_save_frame(struct capture_save *s, uint64_t frame,
                        const struct pcap_pkthdr *h, const uint8_t *bytes,
                        uint32_t tag, uint32_t fragment);

/* A selected message of flow `tag` was printed: its packets are written. */
void capture_save_mark(struct capture_save *s, uint32_t tag);

/* The input's bytes could not all be copied (capture.h's copy_errno). */
void capture_save_copy_failed(struct capture_save *s, int errnum);

/* The second pass, and the rename over the path. 0, or -1 with one line in
 * err (the temporary file is removed then). *written: packets written. */
int capture_save_finish(struct capture_save *s, uint64_t *written, char *err,
                        size_t errlen);

/* Frees; removes the temporary output unless finished. NULL: nothing. */
void capture_save_free(struct capture_save *s);

#endif
