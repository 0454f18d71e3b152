/* The identity analyzer: verifies each signed request once per leg and
 * remembers the verdicts (bounded, expiring on capture time) to explain the
 * 428/436/437/438 responses and to find the hop that changed a signed field. */
#include "sipsleuth/identity.h"

#include "check.h"

#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/identity_event.h"

#include "../hash.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_IDENTITY_HEADERS 8
#define MAX_CALL_ID 256

/* A signed request remembered for its response and for later legs of the
 * call. Unsigned requests get none: the dialog tracker already knows every
 * request, which is all a 428 explanation needs (see on_rejection). */
typedef struct record {
    bool used;
    sl_time ts;
    char call_id[MAX_CALL_ID]; /* inline; a longer Call-ID is in long_call_id */
    char *long_call_id;        /* owned; bounded by the SIP message cap */
    size_t call_id_len;
    uint32_t cseq;
    char method[16];
    sl_addr src, dst;
    uint64_t via_hash;   /* top Via branch and sent-by: a response carries it back */
    uint64_t token_hash; /* the same PASSporT on another leg hashes the same */
    int answered;        /* the status of the rejection written for it; 0 none */
    bool has_modifier;
    sl_addr modified_by;
    sl_identity_result res;
} record;

struct sl_identity {
    sl_identity_config cfg;
    sl_id_checker ck; /* the certificates, the signature cache, the slack */
    sl_sink sink;
    /* A ring: the oldest is overwritten once it holds max_records. It grows
     * (doubling) only while it has not wrapped, so until then it is in
     * arrival order and the slots from `next` on are unused. Not on
     * lru_table: the lookups scan it in slot order, which decides between
     * records that both match (find_modifier, downstream_finding). */
    record *records;
    size_t n_slots, next;
    size_t long_call_id_bytes;
    /* The newest request forgotten before its time (evicted while live, or
     * not stored): requests seen after it are all still held. */
    bool forgot_any;
    sl_time forgot_ts;
    uint64_t requests, valid, invalid, unverifiable, rejections;
    uint64_t reason_counts[SL_IDR__COUNT];
    uint64_t cause_counts[SL_ID_CAUSE__COUNT];
};

void sl_identity_config_default(sl_identity_config *cfg)
{
    cfg->iat_tolerance = 60;
    cfg->max_records = 4096;
    cfg->record_ttl = 300;
    cfg->max_certs = SL_CERTSTORE_MAX;
}

sl_identity *sl_identity_new(const sl_identity_config *cfg, sl_certstore *cs, const sl_sink *sink)
{
    sl_identity *id = calloc(1, sizeof *id);
    if (!id) {
        sl_certstore_free(cs);
        return NULL;
    }
    if (cfg)
        id->cfg = *cfg;
    else
        sl_identity_config_default(&id->cfg);
    if (!id->cfg.max_records)
        id->cfg.max_records = 1;
    if (!id->cfg.max_certs)
        id->cfg.max_certs = SL_CERTSTORE_MAX;
    id->ck.certs = cs;
    id->ck.iat_tolerance = id->cfg.iat_tolerance;
    id->sink = *sink;
    id->ck.verifier = sl_verifier_new(4096);
    if (!id->ck.verifier || !cs || !sl_certstore_set_max(cs, id->cfg.max_certs)) {
        sl_identity_free(id);
        return NULL;
    }
    return id;
}

void sl_identity_free(sl_identity *id)
{
    if (!id)
        return;
    sl_certstore_free(id->ck.certs);
    sl_verifier_free(id->ck.verifier);
    for (size_t i = 0; i < id->n_slots; i++)
        free(id->records[i].long_call_id);
    free(id->records);
    free(id);
}

/* valid: nothing wrong; unverifiable: nothing wrong that could be judged
 * (the certificate is missing, or a compact SHAKEN token cannot be rebuilt). */
