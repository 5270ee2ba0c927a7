/* collector_load.c - K simulated sensors against picket-collector.
 *
 * Why it exists: the collector's throughput and latency can only be judged
 * with a load the collector cannot tell from real sensors: the wire
 * protocol (hello/welcome, alerts batches, acks) over mutual TLS or
 * --insecure plaintext, EVE-shaped alerts of realistic size, a dedup mix
 * with duplicates across sensors of different partners, and a bounded
 * window of unacknowledged batches per sensor like the real uplink. One
 * libevent loop drives every sensor so the generator costs little CPU
 * (alerts are formatted with snprintf, acks parsed by hand).
 *
 *   collector_load -p PORT [-k SENSORS] [-d SECONDS] [--warmup S] [-b BATCH]
 *                  [-W WINDOW] [--dup FRAC] [--rate ALERTS_PER_S]
 *                  [--pki DIR] [--redis-port P] [--prefix NAME]
 *                  [--indicators N] [--zipf S] [--count N] [--seed S]
 *
 * Throughput mode (no --rate): every sensor keeps WINDOW batches of BATCH
 * alerts in flight, sending the next as soon as an ack frees a slot.
 * --count N: each sensor sends N alerts, then the program exits once all
 * are acked (a fixed amount of work, for profiling).
 * Paced mode (--rate R): R alerts/s in total, spread over the sensors and
 * sent every millisecond, so batches are small as a real sensor's are.
 *
 * Every alert embeds "bench_t" (CLOCK_MONOTONIC microseconds when its batch
 * was written to the socket). Latencies measured after the warm-up:
 *   ack    - batch written -> its ack read (all alerts, weighted per alert)
 *   stream - alert written -> entry returned by XREAD BLOCK on P"alerts"
 *            (a reader thread with its own Redis connection; unique alerts
 *            only, since duplicates never reach the stream), with
 *            --redis-port.
 * Prints one line of key=value pairs (rates in alerts/s, latencies in ms).
 * Exit status: 0 ok, 1 a sensor got an error or lost its connection.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_SENSORS 256
#define MAX_WINDOW 64
#define MAX_BATCH 512
#define RECENT 8192            /* shared ring of recently sent dedup keys */

static const char *PARTNERS[] = {"UK", "JP", "US", "FR"};

typedef struct opts {
    const char *host;
    int port, k, batch, window, redis_port, indicators;
    uint64_t count;            /* --count: alerts per sensor, then exit */
    uint64_t seed;             /* --seed: the same alerts every run */
    double seconds, warmup, dup, rate, zipf;
    const char *pki, *prefix, *redis_prefix;
} opts;

typedef struct lat_vec {       /* latency samples in microseconds */
    uint32_t *v;
    size_t n, cap;
} lat_vec;

typedef struct inflight {
    long long max_seq;
    int n;
    int64_t sent_us;
} inflight;

typedef struct sensor {
    int idx;
    char name[64];
    const char *partner;
    struct bufferevent *bev;
    SSL_CTX *ctx;
    bool ready;
    long long next_seq;
    long long flow;            /* fresh community ids */
    inflight win[MAX_WINDOW];
    int whead, wcount;
    double due;                /* paced mode: alerts owed so far */
    uint64_t sent_alerts, acked_alerts;
} sensor;

typedef struct recent_key {
    uint32_t ind;
    uint32_t owner;
    uint64_t flow;
} recent_key;

static opts O = {.host = "127.0.0.1", .k = 1, .batch = 512, .window = 4, .indicators = 10000,
                 .seconds = 10, .warmup = 2, .dup = 0.3, .redis_prefix = "picket:",
                 .prefix = "bench"};
/* Everything the run changes, in one place (O holds the options). */
typedef struct load_ctx {
    struct event_base *base;
    sensor S[MAX_SENSORS];
    recent_key recent[RECENT];  /* ring of recently sent dedup keys */
    uint64_t nrecent;
    uint64_t rng;
    int64_t t_start_us, t_measure_us, t_end_us;
    _Atomic int64_t measure_from_us;    /* read by the stream thread */
    uint64_t acked_measured, acked_total, batches_measured, batch_alerts_measured;
    lat_vec ack_lat;            /* main thread */
    lat_vec stream_lat;         /* stream thread until joined */
    atomic_bool stop_reader;
    int failures;
    char *frame_buf;
    size_t frame_cap;
    double *zipf_cdf;
    int64_t last_tick_us;
} load_ctx;

