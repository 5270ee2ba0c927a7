/* session.c - sensor sessions on top of validated messages (see session.h).
 *
 * Why it exists: identity and acknowledgement rules live here. A hello
 * must name the sensor its certificate names; a newer connection of the
 * same sensor replaces the older one; alerts are stamped and applied to
 * Redis, and the ack (highest seq of the batch) goes out only after the
 * script succeeded. Unique alerts and sightings are then published.
 */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "dist.h"
#include "http.h"
#include "log.h"
#include "output.h"
#include "tls.h"

#define INSECURE_PARTNER "unverified"

static const char *state_name(pk_conn_state s) {
    switch (s) {
    case PK_CONN_TLS: return "tls";
    case PK_CONN_HELLO: return "hello";
    case PK_CONN_WELCOME: return "welcome";
    case PK_CONN_READY: return "ready";
    default: return "closing";
    }
}

static void unexpected(pk_conn *c, pk_wire_type t) {
    pk_collector *coll = c->coll;
    coll->metrics.rejected[PK_REJ_UNEXPECTED]++;
    pk_log_limited(&coll->rl.proto, PK_LOG_WARN,
                   "%s: unexpected \"%s\" message in state %s: closing", c->peer,
                   pk_wire_type_name(t), state_name(c->state));
    pk_conn_fail(c, "unexpected message for this state");
}

/* Closes every other live connection of the same sensor. */
static void replace_older(pk_conn *c) {
    pk_collector *coll = c->coll;
    for (pk_conn *o = coll->conns; o; o = o->next) {
        if (o == c || (o->state != PK_CONN_WELCOME && o->state != PK_CONN_READY)) continue;
        if (strcmp(o->sensor, c->sensor) != 0) continue;
        coll->metrics.sessions_replaced++;
        pk_log(PK_LOG_INFO, "sensor %s: new connection from %s replaces the one from %s",
               c->sensor, c->peer, o->peer);
        pk_conn_fail(o, "replaced by a newer connection of the same sensor");
    }
}

/* Decides the session's sensor id and partner; false (connection failed)
 * when the hello is not acceptable. */
static bool take_identity(pk_conn *c, json_t *root) {
    pk_collector *coll = c->coll;
    const char *id = json_string_value(json_object_get(root, "sensor"));
    if (!coll->cfg.insecure) {
        if (strcmp(id, c->cert_id) == 0) {
            memcpy(c->sensor, c->cert_id, sizeof c->sensor);
            return true;
        }
        char claim[PK_ID_MAX + 1];
        pk_sanitize(id, claim, sizeof claim);
        coll->metrics.errors[PK_ERR_IDENTITY_MISMATCH]++;
        pk_log_limited(&coll->rl.proto, PK_LOG_WARN,
                       "%s: hello claims sensor \"%s\" but the certificate CN is \"%s\": "
                       "refused", c->peer, claim, c->cert_id);
        pk_conn_fail(c, "sensor id does not match the client certificate");
        return false;
    }
    const char *partner = json_string_value(json_object_get(root, "partner"));
    if (!pk_valid_sensor_id(id)) {
        coll->metrics.rejected[PK_REJ_BAD_MEMBER]++;
        pk_log_limited(&coll->rl.proto, PK_LOG_WARN, "%s: hello: invalid sensor id", c->peer);
        pk_conn_fail(c, "invalid sensor id");
        return false;
    }
    snprintf(c->sensor, sizeof c->sensor, "%s", id);
    snprintf(c->partner, sizeof c->partner, "%s",
             partner && pk_valid_partner(partner) ? partner : INSECURE_PARTNER);
    return true;
}

static bool on_hello(pk_conn *c, json_t *root) {
    if (!take_identity(c, root)) return false;
    json_t *ver = json_object_get(root, "version");
    char version[65];
    pk_sanitize(json_is_string(ver) ? json_string_value(ver) : "-", version, sizeof version);
    pk_log(PK_LOG_INFO, "%s: sensor %s (partner %s) hello, version %s, last_acked %lld",
           c->peer, c->sensor, c->partner, version,
           (long long)json_integer_value(json_object_get(root, "last_acked")));
    replace_older(c);
    c->state = PK_CONN_WELCOME;
    if (!pk_redis_lookup_applied(c->coll->redis, c)) pk_conn_close(c);
    return false;
}

