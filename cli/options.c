/* mqttdissect command-line options: getopt_long, tcpdump-style trailing
 * filter expression. */
#include "options.h"
#include "transport/transport.h"
#include "output/payload.h"
#include "analysis/select.h"
#include "analysis/stats.h"
#include "mqttdissect/sn.h"
#include "util/comma_list.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MQD_VERSION_STRING
#define MQD_VERSION_STRING "0.1.0"
#endif

enum {
    OPT_SHOW_SECRETS = 0x100,
    OPT_COLOR,
    OPT_MAX_FRAME,
    OPT_MAX_CONNS,
    OPT_STREAM_MEMCAP,
    OPT_TLS_PORT,
    OPT_TLS_KEYLOG,
    OPT_SN_PORT,
    OPT_TOPIC,
    OPT_TYPE,
    OPT_CLIENT,
    OPT_STATS,
    OPT_STATS_INTERVAL,
    OPT_PAYLOAD,
    OPT_MAX_PAYLOAD,
    OPT_DECODE,
    OPT_NO_HEURISTICS,
    OPT_NO_CHECKSUM,
    OPT_THREADS,
    OPT_COMMUNITY_ID_SEED,
    OPT_NO_PROMISC,
    OPT_SHARD,
    OPT_FANOUT,
    OPT_TIME,
    OPT_TOP,
    OPT_QUEUE_SIZE,
    OPT_VIOLATION,
    OPT_PCAPNG,
    OPT_VERSION,
    OPT_LIST_RULES,
    OPT_EXPLAIN,
};

static const struct option long_options[] = {
    {"read", required_argument, NULL, 'r'},
    {"output", required_argument, NULL, 'o'},
    {"write", required_argument, NULL, 'w'},
    {"pcapng", no_argument, NULL, OPT_PCAPNG},
    {"interface", required_argument, NULL, 'i'},
    {"count", required_argument, NULL, 'c'},
    {"port", required_argument, NULL, 'p'},
    {"tls-port", required_argument, NULL, OPT_TLS_PORT},
    {"tls-keylog", required_argument, NULL, OPT_TLS_KEYLOG},
    {"sn-port", required_argument, NULL, OPT_SN_PORT},
    {"format", required_argument, NULL, 'T'},
    {"verbose", no_argument, NULL, 'V'},
    {"quiet", no_argument, NULL, 'q'},
    {"show-secrets", no_argument, NULL, OPT_SHOW_SECRETS},
    {"color", required_argument, NULL, OPT_COLOR},
    {"max-frame", required_argument, NULL, OPT_MAX_FRAME},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"stream-memcap", required_argument, NULL, OPT_STREAM_MEMCAP},
    {"no-heuristics", no_argument, NULL, OPT_NO_HEURISTICS},
    {"no-checksum", no_argument, NULL, OPT_NO_CHECKSUM},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"type", required_argument, NULL, OPT_TYPE},
    {"client", required_argument, NULL, OPT_CLIENT},
    {"violation", optional_argument, NULL, OPT_VIOLATION},
    {"stats", no_argument, NULL, OPT_STATS},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"max-payload", required_argument, NULL, OPT_MAX_PAYLOAD},
    {"decode", required_argument, NULL, OPT_DECODE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"community-id-seed", required_argument, NULL, OPT_COMMUNITY_ID_SEED},
    {"buffer-size", required_argument, NULL, 'B'},
    {"snapshot-length", required_argument, NULL, 's'},
    {"list-interfaces", no_argument, NULL, 'D'},
    {"no-promisc", no_argument, NULL, OPT_NO_PROMISC},
    {"queue-size", required_argument, NULL, OPT_QUEUE_SIZE},
    {"line-buffered", no_argument, NULL, 'l'},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"fanout", required_argument, NULL, OPT_FANOUT},
    {"time", required_argument, NULL, OPT_TIME},
    {"top", required_argument, NULL, OPT_TOP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"list-rules", no_argument, NULL, OPT_LIST_RULES},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {NULL, 0, NULL, 0},
};

