#include "sipsleuth/pipeline.h"

#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/decode.h"
#include "sipsleuth/dedup.h"
#include "sipsleuth/defrag.h"
#include "sipsleuth/dialog.h"
#include "sipsleuth/dialog_event.h"
#include "sipsleuth/redirect.h"
#include "sipsleuth/routes_saver.h"
#include "sipsleuth/sctp_assoc.h"
#include "sipsleuth/sip_context.h"
#include "sipsleuth/sip_event.h"
#include "sipsleuth/sip_values.h"
#include "sipsleuth/stats.h"
#include "sipsleuth/stats_event.h"
#include "sipsleuth/tcp_stream.h"
#include "sipsleuth/tcp_tls.h"

#include <stdio.h>
#include <stdlib.h>

struct sl_pipeline {
    sl_config cfg;
    sl_sink out_sink; /* where events go */
    sl_sink sink;     /* the analyzers': counts anomalies, then the output's */
    sl_counters counters;
    sl_time ts;    /* the frame being processed: events about it carry this time */
    sl_time clock; /* capture time for timers: the latest seen, never going back */
    sl_time next_stats;
    sl_sip_header *headers; /* cfg.max_headers slots, reused for every message */
    sl_defrag *defrag;
    sl_tcp_table *tcp;
    sl_tcp_tls *tls; /* SIP over TLS in p->tcp; cfg.tls_keylog its keys */
    sl_sctp_table *sctp;
    sl_dialogs *dialogs;
    sl_dedup *dedup; /* NULL unless --dedup */
    sl_redirects *redirects;
    sl_identity *identity;
    sl_registrations *registrations;
    sl_routes_saver routes_saver;
    sl_sdp_memo sdp_memo;
    sl_capture_stats_fn capture_stats; /* live: the kernel's counters for periodic stats */
    void *capture_stats_user;
};

void sl_config_defaults(sl_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_headers = SL_DEFAULT_MAX_HEADERS;
    cfg->max_contacts = SL_DEFAULT_MAX_CONTACTS;
    cfg->max_vias = SL_DEFAULT_MAX_VIAS;
    sl_defrag_config_default(&cfg->defrag);
    sl_tcp_config_default(&cfg->tcp);
    sl_sctp_config_default(&cfg->sctp);
    sl_dialog_config_default(&cfg->dialog);
    sl_dedup_config_default(&cfg->dedup);
    sl_routes_config_default(&cfg->routes);
    sl_identity_config_default(&cfg->identity);
    sl_registration_config_default(&cfg->registration);
    cfg->routes_save_interval = 60 * SL_NS_PER_SEC;
    cfg->tls_max_keys = SL_TLS_DEFAULT_MAX_KEYS;
}

const sl_counters *sl_pipeline_counters(const sl_pipeline *p)
{
    return &p->counters;
}
const sl_routes *sl_pipeline_routes(const sl_pipeline *p)
{
    return sl_redirects_routes(p->redirects);
}
const sl_identity *sl_pipeline_identity(const sl_pipeline *p)
{
    return p->identity;
}

static void report_anomaly(sl_pipeline *p, const sl_anomaly *an, const sl_flow *flow,
                           sl_slice call_id)
{
    sl_anomaly_event ev = sl_anomaly_event_make(an->kind, p->ts, call_id, flow);
    ev.layer = sl_anomaly_layer(an->kind);
    ev.has_offset = true;
    ev.offset = an->offset;
    sl_sink_emit_anomaly(&p->sink, &ev);
}

/* Anomalies of the stateful stages (defrag, streams): a kind and a detail text. */
static void report_state_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                                 const char *detail)
{
    sl_pipeline *p = user;
    sl_anomaly_event ev = sl_anomaly_event_make(kind, ts, sl_slice_make(NULL, 0), flow);
    ev.detail = detail;
    sl_sink_emit_anomaly(&p->sink, &ev);
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
        report_anomaly(p, &an, &ctx->flow, ctx->call_id);
    }
    if (ctx->sdp_anomaly.kind)
        report_anomaly(p, &ctx->sdp_anomaly, &ctx->flow, ctx->call_id);
}