static load_ctx L = {.rng = 0x9e3779b97f4a7c15ull};

static int64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t rnd(void) {
    L.rng ^= L.rng << 13;
    L.rng ^= L.rng >> 7;
    L.rng ^= L.rng << 17;
    return L.rng;
}

static void lat_push(lat_vec *l, int64_t us, int weight) {
    if (us < 0) us = 0;
    if (us > UINT32_MAX) us = UINT32_MAX;
    for (int i = 0; i < weight; i++) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 65536;
            l->v = realloc(l->v, l->cap * sizeof *l->v);
            if (!l->v) abort();
        }
        l->v[l->n++] = (uint32_t)us;
    }
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(lat_vec *l, double p) {
    if (!l->n) return -1;
    size_t i = (size_t)(p * (double)(l->n - 1) + 0.5);
    return l->v[i] / 1000.0;
}

/* ------------------------------------------------------------- alerts */

/* Indicators are uniform over --indicators, or Zipf-distributed with
 * exponent --zipf (a few indicators draw most hits, as beaconing C2 does). */

static uint32_t pick_indicator(void) {
    if (!L.zipf_cdf) return (uint32_t)(rnd() % (uint64_t)O.indicators);
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    uint32_t lo = 0, hi = (uint32_t)O.indicators - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (L.zipf_cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void zipf_setup(void) {
    if (O.zipf <= 0) return;
    L.zipf_cdf = malloc((size_t)O.indicators * sizeof *L.zipf_cdf);
    if (!L.zipf_cdf) abort();
    double sum = 0;
    for (int i = 0; i < O.indicators; i++) sum += 1.0 / pow(i + 1, O.zipf);
    double acc = 0;
    for (int i = 0; i < O.indicators; i++) L.zipf_cdf[i] = (acc += 1.0 / pow(i + 1, O.zipf) / sum);
}

/* Picks the alert's (indicator, flow): a fresh flow, or with probability
 * --dup one recently sent by another sensor (the same flow seen twice). */
static recent_key pick_key(sensor *s) {
    recent_key k;
    if (L.nrecent > 64 && (double)(rnd() % 1000000) / 1e6 < O.dup) {
        uint64_t span = L.nrecent < RECENT ? L.nrecent : RECENT;
        for (int tries = 0; tries < 8; tries++) {
            k = L.recent[(L.nrecent - 1 - rnd() % span) % RECENT];
            if (O.k == 1 || (int)k.owner != s->idx) return k;
        }
        return k;
    }
    k.ind = pick_indicator();
    k.owner = (uint32_t)s->idx;
    k.flow = ((uint64_t)s->idx << 40) | (uint64_t)++s->flow;
    L.recent[L.nrecent++ % RECENT] = k;
    return k;
}

static int format_alert(char *p, size_t cap, sensor *s, long long seq, recent_key k,
                        int64_t now_us) {
    time_t secs = time(NULL);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char ts[40];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned a = (unsigned)(k.flow * 2654435761u);
    return snprintf(
        p, cap,
        "{\"seq\":%lld,\"alert\":{\"timestamp\":\"%s.%06d+0000\",\"flow_id\":%" PRIu64 ","
        "\"event_type\":\"alert\",\"src_ip\":\"10.%u.%u.%u\",\"src_port\":%u,"
        "\"dest_ip\":\"203.0.113.%u\",\"dest_port\":443,\"proto\":\"TCP\","
        "\"community_id\":\"1:%016" PRIx64 "%08x=\",\"vlan\":[12],\"pcap_cnt\":%lld,"
        "\"alert\":{\"action\":\"allowed\",\"signature\":\"picket intel tls.sni "
        "ind%u.evil.example\",\"category\":\"intel\",\"severity\":2},"
        "\"picket\":{\"alert_id\":\"%s:%lld\",\"sensor\":\"%s\",\"partner\":\"%s\","
        "\"exercise\":null,\"direction\":\"outbound\",\"field\":\"tls.sni\","
        "\"observed\":\"cdn.ind%u.evil.example\",\"indicator_set\":\"bench-1\","
        "\"indicator\":{\"value\":\"ind%u.evil.example\",\"type\":\"domain\","
        "\"source\":\"jp-feed\",\"partner\":\"JP\",\"tlp\":\"amber\",\"confidence\":80,"
        "\"id\":\"indicator--%08x-0000-4000-8000-%012u\"}},\"bench_t\":%" PRId64 "}}",
        seq, ts, (int)(now_us % 1000000), k.flow, (a >> 16) & 255, (a >> 8) & 255, a & 255,
        1024 + (a % 60000), a % 250, k.flow, a, seq, k.ind, s->name, seq, s->name, s->partner,
        k.ind, k.ind, k.ind, k.ind, now_us);
}

static void send_raw(sensor *s, const char *json, size_t n) {
    uint8_t hdr[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    bufferevent_write(s->bev, hdr, 4);
    bufferevent_write(s->bev, json, n);
}

static void send_batch(sensor *s, int n) {
    int64_t now = mono_us();
    size_t need = 64 + (size_t)n * 1400;
    if (L.frame_cap < need) {
        L.frame_cap = need;
        L.frame_buf = realloc(L.frame_buf, L.frame_cap);
        if (!L.frame_buf) abort();
    }
    size_t len = (size_t)snprintf(L.frame_buf, L.frame_cap, "{\"type\":\"alerts\",\"alerts\":[");
    long long first = s->next_seq;
    for (int i = 0; i < n; i++) {
        if (i) L.frame_buf[len++] = ',';
        int w = format_alert(L.frame_buf + len, L.frame_cap - len, s, s->next_seq++, pick_key(s), now);
        if (w < 0 || (size_t)w >= L.frame_cap - len) abort();
        len += (size_t)w;
    }
    len += (size_t)snprintf(L.frame_buf + len, L.frame_cap - len, "]}");
    send_raw(s, L.frame_buf, len);
    inflight *f = &s->win[(s->whead + s->wcount++) % MAX_WINDOW];
    f->max_seq = first + n - 1;
    f->n = n;
    f->sent_us = now;
    s->sent_alerts += (uint64_t)n;
}

static void fill_window(sensor *s) {
    if (O.rate > 0) return;
    while (s->ready && s->wcount < O.window) {
        uint64_t left = O.count ? O.count - s->sent_alerts : (uint64_t)O.batch;
        if (left == 0) return;
        send_batch(s, left < (uint64_t)O.batch ? (int)left : O.batch);
    }
}

/* ------------------------------------------------------------ messages */

static long long member_int(const char *json, const char *key) {
    const char *p = strstr(json, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static void on_ack(sensor *s, long long seq) {
    int64_t now = mono_us();
    bool measuring = now >= L.t_measure_us && now < L.t_end_us;
    while (s->wcount > 0 && s->win[s->whead].max_seq <= seq) {
        inflight *f = &s->win[s->whead];
        L.acked_total += (uint64_t)f->n;
        s->acked_alerts += (uint64_t)f->n;
        if (measuring && f->sent_us >= L.t_measure_us) {
            L.acked_measured += (uint64_t)f->n;
            L.batches_measured++;
            L.batch_alerts_measured += (uint64_t)f->n;
            lat_push(&L.ack_lat, now - f->sent_us, f->n);
        } else if (measuring) {
            L.acked_measured += (uint64_t)f->n;   /* sent in warm-up, acked now */
        }
        s->whead = (s->whead + 1) % MAX_WINDOW;
        s->wcount--;
    }
    fill_window(s);
    if (O.count && s->acked_alerts == O.count) {
        bool all = true;
        for (int i = 0; i < O.k; i++) all &= L.S[i].acked_alerts == O.count;
        if (all) event_base_loopexit(L.base, NULL);
    }
}

static void on_message(sensor *s, const char *json) {
    if (strstr(json, "\"type\":\"ack\"")) {
        on_ack(s, member_int(json, "\"seq\":"));
    } else if (strstr(json, "\"type\":\"welcome\"")) {
        long long applied = member_int(json, "\"applied\":");
        s->next_seq = applied + 1;
        s->ready = true;
        fill_window(s);
    } else {
        fprintf(stderr, "collector_load: %s: %.300s\n", s->name, json);
        L.failures++;
    }
}

static void on_read(struct bufferevent *bev, void *arg) {
    sensor *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail < 4) return;
        unsigned char *h = evbuffer_pullup(in, 4);
        uint32_t n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        if (avail < (size_t)n + 4) return;
        char *p = (char *)evbuffer_pullup(in, (ssize_t)n + 4);
        char buf[4096];
        size_t m = n < sizeof buf - 1 ? n : sizeof buf - 1;
        memcpy(buf, p + 4, m);
        buf[m] = 0;
        evbuffer_drain(in, (size_t)n + 4);
        on_message(s, buf);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg) {
    sensor *s = arg;
    if (what & BEV_EVENT_CONNECTED) {
        evutil_socket_t fd = bufferevent_getfd(bev);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char hello[256];
        int n = snprintf(hello, sizeof hello,
                         "{\"type\":\"hello\",\"sensor\":\"%s\",\"version\":\"bench\","
                         "\"last_acked\":0,\"partner\":\"%s\"}", s->name, s->partner);
        send_raw(s, hello, (size_t)n);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        unsigned long e = bufferevent_get_openssl_error(bev);
        fprintf(stderr, "collector_load: %s: connection %s%s%s\n", s->name,
                what & BEV_EVENT_EOF ? "closed" : "error",
                e ? ": " : "", e ? ERR_reason_error_string(e) : "");
        L.failures++;
        s->ready = false;
        bufferevent_free(bev);
        s->bev = NULL;
    }
}

/* --------------------------------------------------------------- pacing */

static void on_tick(evutil_socket_t fd, short what, void *arg) {
    int64_t now = mono_us();
    if (!L.last_tick_us) L.last_tick_us = now;
    double per = O.rate / O.k * (double)(now - L.last_tick_us) / 1e6;
    L.last_tick_us = now;
    for (int i = 0; i < O.k; i++) {
        sensor *s = &L.S[i];
        if (!s->ready) continue;
        s->due += per;
        while (s->due >= 1 && s->wcount < O.window) {
            int n = s->due > O.batch ? O.batch : (int)s->due;
            send_batch(s, n);
            s->due -= n;
        }
        if (s->due > 10.0 * O.batch) s->due = 10.0 * O.batch;   /* behind: report it */
    }
}

static void on_phase(evutil_socket_t fd, short what, void *arg) {
    event_base_loopexit(L.base, NULL);
}

/* ------------------------------------------------------- stream reader */

static void *stream_reader(void *arg) {
    redisContext *rc = redisConnect("127.0.0.1", O.redis_port);
    if (!rc || rc->err) {
        fprintf(stderr, "collector_load: stream reader: cannot connect to redis\n");
        return NULL;
    }
    char key[128], last[64] = "$";
    snprintf(key, sizeof key, "%salerts", O.redis_prefix);
    while (!atomic_load(&L.stop_reader)) {
        redisReply *r = redisCommand(rc, "XREAD COUNT 2000 BLOCK 100 STREAMS %s %s", key, last);
        int64_t now = mono_us();
        if (!r) break;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
            redisReply *entries = r->element[0]->element[1];
            int64_t from = atomic_load(&L.measure_from_us);
            for (size_t i = 0; i < entries->elements; i++) {
                redisReply *e = entries->element[i];
                snprintf(last, sizeof last, "%s", e->element[0]->str);
                redisReply *f = e->element[1];
                for (size_t j = 0; j + 1 < f->elements; j += 2) {
                    if (strcmp(f->element[j]->str, "alert") != 0) continue;
                    const char *b = strstr(f->element[j + 1]->str, "\"bench_t\":");
                    if (!b) continue;
                    int64_t t = strtoll(b + 10, NULL, 10);
                    if (from && t >= from && t < from + (int64_t)(O.seconds * 1e6))
                        lat_push(&L.stream_lat, now - t, 1);
                }
            }
        }
        freeReplyObject(r);
    }
    redisFree(rc);
    return NULL;
}

/* ----------------------------------------------------------------- main */

static SSL_CTX *client_ctx(const char *name) {
    char path[1024], key[1024];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    snprintf(path, sizeof path, "%s/ca.pem", O.pki);
    if (!ctx || SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) goto bad;
    snprintf(path, sizeof path, "%s/%s.pem", O.pki, name);
    snprintf(key, sizeof key, "%s/%s.key", O.pki, name);
    if (SSL_CTX_use_certificate_chain_file(ctx, path) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        goto bad;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
bad:
    fprintf(stderr, "collector_load: TLS setup for %s failed (%s)\n", name, path);
    exit(1);
}

static void connect_sensor(sensor *s) {
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)O.port)};
    inet_pton(AF_INET, O.host, &sin.sin_addr);
    int bev_opts = BEV_OPT_CLOSE_ON_FREE;
    if (O.pki) {
        s->ctx = client_ctx(s->name);
        SSL *ssl = SSL_new(s->ctx);
        SSL_set_tlsext_host_name(ssl, "localhost");
        SSL_set1_host(ssl, "localhost");
        s->bev = bufferevent_openssl_socket_new(L.base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, bev_opts);
    } else {
        s->bev = bufferevent_socket_new(L.base, -1, bev_opts);
    }
    bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&sin, sizeof sin) != 0) {
        fprintf(stderr, "collector_load: cannot connect to %s:%d\n", O.host, O.port);
        exit(1);
    }
}

