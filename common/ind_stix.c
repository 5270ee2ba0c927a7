/* ind_stix.c - reads STIX 2.1 indicators (a bundle, one object, or an array).
 *
 * Why it exists: coalition partners exchange STIX 2.1 (often via TAXII).
 * We read indicator objects, take TLP from their marking references (the
 * TLP 1.0 and 2.0 marking-definition ids, or TLP markings defined in the
 * bundle), expiry from valid_until, skip revoked ones, and load each
 * comparison of the pattern we can match as one indicator carrying the
 * object's id. What we cannot match is named in the report with the id.
 */
#include "ind_load_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STIX_MAX_SHARE 64     /* partners in x_picket_share_with */
#define STIX_SCRATCH (32u * 1024u) /* metadata strings of one object */

static const struct { const char *id; pk_tlp tlp; } tlp_ids[] = {
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", PK_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", PK_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", PK_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", PK_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", PK_TLP_RED},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", PK_TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", PK_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", PK_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", PK_TLP_RED},
};

typedef struct stix_ctx {
    pk_ldctx *c;
    json_t *markings;         /* marking-definition id -> TLP (integer) */
    json_t *identities;       /* identity id -> name (string) */
    pk_scratch sc;
} stix_ctx;

typedef struct stix_obj {
    const json_t *o;
    size_t index;             /* 1-based position in the bundle */
    char label[96];           /* "object 3 (indicator--...)" for messages */
} stix_obj;

static const char *str_field(const json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

static void obj_issue(stix_ctx *x, const stix_obj *ob, bool unsupported,
                      const char *what) {
    if (unsupported)
        pk_ld_unsupported(x->c, 0, "%s: %s", ob->label, what);
    else
        pk_ld_issue(x->c, 0, "%s: %s", ob->label, what);
}

/* ---- bundle-level context: markings and identities ------------------------------ */

static int tlp_of_marking(const json_t *m) {
    const char *name = str_field(m, "name");
    const json_t *def = json_object_get(m, "definition");
    const char *type = str_field(m, "definition_type");
    if (type && strcmp(type, "tlp") == 0 && str_field(def, "tlp"))
        return pk_tlp_parse(str_field(def, "tlp"));
    if (name && strncasecmp(name, "TLP:", 4) == 0)
        return pk_tlp_parse(name);
    return -1;
}

static void learn_object(stix_ctx *x, const json_t *o) {
    const char *type = str_field(o, "type"), *id = str_field(o, "id");
    if (!type || !id)
        return;
    if (strcmp(type, "marking-definition") == 0) {
        int t = tlp_of_marking(o);
        if (t >= 0)
            json_object_set_new(x->markings, id, json_integer(t));
    } else if (strcmp(type, "identity") == 0 && str_field(o, "name")) {
        json_object_set(x->identities, id, json_object_get(o, "name"));
    }
}

static int ref_tlp(const stix_ctx *x, const char *ref) {
    for (size_t i = 0; i < sizeof tlp_ids / sizeof tlp_ids[0]; i++)
        if (strcmp(ref, tlp_ids[i].id) == 0)
            return (int)tlp_ids[i].tlp;
    const json_t *t = json_object_get(x->markings, ref);
    return t ? (int)json_integer_value(t) : -1;
}

/* ---- indicator metadata ------------------------------------------------------------ */

static int read_tlp(stix_ctx *x, const stix_obj *ob, pk_indicator *ind) {
    const json_t *refs = json_object_get(ob->o, "object_marking_refs");
    size_t i;
    const json_t *r;
    if (refs && !json_is_array(refs)) {
        obj_issue(x, ob, false, "object_marking_refs is not an array");
        return -1;
    }
    json_array_foreach(refs, i, r) {
        int t = json_is_string(r) ? ref_tlp(x, json_string_value(r)) : -1;
        if (t > (int)ind->tlp)
            ind->tlp = (uint8_t)t;    /* the most restrictive marking wins */
    }
    return 0;
}

static int read_confidence(stix_ctx *x, const stix_obj *ob, pk_indicator *ind) {
    const json_t *v = json_object_get(ob->o, "confidence");
    if (!v)
        return 0;
    double d = json_number_value(v);
    if (!json_is_number(v) || !(d >= 0 && d <= 100)) {
        obj_issue(x, ob, false, "confidence is not a number 0-100");
        return -1;
    }
    ind->confidence = (uint8_t)lround(d);
    return 0;
}

static const char *read_share(stix_ctx *x, const stix_obj *ob, bool *bad) {
    const json_t *a = json_object_get(ob->o, "x_picket_share_with"), *v;
    size_t i;
    if (!a)
        return NULL;
    char *out = x->sc.buf + x->sc.used;
    size_t len = 0, room = x->sc.cap - x->sc.used;
    *bad = !json_is_array(a) || json_array_size(a) > STIX_MAX_SHARE;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        size_t n = s ? strlen(s) : 0;
        if (!s || n == 0 || n > PK_LOAD_MAX_LABEL || strchr(s, ',') ||
            len + n + 2 > room) {
            *bad = true;
            break;
        }
        if (len > 0)
            out[len++] = ',';
        memcpy(out + len, s, n);
        len += n;
    }
    if (*bad) {
        obj_issue(x, ob, false, "x_picket_share_with must be an array of partner names");
        return NULL;
    }
    out[len] = '\0';
    x->sc.used += len + 1;
    return out;
}

