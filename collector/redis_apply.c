/* redis_apply.c - requests to Redis and their replies (see redis_apply.h).
 *
 * Why it exists: each request (the welcome's applied lookup, one EVALSHA
 * per batch) is sent when Redis is ready or parked until it is; a request
 * whose reply never came (connection lost) is parked again and resent, and
 * the script's atomic retransmit check makes the resend harmless. Replies
 * are checked for shape before anything is acknowledged.
 *
 * A connection's requests form a list, oldest first. Several batches of
 * one connection may be in flight: each carries the max seq of the batch
 * before it ("prev"), and the script refuses (PKORDER, nothing written) to
 * apply a batch whose predecessor is not applied, which can only happen
 * when the predecessor met NOSCRIPT or an error and Redis ran the later
 * one first; the refused batch is simply sent again behind it. An applied
 * batch is marked done and acked once every older one is done too.
 */
#include "redis_int.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "conn.h"
#include "log.h"
#include "session.h"
#include "wire.h"

/* Takes op out of its connection's list. */
static void conn_unlink(pk_redis_op *op) {
    pk_conn *c = op->conn;
    if (!c) return;
    pk_redis_op *prev = NULL;
    for (pk_redis_op *o = c->ops_head; o; prev = o, o = o->conn_next) {
        if (o != op) continue;
        if (prev) prev->conn_next = o->conn_next;
        else c->ops_head = o->conn_next;
        if (c->ops_tail == o) c->ops_tail = prev;
        c->nops--;
        break;
    }
    op->conn = NULL;
    op->conn_next = NULL;
}

/* Frees the batch (the ack needs only max_seq) and its budget share. */
static void release_batch(pk_redis_op *op) {
    op->redis->held_bytes -= op->bytes;
    op->bytes = 0;
    pk_batch_free(op->batch);
    op->batch = NULL;
}