static void usage(void) {
    fputs("usage: collector_load -p PORT [-k SENSORS] [-d SECONDS] [--warmup S] [-b BATCH]\n"
          "         [-W WINDOW] [--dup FRAC] [--rate ALERTS_PER_S] [--pki DIR]\n"
          "         [--redis-port P] [--redis-prefix P] [--prefix NAME] [--indicators N]\n"
          "         [--zipf S] [--count N] [--seed S]\n",
          stderr);
    exit(2);
}

static void parse(int argc, char **argv) {
    static const struct option lo[] = {
        {"warmup", 1, 0, 1}, {"dup", 1, 0, 2}, {"rate", 1, 0, 3}, {"pki", 1, 0, 4},
        {"redis-port", 1, 0, 5}, {"prefix", 1, 0, 6}, {"indicators", 1, 0, 7},
        {"redis-prefix", 1, 0, 8}, {"host", 1, 0, 9}, {"count", 1, 0, 10}, {"seed", 1, 0, 11}, {"zipf", 1, 0, 12},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "p:k:d:b:W:", lo, NULL)) != -1) {
        switch (c) {
        case 'p': O.port = atoi(optarg); break;
        case 'k': O.k = atoi(optarg); break;
        case 'd': O.seconds = atof(optarg); break;
        case 'b': O.batch = atoi(optarg); break;
        case 'W': O.window = atoi(optarg); break;
        case 1: O.warmup = atof(optarg); break;
        case 2: O.dup = atof(optarg); break;
        case 3: O.rate = atof(optarg); break;
        case 4: O.pki = optarg; break;
        case 5: O.redis_port = atoi(optarg); break;
        case 6: O.prefix = optarg; break;
        case 7: O.indicators = atoi(optarg); break;
        case 8: O.redis_prefix = optarg; break;
        case 9: O.host = optarg; break;
        case 10: O.count = strtoull(optarg, NULL, 10); break;
        case 11: O.seed = strtoull(optarg, NULL, 10); break;
        case 12: O.zipf = atof(optarg); break;
        default: usage();
        }
    }
    if (!O.port || O.k < 1 || O.k > MAX_SENSORS || O.batch < 1 || O.batch > MAX_BATCH ||
        O.window < 1 || O.window > MAX_WINDOW || O.indicators < 1 || O.seconds <= 0)
        usage();
}

