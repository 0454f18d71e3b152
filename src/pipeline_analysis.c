/* Stage two of the pipeline (pipeline_internal.h): the analyzers over parsed
 * messages, the stats events, and the sink every event passes. */
#include "pipeline_internal.h"

#include "sipsleuth/dialog.h"
#include "sipsleuth/dialog_event.h"
#include "sipsleuth/redirect.h"
#include "sipsleuth/sip_event.h"
#include "sipsleuth/stats_event.h"

#include <stdlib.h>

const sl_counters *sl_pipeline_counters(const sl_pipeline *p)
{
    return &p->two.all;
}
const sl_routes *sl_pipeline_routes(const sl_pipeline *p)
{
    return sl_redirects_routes(p->two.redirects);
}
const sl_identity *sl_pipeline_identity(const sl_pipeline *p)
{
    return p->two.identity;
}

/* A finding about the message being analysed, stamped with its frame's time. */
static void report_anomaly(sl_pipeline *p, const sl_anomaly *an, const sl_sip_ctx *ctx)
{
    sl_anomaly_event ev = sl_anomaly_event_at(an, p->two.ts, ctx->call_id, &ctx->flow);
    sl_sink_emit_anomaly(&p->two.sink, &ev);
}

/* Non-fatal findings of the SIP parser: one anomaly per flag. */
static void report_sip_flags(sl_pipeline *p, const sl_sip_ctx *ctx)
{
    uint32_t flags = ctx->msg->flags;
    while (flags) {
        uint32_t bit = flags & (~flags + 1);
        flags &= ~bit;
        if (bit == SL_SIP_F_NO_CONTENT_LENGTH && ctx->flow.proto != SL_IPPROTO_TCP)
            continue; /* optional on UDP (RFC 3261 20.14) and SCTP, which keep message bounds */
        if (bit == SL_SIP_F_BARE_LF)
            continue; /* tolerated and common; not worth an event per message */
        sl_anomaly an = {.kind = sl_sip_flag_kind(bit),
                         .offset = sl_sip_flag_offset(ctx->msg, bit)};
        report_anomaly(p, &an, ctx);
    }
    if (ctx->sdp_anomaly.kind)
        report_anomaly(p, &ctx->sdp_anomaly, ctx);
}

/* More Contact or Via values than the caps allow (stage one counted them):
 * one anomaly each. */
static void report_over_caps(sl_pipeline *p, const sl_sip_ctx *ctx, unsigned over)
{
    if (over & SL_OVER_CONTACTS) {
        sl_anomaly an = {.kind = SL_ANOM_SIP_TOO_MANY_CONTACTS};
        report_anomaly(p, &an, ctx);
    }
    if (over & SL_OVER_VIAS) {
        sl_anomaly an = {.kind = SL_ANOM_SIP_TOO_MANY_VIAS};
        report_anomaly(p, &an, ctx);
    }
}

void sl_stage_two_message(sl_pipeline *p, sl_time frame_ts, const sl_sip_ctx *ctx, bool truncated,
                          unsigned over)
{
    p->two.ts = frame_ts;
    sl_txn_verdict verdict;
    sl_dialogs_on_message(p->two.dialogs, ctx, &verdict);
    sl_redirects_on_message(p->two.redirects, ctx, &verdict);
    sl_identity_on_message(p->two.identity, ctx, &verdict);
    sl_registrations_on_message(p->two.registrations, ctx, &verdict);
    if (sl_sink_wants(&p->two.sink, SL_EV_SIP)) {
        /* A message that came in HEP is stamped with the agent's capture
         * time; the analyzers run on the collector's (see README, HEP). */
        const sl_packet *pkt = ctx->flow.outer;
        sl_sip_event ev = {
            .head = {.type = SL_EV_SIP,
                     .ts = pkt && pkt->origin_ts ? pkt->origin_ts : ctx->ts,
                     .call_id = ctx->call_id,
                     .flow = &ctx->flow},
            .msg = ctx,
            .retransmission = verdict.retransmission,
            .truncated = truncated,
        };
        sl_sink_emit(&p->two.sink, &ev.head);
    }
    report_sip_flags(p, ctx);
    report_over_caps(p, ctx, over);
}

void sl_stage_two_anomaly(sl_pipeline *p, const sl_anomaly_event *ev)
{
    sl_sink_emit_anomaly(&p->two.sink, ev);
}

/* Bytes held by stage two's analyzers: the sum of their own accounts. */
static size_t analysis_memory(const sl_pipeline *p)
{
    return sl_dialogs_memory(p->two.dialogs) + sl_registrations_memory(p->two.registrations) +
           sl_identity_memory(p->two.identity) +
           sl_routes_memory(sl_redirects_routes(p->two.redirects));
}

