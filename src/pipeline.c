#include "pipeline_internal.h"

#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/decode.h"
#include "sipsleuth/dedup.h"
#include "sipsleuth/defrag.h"
#include "sipsleuth/sctp_assoc.h"
#include "sipsleuth/sip_values.h"
#include "sipsleuth/stats.h"
#include "sipsleuth/tcp_stream.h"
#include "sipsleuth/tcp_tls.h"

#include <stdio.h>
#include <stdlib.h>

void sl_config_defaults(sl_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->workers = 1;
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

static void to_stage_two_anomaly(sl_pipeline *p, const sl_anomaly_event *ev)
{
    if (p->handoff)
        sl_stage_handoff_anomaly(p, ev);
    else
        sl_stage_two_anomaly(p, ev);
}

static void report_anomaly(sl_pipeline *p, const sl_anomaly *an, const sl_flow *flow,
                           sl_slice call_id)
{
    sl_anomaly_event ev = sl_anomaly_event_at(an, p->ts, call_id, flow);
    to_stage_two_anomaly(p, &ev);
}

/* Anomalies of the stateful stages (defrag, streams): a kind and a detail text. */
static void report_state_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                                 const char *detail)
{
    sl_pipeline *p = user;
    sl_anomaly_event ev = sl_anomaly_event_make(kind, ts, sl_slice_make(NULL, 0), flow);
    ev.detail = detail;
    to_stage_two_anomaly(p, &ev);
}

/* More Contact or Via values than the caps allow: SL_OVER_* bits. */
static unsigned over_value_caps(const sl_pipeline *p, const sl_sip_msg *msg)
{
    unsigned over = 0;
    if (sl_sip_count_values(msg, SL_HDR_CONTACT, p->cfg.max_contacts + 1) > p->cfg.max_contacts)
        over |= SL_OVER_CONTACTS;
    if (sl_sip_count_values(msg, SL_HDR_VIA, p->cfg.max_vias + 1) > p->cfg.max_vias)
        over |= SL_OVER_VIAS;
    return over;
}

/* One complete SIP message, from a datagram or a reassembled stream. */
static void on_sip_message(sl_pipeline *p, const sl_sip_msg *msg, const uint8_t *start, sl_time ts,
                           const sl_flow *flow, bool truncated)
{
    if (p->handoff) /* analysed on the other thread, from the record's copy */
        msg = sl_stage_handoff_move(p, msg, &start);
    sl_sip_ctx ctx;
    sl_sdp sdp; /* the body's, when it carries SDP */
    sl_sip_ctx_init(&ctx, msg, ts, flow);
    ctx.raw = sl_slice_make(start, msg->length);
    if (!p->cfg.no_sdp)
        sl_sip_ctx_media(&ctx, &sdp, &p->sdp_memo);
    sl_extract_message(p->cfg.extract, &ctx);
    sl_counters_message(&p->counters, msg);
    unsigned over = over_value_caps(p, msg);
    if (p->handoff)
        sl_stage_handoff_message(p, &ctx, truncated, over);
    else
        sl_stage_two_message(p, p->ts, &ctx, truncated, over);
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
    to_stage_two_anomaly(p, &ev);
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

/* Stage one's part of the stats, now. */
static void take_stats(const sl_pipeline *p, sl_stage_one_stats *one)
{
    one->counters = p->counters;
    sl_defrag_get_stats(p->defrag, &one->defrag);
    sl_tcp_get_stats(p->tcp, &one->tcp);
    sl_tcp_tls_get_stats(p->tls, &one->tls);
    sl_sctp_get_stats(p->sctp, &one->sctp);
    one->defrag_memory = sl_defrag_memory(p->defrag);
    one->tcp_memory = sl_tcp_memory(p->tcp);
    one->sctp_memory = sl_sctp_memory(p->sctp);
    const sl_tls_keylog *kl = p->cfg.tls_keylog;
    one->has_keylog = kl != NULL;
    one->keylog_memory = kl ? sl_tls_keylog_memory(kl) : 0;
    if (kl)
        sl_tls_keylog_get_stats(kl, &one->keylog);
    one->has_dedup = p->dedup != NULL;
    one->dedup_memory = p->dedup ? sl_dedup_memory(p->dedup) : 0;
    if (p->dedup)
        sl_dedup_get_stats(p->dedup, &one->dedup);
    one->has_capture = p->capture_stats != NULL;
    if (p->capture_stats)
        p->capture_stats(p->capture_stats_user, &one->capture);
}

/* Stats are due on capture time, every cfg.stats_interval. */
static bool stats_due(sl_pipeline *p)
{
    if (p->cfg.stats_interval <= 0)
        return false;
    if (p->next_stats == 0)
        p->next_stats = p->clock + p->cfg.stats_interval;
    if (p->clock < p->next_stats)
        return false;
    p->next_stats = p->clock + p->cfg.stats_interval;
    return true;
}

void sl_pipeline_advance(sl_pipeline *p, sl_time now)
{
    if (now > p->clock)
        p->clock = now;
    sl_defrag_expire(p->defrag, p->clock);
    sl_tcp_expire(p->tcp, p->clock);
    sl_sctp_expire(p->sctp, p->clock);
    sl_stage_one_stats one;
    const sl_stage_one_stats *due = NULL;
    if (stats_due(p)) {
        take_stats(p, &one);
        due = &one;
    }
    if (p->handoff)
        sl_stage_handoff_advance(p, due);
    else
        sl_stage_two_advance(p, p->clock, due);
}

void sl_pipeline_in_order(sl_pipeline *p, void (*fn)(void *), void *user)
{
    if (!p->handoff) {
        fn(user);
        return;
    }
    sl_stage_handoff_call(p, fn, user);
    sl_handoff_flush(p->handoff);
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
    if (p->handoff)
        sl_handoff_drain(p->handoff); /* stage two is idle: its state may be used here */
    sl_stage_one_stats one;
    take_stats(p, &one);
    if (cs) {
        one.has_capture = true;
        one.capture = *cs;
    }
    sl_stage_two_finish(p, &one);
}

sl_pipeline *sl_pipeline_new(const sl_config *cfg, const sl_sink *out)
{
    sl_pipeline *p = aligned_alloc(64, sizeof *p); /* for stage two's cache lines */
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
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
    if (cfg->dedup_enabled)
        p->dedup = sl_dedup_new(&cfg->dedup);
    bool ok = sl_stage_two_init(p, out) && p->headers && p->defrag && p->tcp && p->tls && p->sctp &&
              (!cfg->dedup_enabled || p->dedup);
    if (ok && cfg->workers > 1)
        ok = (p->handoff = sl_stage_handoff_new(p)) != NULL;
    if (!ok) {
        sl_pipeline_free(p);
        return NULL;
    }
    return p;
}

void sl_pipeline_free(sl_pipeline *p)
{
    if (!p)
        return;
    sl_handoff_free(p->handoff); /* what stage two still has to do, then its thread */
    sl_defrag_destroy(p->defrag);
    sl_tcp_destroy(p->tcp);
    sl_tcp_tls_free(p->tls);
    sl_tls_keylog_free(p->cfg.tls_keylog);
    sl_sctp_destroy(p->sctp);
    sl_dedup_free(p->dedup);
    sl_stage_two_free(p);
    free(p->headers);
    free(p);
}
