/* alerts_scan.h - the "alerts" message read in one pass, without a DOM.
 *
 * Why it exists: an alerts frame carries up to 512 alerts, and turning it
 * into a jansson tree, stamping the tree and dumping each alert again cost
 * the collector more CPU per alert than Redis spends applying it. This
 * scanner validates the payload as strict JSON in one pass and records
 * where each alert, its seq and the few members the collector reads are;
 * the alert text is then copied with picket.sensor, picket.partner and
 * picket.alert_id replaced (pk_scan_stamp).
 *
 * It is a fast path only, never a second judge: it accepts a subset of
 * what pk_wire_parse accepts as an "alerts" message, and says "not mine"
 * for everything else - invalid input, other message types, and valid
 * input it does not handle (escapes in member names or in the strings the
 * collector reads, \u0000 and surrogate escapes, numbers with exponents or
 * more than 18 digits, objects with more than 64 members, duplicate
 * members, nesting deeper than PK_WIRE_MAX_DEPTH). Those frames take the
 * pk_wire_parse path, which accepts or rejects them with its reason as
 * before. tests/fuzz/fuzz_alerts_scan.c compares the two on any input;
 * tests/unit/test_alerts_scan.c pins down the cases.
 */
#ifndef PICKET_COLL_ALERTS_SCAN_H
#define PICKET_COLL_ALERTS_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "exercise.h"
#include "wire.h"

typedef struct pk_span {
    const char *p;          /* NULL: absent (or not what was wanted) */
    size_t n;
} pk_span;

enum { PK_STAMP_SENSOR = 0, PK_STAMP_PARTNER, PK_STAMP_ID, PK_STAMP__COUNT };
enum { PK_FLOW_CID = 0, PK_FLOW_SRC, PK_FLOW_DST, PK_FLOW__COUNT };

typedef struct pk_scan_alert {
    long long seq;
    pk_span text;                     /* the "alert" object, braces included */
    bool spaced;                      /* whitespace between its tokens */
    const char *picket_close;         /* "}" of an object "picket", or NULL */
    size_t picket_members;
    pk_span stamp[PK_STAMP__COUNT];   /* values of picket.sensor/partner/alert_id */
    pk_span ind_type, ind_value;      /* picket.indicator.type/value strings */
    pk_span flow[PK_FLOW__COUNT];     /* community_id, src_ip, dest_ip strings */
    pk_span exercise;                 /* picket.exercise string contents */
    char exercise_first;              /* first byte of its value, 0: absent */
} pk_scan_alert;

typedef struct pk_scan {
    size_t n;
    pk_scan_alert a[PK_WIRE_MAX_BATCH];
} pk_scan;

/* true: payload is an "alerts" message pk_wire_parse accepts, described in
 * *out (the spans point into payload; string spans are the raw contents,
 * which hold no escapes). false: use pk_wire_parse. */
bool pk_alerts_scan(const char *payload, size_t len, pk_scan *out);

/* The traffic a scanned alert belongs to, by the rule of pk_exercise_of
 * (absent or null: live; else a valid exercise name or malformed); *name
 * is the exercise name or {NULL, 0}. */
pk_traffic pk_scan_traffic(const pk_scan_alert *a, pk_span *name);

/* Bytes pk_scan_stamp may write for a with these values. */
size_t pk_scan_stamp_max(const pk_scan_alert *a, const char *const values[PK_STAMP__COUNT]);

/* Writes a's text, compact, with picket.sensor/partner/alert_id set to the
 * given strings: present members get the new value in place, absent ones
 * are appended in that order (as json_object_set does). a must have an
 * object "picket". Returns the length written. */
size_t pk_scan_stamp(const pk_scan_alert *a, const char *const values[PK_STAMP__COUNT],
                     char *out);

#endif