static sl_id_verdict verdict_of(const sl_identity_result *res)
{
    if (!res->reasons)
        return SL_ID_VALID;
    if (res->reasons == 1u << SL_IDR_CERT_UNAVAILABLE ||
        (res->form == SL_IDENTITY_COMPACT && res->reasons == 1u << SL_IDR_MALFORMED &&
         res->ppt_param[0]))
        return SL_ID_UNVERIFIABLE;
    return SL_ID_INVALID;
}

static void write_identity(sl_identity *id, const sl_sip_ctx *ctx, const sl_identity_result *res,
                           size_t index, size_t count)
{
    sl_id_verdict verdict = verdict_of(res);
    if (verdict == SL_ID_VALID)
        id->valid++;
    else if (verdict == SL_ID_INVALID)
        id->invalid++;
    else
        id->unverifiable++;
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (res->reasons & (1u << r))
            id->reason_counts[r]++;
    if (!sl_sink_wants(&id->sink, SL_EV_IDENTITY))
        return;
    sl_identity_event ev = {
        .head = {.type = SL_EV_IDENTITY,
                 .ts = ctx->ts,
                 .call_id = ctx->call_id,
                 .flow = &ctx->flow},
        .verdict = verdict,
        .res = res,
        .index = index,
        .count = count,
    };
    sl_sink_emit(&id->sink, &ev.head);
}

static void report_flags(sl_identity *id, const sl_sip_ctx *ctx, uint32_t flags)
{
    while (flags) {
        uint32_t bit = flags & (~flags + 1);
        flags &= ~bit;
        sl_anomaly_event ev =
            sl_anomaly_event_make(sl_identity_flag_kind(bit), ctx->ts, ctx->call_id, &ctx->flow);
        ev.layer = sl_anomaly_layer(ev.kind);
        sl_sink_emit_anomaly(&id->sink, &ev);
    }
}

/* A cap was reached: an anomaly with a detail text. */
static void report_cap(sl_identity *id, const sl_sip_ctx *ctx, sl_anomaly_kind kind,
                       const char *detail)
{
    sl_anomaly_event ev = sl_anomaly_event_make(kind, ctx->ts, ctx->call_id, &ctx->flow);
    ev.layer = sl_anomaly_layer(kind);
    ev.detail = detail;
    sl_sink_emit_anomaly(&id->sink, &ev);
}

