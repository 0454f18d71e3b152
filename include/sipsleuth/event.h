/* The event boundary. An analyzer fills a typed record — a struct whose first
 * member is an sl_event, one per event type (sip_event.h, dialog_event.h,
 * redirect_event.h, identity_event.h, registration_event.h, anomaly_event.h, stats_event.h) — and
 * hands it to a sink. Only the output module turns records into text; the
 * event reference is docs/events.md. */
#ifndef SIPSLEUTH_EVENT_H
#define SIPSLEUTH_EVENT_H

#include "sipsleuth/flow.h"
#include "sipsleuth/sltime.h"

typedef enum sl_event_type {
    SL_EV_SIP,
    SL_EV_DIALOG,
    SL_EV_REDIRECT,
    SL_EV_ROUTE,
    SL_EV_IDENTITY,
    SL_EV_REJECTION,
    SL_EV_REGISTRATION,
    SL_EV_ANOMALY,
    SL_EV_STATS,
    SL_EV__COUNT
} sl_event_type;

typedef uint32_t sl_event_mask; /* bit (1 << sl_event_type) */
#define SL_EV_ALL ((sl_event_mask)((1u << SL_EV__COUNT) - 1))
/* The default: everything but the per-message `sip` events. */
#define SL_EV_DEFAULT (SL_EV_ALL & ~(1u << SL_EV_SIP))

/* Parses "sip,dialog" / "all" / "default" / "all,-sip"; false with the bad
 * name in *bad (a pointer into list) on error. */
bool sl_event_mask_parse(const char *list, sl_event_mask *mask, const char **bad, size_t *bad_len);

/* What every event has. The record it heads is the one of its type. */
typedef struct sl_event {
    sl_event_type type;
    sl_time ts;
    sl_slice call_id;    /* empty: none (written as null for events about a call) */
    const sl_flow *flow; /* NULL or proto 0: not about a flow */
} sl_event;

/* Where analyzers hand their records. `wants` lets a producer skip building
 * a record nobody will read; anomalies are always emitted, as every anomaly
 * is counted. Records and what they point to are valid only during emit. */
typedef struct sl_sink {
    bool (*wants)(void *self, sl_event_type type);
    void (*emit)(void *self, const sl_event *ev);
    void *self;
} sl_sink;

static inline bool sl_sink_wants(const sl_sink *s, sl_event_type type)
{
    return s->wants(s->self, type);
}
static inline void sl_sink_emit(const sl_sink *s, const sl_event *ev)
{
    s->emit(s->self, ev);
}

#endif
