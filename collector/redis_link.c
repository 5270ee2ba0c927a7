/* redis_link.c - the Redis connection's lifecycle (see redis_apply.h).
 *
 * Why it exists: Redis may be down at start-up, restart under load or stop
 * answering. This file connects with hiredis async on the loop's
 * event_base, authenticates, loads the apply script, and on any loss
 * reconnects with capped exponential backoff plus jitter. A watchdog drops
 * a connection whose replies stall (hiredis 0.14 has no command timeout),
 * so parked requests are retried instead of waiting forever.
 */
#include "redis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"

int64_t pk_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t next_rand(pk_redis *r) {
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return r->rng;
}

static void schedule_retry(pk_redis *r) {
    if (r->stopping || evtimer_pending(r->retry_ev, NULL)) return;
    int64_t base = r->backoff_ms;
    int64_t delay = base / 2 + (int64_t)(next_rand(r) % (uint64_t)(base / 2 + 1)) + base / 4;
    r->backoff_ms = base * 2 > PK_REDIS_BACKOFF_MAX_MS ? PK_REDIS_BACKOFF_MAX_MS : base * 2;
    struct timeval tv = {(time_t)(delay / 1000), (suseconds_t)(delay % 1000) * 1000};
    evtimer_add(r->retry_ev, &tv);
}

void pk_redis_lost(pk_redis *r, const char *why) {
    bool was_ready = r->ready;
    r->ac = NULL;
    r->ready = false;
    r->loading = false;
    r->inflight = 0;
    if (r->stopping) return;
    if (was_ready)
        pk_log(PK_LOG_WARN, "redis %s:%u: connection lost (%s); acks paused, reconnecting",
               r->coll->cfg.redis.host, r->coll->cfg.redis.port, why);
    schedule_retry(r);
}

static void on_connect(const redisAsyncContext *ac, int status) {
    pk_redis *r = ac->data;
    if (status == REDIS_OK) return;
    r->coll->metrics.errors[PK_ERR_REDIS_CONNECT]++;
    pk_log_limited(&r->coll->rl.redis, PK_LOG_WARN, "redis %s:%u: cannot connect: %s",
                   r->coll->cfg.redis.host, r->coll->cfg.redis.port, ac->errstr);
    pk_redis_lost(r, ac->errstr);
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    pk_redis *r = ac->data;
    pk_redis_lost(r, status == REDIS_OK ? "closed" : ac->errstr);
}

static void on_auth(redisAsyncContext *ac, void *reply, void *priv) {
    pk_redis *r = priv;
    redisReply *rep = reply;
    if (rep && rep->type == REDIS_REPLY_ERROR)
        pk_log_limited(&r->coll->rl.redis, PK_LOG_ERR, "redis %s:%u: AUTH failed: %s",
                       r->coll->cfg.redis.host, r->coll->cfg.redis.port, rep->str);
}

