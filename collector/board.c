/* board.c - serves the watch-floor board and routes /api/alerts (see board.h).
 *
 * Why it exists: the board's page, stylesheet and script are compiled in
 * (board_page.c, board_script.c) so a watch floor needs nothing but the
 * collector's HTTP port. Every asset goes out with a Content-Security-Policy
 * of default-src 'self' (plus no framing, no <base>, no form targets): the
 * page can load only what the collector serves and talk only to it, so
 * text that sensors captured can never become script in an analyst's
 * browser even if a rendering bug let it through.
 */
#include "board.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define BOARD_CSP \
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct pk_board {
    pk_board_api *api;
};

static void send_asset(struct evhttp_request *req, const char *ctype, const char *body) {
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, "Out of memory");
        return;
    }
    evbuffer_add_reference(b, body, strlen(body), NULL, NULL);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", ctype);
    evhttp_add_header(hdr, "Cache-Control", "no-cache");
    evhttp_add_header(hdr, "Content-Security-Policy", BOARD_CSP);
    evhttp_add_header(hdr, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(hdr, "X-Frame-Options", "DENY");
    evhttp_add_header(hdr, "Referrer-Policy", "no-referrer");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

static void on_page(struct evhttp_request *req, void *arg) {
    send_asset(req, "text/html; charset=utf-8", pk_board_html);
}

static void on_css(struct evhttp_request *req, void *arg) {
    send_asset(req, "text/css; charset=utf-8", pk_board_css);
}

static void on_js(struct evhttp_request *req, void *arg) {
    send_asset(req, "text/javascript; charset=utf-8", pk_board_js);
}

/* Browsers ask for it unprompted; "nothing" keeps their consoles clean. */
static void on_favicon(struct evhttp_request *req, void *arg) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "max-age=86400");
    evhttp_send_reply(req, 204, "No Content", NULL);
}

static void on_api_alerts(struct evhttp_request *req, void *arg) {
    pk_board *b = arg;
    pk_board_api_handle(b->api, req);
}

static void on_api_exercises(struct evhttp_request *req, void *arg) {
    pk_board *b = arg;
    pk_board_api_exercises(b->api, req);
}

pk_board *pk_board_start(pk_collector *coll, struct evhttp *http) {
    pk_board *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->api = pk_board_api_new(coll);
    if (!b->api) {
        free(b);
        return NULL;
    }
    evhttp_set_cb(http, "/", on_page, b);
    evhttp_set_cb(http, "/board", on_page, b);
    evhttp_set_cb(http, "/board.css", on_css, b);
    evhttp_set_cb(http, "/board.js", on_js, b);
    evhttp_set_cb(http, "/favicon.ico", on_favicon, b);
    evhttp_set_cb(http, "/api/alerts", on_api_alerts, b);
    evhttp_set_cb(http, "/api/exercises", on_api_exercises, b);
    return b;
}

void pk_board_stop(pk_board *b) {
    if (!b) return;
    pk_board_api_free(b->api);
    free(b);
}
