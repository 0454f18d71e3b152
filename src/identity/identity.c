/* The identity analyzer: verifies each signed request once per leg and
 * remembers the verdicts (bounded, expiring on capture time) to explain the
 * 428/436/437/438 responses and to find the hop that changed a signed field. */
#include "sipsleuth/identity.h"

#include "check.h"

#include "../hash.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_IDENTITY_HEADERS 8
#define MAX_CALL_ID 256

static const char *const reason_names[SL_IDR__COUNT] = {
    "malformed",    "signature_invalid", "orig_mismatch",    "dest_mismatch",  "iat_stale",
    "alg_mismatch", "ppt_mismatch",      "cert_unavailable", "cert_untrusted", "cert_expired",
};

const char *sl_id_reason_name(sl_id_reason r)
{
    return r < SL_IDR__COUNT ? reason_names[r] : "unknown";
}

/* A request remembered for its response and for later legs of the call. */
typedef struct record {
    bool used;
    sl_time ts;
    char call_id[MAX_CALL_ID];
    size_t call_id_len;
    uint32_t cseq;
    char method[16];
    sl_addr src, dst;
    bool is_signed;
    uint64_t token_hash; /* the same PASSporT on another leg hashes the same */
    bool answered;       /* its rejection was written */
    bool has_modifier;
    sl_addr modified_by;
    sl_identity_result res;
} record;

struct sl_identity {
    sl_identity_config cfg;
    sl_id_checker ck; /* the certificates, the signature cache, the slack */
    sl_output *out;
    /* A ring: the oldest is overwritten once it holds max_records. It grows
     * (doubling) only while it has not wrapped, so until then it is in
     * arrival order and the slots from `next` on are unused. */
    record *records;
    size_t n_slots, next;
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

sl_identity *sl_identity_new(const sl_identity_config *cfg, sl_certstore *cs, sl_output *out)
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
    id->out = out;
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
    free(id->records);
    free(id);
}

void sl_identity_verify(sl_identity *id, const sl_sip_ctx *ctx, const sl_sip_header *identity,
                        sl_identity_result *res)
{
    sl_id_check(&id->ck, ctx, identity, res);
}

static const char *form_name(sl_identity_form f)
{
    switch (f) {
    case SL_IDENTITY_FULL: return "full";
    case SL_IDENTITY_COMPACT: return "compact";
    case SL_IDENTITY_RFC4474: return "rfc4474";
    }
    return "full";
}

/* valid: nothing wrong; unverifiable: nothing wrong that could be judged
 * (the certificate is missing, or a compact SHAKEN token cannot be rebuilt). */
static const char *verdict_of(const sl_identity_result *res)
{
    if (!res->reasons)
        return "valid";
    if (res->reasons == 1u << SL_IDR_CERT_UNAVAILABLE ||
        (res->form == SL_IDENTITY_COMPACT && res->reasons == 1u << SL_IDR_MALFORMED &&
         res->ppt_param[0]))
        return "unverifiable";
    return "invalid";
}

static void kstr_or_null(sl_jw *w, const char *key, const char *s)
{
    if (s && s[0])
        sl_jw_kstr(w, key, s);
    else
        sl_jw_knull(w, key);
}

