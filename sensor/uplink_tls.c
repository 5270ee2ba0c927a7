/* uplink_tls.c - collector address parsing, the loopback rule, TLS client
 * set-up with certificate and name verification, and the certificate
 * identity main.c uses for defaults (see uplink_tls.h and uplink.h).
 *
 * Why it exists: the sensor's identity is its certificate, and the
 * collector's is its own: both must be checked by OpenSSL, not assumed.
 */
#include "uplink_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "uplink.h"

static bool parse_port(const char *s, char *out, size_t n) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 65535) return false;
    snprintf(out, n, "%ld", v);
    return true;
}

static int split_host_port(const char *s, pk_uplink_addr *a) {
    const char *host = s, *colon;
    size_t hlen;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') return -1;
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s))) return -1;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= sizeof a->host) return -1;
    memcpy(a->host, host, hlen);
    a->host[hlen] = '\0';
    return parse_port(colon + 1, a->port, sizeof a->port) ? 0 : -1;
}

int pk_uplink_parse_addr(const char *s, pk_uplink_addr *a, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    if (!s || split_host_port(s, a) != 0) {
        snprintf(err, errlen, "collector '%s': expected HOST:PORT or [IPV6]:PORT",
                 s ? s : "");
        return -1;
    }
    char joined[300];
    bool v6 = strchr(a->host, ':') != NULL;
    snprintf(joined, sizeof joined, v6 ? "[%s]:%s" : "%s:%s", a->host, a->port);
    a->salen = (int)sizeof a->sa;
    a->is_ip = evutil_parse_sockaddr_port(joined, (struct sockaddr *)&a->sa,
                                          &a->salen) == 0;
    if (v6 && !a->is_ip) {
        snprintf(err, errlen, "collector '%s': bad IPv6 address", s);
        return -1;
    }
    return 0;
}

bool pk_uplink_addr_loopback(const pk_uplink_addr *a) {
    if (!a->is_ip) return strcasecmp(a->host, "localhost") == 0;
    if (a->sa.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->sa;
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
}

/* The first queued OpenSSL error as text (or "unknown error"). */
static void ssl_reason(char *buf, size_t n) {
    unsigned long e = ERR_get_error();
    if (e) ERR_error_string_n(e, buf, n);
    else snprintf(buf, n, "unknown error");
    ERR_clear_error();
}

static SSL_CTX *ctx_fail(SSL_CTX *ctx, const char *what, const char *path,
                         char *err, size_t errlen) {
    char why[256];
    ssl_reason(why, sizeof why);
    snprintf(err, errlen, "%s %s: %s", what, path, why);
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *pk_uplink_tls_ctx(const char *ca, const char *cert, const char *key,
                           char *err, size_t errlen) {
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return ctx_fail(NULL, "TLS", "context", err, errlen);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        return ctx_fail(ctx, "--ca", ca, err, errlen);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return ctx_fail(ctx, "--cert", cert, err, errlen);
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        return ctx_fail(ctx, "--key", key, err, errlen);
    if (SSL_CTX_check_private_key(ctx) != 1)
        return ctx_fail(ctx, "--key does not match --cert", cert, err, errlen);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    return ctx;
}

SSL *pk_uplink_tls_ssl(SSL_CTX *ctx, const pk_uplink_addr *a) {
    SSL *ssl = SSL_new(ctx);
    if (!ssl) return NULL;
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int ok = a->is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, a->host)
                      : SSL_set1_host(ssl, a->host) &&
                            SSL_set_tlsext_host_name(ssl, a->host);
    if (ok != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static bool describe_tls(struct bufferevent *bev, char *buf, size_t n) {
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (vr != X509_V_OK) {
        snprintf(buf, n, "collector certificate rejected: %s",
                 X509_verify_cert_error_string(vr));
        return true;
    }
    unsigned long e = bufferevent_get_openssl_error(bev);
    if (!e) return false;
    char why[256];
    ERR_error_string_n(e, why, sizeof why);
    snprintf(buf, n, "TLS: %s", why);
    while (bufferevent_get_openssl_error(bev)) {
    }
    return true;
}

void pk_uplink_describe_error(struct bufferevent *bev, bool tls, char *buf, size_t n) {
    int dns = bufferevent_socket_get_dns_error(bev);
    if (dns) {
        snprintf(buf, n, "name lookup: %s", evutil_gai_strerror(dns));
        return;
    }
    if (tls && describe_tls(bev, buf, n)) return;
    int e = EVUTIL_SOCKET_ERROR();
    snprintf(buf, n, "%s", e ? evutil_socket_error_to_string(e) : "connection closed");
}

/* One subject entry as UTF-8 ("" when absent). */
static void subject_entry(X509_NAME *name, int nid, char *out, size_t n) {
    out[0] = '\0';
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0 || n == 0) return;
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    if (len < 0) return;
    snprintf(out, n, "%.*s", len, (const char *)utf8);
    OPENSSL_free(utf8);
}

int pk_uplink_cert_identity(const char *cert_path, char *cn, size_t cnlen, char *o,
                            size_t olen, char *err, size_t errlen) {
    BIO *bio = BIO_new_file(cert_path, "r");
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!x) {
        char why[256];
        ssl_reason(why, sizeof why);
        snprintf(err, errlen, "--cert %s: cannot read a PEM certificate: %s",
                 cert_path, why);
        return -1;
    }
    X509_NAME *name = X509_get_subject_name(x);
    subject_entry(name, NID_commonName, cn, cnlen);
    subject_entry(name, NID_organizationName, o, olen);
    X509_free(x);
    return 0;
}
