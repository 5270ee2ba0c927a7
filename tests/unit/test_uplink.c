/* test_uplink.c - the uplink thread against a small collector running in
 * this process on 127.0.0.1 (an ephemeral port, its own libevent thread),
 * over mutual TLS with certificates made by the openssl tool in a
 * temporary directory, and over loopback plaintext: hello and welcome,
 * resending only what the collector has not applied, acks freeing the
 * spool, a collector dying mid-batch, drain, stats, certificate checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "log.h"
#include "spool_test_util.h"
#include "uplink.h"
#include "wire.h"

/* ---- the test collector ------------------------------------------------ */

enum { ACK_ALL, ACK_NEVER };

typedef struct srv {
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *tick;
    SSL_CTX *ctx;                 /* NULL: plaintext */
    pthread_t th;
    int port;
    atomic_bool stop;
    pthread_mutex_t mu;           /* guards everything below */
    uint64_t applied;
    int ack_mode;
    size_t close_after;           /* die mid-batch once this many arrived */
    bool closed_once;
    int hellos, stats, conns;
    uint64_t hello_last_acked;
    char peer_cn[64];
    bool saw_collect_counter;
    int bad_frames;               /* frames the real validator rejects */
    size_t max_frame;
    uint64_t seqs[8192];
    size_t nseqs;
} srv;

static void srv_send(struct bufferevent *bev, json_t *msg) {
    char *s = json_dumps(msg, JSON_COMPACT);
    uint32_t n = (uint32_t)strlen(s);
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    bufferevent_write(bev, hdr, 4);
    bufferevent_write(bev, s, n);
    free(s);
    json_decref(msg);
}

static void srv_peer_cn(srv *s, struct bufferevent *bev) {
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    X509 *x = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
    if (!x) return;
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, s->peer_cn,
                              sizeof s->peer_cn);
    X509_free(x);
}

/* Records the batch; returns false when the collector "dies" on it. */
static bool srv_alerts(srv *s, struct bufferevent *bev, json_t *arr) {
    size_t n = json_array_size(arr);
    for (size_t i = 0; i < n && s->nseqs < 8192; i++)
        s->seqs[s->nseqs++] = (uint64_t)json_integer_value(
            json_object_get(json_array_get(arr, i), "seq"));
    uint64_t last = (uint64_t)json_integer_value(
        json_object_get(json_array_get(arr, n - 1), "seq"));
    if (s->close_after && !s->closed_once && s->nseqs >= s->close_after) {
        s->closed_once = true;     /* apply half the batch, then vanish */
        uint64_t mid = (uint64_t)json_integer_value(
            json_object_get(json_array_get(arr, n / 2), "seq"));
        if (mid > s->applied) s->applied = mid;
        return false;
    }
    if (s->ack_mode == ACK_NEVER) return true;
    if (last > s->applied) s->applied = last;
    srv_send(bev, json_pack("{s:s, s:I}", "type", "ack", "seq", (json_int_t)s->applied));
    return true;
}

static bool srv_message(srv *s, struct bufferevent *bev, json_t *m) {
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!type) return false;
    if (strcmp(type, "hello") == 0) {
        s->hellos++;
        s->hello_last_acked = (uint64_t)json_integer_value(json_object_get(m, "last_acked"));
        srv_peer_cn(s, bev);
        srv_send(bev, json_pack("{s:s, s:I, s:s}", "type", "welcome", "applied",
                                (json_int_t)s->applied, "collector", "test"));
        return true;
    }
    if (strcmp(type, "stats") == 0) {
        s->stats++;
        json_t *c = json_object_get(m, "counters");
        if (json_object_get(c, "test.collected") && json_object_get(c, "uplink.connected"))
            s->saw_collect_counter = true;
        return true;
    }
    if (strcmp(type, "alerts") == 0) return srv_alerts(s, bev, json_object_get(m, "alerts"));
    return false;
}

