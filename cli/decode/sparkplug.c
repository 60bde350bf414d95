/* Sparkplug B topics and payloads (sparkplug.h). The payload is unpacked by
 * protobuf-c (the generated decode/sparkplug_b.pb-c.c) with an allocator
 * over a bounded arena; the views of sparkplug.h read its structs. */
#include "decode/sparkplug.h"

#include <stdlib.h>
#include <string.h>

#include "decode/sparkplug_b.pb-c.h"
#include "util/wire.h"

typedef Mqd__Spb__Payload Pb_payload;
typedef Mqd__Spb__Payload__Metric Pb_metric;
typedef Mqd__Spb__Payload__MetaData Pb_metadata;
typedef Mqd__Spb__Payload__PropertySet Pb_propset;
typedef Mqd__Spb__Payload__PropertySetList Pb_propset_list;
typedef Mqd__Spb__Payload__PropertyValue Pb_propvalue;
typedef Mqd__Spb__Payload__DataSet Pb_dataset;
typedef Mqd__Spb__Payload__DataSet__Row Pb_row;
typedef Mqd__Spb__Payload__DataSet__DataSetValue Pb_dsvalue;
typedef Mqd__Spb__Payload__Template Pb_template;
typedef Mqd__Spb__Payload__Template__Parameter Pb_param;

/* ---- topics (spec "Topic Namespace Elements") ---- */

static const char *const msg_type_names[] = {
    "NBIRTH", "NDEATH", "NDATA", "NCMD", "DBIRTH", "DDEATH", "DDATA", "DCMD", "STATE",
};

const char *spb_msg_type_name(enum spb_msg_type t)
{
    return (unsigned)t < sizeof msg_type_names / sizeof *msg_type_names ? msg_type_names[t] : "?";
}

static const char spb_namespace[] = "spBv1.0/";

bool spb_topic_is_sparkplug(const uint8_t *t, size_t n)
{
    size_t k = sizeof spb_namespace - 1;
    return n >= k && memcmp(t, spb_namespace, k) == 0;
}

/* The next '/'-separated level of t[*pos..n): false past the end. */
static bool next_level(const uint8_t *t, size_t n, size_t *pos,
                       const uint8_t **lvl, size_t *len)
{
    if (*pos > n)
        return false;
    size_t i = *pos;
    while (i < n && t[i] != '/')
        i++;
    *lvl = t + *pos;
    *len = i - *pos;
    *pos = i + 1; /* past the separator, or past the end (n + 1) */
    return true;
}

static bool level_is(const uint8_t *lvl, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(lvl, s, len) == 0;
}

static bool msg_type_parse(const uint8_t *lvl, size_t len, enum spb_msg_type *t)
{
    for (unsigned i = 0; i < SPB_STATE; i++) {
        if (level_is(lvl, len, msg_type_names[i])) {
            *t = (enum spb_msg_type)i;
            return true;
        }
    }
    return false;
}

enum spb_topic_result spb_topic_parse(const uint8_t *t, size_t n,
                                      struct spb_topic *out, const char **why)
{
    const uint8_t *lvl;
    size_t len, pos = sizeof spb_namespace - 1;
    memset(out, 0, sizeof *out);
    *why = NULL;
    if (!spb_topic_is_sparkplug(t, n))
        return SPB_TOPIC_NOT_SPARKPLUG;
    if (!next_level(t, n, &pos, &lvl, &len) || len == 0) {
        *why = "no group_id";
        return SPB_TOPIC_BAD;
    }
    if (level_is(lvl, len, "STATE")) { /* spBv1.0/STATE/<host_id> (3.0) */
        out->type = SPB_STATE;
        if (!next_level(t, n, &pos, &out->host, &out->host_len) || out->host_len == 0) {
            *why = "STATE without a host_id";
            return SPB_TOPIC_BAD;
        }
        if (pos <= n) {
            *why = "levels after the host_id";
            return SPB_TOPIC_BAD;
        }
        return SPB_TOPIC_OK;
    }
    out->group = lvl;
    out->group_len = len;
    if (!next_level(t, n, &pos, &lvl, &len) || !msg_type_parse(lvl, len, &out->type)) {
        *why = "unknown message_type";
        return SPB_TOPIC_BAD;
    }
    if (!next_level(t, n, &pos, &out->edge, &out->edge_len) || out->edge_len == 0) {
        *why = "no edge_node_id";
        return SPB_TOPIC_BAD;
    }
    bool device_type = out->type >= SPB_DBIRTH;
    if (device_type &&
        (!next_level(t, n, &pos, &out->device, &out->device_len) || out->device_len == 0)) {
        *why = "a device message_type without a device_id";
        return SPB_TOPIC_BAD;
    }
    if (pos <= n) {
        *why = device_type ? "levels after the device_id" : "levels after the edge_node_id";
        return SPB_TOPIC_BAD;
    }
    return SPB_TOPIC_OK;
}