/* --type: MQTT packet type names (select_type_mask_parse) and MQTT-SN
 * message type names, any case, separated by commas. An MQTT-SN type named
 * like an MQTT one (PUBLISH, CONNECT, ...) is selected by the MQTT name;
 * the others (SEARCHGW, REGISTER, WILLTOPIC, ...) go to sn_type_mask. An
 * encapsulated message is selected by the type of the message inside. */
static bool type_list_parse(struct options *o, const char *list)
{
    bool sn_only = o->type_mask == 0;
    const char *item;
    size_t n;
    if (*list == '\0')
        return false;
    while (comma_list_next(&list, &item, &n)) {
        char name[32];
        if (n == 0 || n >= sizeof name)
            return false;
        memcpy(name, item, n);
        name[n] = '\0';
        if (select_type_mask_parse(name, &o->type_mask)) {
            sn_only = false;
        } else {
            bool found = false;
            for (unsigned t = 0; t < MQD_SN_ENCAPSULATED && !found; t++) {
                if (mqd_sn_type_known((uint8_t)t) &&
                    strcasecmp(name, mqd_sn_type_name((uint8_t)t)) == 0) {
                    o->sn_type_mask[t >> 3] |= (uint8_t)(1u << (t & 7));
                    found = true;
                }
            }
            if (!found)
                return false;
        }
    }
    o->type_sn_only = sn_only;
    return true;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '\0' || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

/* "K/N" with 1 <= K <= N <= OPT_MAX_SHARDS. */
static bool parse_shard(const char *s, unsigned *k, unsigned *n)
{
    const char *slash = strchr(s, '/');
    char kbuf[16];
    uint64_t kv, nv;
    if (!slash || (size_t)(slash - s) >= sizeof kbuf)
        return false;
    memcpy(kbuf, s, (size_t)(slash - s));
    kbuf[slash - s] = '\0';
    if (!parse_u64(kbuf, OPT_MAX_SHARDS, &kv) || !parse_u64(slash + 1, OPT_MAX_SHARDS, &nv) ||
        kv < 1 || kv > nv)
        return false;
    *k = (unsigned)kv;
    *n = (unsigned)nv;
    return true;
}

/* --fanout GROUP or GROUP,N. */
static bool parse_fanout(const char *s, struct options *o)
{
    const char *comma = strchr(s, ',');
    char gbuf[16];
    uint64_t g, n = 1;
    size_t glen = comma ? (size_t)(comma - s) : strlen(s);
    if (glen >= sizeof gbuf)
        return false;
    memcpy(gbuf, s, glen);
    gbuf[glen] = '\0';
    if (!parse_u64(gbuf, 65535, &g) ||
        (comma && (!parse_u64(comma + 1, OPT_MAX_FANOUT_WORKERS, &n) || n < 1)))
        return false;
    o->fanout_group = (uint16_t)g;
    o->fanout_workers = (unsigned)n;
    return true;
}

static bool add_port(uint16_t *ports, size_t *n, uint16_t port)
{
    for (size_t i = 0; i < *n; i++)
        if (ports[i] == port)
            return true;
    if (*n >= OPT_MAX_PORTS)
        return false;
    ports[(*n)++] = port;
    return true;
}

/* "1883,1884" → ports. */
static bool parse_port_list(const char *arg, uint16_t *ports, size_t *n)
{
    char buf[256];
    if (strlen(arg) >= sizeof buf)
        return false;
    strcpy(buf, arg);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (!parse_u64(tok, 65535, &v) || v == 0 || !add_port(ports, n, (uint16_t)v))
            return false;
    }
    return true;
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("mqttdissect: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'mqttdissect --help'.\n", stderr);
    return OPTIONS_EXIT_ERROR;
}

/* --topic takes an MQTT topic filter: checked as a SUBSCRIBE's is (the
 * library's rules), so 'chat/#/x' is an error, not a filter that acts like
 * 'chat/#'. False after saying why. */
