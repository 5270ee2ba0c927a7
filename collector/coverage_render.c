/* coverage_render.c - text and JSON shapes of the coverage report (see
 * coverage_render.h).
 *
 * Why it exists: a planner reads the text (misses on top, a summary line
 * at the bottom); scripts read the JSON. Names and values printed as text
 * went through Redis or an indicator file, so control characters are
 * replaced before they reach a terminal.
 */
#include "coverage_render.h"

#include <string.h>

#include "collector.h"
#include "indicator.h"

#define COL_MAX 48          /* widest text column before values */
#define LIST_MAX 512

static const char *const status_names[] = {"caught_by_all", "missed_by_some", "missed_by_all"};
static const char *const status_text[] = {"caught by all", "missed by some", "missed by all"};

const char *pk_cov_status_name(pk_cov_status s) { return status_names[s]; }

/* "A,B" of the names (or of the expected partners the row missed), made
 * safe for a terminal; "-" when empty. */
static void join(const pk_cov_names *l, const pk_cov_row *missed_of, const pk_coverage *c,
                 char *out, size_t len) {
    size_t used = 0;
    out[0] = 0;
    const pk_cov_names *src = missed_of ? &c->expected : l;
    for (size_t i = 0; i < src->n; i++) {
        if (missed_of && pk_cov_row_caught_by(missed_of, src->v[i])) continue;
        char safe[128];
        pk_sanitize(src->v[i], safe, sizeof safe);
        int n = snprintf(out + used, len - used, "%s%s", used ? "," : "", safe);
        if (n < 0 || (size_t)n >= len - used) break;
        used += (size_t)n;
    }
    if (!used) snprintf(out, len, "-");
}

typedef struct text_row {
    char caught[LIST_MAX], missed[LIST_MAX], sensors[LIST_MAX];
} text_row;

static void fill(const pk_coverage *c, const pk_cov_row *r, text_row *t) {
    join(&r->partners, NULL, c, t->caught, sizeof t->caught);
    join(NULL, r, c, t->missed, sizeof t->missed);
    join(&r->sensors, NULL, c, t->sensors, sizeof t->sensors);
}

static int width(int w, const char *s) {
    int n = (int)strlen(s);
    return n > w ? (n > COL_MAX ? COL_MAX : n) : w;
}

void pk_coverage_print_text(const pk_coverage *c, const char *exercise, FILE *f) {
    text_row t;
    int wc = 9, wm = 9, ws = 7, wt = 4;           /* header widths */
    for (size_t i = 0; i < c->nrows; i++) {
        fill(c, &c->rows[i], &t);
        wc = width(wc, t.caught);
        wm = width(wm, t.missed);
        ws = width(ws, t.sensors);
        wt = width(wt, c->rows[i].type);
    }
    join(&c->expected, NULL, c, t.caught, sizeof t.caught);
    fprintf(f, "exercise %s: %zu indicators, expected partners: %s%s\n", exercise, c->nrows,
            t.caught, c->fixed_partners ? " (--partners)" : " (every partner that reported)");
    fprintf(f, "%-14s  %-*s  %-*s  %-*s  %-*s  %s\n", "STATUS", wt, "TYPE", wc, "CAUGHT BY",
            wm, "MISSED BY", ws, "SENSORS", "VALUE");
    for (int st = PK_COV_MISSED_BY_ALL; st >= PK_COV_CAUGHT_BY_ALL; st--) {
        for (size_t i = 0; i < c->nrows; i++) {
            const pk_cov_row *r = &c->rows[i];
            if ((int)pk_coverage_status(c, r) != st) continue;
            char value[PK_IND_VALUE_MAX + 1];
            pk_sanitize(r->value, value, sizeof value);
            fill(c, r, &t);
            fprintf(f, "%-14s  %-*s  %-*s  %-*s  %-*s  %s\n", status_text[st], wt, r->type, wc,
                    t.caught, wm, t.missed, ws, t.sensors, value);
        }
    }
    pk_cov_summary s;
    pk_coverage_summary(c, &s);
    fprintf(f, "summary: %zu indicators, %zu caught by all, %zu missed by some, "
               "%zu missed by all\n", s.indicators, s.caught_by_all, s.missed_by_some,
            s.missed_by_all);
}

static json_t *names_json(const pk_cov_names *l, const pk_cov_row *missed_of,
                          const pk_coverage *c) {
    json_t *a = json_array();
    const pk_cov_names *src = missed_of ? &c->expected : l;
    for (size_t i = 0; a && i < src->n; i++)
        if (!missed_of || !pk_cov_row_caught_by(missed_of, src->v[i]))
            json_array_append_new(a, json_string(src->v[i]));
    return a;
}

static json_t *row_json(const pk_coverage *c, const pk_cov_row *r) {
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I}", "type", r->type, "value", r->value,
                     "status", pk_cov_status_name(pk_coverage_status(c, r)), "caught_by",
                     names_json(&r->partners, NULL, c), "missed_by", names_json(NULL, r, c),
                     "sensors", names_json(&r->sensors, NULL, c), "alerts",
                     (json_int_t)r->alerts);
}

json_t *pk_coverage_json(const pk_coverage *c, const char *exercise) {
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < c->nrows; i++)
        json_array_append_new(rows, row_json(c, &c->rows[i]));
    pk_cov_summary s;
    pk_coverage_summary(c, &s);
    return json_pack(
        "{s:s, s:o, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I}}", "exercise",
        exercise, "partners", names_json(&c->expected, NULL, c), "partners_from",
        c->fixed_partners ? "option" : "reports", "indicators", rows, "summary", "indicators",
        (json_int_t)s.indicators, "caught_by_all", (json_int_t)s.caught_by_all,
        "missed_by_some", (json_int_t)s.missed_by_some, "missed_by_all",
        (json_int_t)s.missed_by_all, "skipped", "unusable_indicators",
        (json_int_t)c->unusable_indicators, "duplicate_indicators",
        (json_int_t)c->duplicate_indicators, "malformed_fields",
        (json_int_t)c->malformed_fields, "other_fields", (json_int_t)c->other_fields);
}
