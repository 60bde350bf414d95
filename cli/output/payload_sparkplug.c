/* The Sparkplug B display: the decoded payload written as JSON (the JSON
 * Lines "sparkplug" object, and the source of the -V tree), and the text
 * summary. Values follow the metric's datatype (decode/sparkplug.h): signed
 * integers signed, floats exact (the shortest decimal that reads back as
 * the same float or double), Bytes and File as hex, DateTime as
 * milliseconds, arrays as JSON arrays. */
#include "output/payload_sparkplug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/text_limits.h"
#include "util/text_escape.h"

/* ---- names ---- */

/* "datatype": the Tahu name, or the number the spec does not define. */
static void json_datatype(struct json_writer *w, const char *key, uint32_t dt)
{
    const char *name = spb_datatype_name(dt);
    jw_key(w, key);
    if (name)
        jw_str(w, name);
    else
        jw_u64(w, dt);
}

static void json_opt_str(struct json_writer *w, const char *key, const char *s)
{
    if (s)
        jw_kv_str(w, key, s);
}

/* ---- values ---- */

static void json_metric(struct json_writer *w, const struct spb_metric *m);
static void json_propset(struct json_writer *w, const struct spb_propset *ps);

static void json_array(struct json_writer *w, const struct spb_array *a);

static void json_dataset(struct json_writer *w, const struct spb_dataset *ds);

static void json_template(struct json_writer *w, const struct spb_template *t);

/* A value (kind not SPB_V_NONE). */
static void json_value(struct json_writer *w, const struct spb_value *v)
{
    switch (v->kind) {
    case SPB_V_INT: jw_i64(w, v->v.i); break;
    case SPB_V_UINT: jw_u64(w, v->v.u); break;
    case SPB_V_FLOAT: jw_f32(w, v->v.f); break;
    case SPB_V_DOUBLE: jw_f64(w, v->v.d); break;
    case SPB_V_BOOL: jw_bool(w, v->v.b); break;
    case SPB_V_STRING: jw_str(w, v->v.s); break;
    case SPB_V_BYTES: jw_hex(w, v->v.bytes.data, v->v.bytes.len); break;
    case SPB_V_ARRAY: json_array(w, &v->v.arr); break;
    case SPB_V_DATASET: json_dataset(w, &v->v.ds); break;
    case SPB_V_TEMPLATE: json_template(w, &v->v.tpl); break;
    case SPB_V_PROPSET: json_propset(w, &v->v.ps); break;
    case SPB_V_PROPSET_LIST:
        jw_array_begin(w);
        for (size_t i = 0; i < v->v.psl.sets.n; i++) {
            struct spb_propset ps;
            spb_propset_get(&v->v.psl.sets, i, &ps);
            json_propset(w, &ps);
        }
        jw_array_end(w);
        break;
    default: jw_null(w); break; /* an extension: not decoded */
    }
}

/* "value" (absent when the wire has none) and "value_error". */
static void json_value_kv(struct json_writer *w, const struct spb_value *v)
{
    if (v->kind != SPB_V_NONE) {
        jw_key(w, "value");
        json_value(w, v);
    }
    if (v->kind == SPB_V_EXTENSION)
        jw_kv_str(w, "value_error", "an extension value (not decoded)");
    else if (v->error)
        jw_kv_str(w, "value_error", v->error);
}

static void json_array(struct json_writer *w, const struct spb_array *a)
{
    struct spb_array_iter it;
    struct spb_value e;
    jw_array_begin(w);
    spb_array_iter_init(&it, a);
    while (spb_array_next(&it, &e)) {
        if (e.kind == SPB_V_STRING) /* a slice of the packed strings */
            jw_strn(w, e.v.bytes.data, e.v.bytes.len);
        else
            json_value(w, &e);
    }
    jw_array_end(w);
}

static void json_dataset(struct json_writer *w, const struct spb_dataset *ds)
{
    jw_object_begin(w);
    if (ds->has_num_of_columns)
        jw_kv_u64(w, "num_of_columns", ds->num_of_columns);
    jw_key(w, "columns");
    jw_array_begin(w);
    for (size_t i = 0; i < ds->ncolumns; i++)
        jw_str(w, ds->columns[i]);
    jw_array_end(w);
    jw_key(w, "types");
    jw_array_begin(w);
    for (size_t i = 0; i < ds->ntypes; i++) {
        const char *name = spb_datatype_name(ds->types[i]);
        if (name)
            jw_str(w, name);
        else
            jw_u64(w, ds->types[i]);
    }
    jw_array_end(w);
    jw_key(w, "rows");
    jw_array_begin(w);
    for (size_t r = 0; r < ds->rows.n; r++) {
        size_t n = spb_dataset_row_len(ds, r);
        jw_array_begin(w);
        for (size_t c = 0; c < n; c++) {
            struct spb_value v;
            spb_dataset_cell(ds, r, c, &v);
            json_value(w, &v); /* a cell without a value is null */
        }
        jw_array_end(w);
    }
    jw_array_end(w);
    jw_object_end(w);
}