/* ---- datatypes ---- */

static const char *const datatype_names[] = {
    "Unknown", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32",
    "UInt64", "Float", "Double", "Boolean", "String", "DateTime", "Text",
    "UUID", "DataSet", "Bytes", "File", "Template", "PropertySet",
    "PropertySetList", "Int8Array", "Int16Array", "Int32Array", "Int64Array",
    "UInt8Array", "UInt16Array", "UInt32Array", "UInt64Array", "FloatArray",
    "DoubleArray", "BooleanArray", "StringArray", "DateTimeArray",
};

const char *spb_datatype_name(uint32_t dt)
{
    return dt < sizeof datatype_names / sizeof *datatype_names ? datatype_names[dt] : NULL;
}

/* Bits of a signed integer datatype; 0 for the others. */
static unsigned signed_bits(uint32_t dt)
{
    switch (dt) {
    case SPB_DT_INT8: return 8;
    case SPB_DT_INT16: return 16;
    case SPB_DT_INT32: return 32;
    case SPB_DT_INT64: return 64;
    default: return 0;
    }
}

static bool is_unsigned_dt(uint32_t dt)
{
    return (dt >= SPB_DT_UINT8 && dt <= SPB_DT_UINT64) || dt == SPB_DT_DATETIME;
}

static bool is_array_dt(uint32_t dt)
{
    return dt >= SPB_DT_INT8_ARRAY && dt <= SPB_DT_DATETIME_ARRAY;
}

/* Bytes per element of a fixed-size array datatype; 0 for Boolean and
 * String arrays. */
static size_t array_elem_size(uint32_t dt)
{
    switch (dt) {
    case SPB_DT_INT8_ARRAY: case SPB_DT_UINT8_ARRAY: return 1;
    case SPB_DT_INT16_ARRAY: case SPB_DT_UINT16_ARRAY: return 2;
    case SPB_DT_INT32_ARRAY: case SPB_DT_UINT32_ARRAY: case SPB_DT_FLOAT_ARRAY: return 4;
    case SPB_DT_INT64_ARRAY: case SPB_DT_UINT64_ARRAY: case SPB_DT_DOUBLE_ARRAY:
    case SPB_DT_DATETIME_ARRAY: return 8;
    default: return 0;
    }
}

/* The two's complement value of the low `bits` bits of v. */
static int64_t sign_extend(uint64_t v, unsigned bits)
{
    if (bits >= 64)
        return (int64_t)v;
    uint64_t m = UINT64_C(1) << (bits - 1);
    v &= (UINT64_C(1) << bits) - 1;
    return (int64_t)((v ^ m) - m);
}

/* ---- values: the wire's oneof, then typed by the datatype ---- */

/* What the wire carries, whichever message the oneof belongs to. */
struct raw_value {
    enum spb_value_kind kind; /* SPB_V_UINT for int_value and long_value */
    uint64_t u;
    float f;
    double d;
    bool b;
    const char *s;
    struct spb_bytes bytes;
    const void *msg; /* DataSet, Template, PropertySet, PropertySetList */
};

static void view_dataset(const Pb_dataset *p, struct spb_dataset *ds);
static void view_template(const Pb_template *p, struct spb_template *t);
static void view_propset(const Pb_propset *p, struct spb_propset *ps);

/* The datatype that the wire kind of a value fits, coarsely: whether the
 * value's oneof is the one the spec gives the datatype. */