/* More Contact or Via values than the caps allow: one anomaly each. */
static void check_value_caps(sl_pipeline *p, const sl_sip_ctx *ctx)
{
    if (sl_sip_count_values(ctx->msg, SL_HDR_CONTACT, p->cfg.max_contacts + 1) >
        p->cfg.max_contacts) {
        sl_anomaly an = {.kind = SL_ANOM_SIP_TOO_MANY_CONTACTS};
        report_anomaly(p, &an, &ctx->flow, ctx->call_id);
    }
    if (sl_sip_count_values(ctx->msg, SL_HDR_VIA, p->cfg.max_vias + 1) > p->cfg.max_vias) {
        sl_anomaly an = {.kind = SL_ANOM_SIP_TOO_MANY_VIAS};
        report_anomaly(p, &an, &ctx->flow, ctx->call_id);
    }
}

/* One complete SIP message, from a datagram or a reassembled stream. */
static void on_sip_message(sl_pipeline *p, const sl_sip_msg *msg, const uint8_t *start, sl_time ts,
                           const sl_flow *flow, bool truncated)
{
    sl_sip_ctx ctx;
    sl_sdp sdp; /* the body's, when it carries SDP */
    sl_sip_ctx_init(&ctx, msg, ts, flow);
    ctx.raw = sl_slice_make(start, msg->length);
    if (!p->cfg.no_sdp)
        sl_sip_ctx_media(&ctx, &sdp, &p->sdp_memo);
    sl_extract_message(p->cfg.extract, &ctx);
    sl_counters_message(&p->counters, msg);
    sl_txn_verdict verdict;
    sl_dialogs_on_message(p->dialogs, &ctx, &verdict);
    sl_redirects_on_message(p->redirects, &ctx, &verdict);
    sl_identity_on_message(p->identity, &ctx, &verdict);
    sl_registrations_on_message(p->registrations, &ctx, &verdict);
    if (sl_sink_wants(&p->sink, SL_EV_SIP)) {
        /* A message that came in HEP is stamped with the agent's capture
         * time; the analyzers run on the collector's (see README, HEP). */
        const sl_packet *pkt = flow->outer;
        sl_sip_event ev = {
            .head = {.type = SL_EV_SIP,
                     .ts = pkt && pkt->origin_ts ? pkt->origin_ts : ts,
                     .call_id = ctx.call_id,
                     .flow = &ctx.flow},
            .msg = &ctx,
            .retransmission = verdict.retransmission,
            .truncated = truncated,
        };
        sl_sink_emit(&p->sink, &ev.head);
    }
    report_sip_flags(p, &ctx);
    check_value_caps(p, &ctx);
}

/* The per-message byte cap. Streams drop theirs while buffering
 * (tcp_message_too_large); this is the same cap on a datagram, on a message
 * within one segment, or on one the stream table parsed in place. */
static bool over_message_cap(sl_pipeline *p, size_t len, const sl_flow *flow)
{
    if (len <= p->cfg.tcp.max_message)
        return false;
    sl_anomaly an = {.kind = SL_ANOM_SIP_MESSAGE_TOO_LARGE};
    report_anomaly(p, &an, flow, sl_slice_make(NULL, 0));
    return true;
}

/* Dissects one whole message (a datagram's, or one cut from a stream) and
 * hands it on; a message that does not parse is counted and reported. */
static void dissect(sl_pipeline *p, const uint8_t *data, size_t len, sl_time ts,
                    const sl_flow *flow, bool truncated, bool probe)
{
    sl_sip_msg msg = {.headers = p->headers, .max_headers = p->cfg.max_headers};
    sl_anomaly an = {0};
    /* A datagram must look like SIP to be parsed (else it is counted as not
     * SIP). A message that parses with its start line ended passes the probe
     * too, so the probe runs only when that is not so: one scan of the start
     * line instead of two, ~340 instructions a message (callgrind). */
    sl_status st = SL_INVALID;
    if (probe && len <= p->cfg.tcp.max_message)
        st = sl_sip_parse(data, len, SL_SIP_DATAGRAM, &msg, &an);
    if (probe && !(st == SL_OK && msg.start_line_ended) && sl_sip_probe(data, len) != SL_OK) {
        p->counters.not_sip++;
        return;
    }
    if (over_message_cap(p, len, flow))
        return;
    if (!probe)
        st = sl_sip_parse(data, len, SL_SIP_DATAGRAM, &msg, &an);
    if (st != SL_OK) {
        p->counters.sip_parse_errors++;
        if (!an.kind)
            an = (sl_anomaly){.kind = SL_ANOM_SIP_INVALID};
        report_anomaly(p, &an, flow, sl_slice_make(NULL, 0));
        return;
    }
    on_sip_message(p, &msg, data, ts, flow, truncated);
}