static void write_identity(sl_identity *id, const sl_sip_ctx *ctx, const sl_identity_result *res,
                           size_t index, size_t count)
{
    const char *verdict = verdict_of(res);
    if (!strcmp(verdict, "valid"))
        id->valid++;
    else if (!strcmp(verdict, "invalid"))
        id->invalid++;
    else
        id->unverifiable++;
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (res->reasons & (1u << r))
            id->reason_counts[r]++;
    sl_jw *w = sl_event_begin(id->out, SL_EV_IDENTITY, ctx->ts, ctx->call_id, &ctx->flow);
    if (!w)
        return;
    sl_jw_kstr(w, "verdict", verdict);
    sl_jw_key(w, "reasons");
    sl_jw_arr_begin(w);
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (res->reasons & (1u << r))
            sl_jw_str(w, reason_names[r]);
    sl_jw_arr_end(w);
    sl_jw_kstr(w, "form", form_name(res->form));
    const sl_passport *pp = &res->pp;
    kstr_or_null(w, "alg", pp->alg[0] ? pp->alg : res->alg_param);
    kstr_or_null(w, "ppt", pp->ppt[0] ? pp->ppt : res->ppt_param);
    kstr_or_null(w, "attest", pp->attest);
    kstr_or_null(w, "orig_tn", res->decoded ? pp->orig_tn : NULL);
    sl_jw_key(w, "dest_tn"); /* always an array: [] when there is no PASSporT */
    sl_jw_arr_begin(w);
    for (size_t i = 0; res->decoded && i < pp->n_dest; i++)
        sl_jw_str(w, pp->dest_tn[i]);
    sl_jw_arr_end(w);
    if (res->decoded || res->form == SL_IDENTITY_RFC4474)
        sl_jw_kint(w, "iat", pp->iat);
    else
        sl_jw_knull(w, "iat");
    kstr_or_null(w, "x5u", pp->x5u[0] ? pp->x5u : res->info);
    /* extensions (README) */
    sl_jw_kbool(w, "chain_checked", res->chain_checked);
    kstr_or_null(w, "detail", res->detail[0] ? res->detail : res->cert_detail);
    kstr_or_null(w, "seen_orig_tn", res->seen_orig);
    kstr_or_null(w, "seen_dest_tn", res->seen_dest);
    if (count > 1) {
        sl_jw_kuint(w, "index", index);
        sl_jw_kuint(w, "count", count);
    }
    sl_event_end(id->out);
}

static void report_flags(sl_identity *id, const sl_sip_ctx *ctx, uint32_t flags)
{
    while (flags) {
        uint32_t bit = flags & (~flags + 1);
        flags &= ~bit;
        sl_jw *w = sl_event_anomaly(id->out, ctx->ts, ctx->call_id, &ctx->flow,
                                    sl_identity_flag_kind(bit));
        if (!w)
            continue;
        sl_jw_kstr(w, "layer", "identity");
        sl_event_end(id->out);
    }
}

/* A cap was reached: an anomaly with a detail text. */
static void report_cap(sl_identity *id, const sl_sip_ctx *ctx, const char *kind, const char *detail)
{
    sl_jw *w = sl_event_anomaly(id->out, ctx->ts, ctx->call_id, &ctx->flow, kind);
    if (!w)
        return;
    sl_jw_kstr(w, "layer", "identity");
    sl_jw_kstr(w, "detail", detail);
    sl_event_end(id->out);
}