static bool kind_fits(uint32_t dt, enum spb_value_kind k)
{
    if (signed_bits(dt) || is_unsigned_dt(dt))
        return k == SPB_V_UINT; /* int_value or long_value: encoders differ */
    switch (dt) {
    case SPB_DT_FLOAT: return k == SPB_V_FLOAT;
    case SPB_DT_DOUBLE: return k == SPB_V_DOUBLE;
    case SPB_DT_BOOLEAN: return k == SPB_V_BOOL;
    case SPB_DT_STRING: case SPB_DT_TEXT: case SPB_DT_UUID: return k == SPB_V_STRING;
    case SPB_DT_DATASET: return k == SPB_V_DATASET;
    case SPB_DT_BYTES: case SPB_DT_FILE: return k == SPB_V_BYTES;
    case SPB_DT_TEMPLATE: return k == SPB_V_TEMPLATE;
    case SPB_DT_PROPERTYSET: return k == SPB_V_PROPSET;
    case SPB_DT_PROPERTYSETLIST: return k == SPB_V_PROPSET_LIST;
    default: return is_array_dt(dt) ? k == SPB_V_BYTES : true;
    }
}

/* An array's bytes checked: fixed-size elements fill it exactly; a
 * BooleanArray is a little-endian uint32 count and then exactly the bytes
 * its bits need; a StringArray ends with the NUL of its last string. */
static const char *array_check(uint32_t dt, struct spb_bytes raw, uint32_t *count)
{
    size_t es = array_elem_size(dt);
    if (es) {
        if (raw.len % es)
            return "array length is not a whole number of elements";
        if (raw.len / es > UINT32_MAX)
            return "array too long";
        *count = (uint32_t)(raw.len / es);
        return NULL;
    }
    if (dt == SPB_DT_BOOLEAN_ARRAY) {
        struct wire w = wire_make(raw.data, raw.len);
        uint32_t n;
        if (!wire_le32(&w, &n))
            return "BooleanArray shorter than its count";
        if (((uint64_t)n + 7) / 8 != wire_left(&w))
            return "BooleanArray bytes do not match its count";
        *count = n;
        return NULL;
    }
    uint32_t n = 0; /* StringArray */
    for (size_t i = 0; i < raw.len; i++)
        n += raw.data[i] == 0;
    if (raw.len > 0 && raw.data[raw.len - 1] != 0)
        return "StringArray does not end with NUL";
    *count = n;
    return NULL;
}

/* The raw value typed by its datatype (has_dt false: untyped). */
static void typed_value(bool has_dt, uint32_t dt, const struct raw_value *r,
                        struct spb_value *out)
{
    memset(out, 0, sizeof *out);
    out->kind = r->kind;
    if (r->kind == SPB_V_NONE || r->kind == SPB_V_EXTENSION)
        return;
    if (has_dt && !kind_fits(dt, r->kind))
        out->error = "the value's wire type does not match the datatype";
    switch (r->kind) {
    case SPB_V_UINT:
        if (has_dt && signed_bits(dt)) {
            out->kind = SPB_V_INT;
            out->v.i = sign_extend(r->u, signed_bits(dt));
        } else {
            out->v.u = r->u;
        }
        return;
    case SPB_V_FLOAT: out->v.f = r->f; return;
    case SPB_V_DOUBLE: out->v.d = r->d; return;
    case SPB_V_BOOL: out->v.b = r->b; return;
    case SPB_V_STRING: out->v.s = r->s; return;
    case SPB_V_BYTES:
        out->v.bytes = r->bytes;
        if (has_dt && is_array_dt(dt) && !out->error) {
            uint32_t count = 0;
            const char *err = array_check(dt, r->bytes, &count);
            if (err) {
                out->error = err;
                return;
            }
            out->kind = SPB_V_ARRAY;
            out->v.arr.type = dt;
            out->v.arr.count = count;
            out->v.arr.raw = r->bytes;
        }
        return;
    case SPB_V_DATASET: view_dataset(r->msg, &out->v.ds); return;
    case SPB_V_TEMPLATE: view_template(r->msg, &out->v.tpl); return;
    case SPB_V_PROPSET: view_propset(r->msg, &out->v.ps); return;
    case SPB_V_PROPSET_LIST: {
        const Pb_propset_list *l = r->msg;
        out->v.psl.sets.n = l->n_propertyset;
        out->v.psl.sets.items = (const void *const *)l->propertyset;
        return;
    }
    default:
        return;
    }
}