static void write_stats(sl_pipeline *p, const sl_stage_one_stats *one, bool final)
{
    p->two.all = p->two.counters;
    sl_counters_add_traffic(&p->two.all, &one->counters);
    if (!sl_sink_wants(&p->two.sink, SL_EV_STATS))
        return;
    sl_stats_event ev = {
        .head = {.type = SL_EV_STATS, .ts = p->two.clock},
        .counters = &p->two.all,
        .defrag = one->defrag,
        .tcp = one->tcp,
        .tls = one->tls,
        .keylog = one->has_keylog ? &one->keylog : NULL,
        .sctp = one->sctp,
        .dedup = one->has_dedup ? &one->dedup : NULL,
        .defrag_memory = one->defrag_memory,
        .tcp_memory = one->tcp_memory,
        .keylog_memory = one->keylog_memory,
        .sctp_memory = one->sctp_memory,
        .identity_memory = sl_identity_memory(p->two.identity),
        .memory_bytes = one->defrag_memory + one->tcp_memory + one->sctp_memory +
                        one->keylog_memory + one->dedup_memory + analysis_memory(p),
        .capture = one->has_capture && one->capture.live ? &one->capture : NULL,
        .final = final,
    };
    sl_dialogs_get_stats(p->two.dialogs, &ev.dialogs);
    sl_redirects_get_stats(p->two.redirects, &ev.redirects);
    sl_identity_get_counts(p->two.identity, &ev.identity);
    sl_sink_emit(&p->two.sink, &ev.head);
}

/* The periodic save of the routes file, on capture time. */
static void save_routes_due(sl_pipeline *p)
{
    sl_routes_saver *rs = &p->two.routes_saver;
    if (sl_routes_saver_tick(rs, sl_redirects_routes(p->two.redirects), p->two.clock))
        return;
    sl_anomaly_event ev = sl_anomaly_event_make(SL_ANOM_ROUTES_SAVE_FAILED, p->two.clock,
                                                sl_slice_make(NULL, 0), NULL);
    ev.detail = rs->error;
    sl_sink_emit_anomaly(&p->two.sink, &ev);
}

bool sl_pipeline_load_routes(sl_pipeline *p, char *err, size_t errlen)
{
    return sl_routes_saver_load(&p->two.routes_saver, sl_redirects_routes(p->two.redirects), err,
                                errlen);
}

const char *sl_pipeline_routes_error(const sl_pipeline *p)
{
    return sl_routes_saver_error(&p->two.routes_saver);
}

void sl_stage_two_advance(sl_pipeline *p, sl_time clock, const sl_stage_one_stats *one)
{
    p->two.clock = clock;
    sl_dialogs_advance(p->two.dialogs, clock);
    sl_redirects_advance(p->two.redirects, clock);
    sl_registrations_advance(p->two.registrations, clock);
    save_routes_due(p);
    if (one)
        write_stats(p, one, false);
}

void sl_stage_two_finish(sl_pipeline *p, const sl_stage_one_stats *one)
{
    sl_dialogs_finish(p->two.dialogs, p->two.clock);
    sl_registrations_finish(p->two.registrations, p->two.clock);
    sl_routes_saver_finish(&p->two.routes_saver, sl_redirects_routes(p->two.redirects));
    write_stats(p, one, true);
}

/* Every record the analyzers emit passes here: an anomaly is counted
 * whether or not it is written, and a dialog event learns whether the
 * attempt followed a redirect. */
static void pipeline_emit(void *self, const sl_event *ev)
{
    sl_pipeline *p = self;
    if (ev->type == SL_EV_ANOMALY)
        sl_counters_anomaly(&p->two.counters, ((const sl_anomaly_event *)ev)->kind);
    if (ev->type == SL_EV_DIALOG && sl_sink_wants(&p->two.out_sink, SL_EV_DIALOG)) {
        sl_dialog_event d = *(const sl_dialog_event *)ev;
        sl_redirect_followed f;
        if (sl_redirects_followed(p->two.redirects, &d, &f))
            d.follows = &f;
        sl_sink_emit(&p->two.out_sink, &d.head);
        return;
    }
    sl_sink_emit(&p->two.out_sink, ev);
}

static bool pipeline_wants(void *self, sl_event_type type)
{
    sl_pipeline *p = self;
    return type == SL_EV_ANOMALY || sl_sink_wants(&p->two.out_sink, type);
}

bool sl_stage_two_init(sl_pipeline *p, const sl_sink *out)
{
    const sl_config *cfg = &p->cfg;
    p->two.out_sink = *out;
    p->two.sink = (sl_sink){.wants = pipeline_wants, .emit = pipeline_emit, .self = p};
    sl_routes_saver_init(&p->two.routes_saver, cfg->routes_file, cfg->routes_save_interval);
    p->two.redirects = sl_redirects_new(&cfg->routes, &p->two.sink);
    p->two.dialogs = sl_dialogs_new(&cfg->dialog, &p->two.sink);
    p->two.identity =
        sl_identity_new(&cfg->identity, cfg->certs ? cfg->certs : sl_certstore_new(), &p->two.sink);
    p->two.registrations = sl_registrations_new(&cfg->registration, &p->two.sink);
    return p->two.redirects && p->two.dialogs && p->two.identity && p->two.registrations;
}

void sl_stage_two_free(sl_pipeline *p)
{
    sl_dialogs_free(p->two.dialogs);
    sl_registrations_free(p->two.registrations);
    sl_redirects_free(p->two.redirects);
    sl_identity_free(p->two.identity);
}