static void on_script_loaded(redisAsyncContext *ac, void *reply, void *priv) {
    pk_redis *r = priv;
    redisReply *rep = reply;
    r->loading = false;
    if (!rep) return;                      /* connection lost: handled there */
    if (rep->type != REDIS_REPLY_STRING || rep->len != 40) {
        r->coll->metrics.errors[PK_ERR_REDIS_REPLY]++;
        pk_log_limited(&r->coll->rl.redis, PK_LOG_ERR, "redis %s:%u: SCRIPT LOAD failed: %s",
                       r->coll->cfg.redis.host, r->coll->cfg.redis.port,
                       rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
        redisAsyncDisconnect(ac);
        return;
    }
    memcpy(r->sha, rep->str, 40);
    r->sha[40] = 0;
    if (!r->ready)
        pk_log(PK_LOG_INFO, "redis %s:%u: connected, apply script %s loaded",
               r->coll->cfg.redis.host, r->coll->cfg.redis.port, r->sha);
    r->ready = true;
    r->backoff_ms = PK_REDIS_BACKOFF_MIN_MS;
    pk_redis_flush(r);
}

void pk_redis_load_script(pk_redis *r) {
    if (!r->ac || r->loading) return;
    const char *argv[3] = {"SCRIPT", "LOAD", pk_apply_lua};
    size_t lens[3] = {6, 4, strlen(pk_apply_lua)};
    r->attempt_ms = pk_now_ms();
    if (redisAsyncCommandArgv(r->ac, on_script_loaded, r, 3, argv, lens) == REDIS_OK)
        r->loading = true;
}

static void send_auth(pk_redis *r) {
    const char *pw = r->coll->cfg.redis_password;
    if (!pw || !*pw) return;
    const char *argv[2] = {"AUTH", pw};
    size_t lens[2] = {4, strlen(pw)};
    redisAsyncCommandArgv(r->ac, on_auth, r, 2, argv, lens);
}

static void redis_connect(pk_redis *r) {
    const pk_hostport *hp = &r->coll->cfg.redis;
    r->attempt_ms = pk_now_ms();
    redisAsyncContext *ac = redisAsyncConnect(hp->host, hp->port);
    if (!ac || ac->err) {
        r->coll->metrics.errors[PK_ERR_REDIS_CONNECT]++;
        pk_log_limited(&r->coll->rl.redis, PK_LOG_WARN, "redis %s:%u: cannot connect: %s",
                       hp->host, hp->port, ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        schedule_retry(r);
        return;
    }
    ac->data = r;
    redisLibeventAttach(ac, r->coll->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    send_auth(r);
    pk_redis_load_script(r);
}

static void on_retry(evutil_socket_t fd, short what, void *arg) {
    pk_redis *r = arg;
    if (!r->ac) redis_connect(r);
}

pk_redis *pk_redis_new(pk_collector *coll) {
    pk_redis *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->coll = coll;
    r->backoff_ms = PK_REDIS_BACKOFF_MIN_MS;
    r->rng = (uint64_t)pk_mono_us() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
    snprintf(r->applied_key, sizeof r->applied_key, "%sapplied", coll->cfg.redis_prefix);
    r->retry_ev = evtimer_new(coll->base, on_retry, r);
    if (!r->retry_ev) {
        free(r);
        return NULL;
    }
    redis_connect(r);
    return r;
}

/* Drops the connection from outside any hiredis callback: pending replies
 * come back NULL (their requests are parked again) and a retry is planned. */
static void reset_connection(pk_redis *r, const char *why) {
    redisAsyncContext *ac = r->ac;
    r->coll->metrics.errors[PK_ERR_REDIS_TIMEOUT]++;
    pk_log_limited(&r->coll->rl.redis, PK_LOG_WARN, "redis %s:%u: %s; reconnecting",
                   r->coll->cfg.redis.host, r->coll->cfg.redis.port, why);
    r->ready = false;
    redisAsyncFree(ac);
    pk_redis_lost(r, why);
}

void pk_redis_tick(pk_redis *r, int64_t now_ms) {
    if (!r->ac) return;
    if (!r->ready && now_ms - r->attempt_ms > PK_REDIS_TIMEOUT_MS)
        reset_connection(r, "connect or script load timed out");
    else if (r->ready && r->inflight > 0 && now_ms - r->progress_ms > PK_REDIS_TIMEOUT_MS)
        reset_connection(r, "no reply for 10 s");
}

bool pk_redis_ready(const pk_redis *r) { return r && r->ready; }

uint32_t pk_redis_waiting(const pk_redis *r) { return r ? r->nwait : 0; }

void pk_redis_free(pk_redis *r) {
    if (!r) return;
    r->stopping = true;
    while (r->wait_head) {
        pk_redis_op *op = r->wait_head;
        r->wait_head = op->next;
        pk_redis_op_free(op);
    }
    r->wait_tail = NULL;
    r->nwait = 0;
    if (r->ac) redisAsyncFree(r->ac);
    r->ac = NULL;
    event_free(r->retry_ev);
    free(r);
}