/* ---- arrays ---- */

void spb_array_iter_init(struct spb_array_iter *it, const struct spb_array *a)
{
    it->a = a;
    it->pos = a->type == SPB_DT_BOOLEAN_ARRAY ? 4 : 0;
    it->index = 0;
}

static bool array_next_string(struct spb_array_iter *it, struct spb_value *out)
{
    const struct spb_bytes *r = &it->a->raw;
    size_t start = it->pos, i = start;
    while (i < r->len && r->data[i] != 0)
        i++;
    if (i >= r->len)
        return false;
    out->kind = SPB_V_STRING;
    out->v.bytes.data = r->data + start;
    out->v.bytes.len = i - start;
    it->pos = i + 1;
    return true;
}

static bool array_next_fixed(struct spb_array_iter *it, struct spb_value *out)
{
    const struct spb_array *a = it->a;
    struct wire w = wire_make(a->raw.data, a->raw.len);
    uint64_t u = 0;
    size_t es = array_elem_size(a->type);
    w.pos = it->pos;
    if (es == 1) {
        uint8_t v;
        if (!wire_u8(&w, &v))
            return false;
        u = v;
    } else if (es == 2) {
        uint16_t v;
        if (!wire_le16(&w, &v))
            return false;
        u = v;
    } else if (es == 4) {
        uint32_t v;
        if (!wire_le32(&w, &v))
            return false;
        u = v;
    } else if (!wire_le64(&w, &u)) {
        return false;
    }
    it->pos = w.pos;
    switch (a->type) {
    case SPB_DT_INT8_ARRAY: case SPB_DT_INT16_ARRAY: case SPB_DT_INT32_ARRAY:
    case SPB_DT_INT64_ARRAY: case SPB_DT_DATETIME_ARRAY:
        out->kind = SPB_V_INT; /* DateTimeArray: int64 (spec) */
        out->v.i = sign_extend(u, (unsigned)es * 8);
        return true;
    case SPB_DT_FLOAT_ARRAY: {
        uint32_t bits = (uint32_t)u;
        out->kind = SPB_V_FLOAT;
        memcpy(&out->v.f, &bits, sizeof bits);
        return true;
    }
    case SPB_DT_DOUBLE_ARRAY:
        out->kind = SPB_V_DOUBLE;
        memcpy(&out->v.d, &u, sizeof u);
        return true;
    default:
        out->kind = SPB_V_UINT;
        out->v.u = u;
        return true;
    }
}

bool spb_array_next(struct spb_array_iter *it, struct spb_value *out)
{
    const struct spb_array *a = it->a;
    memset(out, 0, sizeof *out);
    if (it->index >= a->count)
        return false;
    bool ok;
    if (a->type == SPB_DT_BOOLEAN_ARRAY) {
        /* bits from the most significant of each byte (Tahu's encoder) */
        size_t byte = 4 + it->index / 8;
        ok = byte < a->raw.len;
        if (ok) {
            out->kind = SPB_V_BOOL;
            out->v.b = (a->raw.data[byte] >> (7 - it->index % 8)) & 1;
        }
    } else if (a->type == SPB_DT_STRING_ARRAY) {
        ok = array_next_string(it, out);
    } else {
        ok = array_next_fixed(it, out);
    }
    if (ok)
        it->index++;
    return ok;
}

/* ---- views ---- */

static void view_dataset(const Pb_dataset *p, struct spb_dataset *ds)
{
    ds->has_num_of_columns = p->has_num_of_columns;
    ds->num_of_columns = p->num_of_columns;
    ds->ncolumns = p->n_columns;
    ds->columns = (const char *const *)p->columns;
    ds->ntypes = p->n_types;
    ds->types = p->types;
    ds->rows.n = p->n_rows;
    ds->rows.items = (const void *const *)p->rows;
}