static void srv_read(struct bufferevent *bev, void *arg) {
    srv *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        uint8_t h[4];
        if (evbuffer_copyout(in, h, 4) < 4) return;
        size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (evbuffer_get_length(in) < 4 + n) return;
        char *buf = malloc(n);
        evbuffer_drain(in, 4);
        evbuffer_remove(in, buf, n);
        json_t *m = NULL;
        char err[256];
        bool valid = pk_wire_parse(buf, n, &m, err, sizeof err) != PK_MSG_INVALID;
        free(buf);
        pthread_mutex_lock(&s->mu);
        if (!valid) s->bad_frames++;
        if (n > s->max_frame) s->max_frame = n;
        bool keep = m && srv_message(s, bev, m);
        pthread_mutex_unlock(&s->mu);
        json_decref(m);
        if (!keep) {
            bufferevent_free(bev);
            return;
        }
    }
}

static void srv_event(struct bufferevent *bev, short what, void *arg) {
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) bufferevent_free(bev);
}

static void srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                       int salen, void *arg) {
    srv *s = arg;
    struct bufferevent *bev =
        s->ctx ? bufferevent_openssl_socket_new(s->base, fd, SSL_new(s->ctx),
                                                BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE)
               : bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    pthread_mutex_lock(&s->mu);
    s->conns++;
    pthread_mutex_unlock(&s->mu);
    bufferevent_setcb(bev, srv_read, NULL, srv_event, s);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void srv_tick(evutil_socket_t fd, short what, void *arg) {
    srv *s = arg;
    if (atomic_load(&s->stop)) event_base_loopbreak(s->base);
}

static void *srv_run(void *arg) {
    srv *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

static SSL_CTX *srv_tls(const char *dir, const char *name) {
    char crt[512], key[512], ca[512];
    snprintf(crt, sizeof crt, "%s/%s.crt", dir, name);
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    snprintf(ca, sizeof ca, "%s/ca.crt", dir);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return ctx;
}

static srv *srv_start(SSL_CTX *ctx, uint64_t applied, int ack_mode, size_t close_after) {
    srv *s = calloc(1, sizeof *s);
    s->ctx = ctx;
    s->applied = applied;
    s->ack_mode = ack_mode;
    s->close_after = close_after;
    pthread_mutex_init(&s->mu, NULL);
    s->base = event_base_new();
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    s->lis = evconnlistener_new_bind(s->base, srv_accept, s,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                     (struct sockaddr *)&sin, sizeof sin);
    assert_non_null(s->lis);
    socklen_t len = sizeof sin;
    getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&sin, &len);
    s->port = ntohs(sin.sin_port);
    s->tick = event_new(s->base, -1, EV_PERSIST, srv_tick, s);
    struct timeval tv = {0, 10000};
    event_add(s->tick, &tv);
    pthread_create(&s->th, NULL, srv_run, s);
    return s;
}

static void srv_stop(srv *s) {
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    evconnlistener_free(s->lis);
    event_free(s->tick);
    event_base_free(s->base);   /* connections still open are closed with it */
    SSL_CTX_free(s->ctx);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- fixture: temp dir, certificates, spool ------------------------------ */

typedef struct fixture {
    spool_tmp tmp;                /* certificates in tmp.dir, the spool in tmp.spool */
    char addr[32];
    pk_spool *sp;
    pk_uplink *u;
    srv *s;
} fixture;

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A CA, a collector certificate for IP 127.0.0.1, one for another name,
 * and the sensor's client certificate (CN test-sensor, O TestPartner). */
static int make_certs(const char *d) {
    const char *key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    if (run("cd %s && openssl req -x509 %s -keyout ca.key -out ca.crt -subj /CN=test-ca "
            "-days 2 2>/dev/null", d, key)) return -1;
    const char *certs[][3] = {
        {"srv", "/CN=collector", "subjectAltName=IP:127.0.0.1"},
        {"wrong", "/CN=collector", "subjectAltName=DNS:other.example"},
        {"client", "/CN=test-sensor/O=TestPartner", "extendedKeyUsage=clientAuth"},
    };
    for (int i = 0; i < 3; i++)
        if (run("cd %s && printf '%s\\n' > %s.ext && openssl req %s -keyout %s.key -out %s.csr "
                "-subj %s 2>/dev/null && openssl x509 -req -in %s.csr -CA ca.crt -CAkey ca.key "
                "-CAcreateserial -out %s.crt -days 2 -extfile %s.ext 2>/dev/null", d,
                certs[i][2], certs[i][0], key, certs[i][0], certs[i][0], certs[i][1],
                certs[i][0], certs[i][0], certs[i][0]))
            return -1;
    return 0;
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!spool_tmp_make(&f->tmp, "uplink") || make_certs(f->tmp.dir) != 0) return -1;
    char err[256];
    pk_spool_config sc = {.dir = f->tmp.spool, .segment_bytes = 4096};
    f->sp = pk_spool_open(&sc, err, sizeof err);
    if (!f->sp) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    pk_uplink_free(f->u);
    if (f->s) srv_stop(f->s);
    pk_spool_close(f->sp);
    spool_tmp_remove(&f->tmp);
    free(f);
    return 0;
}

static void collect(void *ctx, pk_counter_cb cb, void *cbctx) {
    cb(cbctx, "test.collected", 42);
}

typedef struct srv_opts {
    bool tls;
    const char *cert;        /* the collector's certificate: "srv" or "wrong" */
    uint64_t applied;
    int ack_mode;
    size_t close_after;
    bool by_name;            /* -c localhost:PORT instead of 127.0.0.1:PORT */
} srv_opts;

static void start_uplink(fixture *f, srv_opts o) {
    char ca[128], crt[128], key[128], err[256];
    snprintf(ca, sizeof ca, "%s/ca.crt", f->tmp.dir);
    snprintf(crt, sizeof crt, "%s/client.crt", f->tmp.dir);
    snprintf(key, sizeof key, "%s/client.key", f->tmp.dir);
    f->s = srv_start(o.tls ? srv_tls(f->tmp.dir, o.cert ? o.cert : "srv") : NULL, o.applied,
                     o.ack_mode, o.close_after);
    snprintf(f->addr, sizeof f->addr, "%s:%d", o.by_name ? "localhost" : "127.0.0.1",
             f->s->port);
    pk_uplink_config c = {
        .collector = f->addr, .ca = ca, .cert = crt, .key = key, .insecure = !o.tls,
        .sensor_id = "test-sensor", .collect = collect, .backoff_min_ms = 20,
        .backoff_max_ms = 200, .sync_interval_ms = 5, .stats_interval_ms = 100,
        .handshake_timeout_ms = 2000,
    };
    f->u = pk_uplink_new(&c, f->sp, err, sizeof err);
    if (!f->u) print_error("%s\n", err);
    assert_non_null(f->u);
}

static void go(fixture *f) {
    char err[256];
    assert_int_equal(pk_uplink_start(f->u, err, sizeof err), 0);
}

static void submit_n(fixture *f, uint64_t from, uint64_t to) {
    for (uint64_t s = from; s <= to; s++) {
        char json[128];
        int n = snprintf(json, sizeof json, "{\"alert_id\":\"test-sensor:%llu\"}",
                         (unsigned long long)s);
        if (f->u) pk_uplink_submit(f->u, s, json, (size_t)n);
        else assert_int_equal(pk_spool_append(f->sp, s, json, (size_t)n), 0);
    }
}

static uint64_t counter(const pk_uplink *u, const char *name) {
    counter_query q = {name, COUNTER_ABSENT};
    pk_uplink_counters(u, find_counter, &q);
    return counter_found(&q);
}

/* Polls until the server has applied `want`, for at most 10 s. */
static bool wait_applied(srv *s, uint64_t want) {
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&s->mu);
        bool done = s->applied >= want;
        pthread_mutex_unlock(&s->mu);
        if (done) return true;
        usleep(10000);
    }
    return false;
}

