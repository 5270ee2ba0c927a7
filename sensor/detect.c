/* detect.c - match, suppress per flow x indicator, alert (see detect.h). */
#include "detect.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a over the indicator's identity: stable across store reloads, so a
 * reload does not re-alert flows that already alerted. */
static uint64_t indicator_hash(const pk_indicator *ind) {
    uint64_t h = 0xcbf29ce484222325ULL ^ ind->type;
    for (const char *c = ind->value; *c; c++) {
        h ^= (uint8_t)*c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static const char *direction_of(const pk_sensor *s, const pk_packet *p) {
    const pk_ip_pair *ip = pk_packet_inner_ip(p);
    return pk_homenet_direction(&s->home, ip->family, ip->src, ip->dst);
}

static void raise_alert(pk_sensor *s, pk_flow *f, const pk_packet *p,
                        pk_field field, const char *observed, size_t len,
                        const pk_indicator *ind, const pk_istore *store) {
    if (!pk_flow_note_alert(f, indicator_hash(ind))) {
        s->st.suppressed++;
        return;
    }
    char community_id[PK_COMMUNITY_ID_LEN];
    pk_flow_community_id(f, community_id);
    pk_alert a = {
        .ts_usec = p->ts_usec,
        .flow_id = f->flow_id,
        .seq = s->next_alert_seq++,
        .community_id = community_id,
        .pkt = p,
        .pcap_cnt = s->pcap_cnt,
        .pcap_filename = s->pcap_filename,
        .direction = direction_of(s, p),
        .field = field,
        .observed = observed,
        .observed_len = len,
        .ind = ind,
        .indicator_set = pk_istore_version(store),
    };
    char *json = pk_alert_to_json(&a, &s->origin);
    if (!json) {
        s->st.alert_errors++;
        return;
    }
    s->st.alerts++;
    s->sink(s->sink_ctx, a.seq, json, strlen(json));
    free(json);
}

static const pk_istore *current_store(const pk_sensor *s) {
    return atomic_load_explicit(&s->store, memory_order_acquire);
}

bool pk_detect_wants(const pk_sensor *s, pk_field field) {
    return pk_istore_may_match(current_store(s), field);
}

void pk_detect_value(pk_sensor *s, pk_flow *f, const pk_packet *p,
                     pk_field field, const char *value, size_t len) {
    const pk_istore *store = current_store(s);
    if (!pk_istore_may_match(store, field)) return;
    uint16_t port = p->dport;
    pk_ind_view view;
    const pk_indicator *ind;
    if (field == PK_FIELD_DNS_QUERY || field == PK_FIELD_TLS_SNI ||
        field == PK_FIELD_HTTP_HOST)
        ind = pk_istore_match_name(store, field, value, len, p->proto, port, &view);
    else
        ind = pk_istore_match_exact(store, field, value, len, p->proto, port, &view);
    if (ind) raise_alert(s, f, p, field, value, len, ind, store);
}

/* Returns whether an indicator matched (alerted or suppressed). */
static bool check_address(pk_sensor *s, pk_flow *f, const pk_packet *p,
                          const pk_istore *store, pk_field field,
                          const pk_ip_pair *ip, uint16_t port) {
    const uint8_t *addr = field == PK_FIELD_IP_SRC ? ip->src : ip->dst;
    pk_ind_view view;
    const pk_indicator *ind =
        pk_istore_match_addr(store, ip->family, addr, p->proto, port, &view);
    if (!ind) return false;
    char text[64];
    inet_ntop(ip->family == 6 ? AF_INET6 : AF_INET, addr, text, sizeof text);
    raise_alert(s, f, p, field, text, strlen(text), ind, store);
    return true;
}

/* The innermost pair is the flow's own: a packet of the other direction
 * carries the same (address, port) pairs swapped, and the flow key holds the
 * protocol. Once they matched nothing against the store in force
 * (f->store_gen, which the caller sets and which changes with the store),
 * looking them up again would find nothing again, so the other direction
 * skips them. Any match is looked up again, so suppression still counts. */
void pk_detect_addresses(pk_sensor *s, pk_flow *f, const pk_packet *p) {
    const pk_istore *store = current_store(s);
    for (int i = 0; i < p->ip_count; i++) {
        const pk_ip_pair *ip = &p->ip[i];
        bool inner = i == p->ip_count - 1;
        if (inner && f->addrs_missed) continue;
        bool hit = check_address(s, f, p, store, PK_FIELD_IP_SRC, ip,
                                 inner ? p->sport : 0);
        if (check_address(s, f, p, store, PK_FIELD_IP_DST, ip, inner ? p->dport : 0))
            hit = true;
        if (inner && !hit) f->addrs_missed = 1;
    }
}