static bool same_addr(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static const char *call_id_of(const record *r)
{
    return r->long_call_id ? r->long_call_id : r->call_id;
}

/* The whole Call-ID is compared: two calls may share a long prefix. */
static bool same_call(const record *r, sl_slice call_id)
{
    return r->used && r->call_id_len == call_id.len &&
           memcmp(call_id_of(r), call_id.ptr, call_id.len) == 0;
}

static bool live(const sl_identity *id, const record *r, sl_time now)
{
    return r->used && now - r->ts <= id->cfg.record_ttl * SL_NS_PER_SEC;
}

/* The top Via as a response carries it back (0 without a branch). */
static uint64_t via_hash_of(const sl_sip_ctx *ctx)
{
    if (!ctx->via_branch.len)
        return 0;
    uint64_t h = sl_hash_bytes(0, ctx->via_branch.ptr, ctx->via_branch.len);
    h = sl_hash_bytes(h, ctx->via_sent_by.ptr, ctx->via_sent_by.len);
    return h ? h : 1;
}

#define TAMPER_REASONS                                                                             \
    ((1u << SL_IDR_ORIG_MISMATCH) | (1u << SL_IDR_DEST_MISMATCH) | (1u << SL_IDR_SIGNATURE_INVALID))
/* Findings that need no certificate to make, or that the certificate made. */
#define FAULT_REASONS (~(1u << SL_IDR_CERT_UNAVAILABLE))

/* A signed field changed between legs: the sender of the first changed leg
 * (seen after a leg where the same token still matched) changed it. */
static void find_modifier(sl_identity *id, record *nr, sl_time now)
{
    if (!(nr->res.reasons & TAMPER_REASONS))
        return;
    sl_slice call_id = sl_slice_make(call_id_of(nr), nr->call_id_len);
    bool clean_seen = false;
    for (size_t i = 0; i < id->n_slots; i++) {
        record *r = &id->records[i];
        if (r == nr || !live(id, r, now) || r->token_hash != nr->token_hash ||
            !same_call(r, call_id))
            continue;
        if (r->has_modifier) {
            nr->has_modifier = true;
            nr->modified_by = r->modified_by;
            return;
        }
        if (!(r->res.reasons & TAMPER_REASONS))
            clean_seen = true;
    }
    if (clean_seen) {
        nr->has_modifier = true;
        nr->modified_by = nr->src;
    }
}

/* The slot for a new request: the next one of the ring, which first grows
 * towards max_records (when it cannot, it wraps early). NULL without any. */
static record *next_slot(sl_identity *id)
{
    if (id->next == id->n_slots && id->n_slots < id->cfg.max_records) {
        size_t n = id->n_slots ? id->n_slots * 2 : 16;
        if (n > id->cfg.max_records)
            n = id->cfg.max_records;
        record *grown = realloc(id->records, n * sizeof *grown);
        if (grown) {
            memset(grown + id->n_slots, 0, (n - id->n_slots) * sizeof *grown);
            id->records = grown;
            id->n_slots = n;
        }
    }
    if (!id->n_slots)
        return NULL;
    id->next %= id->n_slots;
    return &id->records[id->next++];
}

static void forgot(sl_identity *id, sl_time ts)
{
    if (!id->forgot_any || ts > id->forgot_ts)
        id->forgot_ts = ts;
    id->forgot_any = true;
}

/* A slot filled with the request's keys; NULL (and the request counted as
 * forgotten) when there is no memory for it. */
static record *remember(sl_identity *id, const sl_sip_ctx *ctx)
{
    record *r = next_slot(id);
    char *long_id = r && ctx->call_id.len > MAX_CALL_ID ? malloc(ctx->call_id.len) : NULL;
    if (!r || (ctx->call_id.len > MAX_CALL_ID && !long_id)) {
        forgot(id, ctx->ts);
        return NULL;
    }
    if (live(id, r, ctx->ts)) {
        forgot(id, r->ts);
        report_cap(id, ctx, SL_ANOM_IDENTITY_PENDING_EVICTED,
                   "a signed request still awaiting its response was forgotten (max_records)");
    }
    if (r->long_call_id)
        id->long_call_id_bytes -= r->call_id_len;
    free(r->long_call_id);
    memset(r, 0, sizeof *r);
    r->used = true;
    r->ts = ctx->ts;
    r->call_id_len = ctx->call_id.len;
    r->long_call_id = long_id;
    if (long_id)
        id->long_call_id_bytes += ctx->call_id.len;
    memcpy(long_id ? long_id : r->call_id, ctx->call_id.ptr, ctx->call_id.len);
    r->cseq = ctx->cseq.number;
    sl_id_copy_slice(r->method, sizeof r->method, ctx->msg->method);
    r->src = ctx->flow.src;
    r->dst = ctx->flow.dst;
    r->via_hash = via_hash_of(ctx);
    return r;
}

static void on_request(sl_identity *id, const sl_sip_ctx *ctx)
{
    const sl_sip_header *hdrs[MAX_IDENTITY_HEADERS];
    size_t n = 0;
    for (const sl_sip_header *h = sl_sip_find(ctx->msg, SL_HDR_IDENTITY);
         h && n < MAX_IDENTITY_HEADERS; h = sl_sip_find_next(ctx->msg, h))
        hdrs[n++] = h;
    if (!n)
        return;
    id->requests++;
    record *r = remember(id, ctx); /* NULL: verified and reported, not remembered */
    bool have_best = false;
    for (size_t i = 0; i < n; i++) {
        sl_identity_hdr h;
        bool parsed = sl_identity_header_parse(hdrs[i]->value, &h) == SL_OK;
        sl_identity_result res;
        uint64_t refused = sl_certstore_refused(id->ck.certs);
        sl_id_check(&id->ck, ctx, &h, parsed, &res);
        if (sl_certstore_refused(id->ck.certs) != refused)
            report_cap(id, ctx, SL_ANOM_CERTSTORE_FULL,
                       "a certificate was not looked up: the store is full (max_certs)");
        if (parsed && h.flags)
            report_flags(id, ctx, h.flags);
        write_identity(id, ctx, &res, i, n);
        /* The request is judged by its best header: a valid one, else the first. */
        if (r && (!have_best || (r->res.reasons && !res.reasons))) {
            r->res = res;
            r->token_hash = parsed ? sl_hash_bytes(0, h.token.ptr, h.token.len)
                                   : sl_hash_bytes(0, hdrs[i]->value.ptr, hdrs[i]->value.len);
            have_best = true;
        }
    }
    if (r)
        find_modifier(id, r, ctx->ts);
}

/* The request a response answers: same Call-ID and CSeq, on the same leg
 * (the addresses reversed, or the top Via the response carries back). */
static record *request_of(sl_identity *id, const sl_sip_ctx *ctx)
{
    uint64_t via = via_hash_of(ctx);
    for (size_t k = 0; k < id->n_slots; k++) {
        /* newest first: a re-sent INVITE (new CSeq) wins over an older one */
        size_t i = (id->next + id->n_slots - 1 - k) % id->n_slots;
        record *r = &id->records[i];
        if (!live(id, r, ctx->ts) || !same_call(r, ctx->call_id) || r->cseq != ctx->cseq.number ||
            !sl_slice_eq(ctx->cseq.method, r->method))
            continue;
        if ((same_addr(&r->src, &ctx->flow.dst) && same_addr(&r->dst, &ctx->flow.src)) ||
            (via && r->via_hash == via))
            return r;
    }
    return NULL;
}

/* For a rejection on leg r whose request shows no fault of its own: the
 * request of another leg of the same call and transaction that does. A
 * proxy relays the downstream verifier's 438 upstream, where the token may
 * still be intact; the rejection means the downstream finding. The leg
 * already answered with this status is the one the verifier rejected; else
 * the newest such leg, nearest the verifier (the relayed response may be
 * captured before the downstream one). */
static const record *downstream_finding(sl_identity *id, const record *r, int status, sl_time now)
{
    if (r->res.reasons & FAULT_REASONS)
        return NULL;
    sl_slice call_id = sl_slice_make(call_id_of(r), r->call_id_len);
    const record *best = NULL;
    for (size_t i = 0; i < id->n_slots; i++) {
        const record *f = &id->records[i];
        if (f == r || !live(id, f, now) || !same_call(f, call_id) || f->cseq != r->cseq ||
            strcmp(f->method, r->method) != 0 || !(f->res.reasons & FAULT_REASONS) ||
            (same_addr(&f->src, &r->src) && same_addr(&f->dst, &r->dst)))
            continue;
        bool rejected = f->answered == status;
        if (!best || (rejected && best->answered != status) ||
            (rejected == (best->answered == status) && f->ts > best->ts))
            best = f;
    }
    return best;
}

/* When the dialog tracker saw the request at req_time and no signed record
 * matches: unsigned, unless a signed one could have been forgotten (the
 * ring forgets in arrival order; records expire after record_ttl). */
static sl_explain_request unmatched_request(const sl_identity *id, sl_time req_time, sl_time now)
{
    if ((id->forgot_any && req_time <= id->forgot_ts) ||
        now - req_time > id->cfg.record_ttl * SL_NS_PER_SEC)
        return SL_EXPLAIN_FORGOTTEN;
    return SL_EXPLAIN_UNSIGNED;
}

static void addr_text(const sl_addr *a, char *out, size_t cap)
{
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, out, (socklen_t)cap))
        out[0] = '\0';
}