void pk_redis_op_free(pk_redis_op *op) {
    if (!op) return;
    conn_unlink(op);
    release_batch(op);
    free(op);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

static int send_applied(pk_redis *r, pk_redis_op *op) {
    const char *argv[3] = {"HGET", r->applied_key, op->conn->sensor};
    size_t lens[3] = {4, strlen(r->applied_key), strlen(op->conn->sensor)};
    return redisAsyncCommandArgv(r->ac, on_reply, op, 3, argv, lens);
}

static int send_batch(pk_redis *r, pk_redis_op *op) {
    pk_batch *b = op->batch;
    b->argv[PK_BATCH_SHA_ARG] = r->sha;
    b->argvlen[PK_BATCH_SHA_ARG] = strlen(r->sha);
    return redisAsyncCommandArgv(r->ac, on_reply, op, b->argc, b->argv, b->argvlen);
}

static bool send_op(pk_redis *r, pk_redis_op *op) {
    if (!r->ready || !r->ac) return false;
    int rc = op->kind == PK_OP_APPLIED ? send_applied(r, op) : send_batch(r, op);
    if (rc != REDIS_OK) return false;
    if (r->inflight++ == 0) r->progress_ms = pk_now_ms();
    op->sent_us = pk_mono_us();
    return true;
}

void pk_redis_park(pk_redis *r, pk_redis_op *op) {
    if (r->stopping || !op->conn) {
        pk_redis_op_free(op);
        return;
    }
    op->next = NULL;
    op->parked = true;
    if (r->wait_tail) r->wait_tail->next = op;
    else r->wait_head = op;
    r->wait_tail = op;
    r->nwait++;
}

/* Takes a parked request out of the wait queue (its connection is gone). */
static void unpark(pk_redis *r, pk_redis_op *op) {
    pk_redis_op *prev = NULL;
    for (pk_redis_op *o = r->wait_head; o; prev = o, o = o->next) {
        if (o != op) continue;
        if (prev) prev->next = o->next;
        else r->wait_head = o->next;
        if (r->wait_tail == o) r->wait_tail = prev;
        r->nwait--;
        op->parked = false;
        return;
    }
}

void pk_redis_flush(pk_redis *r) {
    pk_redis_op *op = r->wait_head;
    r->wait_head = r->wait_tail = NULL;
    r->nwait = 0;
    while (op) {
        pk_redis_op *next = op->next;
        op->parked = false;
        if (!op->conn) pk_redis_op_free(op);
        else if (!send_op(r, op)) pk_redis_park(r, op);
        op = next;
    }
}

static bool submit(pk_redis *r, pk_conn *c, pk_op_kind kind, pk_batch *b) {
    pk_redis_op *op = calloc(1, sizeof *op);
    if (!op) {
        pk_batch_free(b);
        return false;
    }
    op->kind = kind;
    op->conn = c;
    op->redis = r;
    op->batch = b;
    if (b) {
        op->max_seq = b->max_seq;
        op->bytes = b->bytes;
        r->held_bytes += b->bytes;
    }
    if (c->ops_tail) c->ops_tail->conn_next = op;
    else c->ops_head = op;
    c->ops_tail = op;
    c->nops++;
    if (!send_op(r, op)) pk_redis_park(r, op);
    return true;
}

bool pk_redis_lookup_applied(pk_redis *r, pk_conn *c) {
    return submit(r, c, PK_OP_APPLIED, NULL);
}

bool pk_redis_apply(pk_redis *r, pk_conn *c, pk_batch *b) {
    return submit(r, c, PK_OP_BATCH, b);
}

pk_take pk_redis_can_take(pk_redis *r, const pk_conn *c) {
    if (c->nops == 0) return PK_TAKE_YES;
    if (c->nops >= PK_CONN_MAX_BATCHES) return PK_TAKE_CONN_FULL;
    if (r->held_bytes < PK_REDIS_BUDGET_BYTES) return PK_TAKE_YES;
    r->blocked = true;
    return PK_TAKE_BUDGET;
}

/* A parked request of a closed connection is dropped at once, so sensors
 * reconnecting during a long outage cannot pile up batches; one already
 * sent completes without its connection; one applied and waiting for an
 * older batch's ack has nothing left to do. */
void pk_redis_detach_all(pk_conn *c) {
    pk_redis_op *op = c->ops_head;
    c->ops_head = c->ops_tail = NULL;
    c->nops = 0;
    while (op) {
        pk_redis_op *next = op->conn_next;
        op->conn = NULL;
        op->conn_next = NULL;
        if (op->parked) {
            unpark(op->redis, op);
            pk_redis_op_free(op);
        } else if (op->done) {
            pk_redis_op_free(op);
        }
        op = next;
    }
}

/* Acks, in order, the batches at the head of c's list that are applied. */
static void ack_done(pk_conn *c) {
    long long top = 0;
    bool any = false;
    while (c->ops_head && c->ops_head->done) {
        pk_redis_op *op = c->ops_head;
        if (!any || op->max_seq > top) top = op->max_seq;
        any = true;
        pk_redis_op_free(op);
    }
    if (any) pk_session_acked(c, top);
}

static void reply_failed(pk_redis *r, pk_redis_op *op, const char *what, const redisReply *rep) {
    pk_conn *c = op->conn;
    r->coll->metrics.errors[PK_ERR_REDIS_REPLY]++;
    pk_log_limited(&r->coll->rl.redis, PK_LOG_ERR, "redis: %s for sensor %s: %.200s", what,
                   c ? c->sensor : "(gone)",
                   rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply shape");
    pk_redis_op_free(op);
    if (c) pk_session_redis_error(c, "collector could not apply the batch; retry later");
}

static void finish_applied(pk_redis *r, pk_redis_op *op, const redisReply *rep) {
    pk_conn *c = op->conn;
    long long applied = 0;
    if (rep->type == REDIS_REPLY_STRING) {
        char *end = NULL;
        applied = strtoll(rep->str, &end, 10);
        if (!end || *end || applied < 0) applied = 0;
    } else if (rep->type != REDIS_REPLY_NIL) {
        reply_failed(r, op, "applied lookup failed", rep);
        return;
    }
    pk_redis_op_free(op);
    if (c) pk_session_welcome(c, applied);
}

static bool is_int(const redisReply *e) { return e && e->type == REDIS_REPLY_INTEGER; }

static bool is_array(const redisReply *e) { return e && e->type == REDIS_REPLY_ARRAY; }

/* Checks the script's reply shape and points res into it. */
static bool parse_result(const redisReply *rep, size_t n, pk_apply_result *res,
                         unsigned char *status, const char **sj, size_t *sl) {
    if (!is_array(rep) || rep->elements != 7) return false;
    redisReply **e = rep->element;
    if (!is_int(e[0]) || !is_int(e[1]) || !is_int(e[2]) || !is_int(e[3]) || !is_array(e[4]) ||
        !is_array(e[5]) || !is_array(e[6]) || e[4]->elements != n ||
        e[6]->elements > PK_WIRE_MAX_BATCH)
        return false;
    for (size_t i = 0; i < n; i++) {
        const redisReply *s = e[4]->element[i];
        if (!is_int(s) || s->integer < 0 || s->integer > 2) return false;
        status[i] = (unsigned char)s->integer;
    }
    for (size_t i = 0; i < e[6]->elements; i++) {
        const redisReply *s = e[6]->element[i];
        if (s->type != REDIS_REPLY_STRING) return false;
        sj[i] = s->str;
        sl[i] = s->len;
    }
    *res = (pk_apply_result){e[0]->integer, e[1]->integer, e[2]->integer, e[3]->integer,
                             n, status, e[6]->elements, sj, sl};
    return true;
}

static void finish_batch(pk_redis *r, pk_redis_op *op, const redisReply *rep) {
    unsigned char status[PK_WIRE_MAX_BATCH];
    const char *sj[PK_WIRE_MAX_BATCH];
    size_t sl[PK_WIRE_MAX_BATCH];
    pk_apply_result res;
    pk_batch *b = op->batch;
    if (rep->type == REDIS_REPLY_ERROR || b->n > PK_WIRE_MAX_BATCH ||
        !parse_result(rep, b->n, &res, status, sj, sl)) {
        reply_failed(r, op, "apply script failed", rep);
        return;
    }
    pk_session_applied(r->coll, b, &res);
    release_batch(op);
    pk_conn *c = op->conn;
    if (!c) {
        pk_redis_op_free(op);
        return;
    }
    op->done = true;
    ack_done(c);
}

static bool is_error(const redisReply *rep, const char *prefix) {
    return rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, prefix, strlen(prefix)) == 0;
}

/* The script refused a batch whose predecessor is not applied. Behind an
 * older request of the same connection it is sent again (it then runs
 * after that one); as the oldest, its predecessor was acked and Redis has
 * since lost the sensor's applied sequence (FLUSHALL, a failover), so it
 * is sent again without the condition. */
static void retry_in_order(pk_redis *r, pk_redis_op *op) {
    if (!op->conn) {
        pk_redis_op_free(op);
        return;
    }
    if (op->conn->ops_head == op) {
        op->batch->argv[PK_BATCH_PREV_ARG] = "0";
        op->batch->argvlen[PK_BATCH_PREV_ARG] = 1;
    }
    bool older_parked = false;
    for (pk_redis_op *o = op->conn->ops_head; o && o != op; o = o->conn_next)
        older_parked |= o->parked;
    if (older_parked || !send_op(r, op)) pk_redis_park(r, op);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv) {
    pk_redis_op *op = priv;
    pk_redis *r = op->redis;
    redisReply *rep = reply;
    if (r->inflight) r->inflight--;
    r->progress_ms = pk_now_ms();
    if (!rep) {                              /* connection lost: resend later */
        pk_redis_park(r, op);                /* on_disconnect comes next and says so */
        return;
    }
    pk_latency_observe(&r->coll->metrics.redis_latency,
                       (double)(pk_mono_us() - op->sent_us) / 1e6);
    if (is_error(rep, "NOSCRIPT") && op->reloads++ < PK_REDIS_MAX_RELOADS) {
        r->ready = false;
        pk_redis_park(r, op);
        pk_redis_load_script(r);
        return;
    }
    if (op->kind == PK_OP_BATCH && is_error(rep, "PKORDER")) retry_in_order(r, op);
    else if (op->kind == PK_OP_APPLIED) finish_applied(r, op, rep);
    else finish_batch(r, op, rep);
    if (r->blocked && r->held_bytes < PK_REDIS_BUDGET_BYTES) {
        r->blocked = false;
        pk_conns_unblock(r->coll);
    }
}
