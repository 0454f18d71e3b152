/* NDJSON events (see ../shared/design/contract.md): one JSON object per line,
 * with the common fields written by sl_event_begin() and the details written
 * by the caller into the object named after the event type. */
#ifndef SIPSLEUTH_EVENT_H
#define SIPSLEUTH_EVENT_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/json_writer.h"
#include "sipsleuth/packet.h"
#include "sipsleuth/sltime.h"

typedef enum sl_event_type {
    SL_EV_SIP,
    SL_EV_DIALOG,
    SL_EV_REDIRECT,
    SL_EV_ROUTE,
    SL_EV_IDENTITY,
    SL_EV_REJECTION,
    SL_EV_ANOMALY,
    SL_EV_STATS,
    SL_EV__COUNT
} sl_event_type;

typedef uint32_t sl_event_mask; /* bit (1 << sl_event_type) */
#define SL_EV_ALL ((sl_event_mask)((1u << SL_EV__COUNT) - 1))
/* The default: everything but the per-message `sip` events. */
#define SL_EV_DEFAULT (SL_EV_ALL & ~(1u << SL_EV_SIP))

const char *sl_event_type_name(sl_event_type t);
/* Parses "sip,dialog" / "all" / "default" / "all,-sip"; false with the bad
 * name in *bad (a pointer into list) on error. */
bool sl_event_mask_parse(const char *list, sl_event_mask *mask, const char **bad, size_t *bad_len);

/* The packet an event is about. Events about long-lived state (a dialog) copy
 * the 5-tuple and leave `outer` NULL. */
typedef struct sl_flow {
    sl_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;          /* SL_IPPROTO_UDP / _TCP / _SCTP; 0 = no flow */
    bool tls;               /* TCP carrying TLS: written as proto "TLS"; hashed as TCP */
    const sl_packet *outer; /* VLAN / MPLS / tunnel layers to record, or NULL */
} sl_flow;

sl_flow sl_flow_from_packet(const sl_packet *pkt, uint8_t proto);

typedef struct sl_output sl_output;

/* Opens the event sink: path NULL or "-" is stdout. NULL with errno set on failure. */
sl_output *sl_output_open(const char *path, sl_event_mask mask);
/* Reopens the same path (after log rotation); stdout is left alone. */
bool sl_output_reopen(sl_output *o);
/* Writes buffered events; false once the sink has failed (see sl_output_error). */
bool sl_output_flush(sl_output *o);
/* Flushes and closes; returns false if anything could not be written. */
bool sl_output_close(sl_output *o);
/* Non-NULL once writing failed: a message naming the sink and the reason. */
const char *sl_output_error(const sl_output *o);
bool sl_output_wants(const sl_output *o, sl_event_type t);
/* Events written so far, per type. */
uint64_t sl_output_count(const sl_output *o, sl_event_type t);

/* Starts an event: writes timestamp, event_type, call_id (for sip, dialog,
 * redirect, identity and rejection events always, null when empty; for the
 * others only when given),
 * the flow's 5-tuple and community_id (when flow is non-NULL and set), outer
 * layers, and opens the detail object. Returns the writer to fill it with, or
 * NULL when this event type is not wanted (then do not call sl_event_end). */
sl_jw *sl_event_begin(sl_output *o, sl_event_type type, sl_time ts, sl_slice call_id,
                      const sl_flow *flow);
/* Closes the detail object and the event, and queues the line. */
void sl_event_end(sl_output *o);

/* Every anomaly is counted, whether or not anomaly events are written: the
 * pipeline sets fn to feed its stats. */
typedef void (*sl_anomaly_count_fn)(void *user, sl_anomaly_kind kind);
void sl_output_set_anomaly_counter(sl_output *o, sl_anomaly_count_fn fn, void *user);
/* Counts an anomaly of this kind and starts its event with `kind` written:
 * as sl_event_begin, NULL when anomaly events are not wanted. */
sl_jw *sl_event_anomaly(sl_output *o, sl_time ts, sl_slice call_id, const sl_flow *flow,
                        sl_anomaly_kind kind);

#endif
