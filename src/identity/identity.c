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
    sl_output *out;
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
    for (size_t i = 0; i < id->n_slots; i++)
        free(id->records[i].long_call_id);
    free(id->records);
    free(id);
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
            sl_jw_str(w, sl_id_reason_name((sl_id_reason)r));
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
        report_cap(id, ctx, "identity_pending_evicted",
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
            report_cap(id, ctx, "certstore_full",
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

static void write_reason_header(sl_jw *w, const sl_sip_ctx *ctx)
{
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
}

static void on_rejection(sl_identity *id, const sl_dialogs *dialogs, const sl_sip_ctx *ctx)
{
    int status = ctx->msg->status_code;
    record *r = request_of(id, ctx);
    if (r && r->answered)
        return;
    sl_explain_in in = {.status = status, .iat_tolerance = id->cfg.iat_tolerance};
    sl_dialog_request req;
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
    } else if (dialogs && sl_dialogs_request_for(dialogs, ctx, &req)) {
        in.request = unmatched_request(id, req.time, ctx->ts);
    } else {
        in.request = SL_EXPLAIN_NOT_CAPTURED;
    }
    id->rejections++;
    sl_id_cause cause = sl_explain_cause(&in);
    id->cause_counts[cause]++;
    sl_jw *w = sl_event_begin(id->out, SL_EV_REJECTION, ctx->ts, ctx->call_id, &ctx->flow);
    if (!w)
        return;
    sl_jw_kint(w, "status_code", status);
    sl_explain_write(w, &in);
    write_reason_header(w, ctx);
    if (f && f->has_modifier && (f->res.reasons & TAMPER_REASONS) &&
        (cause == SL_IDR_ORIG_MISMATCH || cause == SL_IDR_DEST_MISMATCH ||
         cause == SL_IDR_SIGNATURE_INVALID)) {
        char ip[64];
        addr_text(&f->modified_by, ip, sizeof ip);
        sl_jw_kstr(w, "modified_by", ip);
    } else {
        sl_jw_knull(w, "modified_by");
    }
    sl_event_end(id->out);
}

void sl_identity_on_message(sl_identity *id, const sl_dialogs *dialogs, const sl_sip_ctx *ctx)
{
    if (ctx->retransmission || !ctx->call_id.len)
        return;
    if (ctx->msg->is_request) {
        on_request(id, ctx);
        return;
    }
    int sc = ctx->msg->status_code;
    if (sc == 428 || (sc >= 436 && sc <= 438))
        on_rejection(id, dialogs, ctx);
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
    return sizeof *id + id->n_slots * sizeof *id->records + id->long_call_id_bytes +
           sl_verifier_memory(id->ck.verifier) + sl_certstore_count(id->ck.certs) * CERT_BYTES;
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
