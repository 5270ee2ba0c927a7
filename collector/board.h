/* board.h - the watch-floor web board and the /api/alerts query.
 *
 * Why it exists: a watch floor wants to see alerts arrive without setting
 * up a SIEM, and scripts want the recent stream without speaking RESP. The
 * board is one static page (HTML, CSS, JavaScript embedded in the binary,
 * served under a strict Content-Security-Policy, no external fetches) that
 * follows /api/stream (live operations, or one exercise); /api/alerts reads
 * the Redis stream with each entry's repeat count, which the board also
 * polls to keep its counts current; /api/exercises lists the exercises. The routes hang off the evhttp server of http.c.
 */
#ifndef PICKET_COLL_BOARD_H
#define PICKET_COLL_BOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "collector.h"
#include "exercise_name.h"

struct evhttp;
typedef struct pk_board pk_board;

/* Registers /, /board, /board.js, /board.css, /api/alerts and
 * /api/exercises on http.
 * NULL only when out of memory. */
pk_board *pk_board_start(pk_collector *coll, struct evhttp *http);

/* Before the evhttp server is freed: /api/alerts requests still waiting
 * for Redis are orphaned (their replies are then discarded). */
void pk_board_stop(pk_board *b);

/* board_api.c: GET /api/alerts?since=&limit=&exercise= and
 * GET /api/exercises (see README). */
typedef struct pk_board_api pk_board_api;
pk_board_api *pk_board_api_new(pk_collector *coll);
void pk_board_api_free(pk_board_api *api);
struct evhttp_request;
void pk_board_api_handle(pk_board_api *api, struct evhttp_request *req);
void pk_board_api_exercises(pk_board_api *api, struct evhttp_request *req);

/* board_page.c, board_script.c: the embedded assets, NUL-terminated. */
extern const char pk_board_html[];
extern const char pk_board_css[];
extern const char pk_board_js[];

#endif