/* Every seq in from..to arrived at least once; none at or below floor. */
static void assert_received(srv *s, uint64_t floor, uint64_t from, uint64_t to) {
    static bool seen[8192];
    memset(seen, 0, sizeof seen);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nseqs; i++) {
        assert_true(s->seqs[i] > floor);
        if (s->seqs[i] < 8192) seen[s->seqs[i]] = true;
    }
    pthread_mutex_unlock(&s->mu);
    for (uint64_t q = from; q <= to; q++) assert_true(seen[q]);
}

static bool wait_spool_acked(fixture *f, uint64_t want) {
    for (int i = 0; i < 1000 && pk_spool_acked(f->sp) < want; i++) usleep(10000);
    return pk_spool_acked(f->sp) >= want;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_check_config(void **state) {
    (void)state;
    char err[256];
    pk_uplink_config c = {.collector = "127.0.0.1:7000", .insecure = true, .sensor_id = "s"};
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), 0);
    c.collector = "[::1]:7000";
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), 0);
    c.collector = "localhost:7000";
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), 0);
    c.collector = "10.1.2.3:7000";
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "--insecure"));
    c.collector = "collector.example:7000";
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), -1);
    c.insecure = false;
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "--ca"));
    c.ca = c.cert = c.key = "x";
    assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), 0);
    const char *bad[] = {"nohost", "host:", ":7000", "host:0", "host:70000", "[::1:7000",
                         "1::2:7000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c.collector = bad[i];
        assert_int_equal(pk_uplink_check_config(&c, err, sizeof err), -1);
    }
}

