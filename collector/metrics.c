/* metrics.c - Prometheus text for the collector's counters (see metrics.h).
 *
 * Why it exists: one renderer for the whole /metrics page, so names, help
 * text and label values are written in one place and stay consistent.
 */
#include "metrics.h"

#include <string.h>

#include <event2/buffer.h>

static const char *const err_names[PK_ERR__COUNT] = {
    [PK_ERR_TLS_HANDSHAKE] = "tls_handshake",
    [PK_ERR_TLS_IDENTITY] = "tls_identity",
    [PK_ERR_IDENTITY_MISMATCH] = "identity_mismatch",
    [PK_ERR_HANDSHAKE_TIMEOUT] = "handshake_timeout",
    [PK_ERR_IDLE_TIMEOUT] = "idle_timeout",
    [PK_ERR_CONNECTION_LIMIT] = "connection_limit",
    [PK_ERR_SEND_OVERFLOW] = "send_overflow",
    [PK_ERR_ALERT_INVALID] = "alert_invalid",
    [PK_ERR_REDIS_CONNECT] = "redis_connect",
    [PK_ERR_REDIS_REPLY] = "redis_reply",
    [PK_ERR_REDIS_TIMEOUT] = "redis_timeout",
    [PK_ERR_OUTPUT] = "output",
    [PK_ERR_SSE_DROPPED] = "sse_dropped",
    [PK_ERR_EXERCISE_INVALID] = "exercise_invalid",
};

static const char *const rej_names[PK_REJ__COUNT] = {
    [PK_REJ_TOO_LARGE] = "too_large",
    [PK_REJ_EMPTY] = "empty",
    [PK_REJ_BAD_UTF8] = "bad_utf8",
    [PK_REJ_TOO_DEEP] = "too_deep",
    [PK_REJ_BAD_JSON] = "bad_json",
    [PK_REJ_NOT_OBJECT] = "not_object",
    [PK_REJ_NO_TYPE] = "no_type",
    [PK_REJ_UNKNOWN_TYPE] = "unknown_type",
    [PK_REJ_BAD_MEMBER] = "bad_member",
    [PK_REJ_OUT_OF_RANGE] = "out_of_range",
    [PK_REJ_BAD_ORDER] = "bad_order",
    [PK_REJ_UNEXPECTED] = "unexpected",
    [PK_REJ_OTHER] = "other",
};

static const double lat_bounds[PK_LAT_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
};

pk_reject_reason pk_reject_from_err(const char *err) {
    if (!err) return PK_REJ_OTHER;
    const char *colon = strchr(err, ':');
    size_t n = colon ? (size_t)(colon - err) : strlen(err);
    for (int i = 0; i < PK_REJ__COUNT; i++)
        if (strlen(rej_names[i]) == n && strncmp(err, rej_names[i], n) == 0)
            return (pk_reject_reason)i;
    return PK_REJ_OTHER;
}

void pk_latency_observe(pk_latency *l, double seconds) {
    if (seconds < 0) seconds = 0;
    l->count++;
    l->sum += seconds;
    for (int i = 0; i < PK_LAT_BUCKETS; i++) {
        if (seconds <= lat_bounds[i]) {
            l->bucket[i]++;
            return;
        }
    }
}

static void counter(struct evbuffer *out, const char *name, const char *help,
                    uint64_t v) {
    evbuffer_add_printf(out, "# HELP picket_collector_%s %s\n# TYPE picket_collector_%s counter\n"
                        "picket_collector_%s %llu\n",
                        name, help, name, name, (unsigned long long)v);
}

static void gauge(struct evbuffer *out, const char *name, const char *help, uint64_t v) {
    evbuffer_add_printf(out, "# HELP picket_collector_%s %s\n# TYPE picket_collector_%s gauge\n"
                        "picket_collector_%s %llu\n",
                        name, help, name, name, (unsigned long long)v);
}

static void labelled(struct evbuffer *out, const char *name, const char *help,
                     const char *label, const char *const *names,
                     const uint64_t *v, int n) {
    evbuffer_add_printf(out, "# HELP picket_collector_%s %s\n# TYPE picket_collector_%s counter\n",
                        name, help, name);
    for (int i = 0; i < n; i++)
        evbuffer_add_printf(out, "picket_collector_%s{%s=\"%s\"} %llu\n", name, label,
                            names[i], (unsigned long long)v[i]);
}

static void latency(struct evbuffer *out, const pk_latency *l) {
    const char *name = "picket_collector_redis_latency_seconds";
    evbuffer_add_printf(out, "# HELP %s Round trip of Redis commands (batch scripts, lookups).\n"
                        "# TYPE %s histogram\n", name, name);
    uint64_t cum = 0;
    for (int i = 0; i < PK_LAT_BUCKETS; i++) {
        cum += l->bucket[i];
        evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, lat_bounds[i],
                            (unsigned long long)cum);
    }
    evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n",
                        name, (unsigned long long)l->count, name, l->sum, name,
                        (unsigned long long)l->count);
}

void pk_metrics_render(const pk_metrics *m, const pk_gauges *g, struct evbuffer *out) {
    gauge(out, "sensors_connected", "Sensors with an accepted hello.", g->sensors);
    gauge(out, "connections", "Open sensor connections (any state).", g->connections);
    gauge(out, "redis_connected", "1 when Redis is connected and the script loaded.",
          (uint64_t)(g->redis_connected ? 1 : 0));
    gauge(out, "redis_waiting", "Requests waiting for Redis to come back.", g->redis_waiting);
    gauge(out, "sse_clients", "Open /api/stream clients.", g->sse_clients);
    counter(out, "connections_total", "Sensor connections accepted.", m->connections_total);
    counter(out, "batches_total", "Alert batches applied to Redis.", m->batches_total);
    counter(out, "alerts_received_total", "Alerts received from sensors.", m->alerts_received);
    counter(out, "alerts_unique_total", "Alerts published as first sightings.", m->alerts_unique);
    counter(out, "alerts_duplicate_total", "Alerts folded into an earlier one.",
            m->alerts_duplicate);
    counter(out, "alerts_retransmitted_total", "Alerts already applied (resent by a sensor).",
            m->alerts_retransmitted);
    counter(out, "sightings_total", "Coalition sightings (indicator seen by 2+ partners).",
            m->sightings);
    counter(out, "sessions_replaced_total", "Connections replaced by a newer one.",
            m->sessions_replaced);
    counter(out, "stats_messages_total", "Stats messages received from sensors.",
            m->stats_messages);
    labelled(out, "errors_total", "Errors by kind.", "kind", err_names, m->errors,
             PK_ERR__COUNT);
    labelled(out, "frames_rejected_total", "Frames rejected by reason.", "reason", rej_names,
             m->rejected, PK_REJ__COUNT);
    latency(out, &m->redis_latency);
}