/* The response's Reason header with protocol STIR, if any. */
static const sl_sip_header *stir_reason(const sl_sip_ctx *ctx)
{
    const sl_sip_header *reason = sl_sip_find(ctx->msg, SL_HDR_REASON);
    for (; reason; reason = sl_sip_find_next(ctx->msg, reason))
        if (sl_slice_istarts(reason->value, "STIR"))
            break;
    return reason;
}

static void on_rejection(sl_identity *id, const sl_sip_ctx *ctx, const sl_txn_verdict *v)
{
    int status = ctx->msg->status_code;
    record *r = request_of(id, ctx);
    if (r && r->answered)
        return;
    sl_explain_in in = {.status = status, .iat_tolerance = id->cfg.iat_tolerance};
    const record *f = NULL; /* the record whose finding explains it */
    char found_on[64];
    if (r) {
        r->answered = status;
        f = downstream_finding(id, r, status, ctx->ts);
        if (f) {
            addr_text(&f->dst, found_on, sizeof found_on);
            in.found_on = found_on;
        } else {
            f = r;
        }
        in.request = SL_EXPLAIN_SIGNED;
        in.res = &f->res;
    } else if (v->has_request) {
        in.request = unmatched_request(id, v->request.time, ctx->ts);
    } else {
        in.request = SL_EXPLAIN_NOT_CAPTURED;
    }
    id->rejections++;
    sl_id_cause cause = sl_explain_cause(&in);
    id->cause_counts[cause]++;
    if (!sl_sink_wants(&id->sink, SL_EV_REJECTION))
        return;
    sl_explanation x;
    sl_explain(&in, &x);
    const sl_sip_header *reason = stir_reason(ctx);
    char ip[64];
    bool modified = f && f->has_modifier && (f->res.reasons & TAMPER_REASONS) &&
                    (cause == SL_IDR_ORIG_MISMATCH || cause == SL_IDR_DEST_MISMATCH ||
                     cause == SL_IDR_SIGNATURE_INVALID);
    if (modified)
        addr_text(&f->modified_by, ip, sizeof ip);
    sl_rejection_event ev = {
        .head = {.type = SL_EV_REJECTION,
                 .ts = ctx->ts,
                 .call_id = ctx->call_id,
                 .flow = &ctx->flow},
        .status_code = status,
        .explanation = &x,
        .res = in.res,
        .iat_tolerance = in.iat_tolerance,
        .has_reason_header = reason != NULL,
        .reason_header = reason ? reason->value : sl_slice_make(NULL, 0),
        .modified_by = modified ? ip : NULL,
    };
    sl_sink_emit(&id->sink, &ev.head);
}

