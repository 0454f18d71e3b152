/* The `anomaly` event: something malformed, cut or over a cap, by kind
 * (docs/events.md lists the kinds). Members left NULL / false are not
 * written; the ones present are written in the order of this struct. */
#ifndef SIPSLEUTH_ANOMALY_EVENT_H
#define SIPSLEUTH_ANOMALY_EVENT_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/event.h"

typedef struct sl_anomaly_event {
    sl_event head;
    sl_anomaly_kind kind;
    const char *layer; /* sl_anomaly_layer(kind), for the producers that write it */
    bool has_offset;
    size_t offset;      /* of the offending byte within the layer */
    const char *detail; /* what was dropped or why, in words */
    const char *reason; /* an evicted dialog: why it was evicted */
    bool has_age;
    sl_time age; /* an evicted dialog: since its first message */
    /* An evicted route: */
    const char *uri, *target;
    bool has_last_used;
    sl_time last_used;
    /* auth_failures, scanner, watch_evicted: the source and its window */
    const sl_addr *source;
    uint64_t count;
    sl_time window; /* 0: not written */
    sl_time first_seen, last_seen;
    sl_slice user_agent; /* empty: not written */
} sl_anomaly_event;

/* A record of this kind about call_id (may be empty) and flow (may be NULL). */
static inline sl_anomaly_event sl_anomaly_event_make(sl_anomaly_kind kind, sl_time ts,
                                                     sl_slice call_id, const sl_flow *flow)
{
    sl_anomaly_event ev = {
        .head = {.type = SL_EV_ANOMALY, .ts = ts, .call_id = call_id, .flow = flow}, .kind = kind};
    return ev;
}

/* The record of a finding `an` at its offset within its layer. */
static inline sl_anomaly_event sl_anomaly_event_at(const sl_anomaly *an, sl_time ts,
                                                   sl_slice call_id, const sl_flow *flow)
{
    sl_anomaly_event ev = sl_anomaly_event_make(an->kind, ts, call_id, flow);
    ev.layer = sl_anomaly_layer(an->kind);
    ev.has_offset = true;
    ev.offset = an->offset;
    return ev;
}

/* Emits the whole record: the output reads the members after head through
 * it, so producers hand it over typed rather than as &ev.head. */
static inline void sl_sink_emit_anomaly(const sl_sink *s, const sl_anomaly_event *ev)
{
    sl_sink_emit(s, &ev->head);
}

#endif
