/* sensor_opts.h - picket-sensor's command line.
 *
 * Why it exists: the flags are the sensor's contract with operators, tests
 * and deploy/ units; keeping their parsing and help text in one place
 * (apart from the run-time set-up in main.c) keeps both readable.
 */
#ifndef PICKET_SENSOR_OPTS_H
#define PICKET_SENSOR_OPTS_H

#include <stdbool.h>

#include "capture.h"
#include "sensor.h"

#define MAX_INDICATOR_FILES 256

typedef struct sensor_opts {
    pk_capture_config cap;
    pk_sensor_config sensor;
    const char *indicator_files[MAX_INDICATOR_FILES];
    int nindicator_files;
    const char *alerts_path;
    const char *sensor_id, *partner, *exercise;
    const char *user, *group;
    const char *http;               /* --http HOST:PORT */
    bool stats, no_progress, check_config, syslog;
    /* uplink to the collector */
    const char *collector, *ca, *cert, *key, *spool_dir;
    bool insecure;
    long spool_max_mb, drain_timeout_s;
} sensor_opts;

void sensor_opts_defaults(sensor_opts *o);
/* Returns -1 to go on, else the exit code (0 after --help, 2 bad usage). */
int sensor_opts_parse(int argc, char **argv, sensor_opts *o);

#endif