static void view_template(const Pb_template *p, struct spb_template *t)
{
    t->version = p->version;
    t->template_ref = p->template_ref;
    t->has_is_definition = p->has_is_definition;
    t->is_definition = p->is_definition;
    t->metrics.n = p->n_metrics;
    t->metrics.items = (const void *const *)p->metrics;
    t->parameters.n = p->n_parameters;
    t->parameters.items = (const void *const *)p->parameters;
}

static void view_propset(const Pb_propset *p, struct spb_propset *ps)
{
    ps->nkeys = p->n_keys;
    ps->keys = (const char *const *)p->keys;
    ps->values.n = p->n_values;
    ps->values.items = (const void *const *)p->values;
}

static void view_metadata(const Pb_metadata *p, struct spb_metadata *md)
{
    memset(md, 0, sizeof *md);
    if (!p)
        return;
    md->present = true;
    md->has_is_multi_part = p->has_is_multi_part;
    md->is_multi_part = p->is_multi_part;
    md->content_type = p->content_type;
    md->has_size = p->has_size;
    md->size = p->size;
    md->has_seq = p->has_seq;
    md->seq = p->seq;
    md->file_name = p->file_name;
    md->file_type = p->file_type;
    md->md5 = p->md5;
    md->description = p->description;
}

static void raw_metric(const Pb_metric *p, struct raw_value *r)
{
    memset(r, 0, sizeof *r);
    switch (p->value_case) {
    case MQD__SPB__PAYLOAD__METRIC__VALUE_INT_VALUE: r->kind = SPB_V_UINT; r->u = p->int_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_LONG_VALUE: r->kind = SPB_V_UINT; r->u = p->long_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_FLOAT_VALUE: r->kind = SPB_V_FLOAT; r->f = p->float_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE: r->kind = SPB_V_DOUBLE; r->d = p->double_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE: r->kind = SPB_V_BOOL; r->b = p->boolean_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_STRING_VALUE: r->kind = SPB_V_STRING; r->s = p->string_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_BYTES_VALUE:
        r->kind = SPB_V_BYTES;
        r->bytes.data = p->bytes_value.data;
        r->bytes.len = p->bytes_value.len;
        break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_DATASET_VALUE: r->kind = SPB_V_DATASET; r->msg = p->dataset_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_TEMPLATE_VALUE: r->kind = SPB_V_TEMPLATE; r->msg = p->template_value; break;
    case MQD__SPB__PAYLOAD__METRIC__VALUE_EXTENSION_VALUE: r->kind = SPB_V_EXTENSION; break;
    default: r->kind = SPB_V_NONE; break;
    }
}

void spb_metric_get(const struct spb_list *l, size_t i, struct spb_metric *out)
{
    const Pb_metric *p = l->items[i];
    struct raw_value r;
    memset(out, 0, sizeof *out);
    out->name = p->name;
    out->has_alias = p->has_alias;
    out->alias = p->alias;
    out->has_timestamp = p->has_timestamp;
    out->timestamp = p->timestamp;
    out->has_datatype = p->has_datatype;
    out->datatype = p->datatype;
    out->has_is_historical = p->has_is_historical;
    out->is_historical = p->is_historical;
    out->has_is_transient = p->has_is_transient;
    out->is_transient = p->is_transient;
    out->has_is_null = p->has_is_null;
    out->is_null = p->is_null;
    view_metadata(p->metadata, &out->metadata);
    if (p->properties) {
        out->has_properties = true;
        view_propset(p->properties, &out->properties);
    }
    raw_metric(p, &r);
    typed_value(p->has_datatype, p->datatype, &r, &out->value);
}

void spb_param_get(const struct spb_list *l, size_t i, struct spb_param *out)
{
    const Pb_param *p = l->items[i];
    struct raw_value r;
    memset(&r, 0, sizeof r);
    switch (p->value_case) {
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_INT_VALUE: r.kind = SPB_V_UINT; r.u = p->int_value; break;
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_LONG_VALUE: r.kind = SPB_V_UINT; r.u = p->long_value; break;
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_FLOAT_VALUE: r.kind = SPB_V_FLOAT; r.f = p->float_value; break;
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_DOUBLE_VALUE: r.kind = SPB_V_DOUBLE; r.d = p->double_value; break;
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_BOOLEAN_VALUE: r.kind = SPB_V_BOOL; r.b = p->boolean_value; break;
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_STRING_VALUE: r.kind = SPB_V_STRING; r.s = p->string_value; break;
    case MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_EXTENSION_VALUE: r.kind = SPB_V_EXTENSION; break;
    default: break;
    }
    memset(out, 0, sizeof *out);
    out->name = p->name;
    out->has_type = p->has_type;
    out->type = p->type;
    typed_value(p->has_type, p->type, &r, &out->value);
}