static bool topic_arg_valid(const char *arg)
{
    uint32_t off = 0;
    uint16_t rule = mqd_topic_filter_check((const uint8_t *)arg, strlen(arg), MQD_V311,
                                           &off);
    if (rule == MQD_RULE_COUNT)
        return true;
    const mqd_rule_info *r = mqd_rule_get(rule);
    fprintf(stderr, "mqttdissect: --topic '%s' is not a valid MQTT topic filter: %s "
                    "(%s, at character %u)\nTry 'mqttdissect --help'.\n",
            arg, r ? r->message : "invalid", r ? r->id : "?", (unsigned)off + 1);
    return false;
}

/* Joins the trailing arguments into one filter expression, as tcpdump does. */
static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int parse_one(struct options *o, int c, const char *arg)
{
    uint64_t v;
    switch (c) {
    case 'r': o->read_file = arg; break;
    case 'o': o->output_file = arg; break;
    case 'i': o->interface = arg; break;
    case 'c':
        if (!parse_u64(arg, UINT64_MAX, &v) || v == 0)
            return usage_error("-c wants a positive number, not '%s'", arg);
        o->count = v;
        break;
    case 'p':
        if (!parse_port_list(arg, o->ports, &o->nports))
            return usage_error("-p wants ports 1-65535 separated by commas, not '%s'", arg);
        break;
    case OPT_TLS_PORT:
        if (!parse_port_list(arg, o->tls_ports, &o->ntls_ports))
            return usage_error("--tls-port wants ports 1-65535 separated by commas, not '%s'", arg);
        break;
    case OPT_TLS_KEYLOG: {
        FILE *fp = fopen(arg, "r");
        if (!fp)
            return usage_error("--tls-keylog: cannot read '%s'", arg);
        struct stat st; /* a directory opens, and reads as nothing */
        bool dir = fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode);
        fclose(fp);
        if (dir)
            return usage_error("--tls-keylog: '%s' is a directory, not a key log file", arg);
        if (o->ntls_keylogs == OPT_MAX_KEYLOGS)
            return usage_error("--tls-keylog: at most 16 files; '%s' is one more", arg);
        o->tls_keylogs[o->ntls_keylogs++] = arg;
        break;
    }
    case OPT_SN_PORT:
        if (!parse_port_list(arg, o->sn_ports, &o->nsn_ports))
            return usage_error("--sn-port wants ports 1-65535 separated by commas, not '%s'", arg);
        break;
    case 'T':
        if (strcasecmp(arg, "text") == 0)
            o->format = OUT_TEXT;
        else if (strcasecmp(arg, "json") == 0)
            o->format = OUT_JSON;
        else if (strcasecmp(arg, "eve") == 0)
            o->format = OUT_EVE;
        else
            return usage_error("-T wants text, json or eve, not '%s'", arg);
        break;
    case 'V': o->verbose = true; break;
    case 'q': o->quiet = true; break;
    case OPT_SHOW_SECRETS: o->show_secrets = true; break;
    case OPT_NO_HEURISTICS: o->no_heuristics = true; break;
    case OPT_NO_CHECKSUM: o->no_checksum = true; break;
    case OPT_COLOR:
        if (strcmp(arg, "auto") == 0)
            o->color = -1;
        else if (strcmp(arg, "always") == 0)
            o->color = 1;
        else if (strcmp(arg, "never") == 0)
            o->color = 0;
        else
            return usage_error("--color wants auto, always or never, not '%s'", arg);
        break;
    case OPT_MAX_FRAME:
        if (!parse_u64(arg, 268435460u, &v) || v < 2)
            return usage_error("--max-frame wants a byte count from 2 to 268435460, not '%s'", arg);
        o->max_frame = (uint32_t)v;
        break;
    case OPT_MAX_CONNS:
        if (!parse_u64(arg, OPT_MAX_CONNS_LIMIT, &v) || v == 0)
            return usage_error("--max-conns wants a number from 1 to 16777216, not '%s'", arg);
        o->max_conns = (uint32_t)v;
        break;
    case OPT_STREAM_MEMCAP:
        if (!parse_u64(arg, UINT64_MAX, &v) || v < OPT_STREAM_MEMCAP_MIN)
            return usage_error("--stream-memcap wants a byte count of at least 1024, not '%s'", arg);
        o->stream_memcap = v;
        break;
    case OPT_TOPIC:
        if (!topic_arg_valid(arg))
            return OPTIONS_EXIT_ERROR;
        if (!topic_sel_add(&o->topics, arg))
            return usage_error("too many --topic filters (at most 16): '%s'", arg);
        break;
    case OPT_TYPE:
        if (!type_list_parse(o, arg))
            return usage_error("--type wants packet type names separated by commas, not '%s'", arg);
        break;
    case OPT_CLIENT:
        if (!client_sel_add(&o->clients, arg))
            return usage_error("too many --client patterns (at most 16): '%s'", arg);
        break;
    case 'w':
        if (*arg == '\0')
            return usage_error("%s", "-w wants a file name");
        o->write_file = arg;
        break;
    case OPT_PCAPNG: o->pcapng = true; break;
    case OPT_VIOLATION: {
        const char *bad;
        size_t badlen;
        if (!violation_sel_parse(&o->violation, arg, &bad, &badlen)) {
            char item[160];
            snprintf(item, sizeof item, "%.*s", (int)(badlen < 128 ? badlen : 128), bad);
            return usage_error("--violation: unknown rule '%s' (a rule id such as "
                               "MQTT-3.3.1-4 or a name such as PUBLISH_QOS_3)", item);
        }
        break;
    }
    case OPT_STATS: o->stats = true; break;
    case OPT_STATS_INTERVAL:
        if (!parse_u64(arg, 86400u * 365, &v) || v == 0)
            return usage_error("--stats-interval wants a number of seconds, not '%s'", arg);
        o->stats_interval = (uint32_t)v;
        o->stats = true;
        break;
    case OPT_PAYLOAD:
        if (!payload_mode_parse(arg, &o->payload_mode))
            return usage_error("--payload wants auto, none, text or hex, not '%s'", arg);
        break;
    case OPT_COMMUNITY_ID_SEED:
        if (!parse_u64(arg, UINT16_MAX, &v))
            return usage_error("--community-id-seed wants a number from 0 to 65535, not '%s'", arg);
        o->community_id_seed = (uint16_t)v;
        break;
    case OPT_DECODE: {
        size_t n;
        uint8_t mode;
        const char *why;
        if (!payload_decode_rule_split(arg, &n, &mode, &why)) {
            char msg[160];
            snprintf(msg, sizeof msg, "--decode %s", why);
            return usage_error(strcat(msg, ", not '%s'"), arg);
        }
        if (o->ndecode == OPT_MAX_DECODE)
            return usage_error("too many --decode rules (at most 32): '%s'", arg);
        char *filter = strndup(arg, n);
        if (!filter)
            return usage_error("%s", "out of memory");
        o->decode[o->ndecode].filter = filter;
        o->decode[o->ndecode++].mode = mode;
        break;
    }
    case OPT_THREADS:
        if (!parse_u64(arg, OPT_MAX_THREADS, &v) || v == 0)
            return usage_error("--threads wants a number from 1 to 8, not '%s'", arg);
        o->threads = (unsigned)v;
        break;
    case 's':
        if (!parse_u64(arg, 262144, &v))
            return usage_error("-s wants a snapshot length from 0 to 262144 bytes, not '%s'", arg);
        o->snaplen = (unsigned)v;
        break;
    case 'D': o->list_interfaces = true; break;
    case 'B':
        if (!parse_u64(arg, 2097151u, &v) || v == 0)
            return usage_error("-B wants a buffer size in KiB from 1 to 2097151, not '%s'", arg);
        o->buffer_kib = (unsigned)v;
        break;
    case OPT_NO_PROMISC: o->no_promisc = true; break;
    case OPT_QUEUE_SIZE:
        if (!parse_u64(arg, 4096, &v) || v == 0)
            return usage_error("--queue-size wants MiB from 1 to 4096, not '%s'", arg);
        o->queue_mib = (unsigned)v;
        break;
    case 'l': o->line_buffered = true; break;
    case OPT_SHARD:
        if (!parse_shard(arg, &o->shard_k, &o->shard_n))
            return usage_error("--shard wants K/N with 1 <= K <= N <= 65536, not '%s'", arg);
        break;
    case OPT_FANOUT:
        if (!parse_fanout(arg, o))
            return usage_error("--fanout wants GROUP (0 to 65535) or GROUP,N (N worker "
                               "processes, 1 to 64), not '%s'", arg);
        o->fanout = true;
        break;
    case OPT_TOP:
        if (!parse_u64(arg, UINT32_MAX, &v))
            return usage_error("--top wants a number of rows (0: all), not '%s'", arg);
        o->stats_top = (uint32_t)v;
        break;
    case OPT_TIME: {
        static const char *const names[] = {"abs", "iso", "epoch", "rel", "delta"};
        size_t i = 0;
        while (i < sizeof names / sizeof names[0] && strcasecmp(arg, names[i]) != 0)
            i++;
        if (i == sizeof names / sizeof names[0])
            return usage_error("--time wants abs, iso, epoch, rel or delta, not '%s'", arg);
        o->time_format = (uint8_t)i; /* enum text_time's order */
        break;
    }
    case OPT_LIST_RULES: o->list_rules = true; break;
    case OPT_EXPLAIN: o->explain = arg; break;
    case OPT_MAX_PAYLOAD:
        if (!parse_u64(arg, UINT32_MAX, &v))
            return usage_error("--max-payload wants a byte count, not '%s'", arg);
        o->max_payload = (uint32_t)v;
        o->max_payload_set = true;
        break;
    default:
        return usage_error("%s", "unknown option");
    }
    return OPTIONS_OK;
}

