/* ind_stix_pat.c - reads the part of the STIX 2.1 pattern language we match.
 *
 * Why it exists: a STIX indicator's value lives inside a pattern such as
 * "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'x.example']".
 * We load comparisons with '=' (or ISSUBSET for addresses) on addresses,
 * domains and URLs, joined by OR inside or between brackets. Everything else
 * (AND, FOLLOWEDBY, qualifiers, other objects or operators) is recognised as
 * valid but unsupported, so the load report can say so instead of guessing.
 */
#include "ind_load_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAT_MAX_DEPTH 32

typedef enum tok_kind {
    T_END, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_STRING, T_OTHERLIT,
    T_OP, T_WORD, T_BAD,
} tok_kind;

typedef struct tok {
    tok_kind k;
    const char *s;            /* token text in the pattern */
    size_t n;
    const char *lit;          /* T_STRING: unescaped, NUL-terminated */
    size_t litn;
} tok;

typedef struct parser {
    const char *s;
    size_t n, pos, lits_used;
    tok cur;
    pk_stix_pattern *out;
    int depth;
    int status;               /* 0 ok, 1 unsupported, -1 invalid */
} parser;

/* Sets the result once: reason = pre + printable(arg) + post. */
/* Why a valid pattern is left out: a sensor matches one observed value
 * (an address, name, URL or fingerprint) at a time. */
#define NOT_ONE_VALUE " cannot be matched on one observed value"

static void fail(parser *p, int status, const char *pre, const char *arg,
                 const char *post) {
    if (p->status != 0)
        return;
    p->status = status;
    char ex[64];
    pk_ld_excerpt(ex, sizeof ex, arg, strlen(arg));
    snprintf(p->out->reason, sizeof p->out->reason, "%s%s%s", pre, ex, post);
}

static void fail_tok(parser *p, const char *pre, const char *post) {
    char t[64];
    pk_ld_excerpt(t, sizeof t, p->cur.s, p->cur.n);
    fail(p, -1, pre, p->cur.k == T_END ? "end of pattern" : t, post);
}

/* ---- tokens ------------------------------------------------------------------ */

/* Reads a quoted literal at p->pos (on the quote); unescapes into lits. */
static bool read_quoted(parser *p, tok *t) {
    char *dst = p->out->lits + p->lits_used;
    size_t k = 0, i = p->pos + 1;
    for (; i < p->n && p->s[i] != '\''; i++) {
        char c = p->s[i];
        if (c == '\\') {
            if (i + 1 >= p->n || (p->s[i + 1] != '\'' && p->s[i + 1] != '\\')) {
                p->pos = p->n;
                return false;
            }
            c = p->s[++i];
        }
        dst[k++] = c;
    }
    if (i >= p->n) {
        p->pos = p->n;            /* nothing after a broken literal parses */
        return false;
    }
    dst[k] = '\0';
    t->lit = dst;
    t->litn = k;
    p->lits_used += k + 1;
    p->pos = i + 1;
    return true;
}

static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == ':' ||
           c == '.' || c == '*' || c == '+';
}

/* Object paths may hold quoted keys (hashes.'SHA-256') and list indexes. */
static void read_word(parser *p, tok *t) {
    size_t i = p->pos;
    while (i < p->n) {
        if (word_char(p->s[i])) {
            i++;
        } else if (p->s[i] == '\'' && i > p->pos && p->s[i - 1] == '.') {
            const char *q = memchr(p->s + i + 1, '\'', p->n - i - 1);
            if (!q)
                break;
            i = (size_t)(q - p->s) + 1;
        } else if (p->s[i] == '[' && i + 2 < p->n && p->s[i + 2] == ']' &&
                   (p->s[i + 1] == '*' || (p->s[i + 1] >= '0' && p->s[i + 1] <= '9'))) {
            i += 3;
        } else {
            break;
        }
    }
    t->k = T_WORD;
    t->n = i - p->pos;
    p->pos = i;
}

static void read_op(parser *p, tok *t) {
    char c = p->s[p->pos];
    bool eq_next = p->pos + 1 < p->n && p->s[p->pos + 1] == '=';
    t->k = T_OP;
    t->n = 1;
    if (c == '!' && !eq_next)
        t->k = T_BAD;
    else if (c != '=' && eq_next)
        t->n = 2;
    p->pos += t->n;
}