void sl_identity_on_message(sl_identity *id, const sl_sip_ctx *ctx, const sl_txn_verdict *v)
{
    if (v->retransmission || !ctx->call_id.len)
        return;
    if (ctx->msg->is_request) {
        on_request(id, ctx);
        return;
    }
    int sc = ctx->msg->status_code;
    if (sc == 428 || (sc >= 436 && sc <= 438))
        on_rejection(id, ctx, v);
}

void sl_identity_get_counts(const sl_identity *id, sl_identity_counts *out)
{
    *out = (sl_identity_counts){.signed_requests = id->requests,
                                .valid = id->valid,
                                .invalid = id->invalid,
                                .unverifiable = id->unverifiable,
                                .rejections = id->rejections};
    sl_verifier_stats(id->ck.verifier, &out->signatures_checked, &out->cache_hits);
    memcpy(out->reasons, id->reason_counts, sizeof out->reasons);
    memcpy(out->causes, id->cause_counts, sizeof out->causes);
}

/* A certificate with its chain and key, roughly, for the memory estimate. */
#define CERT_BYTES 4096

size_t sl_identity_memory(const sl_identity *id)
{
    return sizeof *id + id->n_slots * sizeof *id->records + id->long_call_id_bytes +
           sl_verifier_memory(id->ck.verifier) + sl_certstore_count(id->ck.certs) * CERT_BYTES;
}