/* What an option's value is, for "option -r needs a file". */
static const char *arg_noun(int val)
{
    switch (val) {
    case 'r': return "a file (\"-\" for standard input)";
    case 'o': case 'w': case OPT_TLS_KEYLOG: return "a file";
    case 'i': return "an interface";
    case 'c': return "a number of messages";
    case 'p': case OPT_TLS_PORT: case OPT_SN_PORT: return "ports separated by commas";
    case 'T': return "a format: text, json or eve";
    case OPT_COLOR: return "auto, always or never";
    case OPT_MAX_FRAME: case OPT_MAX_PAYLOAD: case OPT_STREAM_MEMCAP: return "a byte count";
    case OPT_MAX_CONNS: case OPT_THREADS: return "a number";
    case OPT_TOPIC: return "an MQTT topic filter";
    case OPT_TYPE: return "packet type names separated by commas";
    case OPT_CLIENT: return "a client identifier (* and + as wildcards)";
    case OPT_STATS_INTERVAL: return "a number of seconds";
    case OPT_PAYLOAD: return "auto, none, text or hex";
    case OPT_DECODE: return "FILTER=FORMAT";
    case OPT_COMMUNITY_ID_SEED: return "a number from 0 to 65535";
    case 'B': return "a buffer size in KiB";
    case 's': return "a snapshot length in bytes";
    case OPT_SHARD: return "K/N";
    case OPT_FANOUT: return "GROUP or GROUP,N";
    case OPT_QUEUE_SIZE: return "a size in MiB";
    case OPT_TIME: return "abs, iso, epoch, rel or delta";
    case OPT_TOP: return "a number of rows";
    default: return "a value";
    }
}

