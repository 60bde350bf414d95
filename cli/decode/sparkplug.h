/* Sparkplug B (Eclipse Sparkplug 3.0): the topic namespace and the payload.
 *
 * Topics (spec "Topics"): spBv1.0/<group>/<NBIRTH|NDATA|NCMD|NDEATH>/<edge>,
 * spBv1.0/<group>/<DBIRTH|DDATA|DCMD|DDEATH>/<edge>/<device> and the host
 * application's spBv1.0/STATE/<host>. spb_topic_parse cuts a topic name into
 * slices of the caller's bytes.
 *
 * Payloads (spec "Payloads", the schema in decode/sparkplug_b.proto): a
 * struct spb_decoder unpacks one payload at a time with protobuf-c into an
 * arena it owns and reuses. The arena holds at most spb_arena_cap(len)
 * bytes, so a payload, however hostile, never makes the decoder allocate
 * more than that: past it, the payload fails with SPB_ERR_ALLOC_CAP. Nesting
 * (Template in Metric in Template ..., PropertySet in PropertyValue ...) is
 * checked before unpacking and refused deeper than SPB_MAX_DEPTH.
 *
 * The decoded payload is read through plain C views (struct spb_payload,
 * spb_metric, spb_value, ...) that point into the arena and the payload:
 * nothing is copied, and a view is valid until the next spb_decode on the
 * same decoder. Lists are read by index with spb_*_get functions, which fill
 * a caller's struct. Values are typed by the metric's datatype as the spec
 * says: signed integers sign-extended from the low bits of their wire form,
 * DateTime as milliseconds, arrays (datatypes 22..34) unpacked from their
 * bytes by an iterator. Nothing here prints.
 */
#ifndef MQD_CLI_DECODE_SPARKPLUG_H
#define MQD_CLI_DECODE_SPARKPLUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- topics ---- */

enum spb_msg_type {
    SPB_NBIRTH, SPB_NDEATH, SPB_NDATA, SPB_NCMD,
    SPB_DBIRTH, SPB_DDEATH, SPB_DDATA, SPB_DCMD,
    SPB_STATE
};

/* "NBIRTH", ..., "STATE". */
const char *spb_msg_type_name(enum spb_msg_type t);

struct spb_topic {
    enum spb_msg_type type;
    const uint8_t *group, *edge, *device, *host; /* NULL when absent */
    size_t group_len, edge_len, device_len, host_len;
};

enum spb_topic_result {
    SPB_TOPIC_OK,
    SPB_TOPIC_NOT_SPARKPLUG, /* does not start with "spBv1.0/" */
    SPB_TOPIC_BAD            /* starts so, but is not a Sparkplug topic */
};

/* True when t[0..n) starts with the namespace "spBv1.0/". */
bool spb_topic_is_sparkplug(const uint8_t *t, size_t n);

/* Parses a topic name. On SPB_TOPIC_BAD, *why says what is wrong (a static
 * string) and *out holds what was recognised before. */
enum spb_topic_result spb_topic_parse(const uint8_t *t, size_t n,
                                      struct spb_topic *out, const char **why);

/* ---- datatypes ---- */

enum spb_datatype {
    SPB_DT_UNKNOWN = 0,
    SPB_DT_INT8 = 1, SPB_DT_INT16, SPB_DT_INT32, SPB_DT_INT64,
    SPB_DT_UINT8, SPB_DT_UINT16, SPB_DT_UINT32, SPB_DT_UINT64,
    SPB_DT_FLOAT, SPB_DT_DOUBLE, SPB_DT_BOOLEAN, SPB_DT_STRING,
    SPB_DT_DATETIME, SPB_DT_TEXT,
    SPB_DT_UUID = 15, SPB_DT_DATASET, SPB_DT_BYTES, SPB_DT_FILE, SPB_DT_TEMPLATE,
    SPB_DT_PROPERTYSET = 20, SPB_DT_PROPERTYSETLIST,
    SPB_DT_INT8_ARRAY = 22, SPB_DT_INT16_ARRAY, SPB_DT_INT32_ARRAY,
    SPB_DT_INT64_ARRAY, SPB_DT_UINT8_ARRAY, SPB_DT_UINT16_ARRAY,
    SPB_DT_UINT32_ARRAY, SPB_DT_UINT64_ARRAY, SPB_DT_FLOAT_ARRAY,
    SPB_DT_DOUBLE_ARRAY, SPB_DT_BOOLEAN_ARRAY, SPB_DT_STRING_ARRAY,
    SPB_DT_DATETIME_ARRAY = 34
};

/* The Tahu name of a datatype ("Int8", ..., "DateTimeArray"); NULL for a
 * number the spec does not define. */
const char *spb_datatype_name(uint32_t dt);

/* ---- values ---- */

enum spb_value_kind {
    SPB_V_NONE,      /* no value on the wire */
    SPB_V_INT,       /* i: a signed datatype, sign-extended */
    SPB_V_UINT,      /* u: unsigned, DateTime, or an untyped integer */
    SPB_V_FLOAT,     /* f */
    SPB_V_DOUBLE,    /* d */
    SPB_V_BOOL,      /* b */
    SPB_V_STRING,    /* s: NUL-terminated (protobuf-c's copy) */
    SPB_V_BYTES,     /* bytes */
    SPB_V_ARRAY,     /* arr: an array datatype, iterate with spb_array_next */
    SPB_V_DATASET,   /* ds */
    SPB_V_TEMPLATE,  /* tpl */
    SPB_V_PROPSET,   /* ps */
    SPB_V_PROPSET_LIST, /* psl */
    SPB_V_EXTENSION  /* an extension_value: its contents are not decoded */
};

struct spb_bytes {
    const uint8_t *data;
    size_t len;
};