static void run_for(double seconds) {
    struct timeval tv = {(time_t)seconds, (suseconds_t)((seconds - (time_t)seconds) * 1e6)};
    struct event *ev = evtimer_new(L.base, on_phase, NULL);
    evtimer_add(ev, &tv);
    event_base_dispatch(L.base);
    event_free(ev);
}

int main(int argc, char **argv) {
    parse(argc, argv);
    L.rng ^= O.seed ? O.seed : (uint64_t)mono_us();
    zipf_setup();
    L.base = event_base_new();
    L.frame_cap = 64 + (size_t)O.batch * 1400;
    L.frame_buf = malloc(L.frame_cap);
    pthread_t reader;
    bool have_reader = O.redis_port > 0 &&
                       pthread_create(&reader, NULL, stream_reader, NULL) == 0;
    L.t_start_us = mono_us();
    L.t_measure_us = L.t_start_us + (int64_t)(O.warmup * 1e6) + 3600ll * 1000000;   /* set below */
    L.t_end_us = INT64_MAX;
    for (int i = 0; i < O.k; i++) {
        L.S[i].idx = i;
        snprintf(L.S[i].name, sizeof L.S[i].name, "%s-s%02d", O.prefix, i + 1);
        L.S[i].partner = PARTNERS[i % 4];
        connect_sensor(&L.S[i]);
    }
    struct event *tick = NULL;
    if (O.rate > 0) {
        tick = event_new(L.base, -1, EV_PERSIST, on_tick, NULL);
        struct timeval ms = {0, 1000};
        event_add(tick, &ms);
    }
    if (O.count) {              /* a fixed amount of work: no timing phases */
        L.t_measure_us = L.t_start_us;
        L.t_end_us = INT64_MAX;
        event_base_dispatch(L.base);
        double secs = (double)(mono_us() - L.t_start_us) / 1e6;
        printf("sensors=%d acked_total=%" PRIu64 " seconds=%.2f rate=%.0f failures=%d\n", O.k,
               L.acked_total, secs, (double)L.acked_total / secs, L.failures);
        return L.failures ? 1 : 0;
    }
    run_for(O.warmup);
    L.t_measure_us = mono_us();
    L.t_end_us = L.t_measure_us + (int64_t)(O.seconds * 1e6);
    atomic_store(&L.measure_from_us, L.t_measure_us);
    uint64_t sent0 = 0;
    for (int i = 0; i < O.k; i++) sent0 += L.S[i].sent_alerts;
    run_for(O.seconds);
    double secs = (double)(mono_us() - L.t_measure_us) / 1e6;
    uint64_t sent1 = 0;
    for (int i = 0; i < O.k; i++) sent1 += L.S[i].sent_alerts;
    int ready = 0;
    for (int i = 0; i < O.k; i++) ready += L.S[i].ready;
    /* Let the last stream entries arrive, then stop the reader. */
    if (tick) event_del(tick);
    run_for(0.5);
    atomic_store(&L.stop_reader, true);
    if (have_reader) pthread_join(reader, NULL);
    if (L.ack_lat.n) qsort(L.ack_lat.v, L.ack_lat.n, sizeof *L.ack_lat.v, cmp_u32);
    if (L.stream_lat.n) qsort(L.stream_lat.v, L.stream_lat.n, sizeof *L.stream_lat.v, cmp_u32);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("sensors=%d ready=%d seconds=%.2f acked=%" PRIu64 " rate=%.0f sent_rate=%.0f "
           "acked_total=%" PRIu64 " load_cpu_us_per_alert=%.2f "
           "batches=%" PRIu64 " avg_batch=%.1f ack_p50_ms=%.2f ack_p99_ms=%.2f "
           "stream_n=%zu stream_p50_ms=%.2f stream_p99_ms=%.2f failures=%d\n",
           O.k, ready, secs, L.acked_measured, (double)L.acked_measured / secs,
           (double)(sent1 - sent0) / secs, L.acked_total,
           L.acked_total ? cpu * 1e6 / (double)L.acked_total : 0.0, L.batches_measured,
           L.batches_measured ? (double)L.batch_alerts_measured / (double)L.batches_measured : 0.0,
           pct_ms(&L.ack_lat, 0.5), pct_ms(&L.ack_lat, 0.99), L.stream_lat.n,
           pct_ms(&L.stream_lat, 0.5), pct_ms(&L.stream_lat, 0.99), L.failures);
    for (int i = 0; i < O.k; i++) {
        if (L.S[i].bev) bufferevent_free(L.S[i].bev);
        if (L.S[i].ctx) SSL_CTX_free(L.S[i].ctx);
    }
    if (tick) event_free(tick);
    event_base_free(L.base);
    free(L.frame_buf);
    free(L.ack_lat.v);
    free(L.stream_lat.v);
    free(L.zipf_cdf);
    return L.failures || ready < O.k ? 1 : 0;
}
