/* When the learned routing table meets its file (--routes): loaded at the
 * start, saved every interval of capture time when it changed, and at the
 * end. Only a table whose file was read (or absent) is ever saved. */
#ifndef SIPSLEUTH_ROUTES_SAVER_H
#define SIPSLEUTH_ROUTES_SAVER_H

#include "sipsleuth/routes.h"
#include "sipsleuth/sltime.h"

typedef struct sl_routes_saver {
    const char *file; /* NULL: no --routes */
    sl_time interval; /* capture time between saves; <= 0: only at the end */
    bool loaded;      /* save only a table whose file was read (or absent) */
    uint64_t saved;   /* table generation last written */
    sl_time next;     /* capture time of the next periodic save; 0 before the first */
    char error[512];  /* why the last save failed; "" after a success */
} sl_routes_saver;

void sl_routes_saver_init(sl_routes_saver *s, const char *file, sl_time interval);
/* Loads the file into t (a missing file is an empty table). False with the
 * reason in err ("--routes FILE: ..."); true without a file. */
bool sl_routes_saver_load(sl_routes_saver *s, sl_routes *t, char *err, size_t errlen);
/* The periodic save at capture time now, when one is due and t changed.
 * False when it failed (the reason in s->error). */
bool sl_routes_saver_tick(sl_routes_saver *s, const sl_routes *t, sl_time now);
/* The save at the end (when the file was loaded). */
void sl_routes_saver_finish(sl_routes_saver *s, const sl_routes *t);
/* Why the last save failed, or NULL. */
const char *sl_routes_saver_error(const sl_routes_saver *s);

#endif
