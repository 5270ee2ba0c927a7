/* app.h - protocol recognition and parsing for one flow direction.
 *
 * Why it exists: protocols are recognised by content, not by port: the
 * first bytes of a TCP direction decide whether it is TLS, HTTP or DNS; UDP
 * datagrams are read as DNS on 53/5353/5355, and elsewhere when they parse
 * as a plausible query. Each observable found is handed to the matcher.
 */
#ifndef PICKET_APP_H
#define PICKET_APP_H

#include "flow.h"
#include "packet.h"
#include "sensor.h"

enum pk_app {
    PK_APP_UNKNOWN = 0,
    PK_APP_TLS,
    PK_APP_HTTP,
    PK_APP_DNS_TCP,
};

/* Feeds the packet's payload to the right parser; calls the matcher for
 * every observable. */
void pk_app_packet(pk_sensor *s, pk_flow *f, int dir, const pk_packet *p);

#endif