static bool submit_batch(pk_conn *c, pk_batch *b) {
    pk_collector *coll = c->coll;
    if (!b) {
        pk_log(PK_LOG_ERR, "sensor %s: out of memory building a batch: closing", c->sensor);
        pk_conn_close(c);
        return false;
    }
    coll->metrics.alerts_received += b->received;
    coll->metrics.errors[PK_ERR_ALERT_INVALID] += b->invalid - b->bad_exercise;
    coll->metrics.errors[PK_ERR_EXERCISE_INVALID] += b->bad_exercise;
    c->chain_seq = b->max_seq;
    if (!pk_redis_apply(coll->redis, c, b)) {
        pk_conn_close(c);
        return false;
    }
    return true;
}

static bool on_alerts(pk_conn *c, json_t *root) {
    return submit_batch(c, pk_batch_build(c->coll, c->sensor, c->partner, c->chain_seq, root));
}

int pk_session_frame_fast(pk_conn *c, const char *payload, size_t len) {
    if (c->state != PK_CONN_READY) return -1;
    pk_scan *sc = malloc(sizeof *sc);
    if (!sc) return -1;
    if (!pk_alerts_scan(payload, len, sc)) {
        free(sc);
        return -1;
    }
    pk_batch *b = pk_batch_build_scanned(c->coll, c->sensor, c->partner, c->chain_seq, sc);
    free(sc);
    return submit_batch(c, b);
}

bool pk_session_message(pk_conn *c, pk_wire_type type, json_t *root) {
    if (c->state == PK_CONN_HELLO && type == PK_MSG_HELLO) return on_hello(c, root);
    if (c->state == PK_CONN_READY && type == PK_MSG_ALERTS) return on_alerts(c, root);
    if (c->state == PK_CONN_READY && type == PK_MSG_STATS) {
        c->coll->metrics.stats_messages++;
        return true;
    }
    unexpected(c, type);
    return false;
}

void pk_session_welcome(pk_conn *c, long long applied) {
    json_t *m = json_pack("{s:s, s:I, s:s}", "type", "welcome", "applied", (json_int_t)applied,
                          "collector", c->coll->name);
    c->state = PK_CONN_READY;
    bool ok = m && pk_conn_send(c, m);
    json_decref(m);
    if (!ok) {
        pk_conn_close(c);
        return;
    }
    pk_log(PK_LOG_INFO, "sensor %s: welcomed, resume after seq %lld", c->sensor, applied);
    pk_dist_welcomed(c->coll->dist, c);
    pk_conn_resume(c);
}

static void publish(pk_collector *coll, const pk_batch *b, const pk_apply_result *res) {
    bool wrote = false;
    for (size_t i = 0; i < res->nstatus && i < b->n; i++) {
        if (res->status[i] != PK_APPLY_UNIQUE) continue;
        const char *exercise = b->exercise[i];      /* -o gets live alerts only */
        if (!exercise && coll->out && !pk_output_line(coll->out, b->json[i], b->json_len[i]))
            coll->metrics.errors[PK_ERR_OUTPUT]++;
        wrote |= !exercise;
        if (coll->http)
            pk_http_publish(coll->http, "alert", exercise, b->json[i], b->json_len[i]);
    }
    if (wrote && coll->out && !pk_output_flush(coll->out)) coll->metrics.errors[PK_ERR_OUTPUT]++;
    for (size_t i = 0; i < res->nsight; i++) {
        int shown = res->sight_len[i] > 400 ? 400 : (int)res->sight_len[i];
        pk_log(PK_LOG_INFO, "coalition sighting: %.*s", shown, res->sight_json[i]);
        char exercise[PK_EXERCISE_MAX + 1];
        bool live = !pk_exercise_of_sighting(res->sight_json[i], res->sight_len[i], exercise);
        if (coll->http)
            pk_http_publish(coll->http, "sighting", live ? NULL : exercise, res->sight_json[i],
                            res->sight_len[i]);
    }
}

void pk_session_applied(pk_collector *coll, const pk_batch *b, const pk_apply_result *res) {
    pk_metrics *m = &coll->metrics;
    m->batches_total++;
    m->alerts_unique += (uint64_t)res->unique;
    m->alerts_duplicate += (uint64_t)res->duplicate;
    m->alerts_retransmitted += (uint64_t)res->retransmitted;
    m->sightings += (uint64_t)res->sightings;
    publish(coll, b, res);
}

void pk_session_acked(pk_conn *c, long long seq) {
    if (c->state != PK_CONN_READY) return;
    char msg[64];
    int n = snprintf(msg, sizeof msg, "{\"type\":\"ack\",\"seq\":%lld}", seq);
    if (!pk_conn_send_raw(c, msg, (size_t)n)) {
        pk_conn_close(c);
        return;
    }
    pk_conn_resume(c);
}

void pk_session_redis_error(pk_conn *c, const char *why) {
    pk_conn_fail(c, why);
}
