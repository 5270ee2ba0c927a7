/* config_file.c - "key = value" files turned into arguments (see
 * config_file.h). */
#include "config_file.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_ARGS 1024

typedef struct arglist {
    char **v;
    int n;
} arglist;

static int push(arglist *a, const char *s) {
    if (a->n >= CONFIG_MAX_ARGS) return -1;
    a->v[a->n] = strdup(s);
    return a->v[a->n++] ? 0 : -1;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

static const struct option *find_opt(const struct option *opts, const char *key) {
    for (; opts->name; opts++)
        if (strcmp(opts->name, key) == 0) return opts;
    return NULL;
}

/* One "key = value" line -> "--key" ["value"]. */
static int parse_line(char *line, const struct option *opts, arglist *a,
                      const char *path, int lineno, char *err, size_t errlen) {
    char *eq = strchr(line, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
        return -1;
    }
    *eq = '\0';
    char *key = trim(line), *val = trim(eq + 1);
    size_t vl = strlen(val);
    if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
        val[vl - 1] = '\0';
        val++;
    }
    const struct option *o = find_opt(opts, key);
    if (!o || strcmp(key, "config") == 0 || strcmp(key, "help") == 0) {
        snprintf(err, errlen, "%s:%d: unknown key '%s'", path, lineno, key);
        return -1;
    }
    char flag[128];
    snprintf(flag, sizeof flag, "--%s", key);
    if (o->has_arg == no_argument) {
        if (strcmp(val, "true") == 0) return push(a, flag);
        if (strcmp(val, "false") == 0) return 0;
        snprintf(err, errlen, "%s:%d: '%s' takes true or false", path, lineno, key);
        return -1;
    }
    if (!*val) {
        snprintf(err, errlen, "%s:%d: '%s' needs a value", path, lineno, key);
        return -1;
    }
    return push(a, flag) || push(a, val) ? -1 : 0;
}

static int read_file(const char *path, const struct option *opts, arglist *a,
                     char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read configuration: %m", path);
        return -2;
    }
    char line[CONFIG_MAX_LINE];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line longer than %d bytes", path, lineno,
                     CONFIG_MAX_LINE - 1);
            rc = -1;
            break;
        }
        char *t = trim(line);
        if (!*t || *t == '#') continue;
        rc = parse_line(t, opts, a, path, lineno, err, errlen);
        if (rc != 0 && !*err) snprintf(err, errlen, "%s:%d: too many settings", path, lineno);
    }
    fclose(f);
    return rc;
}

/* Index of --config in argv and its value, or -1. */
static int find_config(int argc, char **argv, const char **path, int *width) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) break;
        if (strncmp(argv[i], "--config=", 9) == 0) {
            *path = argv[i] + 9;
            *width = 1;
            return i;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            *path = argv[i + 1];
            *width = 2;
            return i;
        }
    }
    return -1;
}

int pk_config_expand(int argc, char **argv, const struct option *opts,
                     int *out_argc, char ***out, char *err, size_t errlen) {
    const char *path = NULL;
    int width = 0, at = find_config(argc, argv, &path, &width);
    *out = argv;
    *out_argc = argc;
    err[0] = '\0';
    if (at < 0) return 0;
    arglist a = {calloc(CONFIG_MAX_ARGS + (size_t)argc + 1, sizeof(char *)), 0};
    int rc = !a.v || push(&a, argv[0]) != 0 ? -2 : read_file(path, opts, &a, err, errlen);
    if (rc != 0) {
        if (!err[0]) snprintf(err, errlen, "%s: out of memory", path);
        pk_config_free(a.n, a.v, NULL);
        return rc;
    }
    for (int i = 1; i < argc; i++)
        if (i < at || i >= at + width) a.v[a.n++] = strdup(argv[i]);
    *out = a.v;
    *out_argc = a.n;
    return 0;
}

void pk_config_free(int argc, char **argv, char **original) {
    if (!argv || argv == original) return;
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
}