static void test_cert_identity_and_bad_files(void **state) {
    fixture *f = *state;
    char path[128], cn[64], o[64], err[256];
    snprintf(path, sizeof path, "%s/client.crt", f->tmp.dir);
    assert_int_equal(pk_uplink_cert_identity(path, cn, sizeof cn, o, sizeof o, err,
                                             sizeof err), 0);
    assert_string_equal(cn, "test-sensor");
    assert_string_equal(o, "TestPartner");
    snprintf(path, sizeof path, "%s/missing.crt", f->tmp.dir);
    assert_int_equal(pk_uplink_cert_identity(path, cn, sizeof cn, o, sizeof o, err,
                                             sizeof err), -1);
    assert_non_null(strstr(err, path));

    pk_uplink_config c = {.collector = "127.0.0.1:1", .ca = path, .cert = path,
                          .key = path, .sensor_id = "s"};
    assert_null(pk_uplink_new(&c, f->sp, err, sizeof err));
    assert_non_null(strstr(err, "--ca"));
    assert_non_null(strstr(err, path));
}

static void test_tls_resends_after_applied(void **state) {
    fixture *f = *state;
    submit_n(f, 1, 20);                       /* spooled before the uplink exists */
    start_uplink(f, (srv_opts){.tls = true, .applied = 12});
    go(f);
    assert_true(wait_applied(f->s, 20));
    assert_received(f->s, 12, 13, 20);
    assert_int_equal(pk_uplink_drain(f->u, 5), 0);
    pthread_mutex_lock(&f->s->mu);
    assert_int_equal(f->s->hellos, 1);
    assert_int_equal(f->s->hello_last_acked, 0);
    assert_string_equal(f->s->peer_cn, "test-sensor");
    assert_int_equal(f->s->bad_frames, 0);
    pthread_mutex_unlock(&f->s->mu);
    assert_int_equal(counter(f->u, "uplink.connected"), 1);
    assert_int_equal(counter(f->u, "uplink.alerts_sent"), 8);
    assert_int_equal(counter(f->u, "uplink.alerts_acked"), 8);
    bool stats = false;
    for (int i = 0; i < 300 && !stats; i++) {
        usleep(10000);
        pthread_mutex_lock(&f->s->mu);
        stats = f->s->saw_collect_counter;
        pthread_mutex_unlock(&f->s->mu);
    }
    assert_true(stats);
}

static void test_ack_frees_spool(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = false});
    go(f);
    submit_n(f, 1, 300);
    assert_true(wait_applied(f->s, 300));
    assert_true(wait_spool_acked(f, 300));
    assert_int_equal(pk_uplink_drain(f->u, 5), 0);
    assert_int_equal(count_segments(f->tmp.spool), 1);   /* only the one being written */
    assert_received(f->s, 0, 1, 300);
    expect_state_acked(f->tmp.spool, 300);
}