/* An array value: its packed bytes, checked when the value was read. */
struct spb_array {
    uint32_t type;   /* SPB_DT_*_ARRAY */
    uint32_t count;  /* elements */
    struct spb_bytes raw;
};

/* A list of opaque items inside the arena, read with the spb_*_get of its
 * element type. */
struct spb_list {
    size_t n;
    const void *const *items;
};

struct spb_dataset {
    bool has_num_of_columns;
    uint64_t num_of_columns;
    size_t ncolumns;
    const char *const *columns;
    size_t ntypes;
    const uint32_t *types;
    struct spb_list rows; /* spb_dataset_row_len, spb_dataset_cell */
};

struct spb_template {
    const char *version;      /* NULL when absent */
    const char *template_ref; /* NULL when absent */
    bool has_is_definition, is_definition;
    struct spb_list metrics;    /* spb_metric_get */
    struct spb_list parameters; /* spb_param_get */
};

struct spb_propset {
    size_t nkeys;
    const char *const *keys;
    struct spb_list values; /* spb_property_get */
};

struct spb_propset_list {
    struct spb_list sets; /* spb_propset_get */
};

struct spb_value {
    enum spb_value_kind kind;
    /* Set when the wire value does not fit its datatype (an array whose
     * length is not a whole number of elements, a value of the wrong wire
     * type, ...): the value is then shown as the wire has it. Static. */
    const char *error;
    union {
        int64_t i;
        uint64_t u;
        float f;
        double d;
        bool b;
        const char *s;
        struct spb_bytes bytes;
        struct spb_array arr;
        struct spb_dataset ds;
        struct spb_template tpl;
        struct spb_propset ps;
        struct spb_propset_list psl;
    } v;
};

/* Array elements one by one: each is an SPB_V_INT, _UINT, _FLOAT, _DOUBLE,
 * _BOOL or _STRING value (a StringArray element is a slice: v.bytes, not
 * NUL-terminated). */
struct spb_array_iter {
    const struct spb_array *a;
    size_t pos;      /* byte offset into a->raw */
    uint32_t index;  /* elements read */
};
void spb_array_iter_init(struct spb_array_iter *it, const struct spb_array *a);
bool spb_array_next(struct spb_array_iter *it, struct spb_value *out);

/* ---- metrics and the payload ---- */

struct spb_metadata {
    bool present;
    bool has_is_multi_part, is_multi_part;
    const char *content_type, *file_name, *file_type, *md5, *description;
    bool has_size, has_seq;
    uint64_t size, seq;
};

struct spb_metric {
    const char *name; /* NULL when absent */
    bool has_alias, has_timestamp, has_datatype;
    uint64_t alias, timestamp;
    uint32_t datatype;
    bool has_is_historical, is_historical;
    bool has_is_transient, is_transient;
    bool has_is_null, is_null;
    struct spb_metadata metadata;
    bool has_properties;
    struct spb_propset properties;
    struct spb_value value;
};

struct spb_param {
    const char *name; /* NULL when absent */
    bool has_type;
    uint32_t type;
    struct spb_value value;
};

struct spb_property {
    const char *key; /* NULL: more values than keys */
    bool has_type;
    uint32_t type;
    bool has_is_null, is_null;
    struct spb_value value;
};

struct spb_payload {
    bool has_timestamp, has_seq, has_body;
    uint64_t timestamp, seq;
    const char *uuid; /* NULL when absent */
    struct spb_bytes body;
    struct spb_list metrics; /* spb_metric_get */
};

void spb_metric_get(const struct spb_list *l, size_t i, struct spb_metric *out);
void spb_param_get(const struct spb_list *l, size_t i, struct spb_param *out);
/* keys[i] with values[i] (a key is NULL past the keys). */
void spb_property_get(const struct spb_propset *ps, size_t i,
                      struct spb_property *out);
void spb_propset_get(const struct spb_list *l, size_t i, struct spb_propset *out);
size_t spb_dataset_row_len(const struct spb_dataset *ds, size_t row);
/* Cell (row, col), typed by types[col] when there is one. */
void spb_dataset_cell(const struct spb_dataset *ds, size_t row, size_t col,
                      struct spb_value *out);

/* ---- the decoder ---- */

/* Deepest nesting of messages accepted (the payload is depth 1). */
#define SPB_MAX_DEPTH 32
/* Arena bytes for a payload of len bytes: 64 KiB + 48 x len, at most
 * SPB_ARENA_MAX. protobuf-c's structs are larger than their wire form (a
 * metric with an alias and an int is 6 bytes on the wire, ~170 in memory),
 * so the factor is what real payloads need; the cap is what bounds it. */
#define SPB_ARENA_MAX (8u << 20)
size_t spb_arena_cap(size_t len);

enum spb_status {
    SPB_OK = 0,
    SPB_ERR_PROTOBUF,  /* not a valid Payload message */
    SPB_ERR_DEPTH,     /* nested deeper than SPB_MAX_DEPTH */
    SPB_ERR_ALLOC_CAP, /* would need more than spb_arena_cap(len) */
    SPB_ERR_NOMEM      /* the arena itself could not be allocated */
};

/* "not a Sparkplug B payload (invalid protobuf)", ... */
const char *spb_status_text(enum spb_status s);

struct spb_decoder;
struct spb_decoder *spb_decoder_new(void); /* NULL when out of memory */
void spb_decoder_free(struct spb_decoder *d);

/* Decodes data[0..len) into *out (views valid until the next call). */
enum spb_status spb_decode(struct spb_decoder *d, const uint8_t *data,
                           size_t len, struct spb_payload *out);

/* Bytes the arena handed out for the last spb_decode (tests). */
size_t spb_decoder_used(const struct spb_decoder *d);

#endif