static const char *label_str(stix_ctx *x, const json_t *o, const char *key,
                             bool *bad) {
    const json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);
    if (v && (!s || strlen(s) > PK_LOAD_MAX_LABEL))
        *bad = true;
    return s ? pk_scratch_text(&x->sc, s, strlen(s), PK_LOAD_MAX_LABEL) : NULL;
}

static const char *read_source(stix_ctx *x, const stix_obj *ob, bool *bad) {
    const char *src = label_str(x, ob->o, "x_picket_source", bad);
    const char *by = str_field(ob->o, "created_by_ref");
    const char *name = by ? json_string_value(json_object_get(x->identities, by)) : NULL;
    if (!src && name)
        src = pk_scratch_text(&x->sc, name, strlen(name), PK_LOAD_MAX_LABEL);
    if (!src && by)
        src = pk_scratch_text(&x->sc, by, strlen(by), PK_LOAD_MAX_LABEL);
    return src;
}

static const char *read_description(stix_ctx *x, const json_t *o) {
    const char *name = str_field(o, "name"), *desc = str_field(o, "description");
    char tmp[PK_LOAD_MAX_DESC + 2];
    if (!name && !desc)
        return NULL;
    int w = snprintf(tmp, sizeof tmp, "%s%s%s", name ? name : "",
                     name && desc ? ": " : "", desc ? desc : "");
    size_t len = w < 0 ? 0 : (size_t)w >= sizeof tmp ? sizeof tmp - 1 : (size_t)w;
    return pk_scratch_text(&x->sc, tmp, len, PK_LOAD_MAX_DESC);
}

static int read_meta(stix_ctx *x, const stix_obj *ob, pk_indicator *ind) {
    bool bad = false;
    const char *until = str_field(ob->o, "valid_until");
    if (json_object_get(ob->o, "valid_until") &&
        (!until || pk_ld_parse_time(until, strlen(until), &ind->expires) < 0)) {
        obj_issue(x, ob, false, "valid_until is not a timestamp");
        return -1;
    }
    if (read_tlp(x, ob, ind) < 0 || read_confidence(x, ob, ind) < 0)
        return -1;
    ind->id = label_str(x, ob->o, "id", &bad);
    ind->source = read_source(x, ob, &bad);
    ind->partner = label_str(x, ob->o, "x_picket_partner", &bad);
    if (bad) {
        obj_issue(x, ob, false, "id, x_picket_source or x_picket_partner is not a short string");
        return -1;
    }
    ind->share_with = read_share(x, ob, &bad);
    ind->description = read_description(x, ob->o);
    return bad ? -1 : 0;
}

/* ---- indicators ------------------------------------------------------------------- */

static int emit_cmps(stix_ctx *x, const stix_obj *ob, pk_indicator *meta,
                     const pk_stix_pattern *pat) {
    char buf[PK_IND_VALUE_MAX + 1], ex[64], msg[160];
    for (size_t i = 0; i < pat->ncmps; i++) {
        const pk_stix_cmp *cmp = &pat->cmps[i];
        pk_indicator ind = *meta;
        const char *why;
        if (pk_ind_set_value(&ind, cmp->type, cmp->value, cmp->len, buf,
                             sizeof buf, &why) < 0) {
            pk_ld_excerpt(ex, sizeof ex, cmp->value, cmp->len);
            snprintf(msg, sizeof msg, "%s: '%s'", why, ex);
            obj_issue(x, ob, false, msg);
            continue;
        }
        if (pk_ld_emit(x->c, &ind) < 0)
            return -1;
    }
    return 0;
}

static void pattern_issue(stix_ctx *x, const stix_obj *ob, int rc,
                          const pk_stix_pattern *pat) {
    char msg[192];
    if (rc < 0) {
        snprintf(msg, sizeof msg, "invalid pattern: %s", pat->reason);
        obj_issue(x, ob, false, msg);
    } else if (rc > 0 || pat->ncmps == 0) {
        snprintf(msg, sizeof msg, "unsupported pattern: %s", pat->reason);
        obj_issue(x, ob, true, msg);
    } else if (pat->nunsupported > 0) {
        snprintf(msg, sizeof msg, "%zu OR-ed comparison(s) not loaded: %s",
                 pat->nunsupported, pat->reason);
        obj_issue(x, ob, true, msg);
    }
}