/* A message cut from a TCP stream (or a WebSocket message) by the stream table. */
static void on_stream_message(void *user, const uint8_t *data, size_t len, sl_time ts,
                              const sl_flow *flow)
{
    dissect(user, data, len, ts, flow, false, false);
}

/* A SIP-over-TCP message the stream table parsed (into p->headers) to frame it. */
static void on_stream_sip(void *user, const sl_sip_msg *msg, const uint8_t *data, sl_time ts,
                          const sl_flow *flow)
{
    sl_pipeline *p = user;
    if (!over_message_cap(p, msg->length, flow))
        on_sip_message(p, msg, data, ts, flow, false);
}

/* A stream message the snap length cut short: a sip event marked truncated,
 * as for a cut datagram, when what was captured parses; else an anomaly
 * naming its Call-ID if that line was captured. Never silent. */
static void on_stream_truncated(void *user, const uint8_t *data, size_t len, size_t lost,
                                sl_time ts, const sl_flow *flow)
{
    sl_pipeline *p = user;
    if (len > 0 && len <= p->cfg.tcp.max_message) {
        sl_sip_msg msg = {.headers = p->headers, .max_headers = p->cfg.max_headers};
        if (sl_sip_parse(data, len, SL_SIP_DATAGRAM, &msg, NULL) == SL_OK && msg.start_line_ended) {
            on_sip_message(p, &msg, data, ts, flow, true);
            return;
        }
    }
    char detail[96];
    snprintf(detail, sizeof detail, "%zu bytes captured, %zu cut by the snap length", len, lost);
    sl_anomaly_event ev =
        sl_anomaly_event_make(SL_ANOM_TRUNCATED_MESSAGE, ts, sl_sip_find_call_id(data, len), flow);
    ev.detail = detail;
    sl_sink_emit_anomaly(&p->sink, &ev);
}

/* A datagram, or an SCTP user message: one message that must look like SIP. */
static void on_datagram(sl_pipeline *p, const uint8_t *data, size_t len, sl_time ts,
                        const sl_flow *flow, bool truncated)
{
    size_t ka = sl_sip_skip_keepalive(data, len);
    if (ka == len) {
        if (len)
            p->counters.keepalives++;
        else
            p->counters.not_sip++;
        return;
    }
    dissect(p, data + ka, len - ka, ts, flow, truncated, true);
}

static void on_udp(sl_pipeline *p, const sl_packet *pkt, sl_time ts)
{
    /* HEP says which transport the message was captured on. */
    uint8_t proto =
        pkt->from_hep && pkt->ip_proto == SL_IPPROTO_TCP ? SL_IPPROTO_TCP : SL_IPPROTO_UDP;
    sl_flow flow = sl_flow_from_packet(pkt, proto);
    on_datagram(p, pkt->payload.ptr, pkt->payload.len, ts, &flow, pkt->truncated);
}

/* Why a decoded frame was left: counted, not an anomaly. */
static void count_note(sl_pipeline *p, uint8_t note)
{
    switch ((sl_decode_note)note) {
    case SL_NOTE_NONE: break;
    case SL_NOTE_GTP_OTHER: p->counters.encap.gtp_other++; break;
    case SL_NOTE_GTPV2C: p->counters.encap.gtpv2c++; break;
    case SL_NOTE_HEP_NOT_SIP: p->counters.encap.hep_not_sip++; break;
    case SL_NOTE_HEP_COMPRESSED: p->counters.encap.hep_compressed++; break;
    }
}

/* A HEP packet cut from an agent's TCP connection: analysed as one in a
 * datagram, the connection's addresses in `encap`. */