static void json_template(struct json_writer *w, const struct spb_template *t)
{
    jw_object_begin(w);
    json_opt_str(w, "version", t->version);
    json_opt_str(w, "template_ref", t->template_ref);
    if (t->has_is_definition)
        jw_kv_bool(w, "is_definition", t->is_definition);
    if (t->parameters.n) {
        jw_key(w, "parameters");
        jw_array_begin(w);
        for (size_t i = 0; i < t->parameters.n; i++) {
            struct spb_param p;
            spb_param_get(&t->parameters, i, &p);
            jw_object_begin(w);
            json_opt_str(w, "name", p.name);
            if (p.has_type)
                json_datatype(w, "type", p.type);
            json_value_kv(w, &p.value);
            jw_object_end(w);
        }
        jw_array_end(w);
    }
    jw_key(w, "metrics");
    jw_array_begin(w);
    for (size_t i = 0; i < t->metrics.n; i++) {
        struct spb_metric m;
        spb_metric_get(&t->metrics, i, &m);
        json_metric(w, &m);
    }
    jw_array_end(w);
    jw_object_end(w);
}

/* A PropertySet as an array of {key, type, is_null, value} in wire order:
 * an array, not an object, because a PropertySet may repeat a key; a value
 * without a key (more values than keys) has none. */
static void json_propset(struct json_writer *w, const struct spb_propset *ps)
{
    jw_array_begin(w);
    for (size_t i = 0; i < ps->values.n; i++) {
        struct spb_property p;
        spb_property_get(ps, i, &p);
        jw_object_begin(w);
        json_opt_str(w, "key", p.key);
        if (p.has_type)
            json_datatype(w, "type", p.type);
        if (p.has_is_null)
            jw_kv_bool(w, "is_null", p.is_null);
        json_value_kv(w, &p.value);
        jw_object_end(w);
    }
    jw_array_end(w);
}

static void json_metadata(struct json_writer *w, const struct spb_metadata *md)
{
    jw_key(w, "metadata");
    jw_object_begin(w);
    if (md->has_is_multi_part)
        jw_kv_bool(w, "is_multi_part", md->is_multi_part);
    json_opt_str(w, "content_type", md->content_type);
    if (md->has_size)
        jw_kv_u64(w, "size", md->size);
    if (md->has_seq)
        jw_kv_u64(w, "seq", md->seq);
    json_opt_str(w, "file_name", md->file_name);
    json_opt_str(w, "file_type", md->file_type);
    json_opt_str(w, "md5", md->md5);
    json_opt_str(w, "description", md->description);
    jw_object_end(w);
}

/* What the births said of a metric named by alias alone. */
struct birth_name {
    const uint8_t *name;
    uint16_t name_len;
    uint32_t datatype; /* 0: not given */
};

/* A metric: the fields its wire form has, in the schema's order; `birth`
 * (NULL: none) adds "name" and "datatype" from the births, each marked
 * with a "..._from_birth": true. */
static void json_metric_birth(struct json_writer *w, const struct spb_metric *m,
                              const struct birth_name *birth)
{
    jw_object_begin(w);
    json_opt_str(w, "name", m->name);
    if (m->has_alias)
        jw_kv_u64(w, "alias", m->alias);
    if (birth && !m->name && birth->name_len) {
        jw_kv_strn(w, "name", birth->name, birth->name_len);
        jw_kv_bool(w, "name_from_birth", true);
    }
    if (m->has_timestamp)
        jw_kv_u64(w, "timestamp", m->timestamp);
    if (m->has_datatype) {
        json_datatype(w, "datatype", m->datatype);
    } else if (birth && birth->datatype) {
        json_datatype(w, "datatype", birth->datatype);
        jw_kv_bool(w, "datatype_from_birth", true);
    }
    if (m->has_is_historical)
        jw_kv_bool(w, "is_historical", m->is_historical);
    if (m->has_is_transient)
        jw_kv_bool(w, "is_transient", m->is_transient);
    if (m->has_is_null)
        jw_kv_bool(w, "is_null", m->is_null);
    if (m->metadata.present)
        json_metadata(w, &m->metadata);
    if (m->has_properties) {
        jw_key(w, "properties");
        json_propset(w, &m->properties);
    }
    if (birth && !m->has_datatype && m->value.kind == SPB_V_UINT &&
        birth->datatype >= SPB_DT_INT8 && birth->datatype <= SPB_DT_INT64) {
        /* Typed by the births' datatype as the decoder types a metric that
         * carries its own: sign-extended from the datatype's low bits. */
        unsigned bits = 8u << (birth->datatype - SPB_DT_INT8);
        uint64_t u = m->value.v.u;
        struct spb_value sv = m->value;
        sv.kind = SPB_V_INT;
        if (bits < 64) {
            uint64_t sign = 1ull << (bits - 1), mask = (sign << 1) - 1;
            u &= mask;
            sv.v.i = (u & sign) ? (int64_t)(u | ~mask) : (int64_t)u;
        } else {
            sv.v.i = (int64_t)u;
        }
        json_value_kv(w, &sv);
    } else {
        json_value_kv(w, &m->value);
    }
    jw_object_end(w);
}

