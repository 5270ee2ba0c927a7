/* tls.c - server SSL_CTX and verified peer identity (see tls.h).
 *
 * Why it exists: mutual TLS is the collector's only notion of who is
 * talking. The context refuses anything older than TLS 1.2, offers only
 * forward-secret AEAD suites, demands a client certificate that chains to
 * the coalition CA (and is not in the CRL when one is given), and never
 * resumes sessions, so every connection proves its certificate afresh.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"

#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!SHA1"

static void log_ssl_failure(const char *what, const char *file) {
    char buf[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    pk_log(PK_LOG_ERR, "%s %s: %s", what, file, buf);
    ERR_clear_error();
}

static bool load_identity(SSL_CTX *ctx, const pk_coll_config *cfg) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1) {
        log_ssl_failure("cannot load certificate", cfg->cert);
        return false;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key, SSL_FILETYPE_PEM) != 1) {
        log_ssl_failure("cannot load private key", cfg->key);
        return false;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        log_ssl_failure("private key does not match certificate", cfg->key);
        return false;
    }
    return true;
}

static bool load_ca(SSL_CTX *ctx, const char *ca) {
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        log_ssl_failure("cannot load CA", ca);
        return false;
    }
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
    if (!names) {
        log_ssl_failure("no CA names in", ca);
        return false;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    return true;
}

static bool load_crl(SSL_CTX *ctx, const char *crl) {
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    X509_LOOKUP *lu = X509_STORE_add_lookup(st, X509_LOOKUP_file());
    if (!lu || X509_load_crl_file(lu, crl, X509_FILETYPE_PEM) <= 0) {
        log_ssl_failure("cannot load CRL", crl);
        return false;
    }
    X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
    return true;
}

static void harden(SSL_CTX *ctx) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
}

SSL_CTX *pk_tls_server_ctx(const pk_coll_config *cfg) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        log_ssl_failure("cannot create TLS context for", cfg->listen.host);
        return NULL;
    }
    harden(ctx);
    if (!load_identity(ctx, cfg) || !load_ca(ctx, cfg->ca) ||
        (cfg->crl && !load_crl(ctx, cfg->crl))) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

bool pk_valid_sensor_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > PK_ID_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == ':';
        if (!ok) return false;
    }
    return true;
}

bool pk_valid_partner(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > PK_PARTNER_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

/* Copies the only entry of nid in name as UTF-8; false if absent, repeated,
 * too long or carrying a NUL. */
static bool name_entry(X509_NAME *name, int nid, char *out, size_t outlen) {
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    if (idx < 0 || X509_NAME_get_index_by_NID(name, nid, idx) >= 0) return false;
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
    bool ok = n > 0 && (size_t)n < outlen && memchr(utf8, 0, (size_t)n) == NULL;
    if (ok) {
        memcpy(out, utf8, (size_t)n);
        out[n] = 0;
    }
    OPENSSL_free(utf8);
    return ok;
}

bool pk_tls_peer_identity(SSL *ssl, char *cn, size_t cnlen, char *org, size_t orglen,
                          char *err, size_t errlen) {
    long vr = SSL_get_verify_result(ssl);
    if (vr != X509_V_OK) {
        snprintf(err, errlen, "certificate not verified: %s", X509_verify_cert_error_string(vr));
        return false;
    }
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert) {
        snprintf(err, errlen, "no client certificate");
        return false;
    }
    X509_NAME *name = X509_get_subject_name(cert);
    bool ok = false;
    if (!name_entry(name, NID_commonName, cn, cnlen) || !pk_valid_sensor_id(cn))
        snprintf(err, errlen, "certificate subject CN missing, repeated or not a valid sensor id");
    else if (!name_entry(name, NID_organizationName, org, orglen) || !pk_valid_partner(org))
        snprintf(err, errlen, "certificate subject O (partner) missing, repeated or invalid");
    else
        ok = true;
    X509_free(cert);
    return ok;
}

void pk_tls_describe_error(SSL *ssl, unsigned long first_err, char *buf, size_t len) {
    buf[0] = 0;
    if (ssl) {
        long vr = SSL_get_verify_result(ssl);
        if (vr != X509_V_OK) {
            snprintf(buf, len, "%s", X509_verify_cert_error_string(vr));
            return;
        }
    }
    if (first_err) {
        ERR_error_string_n(first_err, buf, len);
        return;
    }
    snprintf(buf, len, "connection closed during handshake");
}