static bool same_addr(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static bool same_call(const record *r, sl_slice call_id)
{
    return r->used && r->call_id_len == call_id.len &&
           memcmp(r->call_id, call_id.ptr, call_id.len) == 0;
}

static bool live(const sl_identity *id, const record *r, sl_time now)
{
    return r->used && now - r->ts <= id->cfg.record_ttl * SL_NS_PER_SEC;
}

#define TAMPER_REASONS                                                                             \
    ((1u << SL_IDR_ORIG_MISMATCH) | (1u << SL_IDR_DEST_MISMATCH) | (1u << SL_IDR_SIGNATURE_INVALID))

/* A signed field changed between legs: the sender of the first changed leg
 * (seen after a leg where the same token still matched) changed it. */
static void find_modifier(sl_identity *id, record *nr, sl_time now)
{
    if (!(nr->res.reasons & TAMPER_REASONS))
        return;
    sl_slice call_id = sl_slice_make(nr->call_id, nr->call_id_len);
    bool clean_seen = false;
    for (size_t i = 0; i < id->n_slots; i++) {
        record *r = &id->records[i];
        if (r == nr || !live(id, r, now) || !r->is_signed || r->token_hash != nr->token_hash ||
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

static void on_request(sl_identity *id, const sl_sip_ctx *ctx)
{
    const sl_sip_header *hdrs[MAX_IDENTITY_HEADERS];
    size_t n = 0;
    for (const sl_sip_header *h = sl_sip_find(ctx->msg, SL_HDR_IDENTITY);
         h && n < MAX_IDENTITY_HEADERS; h = sl_sip_find_next(ctx->msg, h))
        hdrs[n++] = h;
    bool invite = sl_slice_eq(ctx->msg->method, "INVITE");
    if (!n && !invite)
        return;
    record *r = next_slot(id);
    if (!r)
        return;
    if (live(id, r, ctx->ts))
        report_cap(id, ctx, "identity_pending_evicted",
                   "a request still awaiting its response was forgotten (max_records)");
    memset(r, 0, sizeof *r);
    r->used = true;
    r->ts = ctx->ts;
    r->call_id_len = ctx->call_id.len < MAX_CALL_ID ? ctx->call_id.len : MAX_CALL_ID;
    memcpy(r->call_id, ctx->call_id.ptr, r->call_id_len);
    r->cseq = ctx->cseq.number;
    sl_id_copy_slice(r->method, sizeof r->method, ctx->msg->method);
    r->src = ctx->flow.src;
    r->dst = ctx->flow.dst;
    r->is_signed = n > 0;
    if (!n)
        return;
    id->requests++;
    bool have_best = false;
    for (size_t i = 0; i < n; i++) {
        sl_identity_result res;
        uint64_t refused = sl_certstore_refused(id->ck.certs);
        sl_identity_verify(id, ctx, hdrs[i], &res);
        if (sl_certstore_refused(id->ck.certs) != refused)
            report_cap(id, ctx, "certstore_full",
                       "a certificate was not looked up: the store is full (max_certs)");
        sl_identity_hdr h;
        if (sl_identity_header_parse(hdrs[i]->value, &h) == SL_OK && h.flags)
            report_flags(id, ctx, h.flags);
        write_identity(id, ctx, &res, i, n);
        /* The request is judged by its best header: a valid one, else the first. */
        if (!have_best || (r->res.reasons && !res.reasons)) {
            r->res = res;
            r->token_hash = sl_hash_bytes(0, hdrs[i]->value.ptr, hdrs[i]->value.len);
            sl_identity_hdr th;
            if (sl_identity_header_parse(hdrs[i]->value, &th) == SL_OK)
                r->token_hash = sl_hash_bytes(0, th.token.ptr, th.token.len);
            have_best = true;
        }
    }
    find_modifier(id, r, ctx->ts);
}

/* The request a response answers: same Call-ID, CSeq and leg. */
static record *request_of(sl_identity *id, const sl_sip_ctx *ctx)
{
    for (size_t k = 0; k < id->n_slots; k++) {
        /* newest first: a re-sent INVITE (new CSeq) wins over an older one */
        size_t i = (id->next + id->n_slots - 1 - k) % id->n_slots;
        record *r = &id->records[i];
        if (!live(id, r, ctx->ts) || !same_call(r, ctx->call_id) || r->cseq != ctx->cseq.number ||
            !sl_slice_eq(ctx->cseq.method, r->method))
            continue;
        if (same_addr(&r->src, &ctx->flow.dst) && same_addr(&r->dst, &ctx->flow.src))
            return r;
    }
    return NULL;
}

static void addr_text(const sl_addr *a, char *out, size_t cap)
{
    if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, out, (socklen_t)cap))
        out[0] = '\0';
}

/* sl_identity_counts.causes index of a cause name from sl_explain_cause(). */
static int cause_index(const char *cause)
{
    if (!cause)
        return SL_ID_CAUSE_NOT_CAPTURED;
    if (!strcmp(cause, "identity_missing"))
        return SL_ID_CAUSE_MISSING;
    for (int r = 0; r < SL_IDR__COUNT; r++)
        if (!strcmp(cause, reason_names[r]))
            return r;
    return SL_ID_CAUSE_NO_FAULT;
}

static void on_rejection(sl_identity *id, const sl_sip_ctx *ctx)
{
    record *r = request_of(id, ctx);
    if (r && r->answered)
        return;
    if (r)
        r->answered = true;
    id->rejections++;
    const sl_identity_result *res = r && r->is_signed ? &r->res : NULL;
    id->cause_counts[cause_index(sl_explain_cause(ctx->msg->status_code, res, r != NULL))]++;
    sl_jw *w = sl_event_begin(id->out, SL_EV_REJECTION, ctx->ts, ctx->call_id, &ctx->flow);
    if (!w)
        return;
    sl_jw_kint(w, "status_code", ctx->msg->status_code);
    sl_explain_write(w, ctx->msg->status_code, res, r != NULL, id->cfg.iat_tolerance);
    const sl_sip_header *reason = sl_sip_find(ctx->msg, SL_HDR_REASON);
    for (; reason; reason = sl_sip_find_next(ctx->msg, reason))
        if (sl_slice_istarts(reason->value, "STIR"))
            break;
    if (reason) {
        uint8_t buf[512];
        sl_jw_key(w, "reason_header");
        sl_jw_bytes(w, buf, sl_sip_unfold(reason->value, buf, sizeof buf));
    } else {
        sl_jw_knull(w, "reason_header");
    }
    const char *cause = sl_explain_cause(ctx->msg->status_code, res, r != NULL);
    if (r && r->has_modifier && cause && res && (res->reasons & TAMPER_REASONS) &&
        (!strcmp(cause, "orig_mismatch") || !strcmp(cause, "dest_mismatch") ||
         !strcmp(cause, "signature_invalid"))) {
        char ip[64];
        addr_text(&r->modified_by, ip, sizeof ip);
        sl_jw_kstr(w, "modified_by", ip);
    } else {
        sl_jw_knull(w, "modified_by");
    }
    sl_event_end(id->out);
}

void sl_identity_on_message(sl_identity *id, const sl_sip_ctx *ctx)
{
    if (ctx->retransmission || !ctx->call_id.len)
        return;
    if (ctx->msg->is_request) {
        on_request(id, ctx);
        return;
    }
    int sc = ctx->msg->status_code;
    if (sc == 428 || (sc >= 436 && sc <= 438))
        on_rejection(id, ctx);
}

void sl_identity_get_counts(const sl_identity *id, sl_identity_counts *out)
{
    *out = (sl_identity_counts){.signed_requests = id->requests,
                                .valid = id->valid,
                                .invalid = id->invalid,
                                .unverifiable = id->unverifiable,
                                .rejections = id->rejections};
    memcpy(out->reasons, id->reason_counts, sizeof out->reasons);
    memcpy(out->causes, id->cause_counts, sizeof out->causes);
}

/* A certificate with its chain and key, roughly, for the memory estimate. */
#define CERT_BYTES 4096

size_t sl_identity_memory(const sl_identity *id)
{
    return sizeof *id + id->n_slots * sizeof *id->records + sl_verifier_memory(id->ck.verifier) +
           sl_certstore_count(id->ck.certs) * CERT_BYTES;
}

void sl_identity_stats(const sl_identity *id, sl_jw *w)
{
    uint64_t checked, hits;
    sl_verifier_stats(id->ck.verifier, &checked, &hits);
    sl_jw_key(w, "identity");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "signed_requests", id->requests);
    sl_jw_kuint(w, "valid", id->valid);
    sl_jw_kuint(w, "invalid", id->invalid);
    sl_jw_kuint(w, "unverifiable", id->unverifiable);
    sl_jw_kuint(w, "signatures_checked", checked);
    sl_jw_kuint(w, "cache_hits", hits);
    sl_jw_kuint(w, "rejections", id->rejections);
    sl_jw_kuint(w, "memory_bytes", sl_identity_memory(id));
    sl_jw_obj_end(w);
}
