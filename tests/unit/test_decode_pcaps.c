/* test_decode_pcaps.c - checks the decoder against an independent oracle.
 *
 * Why it exists: hand-made fixtures only test what their author believed
 * about a protocol. Here every capture in $PICKET_SHARED/pcaps (pcap and
 * pcapng, read with libpcap) is decoded frame by frame, every IPv4/IPv6
 * address of every IP header crossed (outer and inner, after reassembly,
 * and those of held fragments) is collected, and the set is compared with
 * the ipv4_addresses / ipv6_addresses that tshark listed in the matching
 * *.truth.json. Addresses tshark saw only inside ICMP-quoted packets (a
 * list under "icmp_quoted", when present) are not expected: the sensor does
 * not decode ICMP quotes. Every expected address must be found; per capture
 * the test prints expected / found / missed / extra. Captures that cannot
 * match for a reason outside the decoder's scope are listed in
 * known_exceptions[] with that reason, and printed, never skipped silently.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define MAX_ADDRS 512

typedef struct addr_set {
    char *v[MAX_ADDRS];
    size_t n;
} addr_set;

typedef struct result_tally {
    unsigned frames, ok, held, skip, malformed;
} result_tally;

/* Captures whose truth cannot be met for a reason out of the decoder's
 * scope: name and reason. Empty today: every capture must match. */
static const struct { const char *file, *reason; } known_exceptions[] = {
    { NULL, NULL },
};

static const char *exception_reason(const char *file) {
    for (size_t i = 0; known_exceptions[i].file; i++)
        if (strcmp(known_exceptions[i].file, file) == 0)
            return known_exceptions[i].reason;
    return NULL;
}

static void set_add(addr_set *s, const char *a) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], a) == 0) return;
    assert_true(s->n < MAX_ADDRS);
    s->v[s->n++] = strdup(a);
}

static bool set_has(const addr_set *s, const char *a) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], a) == 0) return true;
    return false;
}

static void set_clear(addr_set *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    s->n = 0;
}

/* Rewrites an address in inet_ntop's canonical form. */
static bool canonical(const char *in, char *out, size_t outlen) {
    unsigned char buf[16];
    int af = strchr(in, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(af, in, buf) != 1) return false;
    return inet_ntop(af, buf, out, (socklen_t)outlen) != NULL;
}

static void add_pair(addr_set *s, const pk_ip_pair *ip) {
    char txt[INET6_ADDRSTRLEN];
    int af = ip->family == 4 ? AF_INET : AF_INET6;
    inet_ntop(af, ip->src, txt, sizeof txt);
    set_add(s, txt);
    inet_ntop(af, ip->dst, txt, sizeof txt);
    set_add(s, txt);
}

static void tally(result_tally *t, pk_decode_result res) {
    t->frames++;
    switch (res) {
    case PK_DECODE_OK: t->ok++; break;
    case PK_DECODE_HELD: t->held++; break;
    case PK_DECODE_SKIP: t->skip++; break;
    case PK_DECODE_MALFORMED: t->malformed++; break;
    }
}

static bool decode_capture(const char *path, addr_set *seen, result_tally *t) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (!pc) {
        printf("  cannot open %s: %s\n", path, err);
        return false;
    }
    int lt = pcap_datalink(pc);
    pk_decoder *d = pk_decoder_new(NULL);
    assert_non_null(d);
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        pk_packet p;
        int64_t ts = (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
        pk_decode_result res = pk_decode_packet(d, lt, data, h->caplen, h->len, ts, &p);
        tally(t, res);
        for (unsigned i = 0; i < p.ip_count; i++) add_pair(seen, &p.ip[i]);
    }
    pk_decoder_free(d);
    pcap_close(pc);
    return true;
}

static void json_strings(json_t *arr, addr_set *s) {
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        char canon[INET6_ADDRSTRLEN];
        const char *txt = json_string_value(v);
        if (txt && canonical(txt, canon, sizeof canon)) set_add(s, canon);
    }
}