static void on_stream_hep(void *user, const uint8_t *data, size_t len, sl_time ts,
                          const sl_flow *flow)
{
    sl_pipeline *p = user;
    sl_packet pkt;
    if (flow->outer)
        pkt = *flow->outer; /* its VLANs and tunnels */
    else
        memset(&pkt, 0, sizeof pkt);
    pkt.src = flow->src;
    pkt.dst = flow->dst;
    sl_anomaly an = {0};
    switch (sl_decode_hep(sl_slice_make(data, len), &pkt, &an)) {
    case SL_DECODE_UDP:
        p->counters.encap.hep++;
        on_udp(p, &pkt, ts);
        break;
    case SL_DECODE_SKIP: count_note(p, pkt.note); break;
    default:
        p->counters.decode_errors++;
        report_anomaly(p, &an, flow, sl_slice_make(NULL, 0));
        break;
    }
}

/* A complete SCTP user message (RFC 4168: one SIP message each). */
static void on_sctp_message(void *user, const uint8_t *data, size_t len, sl_time ts,
                            const sl_flow *flow, bool truncated)
{
    on_datagram(user, data, len, ts, flow, truncated);
}

void sl_pipeline_set_capture_stats(sl_pipeline *p, sl_capture_stats_fn fn, void *user)
{
    p->capture_stats = fn;
    p->capture_stats_user = user;
}

/* Bytes held by all analysis state: the sum of the modules' own accounts. */
static size_t memory_in_use(const sl_pipeline *p)
{
    size_t m = sl_defrag_memory(p->defrag) + sl_tcp_memory(p->tcp) + sl_sctp_memory(p->sctp);
    if (p->cfg.tls_keylog)
        m += sl_tls_keylog_memory(p->cfg.tls_keylog);
    m += sl_dialogs_memory(p->dialogs) + sl_registrations_memory(p->registrations);
    m += sl_identity_memory(p->identity);
    m += sl_routes_memory(sl_redirects_routes(p->redirects));
    if (p->dedup)
        m += sl_dedup_memory(p->dedup);
    return m;
}

static void write_stats(sl_pipeline *p, const sl_capture_stats *cs, bool final)
{
    if (!sl_sink_wants(&p->sink, SL_EV_STATS))
        return;
    sl_capture_stats now;
    if (!cs && p->capture_stats) {
        p->capture_stats(p->capture_stats_user, &now);
        cs = &now;
    }
    const sl_tls_keylog *kl = p->cfg.tls_keylog;
    sl_tls_keylog_stats keylog = {0};
    if (kl)
        sl_tls_keylog_get_stats(kl, &keylog);
    sl_dedup_stats dedup = {0};
    if (p->dedup)
        sl_dedup_get_stats(p->dedup, &dedup);
    sl_stats_event ev = {
        .head = {.type = SL_EV_STATS, .ts = p->clock},
        .counters = &p->counters,
        .keylog = kl ? &keylog : NULL,
        .dedup = p->dedup ? &dedup : NULL,
        .defrag_memory = sl_defrag_memory(p->defrag),
        .tcp_memory = sl_tcp_memory(p->tcp),
        .keylog_memory = kl ? sl_tls_keylog_memory(kl) : 0,
        .sctp_memory = sl_sctp_memory(p->sctp),
        .identity_memory = sl_identity_memory(p->identity),
        .memory_bytes = memory_in_use(p),
        .capture = cs && cs->live ? cs : NULL,
        .final = final,
    };
    sl_defrag_get_stats(p->defrag, &ev.defrag);
    sl_tcp_get_stats(p->tcp, &ev.tcp);
    sl_tcp_tls_get_stats(p->tls, &ev.tls);
    sl_sctp_get_stats(p->sctp, &ev.sctp);
    sl_dialogs_get_stats(p->dialogs, &ev.dialogs);
    sl_redirects_get_stats(p->redirects, &ev.redirects);
    sl_identity_get_counts(p->identity, &ev.identity);
    sl_sink_emit(&p->sink, &ev.head);
}

/* The periodic save of the routes file, on capture time. */
static void save_routes_due(sl_pipeline *p)
{
    sl_routes_saver *rs = &p->routes_saver;
    if (!sl_routes_saver_tick(rs, sl_redirects_routes(p->redirects), p->clock))
        report_state_anomaly(p, SL_ANOM_ROUTES_SAVE_FAILED, NULL, p->clock, rs->error);
}

bool sl_pipeline_load_routes(sl_pipeline *p, char *err, size_t errlen)
{
    return sl_routes_saver_load(&p->routes_saver, sl_redirects_routes(p->redirects), err, errlen);
}