/* How an option is named in messages: its short form when it has one
 * ("-c"), else its long one ("--max-payload"). */
static void option_name(char *buf, size_t len, int val)
{
    if (val > 0 && val < 0x100) {
        snprintf(buf, len, "-%c", val);
        return;
    }
    for (const struct option *lo = long_options; lo->name; lo++) {
        if (lo->val == val) {
            snprintf(buf, len, "--%s", lo->name);
            return;
        }
    }
    snprintf(buf, len, "?");
}

/* The option as typed in argv[i]: "--read" (without any "=value"), or
 * for short options "-X" with X = optopt. */
static void typed_name(char *buf, size_t len, const char *arg, int val)
{
    if (arg && arg[0] == '-' && arg[1] == '-')
        snprintf(buf, len, "%.*s", (int)strcspn(arg, "="), arg);
    else if (val > 0 && val < 0x100)
        snprintf(buf, len, "-%c", val);
    else
        snprintf(buf, len, "%s", arg ? arg : "?");
}

__attribute__((format(printf, 1, 2))) static void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mqttdissect: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Options that take one value: given again, the last is used (with a
 * warning); -r and -i given twice are errors, since reading only one of
 * two inputs would lose what the other holds. */
static bool single_valued(int c)
{
    switch (c) {
    case 'o': case 'w': case 'c': case 'T': case OPT_COLOR: case OPT_MAX_FRAME:
    case OPT_MAX_CONNS: case OPT_STATS_INTERVAL: case OPT_PAYLOAD:
    case OPT_MAX_PAYLOAD: case OPT_THREADS: case OPT_COMMUNITY_ID_SEED: case 'B':
    case OPT_SHARD: case OPT_FANOUT: case OPT_TIME: case OPT_TOP: case 's': case OPT_QUEUE_SIZE:
    case OPT_STREAM_MEMCAP:
        return true;
    default:
        return false;
    }
}

