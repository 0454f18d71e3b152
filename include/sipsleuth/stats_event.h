/* The `stats` event: every module's counters and memory, at an interval and
 * at the end of the input. */
#ifndef SIPSLEUTH_STATS_EVENT_H
#define SIPSLEUTH_STATS_EVENT_H

#include "sipsleuth/dedup.h"
#include "sipsleuth/defrag.h"
#include "sipsleuth/dialog.h"
#include "sipsleuth/event.h"
#include "sipsleuth/identity.h"
#include "sipsleuth/redirect.h"
#include "sipsleuth/sctp_assoc.h"
#include "sipsleuth/stats.h"
#include "sipsleuth/tcp_tls.h"

/* What the capture layer knows that the pipeline cannot see (live mode). */
typedef struct sl_capture_stats {
    bool live;
    uint64_t received, dropped, if_dropped;
} sl_capture_stats;

typedef struct sl_stats_event {
    sl_event head;
    const sl_counters *counters;
    sl_defrag_stats defrag;
    sl_tcp_stats tcp;
    sl_tls_stats tls;
    const sl_tls_keylog_stats *keylog; /* NULL without --tls-keylog */
    sl_sctp_stats sctp;
    const sl_dedup_stats *dedup; /* NULL without --dedup */
    sl_dialog_stats dialogs;
    sl_redirect_stats redirects;
    sl_identity_counts identity;
    /* The modules' own accounts of the bytes they hold. */
    size_t defrag_memory, tcp_memory, keylog_memory, sctp_memory, identity_memory, memory_bytes;
    const sl_capture_stats *capture; /* NULL unless live */
    bool final;                      /* the last one, at the end of the input */
} sl_stats_event;

#endif
