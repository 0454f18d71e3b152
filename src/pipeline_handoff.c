/* --workers 2: what stage one hands stage two (pipeline_internal.h), as
 * records written in place in the handoff's batches. A message record holds
 * the message's bytes and its parse moved onto them (sl_sip_msg_move), then
 * its context and what that points to (SDP, outer layers). */
#include "pipeline_internal.h"

#include <stddef.h>
#include <string.h>

enum record_kind { REC_MESSAGE = 1, REC_ANOMALY, REC_ADVANCE, REC_CALL };

/* Enough for the records of a few hundred messages; the batches are made
 * larger when one message may need more (cfg.tcp.max_message). */
#define BATCH_BYTES (256u << 10)

typedef struct message_record {
    sl_time frame_ts;
    bool truncated;
    uint8_t over; /* SL_OVER_* */
    size_t used;  /* bytes of the record written so far: this, the message, its headers */
    sl_sip_msg msg;
    sl_sip_ctx ctx;
} message_record;

/* An anomaly of stage one carries its time, kind, layer (a constant),
 * offset, Call-ID, flow and detail text; nothing else is copied. */
typedef struct anomaly_record {
    sl_anomaly_event ev;
    sl_flow flow;
    sl_packet outer;
} anomaly_record;

typedef struct advance_record {
    sl_time clock;
    bool stats_due;
    sl_stage_one_stats one; /* present when stats_due */
} advance_record;

typedef struct call_record {
    void (*fn)(void *);
    void *user;
} call_record;

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* The largest record of a message of len bytes and n headers: what follows
 * them is at most a whole SDP and the outer layers. */
static size_t message_record_max(size_t len, size_t n)
{
    return sizeof(message_record) + align8(len) + align8(n * sizeof(sl_sip_header)) +
           sizeof(sl_sdp) + sizeof(sl_packet);
}

const sl_sip_msg *sl_stage_handoff_move(sl_pipeline *p, const sl_sip_msg *msg,
                                        const uint8_t **start)
{
    /* Every batch holds a record of tcp.max_message bytes (sl_stage_handoff_new),
     * and no message larger is analysed. */
    message_record *r =
        sl_handoff_reserve(p->handoff, message_record_max(msg->length, msg->n_headers));
    uint8_t *bytes = (uint8_t *)(r + 1);
    memcpy(bytes, *start, msg->length);
    sl_sip_header *headers = (sl_sip_header *)(void *)(bytes + align8(msg->length));
    r->msg = *msg;
    sl_sip_msg_move(&r->msg, headers, *start, bytes);
    r->used = sizeof *r + align8(msg->length) + align8(msg->n_headers * sizeof *headers);
    *start = bytes;
    p->reserved = r;
    return &r->msg;
}

/* A copy of the packet's outer layers without its slices, which point into
 * the frame and are not read from an event's flow. */
static void copy_outer(sl_packet *to, const sl_packet *from)
{
    *to = *from;
    to->ip_payload = sl_slice_make(NULL, 0);
    to->payload = sl_slice_make(NULL, 0);
}

void sl_stage_handoff_message(sl_pipeline *p, const sl_sip_ctx *ctx, bool truncated, unsigned over)
{
    message_record *r = p->reserved;
    uint8_t *at = (uint8_t *)r + r->used;
    r->frame_ts = p->ts;
    r->truncated = truncated;
    r->over = (uint8_t)over;
    r->ctx = *ctx; /* its msg and slices are the record's already */
    if (ctx->sdp) {
        unsigned n = ctx->sdp->n_media < SL_SDP_MAX_MEDIA ? ctx->sdp->n_media : SL_SDP_MAX_MEDIA;
        size_t used = offsetof(sl_sdp, media) + n * sizeof(sl_sdp_media);
        memcpy(at, ctx->sdp, used);
        r->ctx.sdp = (const sl_sdp *)(void *)at;
        at += align8(used);
    }
    if (ctx->flow.outer) {
        copy_outer((sl_packet *)(void *)at, ctx->flow.outer);
        r->ctx.flow.outer = (const sl_packet *)(void *)at;
        at += align8(sizeof(sl_packet));
    }
    sl_handoff_commit(p->handoff, REC_MESSAGE, (size_t)(at - (uint8_t *)r));
}

void sl_stage_handoff_anomaly(sl_pipeline *p, const sl_anomaly_event *ev)
{
    size_t detail_len = ev->detail ? strlen(ev->detail) + 1 : 0;
    size_t call_id_len = ev->head.call_id.len;
    anomaly_record *r =
        sl_handoff_reserve(p->handoff, sizeof *r + align8(call_id_len) + detail_len);
    if (!r)
        return; /* a detail text longer than a batch: none is */
    uint8_t *at = (uint8_t *)(r + 1);
    r->ev = *ev;
    if (ev->head.flow) {
        r->flow = *ev->head.flow;
        r->ev.head.flow = &r->flow;
        if (ev->head.flow->outer) {
            copy_outer(&r->outer, ev->head.flow->outer);
            r->flow.outer = &r->outer;
        }
    }
    if (call_id_len)
        memcpy(at, ev->head.call_id.ptr, call_id_len);
    r->ev.head.call_id = sl_slice_make(call_id_len ? at : NULL, call_id_len);
    at += align8(call_id_len);
    if (ev->detail) {
        memcpy(at, ev->detail, detail_len);
        r->ev.detail = (const char *)at;
        at += detail_len;
    }
    sl_handoff_commit(p->handoff, REC_ANOMALY, (size_t)(at - (uint8_t *)r));
}

void sl_stage_handoff_advance(sl_pipeline *p, const sl_stage_one_stats *one)
{
    size_t size = one ? sizeof(advance_record) : offsetof(advance_record, one);
    advance_record *r = sl_handoff_reserve(p->handoff, size);
    r->clock = p->clock;
    r->stats_due = one != NULL;
    if (one)
        r->one = *one;
    sl_handoff_commit(p->handoff, REC_ADVANCE, size);
}

void sl_stage_handoff_call(sl_pipeline *p, void (*fn)(void *), void *user)
{
    call_record *r = sl_handoff_reserve(p->handoff, sizeof *r);
    r->fn = fn;
    r->user = user;
    sl_handoff_commit(p->handoff, REC_CALL, sizeof *r);
}

/* Stage two's thread: each record, in the order stage one wrote them. */
static void consume(void *user, uint32_t kind, void *record)
{
    sl_pipeline *p = user;
    switch ((enum record_kind)kind) {
    case REC_MESSAGE: {
        const message_record *r = record;
        sl_stage_two_message(p, r->frame_ts, &r->ctx, r->truncated, r->over);
        break;
    }
    case REC_ANOMALY: sl_stage_two_anomaly(p, &((const anomaly_record *)record)->ev); break;
    case REC_ADVANCE: {
        const advance_record *r = record;
        sl_stage_two_advance(p, r->clock, r->stats_due ? &r->one : NULL);
        break;
    }
    case REC_CALL: {
        const call_record *r = record;
        r->fn(r->user);
        break;
    }
    }
}

sl_handoff *sl_stage_handoff_new(sl_pipeline *p)
{
    size_t one =
        message_record_max(p->cfg.tcp.max_message, p->cfg.max_headers) + sizeof(advance_record);
    return sl_handoff_new(one > BATCH_BYTES / 2 ? 2 * one : BATCH_BYTES, consume, p);
}
