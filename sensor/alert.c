/* alert.c - builds an alert's EVE-compatible JSON (see alert.h).
 *
 * jansson does the escaping: observed values come off the wire and may hold
 * any byte; invalid UTF-8 is replaced rather than producing broken JSON.
 */
#include "alert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

const char *pk_proto_name(uint8_t proto, char buf[8]) {
    switch (proto) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default: snprintf(buf, 8, "%u", proto); return buf;
    }
}

void pk_format_eve_time(int64_t ts_usec, char out[40]) {
    time_t secs = (time_t)(ts_usec / 1000000);
    long usec = (long)(ts_usec % 1000000);
    if (usec < 0) {
        usec += 1000000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 40 - n, ".%06ld+0000", usec);
}

/* A string from the wire as a JSON string: bytes that are not valid UTF-8
 * are written as \xNN text so nothing is lost and the JSON stays valid. */
static json_t *wire_string(const char *s, size_t n) {
    json_t *j = json_stringn(s, n);
    if (j) return j;
    char buf[4 * 4096 + 1];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < sizeof buf; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
    }
    return json_stringn(buf, o);
}

static json_t *opt_string(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *indicator_json(const pk_indicator *ind) {
    json_t *j = json_object();
    json_object_set_new(j, "value", json_string(ind->value));
    json_object_set_new(j, "type", json_string(pk_ind_type_name(ind->type)));
    json_object_set_new(j, "source", opt_string(ind->source));
    json_object_set_new(j, "partner", opt_string(ind->partner));
    json_object_set_new(j, "tlp", opt_string(pk_tlp_name(ind->tlp)));
    json_object_set_new(j, "confidence", ind->confidence == PK_CONFIDENCE_UNSET
                                             ? json_null() : json_integer(ind->confidence));
    json_object_set_new(j, "id", opt_string(ind->id));
    if (ind->description) json_object_set_new(j, "description", json_string(ind->description));
    return j;
}

static void add_tuple(json_t *j, const pk_packet *p) {
    const pk_ip_pair *ip = pk_packet_inner_ip(p);
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], pb[8];
    int af = ip->family == 6 ? AF_INET6 : AF_INET;
    inet_ntop(af, ip->src, s, sizeof s);
    inet_ntop(af, ip->dst, d, sizeof d);
    bool ports = p->proto == 6 || p->proto == 17 || p->proto == 132;
    json_object_set_new(j, "src_ip", json_string(s));
    if (ports) json_object_set_new(j, "src_port", json_integer(p->sport));
    json_object_set_new(j, "dest_ip", json_string(d));
    if (ports) json_object_set_new(j, "dest_port", json_integer(p->dport));
    json_object_set_new(j, "proto", json_string(pk_proto_name(p->proto, pb)));
    if (p->proto == 1 || p->proto == 58) {
        json_object_set_new(j, "icmp_type", json_integer(p->icmp_type));
        json_object_set_new(j, "icmp_code", json_integer(p->icmp_code));
    }
    if (p->vlan_count) {
        json_t *v = json_array();
        for (int i = 0; i < p->vlan_count; i++) json_array_append_new(v, json_integer(p->vlan[i]));
        json_object_set_new(j, "vlan", v);
    }
}

static json_t *alert_object(const pk_alert *a) {
    char sig[512];
    snprintf(sig, sizeof sig, "picket intel %s %s", pk_field_name(a->field), a->ind->value);
    json_t *j = json_object();
    json_object_set_new(j, "action", json_string("allowed"));
    json_object_set_new(j, "gid", json_integer(1));
    json_object_set_new(j, "signature_id", json_integer(0));
    json_object_set_new(j, "rev", json_integer(1));
    json_object_set_new(j, "signature", json_string(sig));
    json_object_set_new(j, "category", json_string("intel"));
    bool high = a->ind->confidence != PK_CONFIDENCE_UNSET && a->ind->confidence >= 90;
    int sev = a->ind->tlp == PK_TLP_RED || high ? 1 : 2;
    json_object_set_new(j, "severity", json_integer(sev));
    return j;
}

static json_t *picket_object(const pk_alert *a, const pk_alert_origin *o) {
    char id[160];
    snprintf(id, sizeof id, "%s:%llu", o->sensor_id, (unsigned long long)a->seq);
    json_t *j = json_object();
    json_object_set_new(j, "alert_id", json_string(id));
    json_object_set_new(j, "sensor", json_string(o->sensor_id));
    json_object_set_new(j, "partner", opt_string(o->partner));
    json_object_set_new(j, "exercise", opt_string(o->exercise));
    json_object_set_new(j, "direction", json_string(a->direction));
    json_object_set_new(j, "field", json_string(pk_field_name(a->field)));
    json_object_set_new(j, "observed", wire_string(a->observed, a->observed_len));
    json_object_set_new(j, "indicator_set", json_string(a->indicator_set));
    json_object_set_new(j, "indicator", indicator_json(a->ind));
    return j;
}

char *pk_alert_to_json(const pk_alert *a, const pk_alert_origin *o) {
    char ts[40];
    pk_format_eve_time(a->ts_usec, ts);
    json_t *j = json_object();
    json_object_set_new(j, "timestamp", json_string(ts));
    json_object_set_new(j, "flow_id", json_integer((json_int_t)a->flow_id));
    json_object_set_new(j, "event_type", json_string("alert"));
    add_tuple(j, a->pkt);
    json_object_set_new(j, "community_id", json_string(a->community_id));
    if (a->pcap_filename) {
        json_object_set_new(j, "pcap_cnt", json_integer((json_int_t)a->pcap_cnt));
        json_object_set_new(j, "pcap_filename", json_string(a->pcap_filename));
    }
    json_object_set_new(j, "alert", alert_object(a));
    json_object_set_new(j, "picket", picket_object(a, o));
    char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return out;
}