const char *sl_pipeline_routes_error(const sl_pipeline *p)
{
    return sl_routes_saver_error(&p->routes_saver);
}

void sl_pipeline_advance(sl_pipeline *p, sl_time now)
{
    if (now > p->clock)
        p->clock = now;
    sl_defrag_expire(p->defrag, p->clock);
    sl_tcp_expire(p->tcp, p->clock);
    sl_sctp_expire(p->sctp, p->clock);
    sl_dialogs_advance(p->dialogs, p->clock);
    sl_redirects_advance(p->redirects, p->clock);
    sl_registrations_advance(p->registrations, p->clock);
    save_routes_due(p);
    if (p->cfg.stats_interval <= 0)
        return;
    if (p->next_stats == 0)
        p->next_stats = p->clock + p->cfg.stats_interval;
    if (p->clock >= p->next_stats) {
        write_stats(p, NULL, false);
        p->next_stats = p->clock + p->cfg.stats_interval;
    }
}

/* GTP-U datagrams and HEP messages that reached UDP/TCP analysis. */
static void count_encap(sl_pipeline *p, const sl_packet *pkt)
{
    for (unsigned i = 0; i < pkt->n_tunnels; i++) {
        if (pkt->tunnels[i].kind == SL_TUNNEL_GTPU)
            p->counters.encap.gtpu++;
        else if (pkt->tunnels[i].kind == SL_TUNNEL_HEP)
            p->counters.encap.hep++;
    }
}

void sl_pipeline_frame(sl_pipeline *p, int dlt, sl_time ts, const uint8_t *frame, size_t caplen,
                       size_t wirelen)
{
    p->counters.packets++;
    p->counters.bytes += wirelen;
    p->ts = ts;
    sl_pipeline_advance(p, ts);

    sl_packet pkt;
    sl_anomaly an = {0};
    sl_decode_result res = sl_decode_frame(dlt, frame, caplen, &pkt, &an);
    pkt.frame = sl_extract_frame(p->cfg.extract, p->counters.packets);
    if (p->dedup && res != SL_DECODE_ERROR && res != SL_DECODE_SKIP &&
        sl_dedup_packet(p->dedup, &pkt, ts))
        return; /* the span port's second copy of a packet */
    if (res == SL_DECODE_FRAGMENT) {
        p->counters.ip_fragments++;
        sl_slice datagram;
        if (sl_defrag_add(p->defrag, &pkt, ts, &datagram) != SL_OK)
            return;
        res = sl_decode_ip_payload(pkt.ip_proto, datagram, false, &pkt, &an);
    }
    if (an.kind && res != SL_DECODE_ERROR) /* decoded despite a finding */
        report_anomaly(p, &an, NULL, sl_slice_make(NULL, 0));
    if (res == SL_DECODE_UDP || res == SL_DECODE_TCP)
        count_encap(p, &pkt);
    switch (res) {
    case SL_DECODE_UDP:
        p->counters.udp++;
        if (pkt.truncated)
            p->counters.truncated++;
        on_udp(p, &pkt, ts);
        break;
    case SL_DECODE_TCP:
        p->counters.tcp_segments++;
        if (pkt.truncated)
            p->counters.truncated++;
        sl_tcp_segment(p->tcp, &pkt, ts);
        break;
    case SL_DECODE_SCTP:
        if (pkt.truncated)
            p->counters.truncated++;
        sl_sctp_packet(p->sctp, &pkt, ts);
        break;
    case SL_DECODE_FRAGMENT: /* a fragment inside a reassembled datagram */
        p->counters.decode_errors++;
        break;
    case SL_DECODE_SKIP:
        p->counters.skipped++;
        count_note(p, pkt.note);
        break;
    case SL_DECODE_ERROR:
        p->counters.decode_errors++;
        report_anomaly(p, &an, NULL, sl_slice_make(NULL, 0));
        break;
    }
}

void sl_pipeline_finish(sl_pipeline *p, const sl_capture_stats *cs)
{
    sl_extract_frame(p->cfg.extract, 0); /* what is flushed came in no frame of its own */
    /* Unfinished state is reported before the final stats, which stay last. */
    sl_defrag_flush(p->defrag);
    /* Streams deliver what they still hold, which the dialogs then see. */
    sl_tcp_flush(p->tcp);
    sl_sctp_flush(p->sctp);
    sl_dialogs_finish(p->dialogs, p->clock);
    sl_registrations_finish(p->registrations, p->clock);
    sl_routes_saver_finish(&p->routes_saver, sl_redirects_routes(p->redirects));
    write_stats(p, cs, true);
}