void spb_property_get(const struct spb_propset *ps, size_t i, struct spb_property *out)
{
    const Pb_propvalue *p = ps->values.items[i];
    struct raw_value r;
    memset(&r, 0, sizeof r);
    switch (p->value_case) {
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_INT_VALUE: r.kind = SPB_V_UINT; r.u = p->int_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_LONG_VALUE: r.kind = SPB_V_UINT; r.u = p->long_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_FLOAT_VALUE: r.kind = SPB_V_FLOAT; r.f = p->float_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_DOUBLE_VALUE: r.kind = SPB_V_DOUBLE; r.d = p->double_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_BOOLEAN_VALUE: r.kind = SPB_V_BOOL; r.b = p->boolean_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_STRING_VALUE: r.kind = SPB_V_STRING; r.s = p->string_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_PROPERTYSET_VALUE: r.kind = SPB_V_PROPSET; r.msg = p->propertyset_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_PROPERTYSETS_VALUE: r.kind = SPB_V_PROPSET_LIST; r.msg = p->propertysets_value; break;
    case MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_EXTENSION_VALUE: r.kind = SPB_V_EXTENSION; break;
    default: break;
    }
    memset(out, 0, sizeof *out);
    out->key = i < ps->nkeys ? ps->keys[i] : NULL;
    out->has_type = p->has_type;
    out->type = p->type;
    out->has_is_null = p->has_is_null;
    out->is_null = p->is_null;
    typed_value(p->has_type, p->type, &r, &out->value);
}

void spb_propset_get(const struct spb_list *l, size_t i, struct spb_propset *out)
{
    view_propset(l->items[i], out);
}

size_t spb_dataset_row_len(const struct spb_dataset *ds, size_t row)
{
    const Pb_row *r = ds->rows.items[row];
    return r->n_elements;
}

void spb_dataset_cell(const struct spb_dataset *ds, size_t row, size_t col,
                      struct spb_value *out)
{
    const Pb_row *rw = ds->rows.items[row];
    const Pb_dsvalue *p = rw->elements[col];
    struct raw_value r;
    memset(&r, 0, sizeof r);
    switch (p->value_case) {
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_INT_VALUE: r.kind = SPB_V_UINT; r.u = p->int_value; break;
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_LONG_VALUE: r.kind = SPB_V_UINT; r.u = p->long_value; break;
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_FLOAT_VALUE: r.kind = SPB_V_FLOAT; r.f = p->float_value; break;
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_DOUBLE_VALUE: r.kind = SPB_V_DOUBLE; r.d = p->double_value; break;
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_BOOLEAN_VALUE: r.kind = SPB_V_BOOL; r.b = p->boolean_value; break;
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_STRING_VALUE: r.kind = SPB_V_STRING; r.s = p->string_value; break;
    case MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_EXTENSION_VALUE: r.kind = SPB_V_EXTENSION; break;
    default: break;
    }
    bool typed = col < ds->ntypes;
    typed_value(typed, typed ? ds->types[col] : 0, &r, out);
}

/* ---- the arena and the decoder ---- */

struct spb_decoder {
    uint8_t *arena;
    size_t size;  /* bytes allocated for the arena */
    size_t cap;   /* bytes this payload may use (<= size) */
    size_t used;
    bool over;    /* an allocation was refused */
    ProtobufCAllocator alloc;
};

size_t spb_arena_cap(size_t len)
{
    size_t base = 64u << 10;
    if (len > (SPB_ARENA_MAX - base) / 48)
        return SPB_ARENA_MAX;
    return base + 48 * len;
}

static void *arena_alloc(void *data, size_t n)
{
    struct spb_decoder *d = data;
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || need > d->cap - d->used) {
        d->over = true;
        return NULL;
    }
    void *p = d->arena + d->used;
    d->used += need;
    return p;
}