/* One line on stderr for each combination that cannot do what it says;
 * the run goes on. */
static void warn_contradictions(const struct options *o, const bool *seen)
{
    const char *fmt = o->format == OUT_JSON ? "-T json" : "-T eve";
    if (o->quiet && o->verbose)
        warn("-V has no effect with -q (no per-message output)");
    else if (o->verbose && o->format != OUT_TEXT)
        warn("-V annotates text output; it has no effect with %s", fmt);
    if (seen[OPT_TOP] && !o->stats)
        warn("--top applies to the --stats tables; ignored without --stats");
    else if (seen[OPT_TOP] && o->format == OUT_JSON)
        warn("--top applies to the text --stats tables; -T json keeps its own");
    if (seen[OPT_TIME] && o->format != OUT_TEXT)
        warn("--time applies to text output; %s keeps its timestamp", fmt);
    if (o->color == 1 && o->format != OUT_TEXT)
        warn("--color always has no effect with %s", fmt);
    if (o->read_file && seen['B'])
        warn("-B applies to live capture (-i); ignored with -r");
    if (o->read_file && seen['s'])
        warn("-s applies to live capture (-i); ignored with -r");
    if (o->read_file && seen[OPT_NO_PROMISC])
        warn("--no-promisc applies to live capture (-i); ignored with -r");
    if (o->payload_mode == PAYLOAD_NONE && seen[OPT_MAX_PAYLOAD])
        warn("--max-payload has no effect with --payload none");
    if (o->quiet && (seen[OPT_PAYLOAD] || seen[OPT_MAX_PAYLOAD]))
        warn("%s has no effect with -q (no per-message output)",
             seen[OPT_PAYLOAD] ? "--payload" : "--max-payload");
}