static void json_metric(struct json_writer *w, const struct spb_metric *m)
{
    json_metric_birth(w, m, NULL);
}

/* ---- the object ---- */

static void json_topic(struct json_writer *w, const struct payload_view *v)
{
    const struct spb_topic *t = &v->topic;
    if (t->group)
        jw_kv_strn(w, "group_id", t->group, t->group_len);
    if (v->topic_result == SPB_TOPIC_OK)
        jw_kv_str(w, "message_type", spb_msg_type_name(t->type));
    if (t->edge)
        jw_kv_strn(w, "edge_node_id", t->edge, t->edge_len);
    if (t->device)
        jw_kv_strn(w, "device_id", t->device, t->device_len);
    if (t->host)
        jw_kv_strn(w, "host_id", t->host, t->host_len);
    if (v->topic_result == SPB_TOPIC_BAD)
        jw_kv_str(w, "topic_error", v->topic_error);
    else if (v->topic_result == SPB_TOPIC_NOT_SPARKPLUG)
        jw_kv_str(w, "topic_error", "not in the spBv1.0 namespace");
}

void spb_json_payload(struct json_writer *w, const struct payload_view *v)
{
    const struct spb_payload *p = &v->spb;
    jw_object_begin(w);
    json_topic(w, v);
    if (v->spb_decoded) {
        if (p->has_timestamp)
            jw_kv_u64(w, "timestamp", p->timestamp);
        if (p->has_seq)
            jw_kv_u64(w, "seq", p->seq);
        json_opt_str(w, "uuid", p->uuid);
        if (p->has_body)
            jw_kv_hex(w, "body", p->body.data, p->body.len);
        jw_key(w, "metrics");
        jw_array_begin(w);
        /* The births' names come in increasing metric index. */
        uint32_t pos = 0, next = UINT32_MAX;
        struct birth_name b = {0};
        bool more = msg_spb_name_next(&v->spb_names, &pos, &next, &b.datatype,
                                      &b.name, &b.name_len);
        for (size_t i = 0; i < p->metrics.n; i++) {
            struct spb_metric m;
            spb_metric_get(&p->metrics, i, &m);
            bool named = more && next == i;
            json_metric_birth(w, &m, named ? &b : NULL);
            if (named)
                more = msg_spb_name_next(&v->spb_names, &pos, &next, &b.datatype,
                                         &b.name, &b.name_len);
        }
        jw_array_end(w);
    }
    jw_object_end(w);
}

void spb_json_write(struct json_writer *w, const struct payload_view *v)
{
    jw_key(w, "sparkplug");
    spb_json_payload(w, v);
}

/* ---- text ---- */

static void text_kv(struct obuf *b, const char *key, const uint8_t *s, size_t n)
{
    obuf_putc(b, ' ');
    obuf_puts(b, key);
    obuf_putc(b, '=');
    text_quoted(b, s, n, SUMMARY_STR_LIMIT);
}

void spb_text_summary(struct obuf *b, const struct payload_view *v)
{
    const struct spb_topic *t = &v->topic;
    obuf_puts(b, " spb=");
    obuf_puts(b, v->topic_result == SPB_TOPIC_OK ? spb_msg_type_name(t->type) : "?");
    if (t->host)
        text_kv(b, "host", t->host, t->host_len);
    if (t->group)
        text_kv(b, "group", t->group, t->group_len);
    if (t->edge)
        text_kv(b, "edge", t->edge, t->edge_len);
    if (t->device)
        text_kv(b, "device", t->device, t->device_len);
    if (v->topic_result != SPB_TOPIC_OK) {
        const char *why = v->topic_error ? v->topic_error : "not in the spBv1.0 namespace";
        text_kv(b, "topic_error", (const uint8_t *)why, strlen(why));
    }
    if (!v->spb_decoded)
        return;
    if (v->spb.has_seq) {
        obuf_puts(b, " seq=");
        obuf_u64(b, v->spb.seq);
    }
    obuf_puts(b, " metrics=");
    obuf_u64(b, v->spb.metrics.n);
}
