/* mqd_example_decode: the library in 100 lines.
 *
 *   mqd_example_decode FILE
 *
 * FILE holds raw MQTT bytes as they travel on the wire (one direction or
 * both, frames back to back; dissect/examples/session.bin is one). They are
 * fed in small chunks to the stream decoder; every frame is decoded with
 * mqd_parse and printed with its key fields and violations. The protocol
 * version comes from the CONNECT, as it would on a real connection.
 */
#include <stdio.h>
#include <string.h>

#include "mqttdissect/mqd.h"

typedef struct session {
    uint8_t version; /* from CONNECT; unknown until then */
} session;

/* A string field, printable bytes as they are, the rest as \xNN. */
static void print_str(const char *label, const mqd_str *s)
{
    if (!s->present)
        return;
    printf(" %s=\"", label);
    for (uint16_t i = 0; i < s->len; i++) {
        uint8_t c = s->data[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            putchar(c);
        else
            printf("\\x%02X", c);
    }
    putchar('"');
}

static void print_reason(const mqd_frame *f)
{
    if (!f->reason.present)
        return;
    uint8_t code = (uint8_t)f->reason.value;
    const char *name = mqd_reason_name(f->type, f->version, code);
    printf(" reason=0x%02X (%s)", code, name != NULL ? name : "?");
}

static void print_fields(const mqd_frame *f)
{
    const mqd_connect *c = &f->connect;
    switch (f->type) {
    case MQD_CONNECT:
        printf(" level=%u", (unsigned)c->level.value);
        print_str("client_id", &c->client_id);
        printf(" keep_alive=%u clean=%d", (unsigned)c->keep_alive.value,
               c->clean_start);
        if (c->will_flag) {
            print_str("will_topic", &c->will_topic);
            printf(" will_qos=%u", c->will_qos);
        }
        print_str("username", &c->username);
        break;
    case MQD_CONNACK:
        printf(" session_present=%u", (unsigned)(f->ack_flags.value & 1u));
        break;
    case MQD_PUBLISH:
        printf(" qos=%u dup=%d retain=%d", f->qos, f->dup, f->retain);
        print_str("topic", &f->topic);
        printf(" payload=%u bytes", (unsigned)f->payload.len);
        break;
    case MQD_SUBSCRIBE:
    case MQD_UNSUBSCRIBE: {
        mqd_filter_iter it;
        mqd_filter flt;
        mqd_filter_iter_init(&it, f);
        while (mqd_filter_next(&it, &flt)) {
            print_str("filter", &flt.filter);
            if (f->type == MQD_SUBSCRIBE)
                printf(" qos=%u", flt.qos);
        }
        break;
    }
    case MQD_SUBACK:
    case MQD_UNSUBACK:
        printf(" codes=%u", (unsigned)f->list.count);
        break;
    default:
        break;
    }
    if (f->packet_id.present)
        printf(" packet_id=%u", (unsigned)f->packet_id.value);
    print_reason(f);
    if (f->props.present)
        printf(" properties=%u", f->props.count);
}

static void print_violations(const mqd_frame *f)
{
    for (uint16_t i = 0; i < f->nviolations; i++) {
        const mqd_violation *v = &f->violations[i];
        const mqd_rule_info *r = mqd_rule_get(v->rule);
        if (r == NULL)
            continue;
        printf("    ! %s %s at +%u: %s\n", mqd_severity_name(r->severity),
               r->id, (unsigned)v->off, r->message);
    }
}

static void on_event(void *ctx, const mqd_stream_event *ev)
{
    session *s = ctx;
    mqd_frame f;
    switch (ev->kind) {
    case MQD_SE_FRAME:
        if (mqd_parse(ev->data, ev->len, s->version, &f).status != MQD_OK)
            return;
        if (f.type == MQD_CONNECT && mqd_connect_version(&f) != 0)
            s->version = mqd_connect_version(&f);
        printf("@%-6llu %-11s size=%-5u v%s", (unsigned long long)ev->offset,
               mqd_type_name(f.type), (unsigned)f.size,
               mqd_version_name(f.version));
        print_fields(&f);
        putchar('\n');
        print_violations(&f);
        break;
    case MQD_SE_OVERSIZE:
        printf("@%-6llu %-11s size=%llu: too large, skipped\n",
               (unsigned long long)ev->offset, mqd_type_name(ev->hdr.type),
               (unsigned long long)ev->skipped);
        break;
    case MQD_SE_ERROR:
        printf("@%-6llu framing broken (remaining length too long)\n",
               (unsigned long long)ev->offset);
        break;
    case MQD_SE_RESYNC:
        printf("@%-6llu resynchronised after skipping %llu bytes\n",
               (unsigned long long)ev->offset,
               (unsigned long long)ev->skipped);
        break;
    default:
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE (raw MQTT bytes)\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (in == NULL) {
        perror(argv[1]);
        return 1;
    }
    session sess = {MQD_VERSION_UNKNOWN};
    mqd_stream stream;
    mqd_stream_init(&stream, NULL);
    uint8_t chunk[7]; /* deliberately small: frames arrive in pieces */
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        (void)mqd_stream_feed(&stream, chunk, n, on_event, &sess);
    fclose(in);
    if (mqd_stream_pending(&stream) > 0)
        printf("(%zu bytes of an incomplete frame at the end)\n",
               mqd_stream_pending(&stream));
    mqd_stream_counts counts = mqd_stream_get_counts(&stream);
    printf("%llu frames, %llu bytes\n", (unsigned long long)counts.frames,
           (unsigned long long)counts.offset);
    mqd_stream_free(&stream);
    return 0;
}
