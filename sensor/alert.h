/* alert.h - the alert record and its EVE-compatible JSON line.
 *
 * Why it exists: alerts leave the sensor in one format (DESIGN.md "Alerts"):
 * Suricata EVE fields at the top level so existing consumers ingest them,
 * picket's own fields under "picket". The same line goes to a file, stdout
 * or the uplink.
 */
#ifndef PICKET_ALERT_H
#define PICKET_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "indicator.h"
#include "istore.h"
#include "packet.h"

/* Who raised it: fixed for the life of the sensor. */
typedef struct pk_alert_origin {
    const char *sensor_id;
    const char *partner;        /* may be NULL */
    const char *exercise;       /* may be NULL */
} pk_alert_origin;

typedef struct pk_alert {
    int64_t ts_usec;
    uint64_t flow_id;
    uint64_t seq;               /* alert_id = sensor_id ":" seq */
    const char *community_id;
    const pk_packet *pkt;       /* tuple, proto, vlan of the raising packet */
    uint64_t pcap_cnt;          /* 0 = live capture (omitted) */
    const char *pcap_filename;  /* NULL = live capture */
    const char *direction;
    pk_field field;
    const char *observed;
    size_t observed_len;
    const pk_indicator *ind;
    const char *indicator_set;  /* store version */
} pk_alert;

/* Returns a malloc'd NUL-terminated JSON object (no newline), or NULL. */
char *pk_alert_to_json(const pk_alert *a, const pk_alert_origin *o);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", "SCTP", else the number. */
const char *pk_proto_name(uint8_t proto, char buf[8]);

/* EVE time: 2026-11-23T09:12:35.123456+0000 (UTC). */
void pk_format_eve_time(int64_t ts_usec, char out[40]);

#endif