/* Expected = truth addresses minus any listed only as ICMP-quoted. */
static bool load_truth(const char *path, addr_set *expected, json_int_t *frames) {
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        printf("  cannot read %s: %s\n", path, jerr.text);
        return false;
    }
    addr_set all = { .n = 0 }, quoted = { .n = 0 };
    json_strings(json_object_get(root, "ipv4_addresses"), &all);
    json_strings(json_object_get(root, "ipv6_addresses"), &all);
    *frames = json_integer_value(json_object_get(root, "packet_count"));
    json_t *q = json_object_get(root, "icmp_quoted");
    json_strings(json_object_get(q, "ipv4_addresses"), &quoted);
    json_strings(json_object_get(q, "ipv6_addresses"), &quoted);
    for (size_t i = 0; i < all.n; i++)
        if (!set_has(&quoted, all.v[i])) set_add(expected, all.v[i]);
    set_clear(&all);
    set_clear(&quoted);
    json_decref(root);
    return true;
}

/* Compares one capture; returns the number of missed addresses. */
static size_t report(const char *name, const addr_set *exp, const addr_set *seen,
                     const result_tally *t) {
    size_t missed = 0, extra = 0;
    for (size_t i = 0; i < exp->n; i++) missed += !set_has(seen, exp->v[i]);
    for (size_t i = 0; i < seen->n; i++) extra += !set_has(exp, seen->v[i]);
    printf("%-40s frames %3u (ok %u held %u skip %u malformed %u) "
           "expected %zu found %zu missed %zu extra %zu\n",
           name, t->frames, t->ok, t->held, t->skip, t->malformed,
           exp->n, exp->n - missed, missed, extra);
    for (size_t i = 0; i < exp->n; i++)
        if (!set_has(seen, exp->v[i])) printf("    missed %s\n", exp->v[i]);
    for (size_t i = 0; i < seen->n; i++)
        if (!set_has(exp, seen->v[i])) printf("    extra  %s\n", seen->v[i]);
    return missed;
}

static bool is_capture(const char *name) {
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".pcap") == 0) ||
           (n > 7 && strcmp(name + n - 7, ".pcapng") == 0);
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the captures of dir, sorted; returns how many. */
static size_t list_captures(const char *dir, char **names, size_t max) {
    DIR *dh = opendir(dir);
    if (!dh) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dh)) && n < max)
        if (is_capture(e->d_name)) names[n++] = strdup(e->d_name);
    closedir(dh);
    qsort(names, n, sizeof *names, name_cmp);
    return n;
}

/* Checks one capture; returns the number of misses that count as failures. */
static size_t check_capture(const char *dir, const char *name) {
    char cap[2048], truth[2048];
    size_t dl = strlen(dir), nl = strlen(name);
    size_t stem = (size_t)(strrchr(name, '.') - name);
    if (dl + nl + 16 >= sizeof cap) return 1;
    memcpy(cap, dir, dl);
    cap[dl] = '/';
    memcpy(cap + dl + 1, name, nl + 1);
    memcpy(truth, cap, dl + 1 + stem);
    memcpy(truth + dl + 1 + stem, ".truth.json", sizeof ".truth.json");
    addr_set exp = { .n = 0 }, seen = { .n = 0 };
    result_tally t = { 0 };
    size_t fail = 0;
    json_int_t frames = -1;
    if (!load_truth(truth, &exp, &frames) || !decode_capture(cap, &seen, &t)) {
        fail = 1;
    } else if (frames != (json_int_t)t.frames) {
        printf("%s: %u frames read, tshark counted %lld\n", name, t.frames, (long long)frames);
        fail = 1;
    } else {
        size_t missed = report(name, &exp, &seen, &t);
        const char *why = exception_reason(name);
        if (missed && why) printf("    known exception: %s\n", why);
        else fail = missed;
    }
    set_clear(&exp);
    set_clear(&seen);
    return fail;
}

static void test_oracle_addresses(void **state) {
    (void)state;
    const char *shared = getenv("PICKET_SHARED");
    char dir[1024];
    if (!shared || !*shared) {
        printf("PICKET_SHARED is not set: oracle check skipped\n");
        skip();
    }
    snprintf(dir, sizeof dir, "%s/pcaps", shared);
    char *names[256];
    size_t n = list_captures(dir, names, 256);
    if (n == 0) {
        printf("no captures in %s: oracle check skipped\n", dir);
        skip();
    }
    size_t failures = 0;
    for (size_t i = 0; i < n; i++) {
        failures += check_capture(dir, names[i]);
        free(names[i]);
    }
    printf("%zu captures checked, %zu failures (missed addresses, frame count or unreadable files)\n", n, failures);
    assert_int_equal(failures, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
