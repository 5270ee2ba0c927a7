/* gen_manifest.c - collects and writes picket-gen's manifest (JSON).
 *
 * Why it exists: see gen_manifest.h. Written with jansson; expectations
 * are grouped per indicator in the order of the indicator files.
 */
#include "gen_manifest.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "community_id.h"
#include "gen_writer.h"

void gen_manifest_expect(gen_manifest *m, size_t ind, const char *field,
                         const char *observed, const gen_tuple *t,
                         int64_t ts_usec)
{
    if (!gen_grow((void **)&m->e, &m->cape, m->ne + 1, sizeof *m->e, 64)) {
        m->failed = true;
        return;
    }
    gen_expect *e = &m->e[m->ne];
    e->observed = strdup(observed);
    if (!e->observed) {
        m->failed = true;
        return;
    }
    e->ind = ind;
    e->order = m->ne++;
    e->field = field;
    e->flow = *t;
    e->ts_usec = ts_usec;
}

void gen_manifest_skip(gen_manifest *m, size_t ind, const char *reason)
{
    if (!gen_grow((void **)&m->s, &m->caps, m->ns + 1, sizeof *m->s, 64)) {
        m->failed = true;
        return;
    }
    m->s[m->ns].ind = ind;
    snprintf(m->s[m->ns].reason, sizeof m->s[m->ns].reason, "%s", reason);
    m->ns++;
}

void gen_manifest_alias(gen_manifest *m, size_t from, size_t to)
{
    size_t ns = m->ns;
    for (size_t i = 0; i < ns; i++)
        if (m->s[i].ind == from) {
            gen_skip copy = m->s[i];
            gen_manifest_skip(m, to, copy.reason);
        }
    size_t n = m->ne;
    for (size_t i = 0; i < n; i++)
        if (m->e[i].ind == from) {
            gen_expect copy = m->e[i];
            gen_manifest_expect(m, to, copy.field, copy.observed, &copy.flow,
                                copy.ts_usec);
        }
}

static int by_indicator(const void *a, const void *b)
{
    const gen_expect *x = a, *y = b;
    if (x->ind != y->ind)
        return x->ind < y->ind ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static void iso_time(int64_t usec, char *out, size_t cap)
{
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    char base[32];
    gmtime_r(&t, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%06ld+0000", base, (long)(usec % 1000000));
}

static json_t *flow_json(const gen_tuple *t)
{
    char src[GEN_ADDR_STRLEN], dst[GEN_ADDR_STRLEN], cid[PK_COMMUNITY_ID_LEN];
    gen_addr_format(&t->src, src, sizeof src);
    gen_addr_format(&t->dst, dst, sizeof dst);
    pk_community_id(0, t->src.family, t->src.a, t->dst.a, t->proto, t->sport,
                    t->dport, cid);
    return json_pack("{s:s, s:i, s:s, s:i, s:s, s:s}", "src_ip", src,
                     "src_port", (json_int_t)t->sport, "dest_ip", dst,
                     "dest_port", (json_int_t)t->dport, "proto",
                     t->proto == IPPROTO_TCP ? "TCP" : "UDP", "community_id",
                     cid);
}

static void set_opt_str(json_t *o, const char *k, const char *v)
{
    if (v && *v)
        json_object_set_new(o, k, json_string(v));
}

static json_t *indicator_json(const pk_indicator *ind)
{
    json_t *o = json_object();
    json_object_set_new(o, "value", json_string(ind->value));
    json_object_set_new(o, "type", json_string(pk_ind_type_name(ind->type)));
    set_opt_str(o, "source", ind->source);
    set_opt_str(o, "partner", ind->partner);
    set_opt_str(o, "id", ind->id);
    return o;
}

static json_t *expect_json(const gen_expect *e)
{
    char ts[48];
    iso_time(e->ts_usec, ts, sizeof ts);
    return json_pack("{s:s, s:s, s:o, s:s}", "field", e->field, "observed",
                     e->observed, "flow", flow_json(&e->flow), "first_seen",
                     ts);
}

static json_t *exercised_json(const gen_manifest *m, const pk_ind_list *l,
                              size_t *count)
{
    json_t *arr = json_array();
    *count = 0;
    for (size_t i = 0; i < m->ne;) {
        json_t *o = indicator_json(&l->items[m->e[i].ind]);
        json_t *ex = json_array();
        size_t ind = m->e[i].ind;
        for (; i < m->ne && m->e[i].ind == ind; i++)
            json_array_append_new(ex, expect_json(&m->e[i]));
        json_object_set_new(o, "expect", ex);
        json_array_append_new(arr, o);
        (*count)++;
    }
    return arr;
}

static json_t *skipped_json(const gen_manifest *m, const pk_ind_list *l)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < m->ns; i++) {
        json_t *o = indicator_json(&l->items[m->s[i].ind]);
        json_object_set_new(o, "reason", json_string(m->s[i].reason));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *header_json(const gen_run_info *info)
{
    char ts[48];
    iso_time(info->start * 1000000, ts, sizeof ts);
    json_t *files = json_array();
    for (size_t i = 0; i < info->nfiles; i++)
        json_array_append_new(files, json_string(info->files[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:o}",
                     "generator", "picket-gen", "version", PICKET_VERSION,
                     "mode", info->mode, "pcap", info->pcap, "seed",
                     (json_int_t)info->seed, "start", ts, "packets",
                     (json_int_t)info->packets, "sessions",
                     (json_int_t)info->sessions, "indicator_files", files);
}

int gen_manifest_write(gen_manifest *m, const pk_ind_list *l,
                       const gen_run_info *info, const char *path, char *err,
                       size_t errlen)
{
    if (m->failed) {
        snprintf(err, errlen, "%s: out of memory while building manifest", path);
        return -1;
    }
    qsort(m->e, m->ne, sizeof *m->e, by_indicator);
    size_t nex = 0;
    json_t *root = header_json(info);
    json_object_set_new(root, "exercised", exercised_json(m, l, &nex));
    json_object_set_new(root, "not_exercisable", skipped_json(m, l));
    json_object_set_new(root, "summary",
                        json_pack("{s:I, s:I, s:I, s:I}", "indicators",
                                  (json_int_t)l->n, "exercised", (json_int_t)nex,
                                  "not_exercisable", (json_int_t)m->ns,
                                  "expectations", (json_int_t)m->ne));
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(root);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot write manifest: %s", path,
                 errno ? strerror(errno) : "write failed");
        return -1;
    }
    return 0;
}

void gen_manifest_free(gen_manifest *m)
{
    for (size_t i = 0; i < m->ne; i++)
        free(m->e[i].observed);
    free(m->e);
    free(m->s);
    memset(m, 0, sizeof *m);
}