static void next(parser *p) {
    tok t = {T_END, NULL, 0, NULL, 0};
    while (p->pos < p->n && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
    t.s = p->s + p->pos;
    if (p->pos >= p->n) {
        p->cur = t;
        return;
    }
    char c = p->s[p->pos];
    const char *single = "[]()";
    const char *hit = c ? strchr(single, c) : NULL;
    if (hit) {
        t.k = (tok_kind[]){T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN}[hit - single];
        t.n = 1;
        p->pos++;
    } else if (c == '\'') {
        t.k = read_quoted(p, &t) ? T_STRING : T_BAD;
        t.n = (size_t)(p->s + p->pos - t.s);
    } else if (c == '=' || c == '!' || c == '<' || c == '>') {
        read_op(p, &t);
    } else if (word_char(c)) {
        read_word(p, &t);
        if (t.n == 1 && strchr("thb", c) && p->pos < p->n && p->s[p->pos] == '\'') {
            t.k = read_quoted(p, &t) ? T_OTHERLIT : T_BAD;
            t.n = (size_t)(p->s + p->pos - t.s);
        }
    } else {
        t.k = T_BAD;
        t.n = 1;
        p->pos++;
    }
    p->cur = t;
}

static bool is_kw(const tok *t, const char *kw) {
    return t->k == T_WORD && strlen(kw) == t->n && strncasecmp(t->s, kw, t->n) == 0;
}

static bool is_any_kw(const tok *t, const char *const *kws) {
    for (; *kws; kws++)
        if (is_kw(t, *kws))
            return true;
    return false;
}

static void expect(parser *p, tok_kind k, const char *what) {
    if (p->status != 0)
        return;
    if (p->cur.k != k) {
        fail_tok(p, what, "");
        return;
    }
    next(p);
}

/* ---- comparisons -------------------------------------------------------------- */

static int path_type(const tok *t) {
    static const struct { const char *path; pk_ind_type type; } paths[] = {
        {"ipv4-addr:value", PK_IND_IPV4}, {"ipv6-addr:value", PK_IND_IPV6},
        {"domain-name:value", PK_IND_DOMAIN}, {"url:value", PK_IND_URL},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (strlen(paths[i].path) == t->n && memcmp(t->s, paths[i].path, t->n) == 0)
            return (int)paths[i].type;
    return -1;
}

static void skip_unsupported(parser *p, const char *pre, const tok *t,
                             const char *post) {
    char ex[64];
    p->out->nunsupported++;
    if (p->out->nunsupported > 1)
        return;
    pk_ld_excerpt(ex, sizeof ex, t->s, t->n);
    snprintf(p->out->reason, sizeof p->out->reason, "%s%s%s", pre, ex, post);
}

/* Reads the value after an operator (a literal or a parenthesised list). */
static void read_value(parser *p, tok *val) {
    *val = p->cur;
    if (p->cur.k == T_LPAREN) {
        while (p->status == 0 && p->cur.k != T_RPAREN && p->cur.k != T_END)
            next(p);
        expect(p, T_RPAREN, "expected ')' instead of ");
        return;
    }
    if (p->cur.k != T_STRING && p->cur.k != T_OTHERLIT && p->cur.k != T_WORD) {
        fail_tok(p, "expected a value instead of ", "");
        return;
    }
    next(p);
}

static void add_cmp(parser *p, const tok *path, const tok *op, const tok *val) {
    int type = path_type(path);
    bool eq = op->k == T_OP && op->n == 1 && op->s[0] == '=';
    bool subset = is_kw(op, "ISSUBSET") &&
                  (type == PK_IND_IPV4 || type == PK_IND_IPV6);
    if (type < 0)
        skip_unsupported(p, "unsupported object path ", path, "");
    else if (!eq && !subset)
        skip_unsupported(p, "unsupported operator ", op, "");
    else if (val->k != T_STRING)
        skip_unsupported(p, "comparison value ", val, " is not a string");
    else
        p->out->cmps[p->out->ncmps++] = (pk_stix_cmp){(pk_ind_type)type,
                                                      val->lit, val->litn};
}

static void parse_cmp(parser *p) {
    static const char *const ops[] = {"LIKE", "MATCHES", "ISSUBSET",
                                      "ISSUPERSET", "IN", NULL};
    if (is_kw(&p->cur, "EXISTS") || is_kw(&p->cur, "NOT")) {
        fail(p, 1, "", is_kw(&p->cur, "NOT") ? "NOT" : "EXISTS", NOT_ONE_VALUE);
        return;
    }
    if (p->cur.k != T_WORD || !memchr(p->cur.s, ':', p->cur.n)) {
        fail_tok(p, "expected an object path instead of ", "");
        return;
    }
    tok path = p->cur, op, val;
    next(p);
    if (is_kw(&p->cur, "NOT")) {
        fail(p, 1, "", "NOT", NOT_ONE_VALUE);
        return;
    }
    op = p->cur;
    if (op.k != T_OP && !is_any_kw(&op, ops)) {
        fail_tok(p, "expected an operator instead of ", "");
        return;
    }
    next(p);
    read_value(p, &val);
    if (p->status == 0)
        add_cmp(p, &path, &op, &val);
}

/* ---- expressions ----------------------------------------------------------------- */

static void parse_cexpr(parser *p);
static void parse_pattern(parser *p);

static bool enter(parser *p) {
    if (++p->depth > PAT_MAX_DEPTH) {
        fail(p, -1, "", "", "nested too deeply");
        return false;
    }
    return true;
}

static void parse_cterm(parser *p) {
    if (p->cur.k != T_LPAREN) {
        parse_cmp(p);
        return;
    }
    if (!enter(p))
        return;
    next(p);
    parse_cexpr(p);
    expect(p, T_RPAREN, "expected ')' instead of ");
    p->depth--;
}

static void parse_cexpr(parser *p) {
    parse_cterm(p);
    while (p->status == 0 && is_kw(&p->cur, "OR")) {
        next(p);
        parse_cterm(p);
    }
    if (p->status == 0 && is_kw(&p->cur, "AND"))
        fail(p, 1, "", "AND", " inside an observation" NOT_ONE_VALUE);
}

static void check_after_obs(parser *p) {
    static const char *const quals[] = {"WITHIN", "START", "REPEATS", NULL};
    static const char *const joins[] = {"AND", "FOLLOWEDBY", NULL};
    if (p->status != 0)
        return;
    char word[16];
    snprintf(word, sizeof word, "%.*s", (int)(p->cur.n < 15 ? p->cur.n : 15), p->cur.s);
    if (is_any_kw(&p->cur, quals))
        fail(p, 1, "qualifier ", word, NOT_ONE_VALUE);
    else if (is_any_kw(&p->cur, joins))
        fail(p, 1, "", word, " between observations needs state across flows; left out");
}

static void parse_obs(parser *p) {
    if (!enter(p))
        return;
    if (p->cur.k == T_LPAREN) {
        next(p);
        parse_pattern(p);
        expect(p, T_RPAREN, "expected ')' instead of ");
    } else if (p->cur.k == T_LBRACK) {
        next(p);
        parse_cexpr(p);
        expect(p, T_RBRACK, "expected ']' instead of ");
    } else {
        fail_tok(p, "expected '[' instead of ", "");
    }
    p->depth--;
    check_after_obs(p);
}

static void parse_pattern(parser *p) {
    parse_obs(p);
    while (p->status == 0 && is_kw(&p->cur, "OR")) {
        next(p);
        parse_obs(p);
    }
}

int pk_stix_pattern_parse(const char *s, size_t n, pk_stix_pattern *out) {
    memset(out, 0, sizeof *out);
    if (n > PK_STIX_MAX_PATTERN) {
        snprintf(out->reason, sizeof out->reason, "pattern longer than %u bytes",
                 PK_STIX_MAX_PATTERN);
        return -1;
    }
    out->lits = malloc(2 * n + 2);
    out->cmps = malloc((n / 4 + 1) * sizeof *out->cmps);
    if (!out->lits || !out->cmps) {
        snprintf(out->reason, sizeof out->reason, "out of memory");
        return -1;
    }
    parser p = {.s = s, .n = n, .out = out};
    next(&p);
    parse_pattern(&p);
    if (p.status == 0 && p.cur.k != T_END)
        fail_tok(&p, "unexpected ", " after the pattern");
    if (p.status != 0)
        out->ncmps = 0;
    return p.status;
}

void pk_stix_pattern_free(pk_stix_pattern *p) {
    free(p->lits);
    free(p->cmps);
    p->lits = NULL;
    p->cmps = NULL;
}
