/* gen_http.c - HTTP/1.1 request and response builders.
 *
 * Why it exists: see gen_http.h. Header sets follow common clients (browser,
 * curl, update agents) so captures read like ordinary web traffic.
 */
#include "gen_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "curl/7.88.1",
    "Microsoft-CryptoAPI/10.0",
    "python-requests/2.31.0",
};

static const char *const benign_paths[] = {
    "/", "/index.html", "/favicon.ico", "/api/v1/status", "/static/app.js",
    "/images/logo.png", "/news?page=2", "/docs/getting-started",
    "/assets/site.css", "/feed.xml",
};

const char *gen_http_benign_path(gen_rng *r)
{
    return GEN_PICK(r, benign_paths);
}

size_t gen_http_request(uint8_t *buf, size_t cap, const char *method,
                        const char *host, const char *path, gen_rng *r)
{
    const char *ua = GEN_PICK(r, agents);
    bool browser = strncmp(ua, "Mozilla", 7) == 0;
    int n = snprintf((char *)buf, cap,
                     "%s %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "User-Agent: %s\r\n"
                     "Accept: %s\r\n"
                     "%s"
                     "Connection: keep-alive\r\n\r\n",
                     method, path, host, ua,
                     browser ? "text/html,application/xhtml+xml,*/*;q=0.8" : "*/*",
                     browser ? "Accept-Language: en-GB,en;q=0.9\r\n"
                               "Accept-Encoding: gzip, deflate\r\n" : "");
    return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

static void http_date(char *out, size_t cap, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 404: return "Not Found";
    default: return "OK";
    }
}

/* Status line, Date, Server and Content-Type headers, the more lines
 * (each ending in CRLF) and the blank line. 0 if it does not fit in cap. */
static size_t response_head(uint8_t *buf, size_t cap, int status,
                            int64_t unix_time, const char *type,
                            const char *more)
{
    char date[64];
    http_date(date, sizeof date, unix_time);
    int n = snprintf((char *)buf, cap,
                     "HTTP/1.1 %d %s\r\n"
                     "Date: %s\r\n"
                     "Server: nginx\r\n"
                     "Content-Type: %s\r\n"
                     "%s\r\n",
                     status, status_text(status), date, type, more);
    return (n < 0 || (size_t)n >= cap) ? 0 : (size_t)n;
}

size_t gen_http_response(uint8_t *buf, size_t cap, int status,
                         size_t body_len, int64_t unix_time, gen_rng *r)
{
    char more[96];
    snprintf(more, sizeof more, "Content-Length: %zu\r\nCache-Control: max-age=%u\r\n",
             body_len, gen_rng_range(r, 60, 86400));
    size_t n = response_head(buf, cap, status, unix_time,
                             "text/html; charset=utf-8", more);
    if (n == 0 || n + body_len > cap)
        return 0;
    static const char filler[] =
        "<!doctype html><html><head><title>ok</title></head><body><p>"
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n";
    for (size_t i = 0; i < body_len; i++)
        buf[n + i] = (uint8_t)filler[i % (sizeof filler - 1)];
    return n + body_len;
}

size_t gen_http_response_head(uint8_t *buf, size_t cap, int64_t unix_time)
{
    return response_head(buf, cap, 200, unix_time, "application/octet-stream",
                         "Connection: close\r\n");
}