static void test_server_dies_mid_batch(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = true, .close_after = 100});
    submit_n(f, 1, 300);                      /* all in the first batch */
    go(f);
    assert_true(wait_applied(f->s, 300));
    assert_received(f->s, 0, 1, 300);
    assert_int_equal(pk_uplink_drain(f->u, 5), 0);
    assert_true(counter(f->u, "uplink.disconnects") >= 1);
    assert_true(counter(f->u, "uplink.connects") >= 2);
    assert_true(counter(f->u, "uplink.alerts_resent") >= 149);   /* 152..300 */
    pthread_mutex_lock(&f->s->mu);
    assert_true(f->s->hellos >= 2);
    pthread_mutex_unlock(&f->s->mu);
}

static void test_big_alerts_split_by_frame_limit(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = true});
    static char json[4200];
    for (uint64_t q = 1; q <= 1200; q++) {
        int n = snprintf(json, sizeof json, "{\"alert_id\":\"test-sensor:%llu\",\"pad\":\"%04000d\"}",
                         (unsigned long long)q, 0);
        pk_uplink_submit(f->u, q, json, (size_t)n);
    }
    go(f);
    assert_int_equal(pk_uplink_drain(f->u, 20), 0);
    assert_received(f->s, 0, 1, 1200);
    assert_true(counter(f->u, "uplink.batches_sent") >= 5);   /* ~250 per MiB */
    pthread_mutex_lock(&f->s->mu);
    assert_int_equal(f->s->bad_frames, 0);
    assert_true(f->s->max_frame > 900000 && f->s->max_frame <= PK_WIRE_MAX_FRAME);
    pthread_mutex_unlock(&f->s->mu);
}

/* Alerts submitted one by one while the uplink thread keeps waking up:
 * each submit may land while the thread is emptying its wake-up pipe, and
 * none may leave the uplink asleep with alerts spooled and unsent. */
static void test_steady_submits_all_delivered(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = false});
    go(f);
    unsigned rnd = 12345;
    for (uint64_t q = 1; q <= 8000; q++) {
        submit_n(f, q, q);
        rnd = rnd * 1103515245u + 12345u;
        if (rnd >> 30 == 0) usleep(rnd >> 24 & 0xf);
    }
    assert_int_equal(pk_uplink_drain(f->u, 20), 0);
    assert_received(f->s, 0, 1, 8000);
}

static void test_host_name_resolved(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = false, .by_name = true});
    go(f);
    submit_n(f, 1, 10);
    assert_int_equal(pk_uplink_drain(f->u, 10), 0);
    assert_received(f->s, 0, 1, 10);
}

static void test_drain_reports_unacked(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = false, .ack_mode = ACK_NEVER});
    go(f);
    submit_n(f, 1, 5);
    int64_t t0 = pk_now_ms();
    assert_int_equal(pk_uplink_drain(f->u, 0.5), 5);
    int64_t took = pk_now_ms() - t0;
    assert_true(took >= 450 && took < 3000);
    pthread_mutex_lock(&f->s->mu);
    assert_int_equal(f->s->nseqs, 5);
    pthread_mutex_unlock(&f->s->mu);
}

static void test_wrong_collector_name_refused(void **state) {
    fixture *f = *state;
    start_uplink(f, (srv_opts){.tls = true, .cert = "wrong"});
    go(f);
    submit_n(f, 1, 3);
    assert_int_equal(pk_uplink_drain(f->u, 0.6), 3);
    assert_int_equal(counter(f->u, "uplink.connects"), 0);
    pthread_mutex_lock(&f->s->mu);
    assert_int_equal(f->s->hellos, 0);
    assert_true(f->s->conns >= 1);             /* it tried, and kept retrying */
    pthread_mutex_unlock(&f->s->mu);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    pk_log_setup("test_uplink", PK_LOG_WARN, false);
    if (system("openssl version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "openssl tool not found: TLS tests cannot make certificates\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_config),
        fixture_test(test_cert_identity_and_bad_files),
        fixture_test(test_tls_resends_after_applied),
        fixture_test(test_ack_frees_spool),
        fixture_test(test_server_dies_mid_batch),
        fixture_test(test_big_alerts_split_by_frame_limit),
        fixture_test(test_steady_submits_all_delivered),
        fixture_test(test_host_name_resolved),
        fixture_test(test_drain_reports_unacked),
        fixture_test(test_wrong_collector_name_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