static void arena_free(void *data, void *p)
{
    (void)data; /* the whole arena is reset by the next decode */
    (void)p;
}

struct spb_decoder *spb_decoder_new(void)
{
    struct spb_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->alloc.alloc = arena_alloc;
    d->alloc.free = arena_free;
    d->alloc.allocator_data = d;
    return d;
}

void spb_decoder_free(struct spb_decoder *d)
{
    if (!d)
        return;
    free(d->arena);
    free(d);
}

size_t spb_decoder_used(const struct spb_decoder *d)
{
    return d->used;
}

const char *spb_status_text(enum spb_status s)
{
    switch (s) {
    case SPB_OK: return "ok";
    case SPB_ERR_PROTOBUF: return "not a Sparkplug B payload (invalid protobuf)";
    case SPB_ERR_DEPTH: return "messages nested too deep";
    case SPB_ERR_ALLOC_CAP: return "decoding would exceed the memory cap for this payload";
    case SPB_ERR_NOMEM: return "out of memory";
    }
    return "?";
}

enum walk { WALK_OK, WALK_BAD, WALK_DEEP };

/* Walks the wire form of a message of type `desc` and of every message
 * nested in it, by the descriptors protoc-c generated: WALK_OK when it is
 * well-formed as far as framing goes and nests at most SPB_MAX_DEPTH deep.
 * protobuf-c unpacks nested messages by recursion, so this bounds its
 * stack (and this walk's own: it stops at the same depth). */
static enum walk wire_walk(const ProtobufCMessageDescriptor *desc,
                           const uint8_t *p, size_t len, unsigned depth)
{
    if (depth > SPB_MAX_DEPTH)
        return WALK_DEEP;
    struct wire w = wire_make(p, len);
    while (wire_left(&w) > 0) {
        uint64_t key, v;
        if (!wire_varint(&w, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
            return WALK_BAD;
        bool ok;
        switch (key & 7) {
        case 0: ok = wire_varint(&w, &v); break;
        case 1: ok = wire_skip(&w, 8); break;
        case 5: ok = wire_skip(&w, 4); break;
        case 2: {
            if (!wire_varint(&w, &v) || v > wire_left(&w))
                return WALK_BAD;
            const ProtobufCFieldDescriptor *fd =
                protobuf_c_message_descriptor_get_field(desc, (unsigned)(key >> 3));
            if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
                enum walk r = wire_walk(fd->descriptor, wire_here(&w), (size_t)v, depth + 1);
                if (r != WALK_OK)
                    return r;
            }
            ok = wire_skip(&w, (size_t)v);
            break;
        }
        default: /* groups (3, 4) are not in the schema; 6, 7 do not exist */
            ok = false;
            break;
        }
        if (!ok)
            return WALK_BAD;
    }
    return WALK_OK;
}

enum spb_status spb_decode(struct spb_decoder *d, const uint8_t *data,
                           size_t len, struct spb_payload *out)
{
    memset(out, 0, sizeof *out);
    enum walk wr = wire_walk(&mqd__spb__payload__descriptor, data, len, 1);
    if (wr != WALK_OK)
        return wr == WALK_DEEP ? SPB_ERR_DEPTH : SPB_ERR_PROTOBUF;
    size_t cap = spb_arena_cap(len);
    if (d->size < cap) {
        free(d->arena);
        d->size = 0;
        d->arena = malloc(cap);
        if (!d->arena)
            return SPB_ERR_NOMEM;
        d->size = cap;
    }
    d->cap = cap;
    d->used = 0;
    d->over = false;
    Pb_payload *p = mqd__spb__payload__unpack(&d->alloc, len, data);
    if (!p)
        return d->over ? SPB_ERR_ALLOC_CAP : SPB_ERR_PROTOBUF;
    out->has_timestamp = p->has_timestamp;
    out->timestamp = p->timestamp;
    out->has_seq = p->has_seq;
    out->seq = p->seq;
    out->uuid = p->uuid;
    out->has_body = p->has_body;
    out->body.data = p->body.data;
    out->body.len = p->body.len;
    out->metrics.n = p->n_metrics;
    out->metrics.items = (const void *const *)p->metrics;
    return SPB_OK;
}