static int read_pattern(stix_ctx *x, const stix_obj *ob, pk_indicator *meta) {
    const char *ptype = str_field(ob->o, "pattern_type");
    const char *pattern = str_field(ob->o, "pattern");
    char ex[64], msg[128];
    if (json_object_get(ob->o, "pattern_type") && (!ptype || strcmp(ptype, "stix") != 0)) {
        pk_ld_excerpt(ex, sizeof ex, ptype ? ptype : "?", ptype ? strlen(ptype) : 1);
        snprintf(msg, sizeof msg, "unsupported pattern_type '%s'", ex);
        obj_issue(x, ob, true, msg);
        return 0;
    }
    if (!pattern) {
        obj_issue(x, ob, false, "no pattern");
        return 0;
    }
    pk_stix_pattern pat;
    int rc = pk_stix_pattern_parse(pattern, strlen(pattern), &pat);
    pattern_issue(x, ob, rc, &pat);
    if (rc == 0 && emit_cmps(x, ob, meta, &pat) < 0)
        rc = -2;
    pk_stix_pattern_free(&pat);
    return rc == -2 ? -1 : 0;
}

static int read_indicator(stix_ctx *x, stix_obj *ob) {
    pk_indicator meta = {.confidence = PK_CONFIDENCE_UNSET};
    const json_t *revoked = json_object_get(ob->o, "revoked");
    x->sc.used = 0;
    if (json_is_true(revoked)) {
        x->c->rep->revoked++;
        return 0;
    }
    if (read_meta(x, ob, &meta) < 0)
        return 0;
    if (meta.expires != 0 && meta.expires <= x->c->now) {
        x->c->rep->expired++;
        return 0;
    }
    return read_pattern(x, ob, &meta);
}

static int read_object(stix_ctx *x, const json_t *o, size_t index) {
    stix_obj ob = {o, index, ""};
    const char *type = str_field(o, "type"), *id = str_field(o, "id");
    char ex[64];
    pk_ld_excerpt(ex, sizeof ex, id ? id : "", id ? strlen(id) : 0);
    snprintf(ob.label, sizeof ob.label, id ? "object %zu (%s)" : "object %zu%s",
             index, ex);
    if (!json_is_object(o) || !type) {
        obj_issue(x, &ob, false, json_is_object(o) ? "no type" : "not a JSON object");
        return 0;
    }
    if (strcmp(type, "indicator") != 0) {
        x->c->rep->ignored++;
        return 0;
    }
    return read_indicator(x, &ob);
}

/* ---- documents ---------------------------------------------------------------------- */

/* The list of objects: a bundle's "objects", an array, or one object. */
static int objects_of(pk_ldctx *c, json_t *doc, json_t **list) {
    const char *type = str_field(doc, "type");
    if (json_is_array(doc)) {
        *list = json_incref(doc);
        return 0;
    }
    if (type && strcmp(type, "bundle") == 0) {
        json_t *objs = json_object_get(doc, "objects");
        if (objs && !json_is_array(objs))
            return pk_ld_fatal(c, "bundle \"objects\" is not an array");
        *list = objs ? json_incref(objs) : json_array();
        return 0;
    }
    if (!json_is_object(doc) || !type)
        return pk_ld_fatal(c, "not a STIX bundle, object or array of objects");
    *list = json_array();
    if (*list)
        json_array_append(*list, doc);
    return 0;
}

static int read_objects(stix_ctx *x, json_t *list) {
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o) {
        if (json_is_object(o))
            learn_object(x, o);
    }
    json_array_foreach(list, i, o) {
        if (read_object(x, o, i + 1) < 0)
            return -1;
    }
    return 0;
}

int pk_load_stix(pk_ldctx *c, const char *buf, size_t len) {
    json_error_t err;
    size_t bom = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    json_t *doc = json_loadb(buf + bom, len - bom, JSON_DECODE_INT_AS_REAL, &err);
    if (!doc)
        return pk_ld_fatal(c, "JSON error at line %d column %d: %s", err.line,
                           err.column, err.text);
    json_t *list = NULL;
    int rc = objects_of(c, doc, &list);
    stix_ctx x = {c, json_object(), json_object(),
                  {malloc(STIX_SCRATCH), 0, STIX_SCRATCH}};
    if (rc == 0 && (!list || !x.markings || !x.identities || !x.sc.buf))
        rc = pk_ld_fatal(c, "out of memory");
    if (rc == 0)
        rc = read_objects(&x, list);
    free(x.sc.buf);
    json_decref(x.markings);
    json_decref(x.identities);
    json_decref(list);
    json_decref(doc);
    return rc;
}
