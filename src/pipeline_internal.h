/* The pipeline in two stages (pipeline.c, pipeline_analysis.c) and what goes
 * between them (pipeline_handoff.c).
 *
 * Stage one takes frames to parsed SIP messages: decode, defrag, dedup, TCP,
 * TLS and SCTP reassembly, the SIP and SDP parse, the message context. Stage
 * two analyses them and writes the events: dialogs, redirects and routes,
 * identity, registrations, stats. With --workers 1 stage one calls stage two
 * directly; with --workers 2 stage two runs on a thread of its own and stage
 * one hands it records (a parsed message with its bytes, an anomaly, a step
 * of capture time) in capture order, so the events come out the same. Each
 * stage owns its state: nothing is shared but the records. */
#ifndef SIPSLEUTH_PIPELINE_INTERNAL_H
#define SIPSLEUTH_PIPELINE_INTERNAL_H

#include "handoff.h"
#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/dedup.h"
#include "sipsleuth/pipeline.h"
#include "sipsleuth/routes_saver.h"
#include "sipsleuth/sdp.h"
#include "sipsleuth/sip_context.h"
#include "sipsleuth/stats.h"

/* Stage one's part of a stats event, read when it is due. */
typedef struct sl_stage_one_stats {
    sl_counters counters; /* of frames and messages (sl_counters_add_traffic) */
    sl_defrag_stats defrag;
    sl_tcp_stats tcp;
    sl_tls_stats tls;
    sl_sctp_stats sctp;
    size_t defrag_memory, tcp_memory, sctp_memory, keylog_memory, dedup_memory;
    bool has_keylog, has_dedup, has_capture;
    sl_tls_keylog_stats keylog;
    sl_dedup_stats dedup;
    sl_capture_stats capture; /* live: the kernel's counters */
} sl_stage_one_stats;

// NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding): stage two starts a line on purpose
struct sl_pipeline {
    sl_config cfg;
    sl_handoff *handoff; /* --workers 2: to stage two's thread; NULL: direct calls */

    /* Stage one. */
    sl_counters counters; /* of frames and messages; stage two counts anomalies */
    sl_time ts;           /* the frame being processed: events about it carry this time */
    sl_time clock;        /* capture time for timers: the latest seen, never going back */
    sl_time next_stats;
    sl_sip_header *headers; /* cfg.max_headers slots, reused for every message */
    sl_defrag *defrag;
    sl_tcp_table *tcp;
    sl_tcp_tls *tls; /* SIP over TLS in tcp; cfg.tls_keylog its keys */
    sl_sctp_table *sctp;
    sl_dedup *dedup; /* NULL unless --dedup */
    sl_sdp_memo sdp_memo;
    void *reserved;                    /* --workers 2: the message record being filled */
    sl_capture_stats_fn capture_stats; /* live: the kernel's counters for periodic stats */
    void *capture_stats_user;

    /* Stage two, on cache lines of its own: with --workers 2 another core
     * writes it. */
    _Alignas(64) struct {
        sl_counters counters; /* anomalies */
        sl_counters all;      /* both stages' counts, as of the last stats event */
        sl_time ts;           /* of the frame its message or anomaly came in */
        sl_time clock;
        sl_sink out_sink; /* where events go */
        sl_sink sink;     /* the analyzers': counts anomalies, then the output's */
        sl_dialogs *dialogs;
        sl_redirects *redirects;
        sl_identity *identity;
        sl_registrations *registrations;
        sl_routes_saver routes_saver;
    } two;
};

/* Stage two: its state, and what it does with what stage one gives it.
 * The message's ctx (and all it points to) lives until the call returns. */
bool sl_stage_two_init(sl_pipeline *p, const sl_sink *out);
void sl_stage_two_free(sl_pipeline *p);
/* What stage one found about a message, which stage two reports after its
 * sip event: SL_OVER_* bits. */
enum { SL_OVER_CONTACTS = 1, SL_OVER_VIAS = 2 };
void sl_stage_two_message(sl_pipeline *p, sl_time frame_ts, const sl_sip_ctx *ctx, bool truncated,
                          unsigned over);
void sl_stage_two_anomaly(sl_pipeline *p, const sl_anomaly_event *ev);
/* Capture time is now clock; stats are due when one is non-NULL. */
void sl_stage_two_advance(sl_pipeline *p, sl_time clock, const sl_stage_one_stats *one);
/* The end: analyzer state flushed, then the final stats event. */
void sl_stage_two_finish(sl_pipeline *p, const sl_stage_one_stats *one);

/* The handoff (--workers 2): records in place, consumed on stage two's thread. */
sl_handoff *sl_stage_handoff_new(sl_pipeline *p);
/* Starts the record of a parsed message: its bytes (at *start) and headers
 * copied into it and the parse moved onto them. Returns the moved message;
 * *start is then its bytes in the record. The context made from it next is
 * handed over with sl_stage_handoff_message. */
const sl_sip_msg *sl_stage_handoff_move(sl_pipeline *p, const sl_sip_msg *msg,
                                        const uint8_t **start);
void sl_stage_handoff_message(sl_pipeline *p, const sl_sip_ctx *ctx, bool truncated, unsigned over);
void sl_stage_handoff_anomaly(sl_pipeline *p, const sl_anomaly_event *ev);
/* Capture time is now p->clock; stats are due when one is non-NULL. */
void sl_stage_handoff_advance(sl_pipeline *p, const sl_stage_one_stats *one);
void sl_stage_handoff_call(sl_pipeline *p, void (*fn)(void *), void *user);

#endif