/* Every record the analyzers emit passes here: an anomaly is counted
 * whether or not it is written, and a dialog event learns whether the
 * attempt followed a redirect. */
static void pipeline_emit(void *self, const sl_event *ev)
{
    sl_pipeline *p = self;
    if (ev->type == SL_EV_ANOMALY)
        sl_counters_anomaly(&p->counters, ((const sl_anomaly_event *)ev)->kind);
    if (ev->type == SL_EV_DIALOG && p->redirects && sl_sink_wants(&p->out_sink, SL_EV_DIALOG)) {
        sl_dialog_event d = *(const sl_dialog_event *)ev;
        sl_redirect_followed f;
        if (sl_redirects_followed(p->redirects, &d, &f))
            d.follows = &f;
        sl_sink_emit(&p->out_sink, &d.head);
        return;
    }
    sl_sink_emit(&p->out_sink, ev);
}

static bool pipeline_wants(void *self, sl_event_type type)
{
    sl_pipeline *p = self;
    return type == SL_EV_ANOMALY || sl_sink_wants(&p->out_sink, type);
}

sl_pipeline *sl_pipeline_new(const sl_config *cfg, const sl_sink *out)
{
    sl_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = *cfg;
    p->out_sink = *out;
    p->sink = (sl_sink){.wants = pipeline_wants, .emit = pipeline_emit, .self = p};
    sl_routes_saver_init(&p->routes_saver, cfg->routes_file, cfg->routes_save_interval);
    p->headers = calloc(cfg->max_headers ? cfg->max_headers : 1, sizeof *p->headers);
    p->defrag = sl_defrag_new(&cfg->defrag, report_state_anomaly, p);
    sl_tcp_callbacks cb = {.on_message = on_stream_message,
                           .on_anomaly = report_state_anomaly,
                           .user = p,
                           .on_sip = on_stream_sip,
                           .headers = p->headers,
                           .max_headers = cfg->max_headers,
                           .on_truncated = on_stream_truncated,
                           .on_hep = on_stream_hep};
    p->tcp = sl_tcp_new(&cfg->tcp, &cb);
    p->tls = sl_tcp_tls_new(cfg->tls_keylog);
    if (p->tcp && p->tls)
        sl_tcp_attach_tls(p->tcp, p->tls);
    sl_sctp_config sc = cfg->sctp;
    sc.max_message = cfg->tcp.max_message;
    sl_sctp_callbacks scb = {
        .on_message = on_sctp_message, .on_anomaly = report_state_anomaly, .user = p};
    p->sctp = sl_sctp_new(&sc, &scb);
    p->redirects = sl_redirects_new(&cfg->routes, &p->sink);
    p->dialogs = sl_dialogs_new(&cfg->dialog, &p->sink);
    if (cfg->dedup_enabled)
        p->dedup = sl_dedup_new(&cfg->dedup);
    p->identity =
        sl_identity_new(&cfg->identity, cfg->certs ? cfg->certs : sl_certstore_new(), &p->sink);
    p->registrations = sl_registrations_new(&cfg->registration, &p->sink);
    if (!p->headers || !p->defrag || !p->tcp || !p->tls || !p->sctp || !p->dialogs ||
        (cfg->dedup_enabled && !p->dedup) || !p->identity || !p->registrations) {
        sl_pipeline_free(p);
        return NULL;
    }
    return p;
}

void sl_pipeline_free(sl_pipeline *p)
{
    if (!p)
        return;
    sl_defrag_destroy(p->defrag);
    sl_tcp_destroy(p->tcp);
    sl_tcp_tls_free(p->tls);
    sl_tls_keylog_free(p->cfg.tls_keylog);
    sl_sctp_destroy(p->sctp);
    sl_dialogs_free(p->dialogs);
    sl_registrations_free(p->registrations);
    sl_dedup_free(p->dedup);
    sl_redirects_free(p->redirects);
    sl_identity_free(p->identity);
    free(p->headers);
    free(p);
}
