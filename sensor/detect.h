/* detect.h - matching observables against the indicator store and raising
 * alerts (one per flow x indicator).
 *
 * Why it exists: every parser reports what it saw the same way; this module
 * alone knows how a field is matched, how alerts are suppressed per flow,
 * and how an alert is built and handed to the sink.
 */
#ifndef PICKET_DETECT_H
#define PICKET_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "flow.h"
#include "istore.h"
#include "packet.h"
#include "sensor.h"

/* Whether the store in force holds an indicator that could match field:
 * a parser may skip work (a fingerprint, a URL) nothing could match. */
bool pk_detect_wants(const pk_sensor *s, pk_field field);

/* A name, URL or fingerprint seen in the flow. */
void pk_detect_value(pk_sensor *s, pk_flow *f, const pk_packet *p,
                     pk_field field, const char *value, size_t len);

/* Addresses of every IP header of the packet (outer tunnel headers too):
 * checked when a flow starts and again after the store changed. */
void pk_detect_addresses(pk_sensor *s, pk_flow *f, const pk_packet *p);

#endif
