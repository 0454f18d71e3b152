/* Per-source windows for the `auth_failures` and `scanner` anomalies
 * (internal to src/). A window opens at a source's first counted message and
 * closes window-length later: one report per source and window, not one per
 * message. A message at or after the close opens the next window. Windows
 * are kept in the order they opened, which is the order they close in, in a
 * table capped by count: a new source when it is full closes the oldest
 * window early (`watch_evicted`). */
#ifndef SIPSLEUTH_SRC_AUTH_WATCH_H
#define SIPSLEUTH_SRC_AUTH_WATCH_H

#include "lru_table.h"
#include "sipsleuth/dialog.h"
#include "sipsleuth/registration.h"

#define SL_WATCH_UA_MAX 128

typedef struct sl_src_window {
    sl_lru_node node; /* first */
    sl_addr src;
    sl_time first, last;
    uint64_t count;
    size_t ua_len;
    char ua[SL_WATCH_UA_MAX]; /* the first User-Agent seen (scanners) */
} sl_src_window;

/* A window closes at ts (evicted: early, for the cap). */
typedef void (*sl_window_close_fn)(void *user, const sl_src_window *w, sl_time ts, bool evicted);

typedef struct sl_window_table {
    sl_lru lru;
    sl_time window;
    sl_window_close_fn on_close;
    void *user;
} sl_window_table;

bool sl_window_table_init(sl_window_table *t, size_t max_sources, sl_time window,
                          sl_window_close_fn on_close, void *user);
/* Closes nothing: frees. */
void sl_window_table_free(sl_window_table *t);
/* Counts one message of src at ts (windows due by ts close first). NULL
 * when out of memory (not counted). */
sl_src_window *sl_window_table_hit(sl_window_table *t, const sl_addr *src, sl_time ts);
/* Closes the windows due by now. */
void sl_window_table_advance(sl_window_table *t, sl_time now);
/* Closes every window at now. */
void sl_window_table_flush(sl_window_table *t, sl_time now);
size_t sl_window_table_memory(const sl_window_table *t);

typedef struct sl_auth_watch sl_auth_watch;

sl_auth_watch *sl_auth_watch_new(const sl_registration_config *cfg, const sl_sink *sink);
void sl_auth_watch_free(sl_auth_watch *w);
void sl_auth_watch_on_message(sl_auth_watch *w, const sl_sip_ctx *ctx, const sl_txn_verdict *v);
void sl_auth_watch_advance(sl_auth_watch *w, sl_time now);
void sl_auth_watch_finish(sl_auth_watch *w, sl_time now);
size_t sl_auth_watch_memory(const sl_auth_watch *w);

#endif