/* -w onto -r's file would destroy the input while it is read. */
static bool same_file(const char *read_file, const char *write_file)
{
    struct stat a, b;
    if (!read_file)
        return false;
    if (strcmp(read_file, "-") == 0) {
        if (fstat(STDIN_FILENO, &a) != 0)
            return false;
    } else if (stat(read_file, &a) != 0) {
        return false;
    }
    return stat(write_file, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int options_parse(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->color = -1;
    o->max_frame = 16u << 20;
    o->max_conns = OPT_MAX_CONNS_DEFAULT;
    o->stats_top = STATS_TEXT_TOP_N;
    o->stream_memcap = OPT_STREAM_MEMCAP_DEFAULT;
    add_port(o->ports, &o->nports, 1883);
    add_port(o->tls_ports, &o->ntls_ports, 8883);
    add_port(o->sn_ports, &o->nsn_ports, 1883);
    add_port(o->sn_ports, &o->nsn_ports, 1884);

    bool seen[OPT_VERSION + 1] = {false};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:r:i:c:p:T:o:w:VqhB:ls:D", long_options, NULL)) != -1) {
        if (c == 'h') {
            options_usage(stdout);
            return OPTIONS_EXIT_OK;
        }
        if (c == OPT_VERSION) {
            printf("mqttdissect %s\n", MQD_VERSION_STRING);
            return OPTIONS_EXIT_OK;
        }
        if (c == ':' || c == '?') {
            const char *typed = argv[optind - 1];
            char name[64];
            typed_name(name, sizeof name, typed, optopt);
            if (c == ':') {
                char msg[160];
                snprintf(msg, sizeof msg, "option %s needs %s", name, arg_noun(optopt));
                return usage_error("%s", msg);
            }
            if (optopt != 0 && strchr(typed, '=') && typed[1] == '-')
                return usage_error("option %s takes no value", name);
            if (optopt == 0 && typed[0] == '-' && typed[1] == '-')
                return usage_error("unknown or ambiguous option '%s'", name);
            return usage_error("unknown option '%s'", name);
        }
        if (c < (int)(sizeof seen / sizeof seen[0])) {
            char name[64];
            option_name(name, sizeof name, c);
            if ((c == 'r' || c == 'i') && seen[c])
                return usage_error(c == 'r' ? "%s given twice: one capture file per run "
                                              "(mergecap -w - A B | mqttdissect -r -)"
                                            : "%s given twice: one interface per run "
                                              "(\"any\" for all)", name);
            if (single_valued(c) && seen[c])
                warn("%s given more than once; the last (%s %s) is used", name, name,
                     optarg);
            seen[c] = true;
        }
        int r = parse_one(o, c, optarg);
        if (r != OPTIONS_OK)
            return r;
    }
    if (o->list_interfaces) {
        if (o->read_file || o->interface)
            return usage_error("%s", "-D lists the interfaces; it takes no -r or -i");
        return OPTIONS_OK;
    }
    if (o->list_rules || o->explain)
        return OPTIONS_OK; /* no input: main.c runs pipeline_rules_run */
    if (!o->read_file == !o->interface)
        return usage_error("%s", "give exactly one of -r FILE or -i IFACE");
    if (o->pcapng && !o->write_file)
        return usage_error("%s", "--pcapng goes with -w FILE");
    if (o->write_file && same_file(o->read_file, o->write_file))
        return usage_error("-w %s: that is the input file; write elsewhere",
                           o->write_file);
    if (o->fanout && !o->interface)
        return usage_error("%s", "--fanout needs -i IFACE (a file: use --shard)");
    if (optind < argc) {
        o->filter = join_args(argc - optind, argv + optind);
        if (!o->filter)
            return usage_error("%s", "out of memory");
    }
    warn_contradictions(o, seen);
    return OPTIONS_OK;
}

void options_free(struct options *o)
{
    free(o->filter);
    o->filter = NULL;
    for (size_t i = 0; i < o->ndecode; i++)
        free((char *)o->decode[i].filter);
    o->ndecode = 0;
}

void options_default_filter(const struct options *o, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    /* With heuristics any TCP connection may carry MQTT (transport.h). */
    const uint16_t *ws_ports;
    size_t nws = transport_ws_ports(&ws_ports);
    size_t ntcp = o->no_heuristics ? o->nports + o->ntls_ports + nws : 0;
    if (!o->no_heuristics) {
        int n = snprintf(buf, len, "tcp");
        used = n > 0 && (size_t)n < len ? (size_t)n : 0;
    }
    for (size_t i = 0; i < ntcp; i++) {
        size_t j = i - o->nports;
        uint16_t port = i < o->nports ? o->ports[i]
                        : j < o->ntls_ports ? o->tls_ports[j]
                                            : ws_ports[j - o->ntls_ports];
        int n = snprintf(buf + used, len - used, "%stcp port %u",
                         used ? " or " : "", (unsigned)port);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
    for (size_t i = 0; i < o->nsn_ports; i++) { /* MQTT-SN */
        int n = snprintf(buf + used, len - used, "%sudp port %u",
                         used ? " or " : "", (unsigned)o->sn_ports[i]);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

static bool port_in(const uint16_t *ports, size_t n, uint16_t port)
{
    for (size_t i = 0; i < n; i++)
        if (ports[i] == port)
            return true;
    return false;
}

bool options_is_mqtt_port(const struct options *o, uint16_t port)
{
    return port_in(o->ports, o->nports, port);
}

bool options_is_tls_port(const struct options *o, uint16_t port)
{
    return port_in(o->tls_ports, o->ntls_ports, port);
}
