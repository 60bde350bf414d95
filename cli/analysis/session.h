/* Per-connection MQTT state: what one packet cannot show but the
 * conversation can.
 *
 * For every decoded packet of a connection, session_on_frame:
 *  - pairs responses with requests (CONNECT→CONNACK, PUBLISH→PUBACK,
 *    PUBLISH→PUBREC→PUBREL→PUBCOMP, SUBSCRIBE→SUBACK, UNSUBSCRIBE→UNSUBACK,
 *    PINGREQ→PINGRESP) and fills msg_analysis.reply_to / latency_us;
 *  - resolves MQTT 5.0 Topic Aliases per direction (effective_topic);
 *  - finds state violations (rules SESSION_* in rules.def) and appends them
 *    to the frame with mqd_frame_add_violation;
 *  - says whether the packet is selected by a --topic selection.
 * session_close reports what is left at the end (unacknowledged messages, a
 * silent client).
 *
 * Direction 0 is client → server, 1 is server → client.
 *
 * Memory is per connection and bounded: in-flight tables (inflight.h: open
 * addressing keyed by packet identifier) hold at most SESSION_MAX_IN_FLIGHT
 * entries per direction (more are counted, not stored); topic alias tables
 * (alias.h) at most SESSION_MAX_ALIASES aliases and SESSION_ALIAS_BYTES of
 * topics per connection. Nothing is allocated per message: tables grow when they must.
 * A fresh connection holds a few hundred bytes: what CONNECT / CONNACK tell
 * (session_info), the topic alias tables and the rarely used tables (early
 * acknowledgements, SUBSCRIBE filters awaiting their SUBACK, more than two
 * unanswered PINGREQs) are allocated on first use and freed by session_free.
 */
#ifndef MQD_CLI_SESSION_H
#define MQD_CLI_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttdissect/frame.h"
#include "record.h"
#include "analysis/topic_filter.h"

#define SESSION_MAX_IN_FLIGHT 1024u
#define SESSION_MAX_ALIASES 1024u
#define SESSION_ALIAS_BYTES (256u * 1024u)
/* Strings kept of CONNECT (client id, user name, will topic): longer ones
 * are cut (and marked so). */
#define SESSION_STR_MAX 255u

enum session_dir { SESSION_TO_SERVER = 0, SESSION_TO_CLIENT = 1 };

/* Request/response pairs whose latency is measured. */
enum session_pair {
    PAIR_NONE,
    PAIR_CONNECT_CONNACK,
    PAIR_PUBLISH_PUBACK,
    PAIR_PUBLISH_PUBREC,
    PAIR_PUBREC_PUBREL,
    PAIR_PUBREL_PUBCOMP,
    PAIR_PUBLISH_PUBCOMP, /* a whole QoS 2 flow */
    PAIR_SUBSCRIBE_SUBACK,
    PAIR_UNSUBSCRIBE_UNSUBACK,
    PAIR_PINGREQ_PINGRESP,
    PAIR_COUNT
};

/* "CONNECT->CONNACK", ... */
const char *session_pair_name(int pair);

/* A string kept from CONNECT. */
struct session_str {
    bool present;
    bool cut; /* longer than SESSION_STR_MAX on the wire */
    uint16_t len;
    char s[SESSION_STR_MAX + 1]; /* NUL-terminated copy, wire bytes as is */
};

/* Limits one side declared (MQTT 5.0 s3.1.2.11, s3.2.2.3); they bind what
 * the other side sends. */
struct session_limits {
    bool known;               /* the declaring CONNECT / CONNACK was seen */
    uint32_t receive_maximum; /* 65535 when absent */
    uint32_t max_packet_size; /* 0: no limit */
    uint16_t topic_alias_maximum; /* 0 when absent: no aliases */
};

/* What is known of a connection. */
struct session_info {
    uint8_t version;     /* enum mqd_version from CONNECT; 0 unknown */
    bool connect_seen, connack_seen;
    bool midstream;      /* the capture began inside the connection */
    bool password_present; /* the password itself is never kept */
    bool clean_start;
    uint16_t keep_alive;        /* CONNECT, seconds */
    bool server_keep_alive_present;
    uint16_t server_keep_alive; /* CONNACK (5.0), overrides keep_alive */
    bool session_expiry_present;
    uint32_t session_expiry;    /* CONNECT (5.0), seconds */
    bool will;
    uint8_t will_qos;
    bool will_retain;
    uint8_t connack_code;       /* CONNACK return / reason code */
    bool session_present;       /* CONNACK */
    bool client_id_assigned;    /* client_id is the CONNACK's Assigned Client
                                   Identifier (5.0: the CONNECT's was empty) */
    struct session_limits client_limits; /* from CONNECT: bind the server */
    struct session_limits server_limits; /* from CONNACK: bind the client */
    /* Last: the large, rarely read part (every packet reads the above). */
    struct session_str client_id, username, will_topic;
};

/* Latency samples produced by one packet (a PUBCOMP gives two). */
struct session_step {
    bool selected;       /* selected by the --topic selection */
    uint8_t nsamples;
    struct {
        uint8_t pair;    /* enum session_pair */
        int64_t latency_us;
    } samples[2];
};

/* What is left when a connection ends. */
struct session_close_report {
    uint32_t unacked[2];         /* in-flight entries per sending direction */
    uint64_t unacked_first_frame; /* the oldest one's frame */
    bool keep_alive_exceeded;
    int64_t client_silent_us;    /* since the last client packet */
    uint32_t keep_alive;         /* the effective keep alive, seconds */
};

struct session_cfg {
    const struct topic_sel *topics; /* NULL or empty: every packet selected */
};

struct session;

/* NULL when out of memory. `midstream`: the connection's start was not
 * captured (checks that need it are skipped). cfg is copied. */
struct session *session_new(const struct session_cfg *cfg, bool midstream);
void session_free(struct session *s);

/* One decoded packet sent in direction `dir`, completed in capture frame
 * `frame` at ts_us. May append violations to *f. Fills *an (all of it) and
 * *step. */
void session_on_frame(struct session *s, int dir, mqd_frame *f, uint64_t frame,
                      int64_t ts_us, struct msg_analysis *an,
                      struct session_step *step);

/* The direction opposite to the packets about to be fed has data held back
 * by TCP reassembly (an out-of-order hole): its requests may be decoded
 * after their answers, so a missing request is not reported. Such early
 * answers are remembered and matched when their request comes. */
void session_peer_lagging(struct session *s, bool lagging);

/* Bytes of direction `dir` were lost: from now on missing requests are not
 * reported (they may be in the gap). */
void session_gap(struct session *s, int dir);

/* The connection ended at close_ts_us (the last packet seen on it when not
 * known). Fills *r; true when r reports something (a state violation). */
bool session_close(struct session *s, int64_t close_ts_us,
                   struct session_close_report *r);

const struct session_info *session_info(const struct session *s);

/* Asks for the cache lines session_on_frame reads first for a packet of
 * direction dir (s is not read: it need not be in cache). */
void session_prefetch(const struct session *s, int dir);

/* Entries that did not fit in the bounded tables, over the connection. */
uint64_t session_overflow(const struct session *s);

#endif
