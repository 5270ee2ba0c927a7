/* gen_background.h - benign traffic mixed around the indicator sessions.
 *
 * Why it exists: a sensor must find the indicator flows among ordinary
 * ones, and must not alert on the ordinary ones; background sessions use
 * reserved names and benchmark-range servers checked against the set.
 */
#ifndef PICKET_GEN_BACKGROUND_H
#define PICKET_GEN_BACKGROUND_H

#include "gen_ctx.h"

/* One benign session (a lookup, a page, a TLS connection, NTP...). */
void gen_bg_session(gen_ctx *c);

#endif
