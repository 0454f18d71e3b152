/* The dialog tracker: call attempts per (Call-ID, leg), their transactions,
 * timers on capture time, bounded state, and the `dialog` events.
 *
 * One chained hash table keyed by the Call-ID holds every record of a call:
 * its attempts on each leg (the IP pair the initial INVITE travelled between)
 * and a group of the transactions that belong to no attempt (REGISTER,
 * OPTIONS, out-of-dialog requests...). A message costs one hash of its
 * Call-ID and a walk of that Call-ID's few records.
 *
 * This file matches each message to its records and runs the call attempt
 * state machine; the records themselves (memory, caps, timers, events) are
 * dialog_table.c's. */
#include "dialog_table.h"

#include "hash.h"
#include "slice_lit.h"

typedef struct cand {
    rec *r;
    bool same_pair, same_ports;
} cand;

static uint64_t call_id_hash(uint64_t seed, sl_slice call_id)
{
    return sl_hash_bytes(seed ^ UINT64_C(0x5bd1e995), call_id.ptr, call_id.len);
}

/* Constant-size compares, which the compiler inlines: collect() compares up
 * to four addresses a record. */
static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == 4)
        return memcmp(a->bytes, b->bytes, 4) == 0;
    return memcmp(a->bytes, b->bytes, 16) == 0;
}

/* ---- matching ---- */

static size_t collect(const sl_dialogs *d, uint64_t h, const sl_sip_ctx *c, cand *out)
{
    size_t n = 0;
    for (sl_lru_node *e = sl_lru_first(&d->recs, h); e && n < SAME_CALL_MAX; e = sl_lru_next(e)) {
        rec *r = (rec *)e;
        if (r->len_call_id != c->call_id.len ||
            memcmp(r->data, c->call_id.ptr, c->call_id.len) != 0)
            continue;
        const sl_flow *f = &c->flow;
        bool fwd = addr_eq(&r->caller, &f->src) && addr_eq(&r->callee, &f->dst);
        bool rev = addr_eq(&r->caller, &f->dst) && addr_eq(&r->callee, &f->src);
        out[n].r = r;
        out[n].same_pair = fwd || rev;
        out[n].same_ports = (fwd && r->cport == f->sport && r->eport == f->dport) ||
                            (rev && r->cport == f->dport && r->eport == f->sport);
        n++;
    }
    return n;
}

/* The record holding transaction (key, m) on the message's leg, or when
 * any_leg, on another leg if not on its own. A request passes over the
 * transactions known only from responses (skip SL_TXN_NO_REQUEST). */
static bool find_txn(cand *c, size_t n, bool any_leg, uint64_t key, sl_method m, unsigned skip,
                     rec **r, int *idx)
{
    int best = -1, best_idx = -1;
    for (size_t i = 0; i < n; i++) {
        if (!any_leg && !c[i].same_pair)
            continue;
        int t = sl_txn_set_find(&c[i].r->txns, key, m, skip);
        if (t < 0)
            continue;
        if (best < 0 || (c[i].same_pair && !c[best].same_pair)) {
            best = (int)i;
            best_idx = t;
        }
    }
    if (best < 0)
        return false;
    *r = c[best].r;
    *idx = best_idx;
    return true;
}

/* A response whose Via branch matches no transaction (a hop that rewrote it,
 * or a damaged capture): the newest transaction on its leg with its CSeq
 * number and method, as RFC 2543 peers would match it. */
static bool find_txn_by_cseq(cand *c, size_t n, const msgv *m, rec **r, int *idx)
{
    for (size_t i = 0; i < n; i++) {
        if (!c[i].same_pair)
            continue;
        int t = sl_txn_set_find_cseq(&c[i].r->txns, m->ctx->cseq.number, m->meth);
        if (t >= 0 && (!*r || c[i].r->serial > (*r)->serial)) {
            *r = c[i].r;
            *idx = t;
        }
    }
    return *r != NULL;
}

static bool answered(const rec *r)
{
    return r->final_status >= 200 && r->final_status < 300;
}

/* Is `tag` one of the callee's dialogs of this attempt (the winner or an
 * early dialog of any fork)? */
static bool callee_tag_known(const rec *r, uint64_t tag)
{
    if (answered(r) && tag == r->winner_h)
        return true;
    for (unsigned i = 0; i < r->n_early; i++)
        if (r->early[i] == tag)
            return true;
    return r->early_overflow || (!answered(r) && r->n_early == 0);
}

static bool tags_match(const rec *r, const msgv *m)
{
    return (m->from_h == r->from_tag_h && callee_tag_known(r, m->to_h)) ||
           (m->to_h == r->from_tag_h && callee_tag_known(r, m->from_h));
}

static bool better(const cand *a, const cand *b)
{
    bool a_open = a->r->phase != P_ENDED, b_open = b->r->phase != P_ENDED;
    if (a_open != b_open)
        return a_open;
    if (a->same_ports != b->same_ports)
        return a->same_ports;
    return a->r->serial > b->r->serial;
}

/* The attempts an in-dialog request belongs to: the best one on its leg, or
 * else every leg with these tags (a request that bypasses a proxy which did
 * not Record-Route ends the call on all its legs). */
static size_t match_dialogs(cand *c, size_t n, const msgv *m, rec **hits)
{
    int best = -1;
    for (size_t i = 0; i < n; i++)
        if (c[i].same_pair && c[i].r->kind == K_ATTEMPT && tags_match(c[i].r, m) &&
            (best < 0 || better(&c[i], &c[best])))
            best = (int)i;
    if (best >= 0) {
        hits[0] = c[best].r;
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (c[i].r->kind == K_ATTEMPT && tags_match(c[i].r, m))
            hits[k++] = c[i].r;
    return k;
}

/* ---- the call attempt state machine ---- */

static void new_attempt(sl_dialogs *d, const msgv *m, uint64_t h)
{
    uint32_t leg, attempt;
    sl_numbering_next(d->numbering, h, m->ctx->call_id, &m->ctx->flow, d->clock, &d->recs.bytes,
                      &leg, &attempt);
    /* Candidates gathered before this are stale from here: creating may evict. */
    rec *r = sl_dialog_rec_new(d, m, h, K_ATTEMPT);
    if (!r)
        return;
    sl_txn *t = sl_dialog_txn_new(d, r, m, SL_M_INVITE, true);
    if (!t) {
        sl_dialog_rec_free(d, r);
        return;
    }
    t->flags |= SL_TXN_INITIAL;
    r->cseq_initial = t->cseq;
    r->leg = leg;
    r->attempt = attempt;
    r->t_invite = m->ctx->ts;
    r->t_18x = r->t_final = r->t_bye = SL_DIALOG_NO_TIME;
    r->from_tag_h = m->from_h;
    d->n_active++;
    d->created++;
    sl_dialog_count(d, r, m, false);
}

static void add_early_tag(rec *r, uint64_t tag)
{
    for (unsigned i = 0; i < r->n_early; i++)
        if (r->early[i] == tag)
            return;
    if (r->n_early < EARLY_TAGS)
        r->early[r->n_early++] = tag;
    else
        r->early_overflow = true;
}

/* The attempt waiting for a retry after a 401/407 that this INVITE (new, no
 * To tag) answers: same leg and From tag, a higher CSeq (RFC 3261 22.2). */
static rec *challenged_attempt(cand *c, size_t n, const msgv *m)
{
    rec *best = NULL;
    if (!m->ctx->has_cseq)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        rec *r = c[i].r;
        if (c[i].same_pair && r->kind == K_ATTEMPT && r->phase == P_CHALLENGED &&
            r->from_tag_h == m->from_h && m->ctx->cseq.number > r->cseq_initial &&
            (!best || r->serial > best->serial))
            best = r;
    }
    return best;
}

/* The retry with credentials continues the challenged attempt: its final
 * response decides the outcome, its timer starts again. */
static void retry_after_challenge(sl_dialogs *d, rec *r, const msgv *m)
{
    sl_txn *t = sl_dialog_txn_new(d, r, m, SL_M_INVITE, true);
    if (t)
        t->flags |= SL_TXN_INITIAL;
    r->cseq_initial = m->ctx->cseq.number;
    r->final_status = 0;
    r->len_final_reason = 0;
    r->t_final = SL_DIALOG_NO_TIME;
    sl_dialog_set_phase(d, r, P_CALLING);
    sl_dialog_count(d, r, m, false);
}

/* Keeps the Reason of a message that ends (or cancels) the attempt: its
 * Q.850 value when it has one (the most telling), else its first. A message
 * without one leaves what an earlier one said (a 487 after a CANCEL). */
static void note_reason(rec *r, const sl_sip_msg *msg)
{
    sl_sip_reason best = {0}, v;
    bool found = false;
    for (const sl_sip_header *h = sl_sip_find(msg, SL_HDR_REASON); h; h = sl_sip_find_next(msg, h))
        for (sl_slice rest = h->value; sl_sip_reason_next(&rest, &v);)
            if (!found || (v.protocol == SL_REASON_Q850 && best.protocol != SL_REASON_Q850)) {
                best = v;
                found = true;
            }
    if (!found)
        return;
    r->has_end_reason = true;
    r->end_protocol = (uint8_t)best.protocol;
    r->end_has_cause = best.has_cause;
    r->end_cause = best.cause;
}

/* A response to one of the attempt's INVITEs (not a retransmission). */
static void invite_response(sl_dialogs *d, rec *r, const msgv *m, int st)
{
    sl_time ts = m->ctx->ts;
    if (r->phase == P_ENDED)
        return;
    if (st < 200) {
        if (st >= 180 && st < 190 && r->t_18x == SL_DIALOG_NO_TIME)
            r->t_18x = ts;
        if (st == 180)
            r->ringing = true;
        if (st > 100 && m->ctx->msg->body.len > 0)
            r->early_media = true;
        if (st > 100 && m->has_to_tag)
            add_early_tag(r, m->to_h);
        if (r->phase != P_ANSWERED)
            sl_dialog_set_phase(d, r, P_PROCEEDING);
        return;
    }
    if (r->phase == P_ANSWERED)
        return; /* another branch answered too, or a late final: the first 2xx won */
    r->final_status = (uint16_t)st;
    r->t_final = ts;
    sl_slice phrase = m->ctx->msg->reason;
    r->len_final_reason =
        (uint8_t)(phrase.len < sizeof r->final_reason ? phrase.len : sizeof r->final_reason);
    if (r->len_final_reason)
        memcpy(r->final_reason, phrase.ptr, r->len_final_reason);
    if (st == 401 || st == 407) {
        if (r->n_challenges < SL_DIALOG_CHALLENGES_KEPT)
            r->challenges[r->n_challenges++] = (uint16_t)st;
        r->auth_challenges++;
        sl_dialog_set_phase(d, r, P_CHALLENGED);
        return;
    }
    if (st < 300) {
        r->winner_h = m->to_h;
        sl_slice tag = m->ctx->to_tag;
        r->len_tag = (uint8_t)(tag.len < TAG_MAX ? tag.len : TAG_MAX);
        if (r->len_tag)
            memcpy(r_tag(r), tag.ptr, r->len_tag);
        sl_dialog_set_phase(d, r, P_ANSWERED);
        return;
    }
    note_reason(r, m->ctx->msg);
    sl_dialog_state st_out = st < 400    ? SL_DIALOG_REDIRECTED
                             : st == 487 ? SL_DIALOG_CANCELLED
                                         : SL_DIALOG_FAILED;
    sl_dialog_close_attempt(d, r, st_out, SL_CLOSE_MESSAGE, ts);
}

/* A new in-dialog request on an attempt. */
static void in_dialog_request(sl_dialogs *d, rec *r, const msgv *m)
{
    if (m->meth == SL_M_INVITE) {
        r->reinvites++;
        return;
    }
    if (m->meth != SL_M_BYE || r->phase != P_ANSWERED)
        return;
    const sl_sip_ctx *c = m->ctx;
    bool by_caller;
    if (r->from_tag_h == r->winner_h) /* both sides use the same tag: go by address */
        by_caller = addr_eq(&c->flow.src, &r->caller);
    else
        by_caller = m->from_h == r->from_tag_h;
    /* A BYE on a losing fork's dialog does not end the call. */
    if ((by_caller ? m->to_h : m->from_h) != r->winner_h)
        return;
    r->t_bye = c->ts;
    r->ended_by_caller = by_caller;
    note_reason(r, c->msg);
    sl_dialog_close_attempt(d, r, SL_DIALOG_COMPLETED, SL_CLOSE_MESSAGE, c->ts);
}

static rec *other_group(cand *c, size_t n)
{
    rec *g = NULL;
    for (size_t i = 0; i < n; i++)
        if (c[i].same_pair && c[i].r->kind == K_OTHER && (!g || c[i].r->serial > g->serial))
            g = c[i].r;
    return g;
}

static void on_request(sl_dialogs *d, const msgv *m, cand *c, size_t n, uint64_t h)
{
    rec *r;
    int i;
    /* Retransmissions are judged per leg: a hop that forwards a request
     * without adding a Via must not look like a retransmission. Only an
     * in-dialog request seen where the call has no leg (it bypasses a proxy)
     * is matched on the call's other legs. */
    bool any_leg = m->has_to_tag;
    for (size_t j = 0; j < n && any_leg; j++)
        if (c[j].same_pair)
            any_leg = false;
    /* An ACK with its INVITE's key acknowledges a non-2xx final (or, for
     * RFC 2543 peers, any final): part of the INVITE transaction. */
    const unsigned skip = SL_TXN_NO_REQUEST;
    if (m->meth == SL_M_ACK && find_txn(c, n, any_leg, m->key, SL_M_INVITE, skip, &r, &i)) {
        sl_txn *t = sl_txn_set_at(&r->txns, i);
        bool again = t->flags & SL_TXN_ACKED;
        t->flags |= SL_TXN_ACKED;
        if (again)
            d->ms[SL_M_ACK].retransmissions++;
        else
            d->ms[SL_M_ACK].requests++;
        sl_dialog_count(d, r, m, again);
        return;
    }
    if (find_txn(c, n, any_leg, m->key, m->meth, skip, &r, &i)) {
        d->ms[m->meth].retransmissions++;
        sl_dialog_count(d, r, m, true);
        return;
    }
    /* A CANCEL carries the key of the INVITE it cancels. */
    if (m->meth == SL_M_CANCEL && find_txn(c, n, any_leg, m->key, SL_M_INVITE, skip, &r, &i)) {
        bool initial = sl_txn_set_at(&r->txns, i)->flags & SL_TXN_INITIAL;
        if (sl_dialog_txn_new(d, r, m, SL_M_CANCEL, true) && r->kind == K_ATTEMPT && initial &&
            r->phase != P_ENDED) {
            r->cancelled = true;
            note_reason(r, m->ctx->msg);
        }
        sl_dialog_count(d, r, m, false);
        return;
    }
    if (m->meth == SL_M_INVITE && !m->has_to_tag) {
        rec *challenged = challenged_attempt(c, n, m);
        if (challenged)
            retry_after_challenge(d, challenged, m);
        else
            new_attempt(d, m, h);
        return;
    }
    if (m->has_to_tag) {
        rec *hits[SAME_CALL_MAX];
        size_t k = match_dialogs(c, n, m, hits);
        for (size_t j = 0; j < k; j++) {
            sl_dialog_txn_new(d, hits[j], m, m->meth, j == 0);
            sl_dialog_count(d, hits[j], m, false);
            in_dialog_request(d, hits[j], m);
        }
        if (k)
            return;
    }
    rec *g = other_group(c, n);
    if (!g)
        g = sl_dialog_rec_new(d, m, h, K_OTHER);
    if (!g)
        return;
    sl_dialog_txn_new(d, g, m, m->meth, true);
    sl_dialog_count(d, g, m, false);
}

/* RSeq of a reliable provisional response (RFC 3262), 0 when it has none:
 * it tells a new 18x from a retransmitted one. */
static uint32_t rseq_of(const sl_sip_msg *msg)
{
    for (size_t i = 0; i < msg->n_headers; i++) {
        const sl_sip_header *h = &msg->headers[i];
        if (h->id != SL_HDR_OTHER || !SL_IEQ_LIT(h->name, "rseq"))
            continue;
        uint64_t v; /* 1 to 2^31 - 1 (RFC 3262 7.1) */
        return sl_slice_to_u64(h->value, UINT32_MAX, &v) ? (uint32_t)v : 0;
    }
    return 0;
}

/* A response whose request was not captured: kept as a transaction of the
 * call's group on this leg, so that the same response seen again is known as
 * a retransmission. */
static void remember_unmatched(sl_dialogs *d, const msgv *m, cand *c, size_t n, uint64_t h,
                               uint32_t sig)
{
    int st = m->ctx->msg->status_code;
    rec *g = other_group(c, n);
    if (!g)
        g = sl_dialog_rec_new(d, m, h, K_OTHER);
    if (!g)
        return;
    sl_txn *t = sl_dialog_txn_new(d, g, m, m->meth, false);
    if (!t)
        return;
    t->flags |= SL_TXN_NO_REQUEST;
    if (st >= 200)
        t->final = (uint16_t)st;
    sl_txn_response_seen(t, sig);
    sl_dialog_count(d, g, m, false);
}

static void on_response(sl_dialogs *d, const msgv *m, cand *c, size_t n, uint64_t h)
{
    int st = m->ctx->msg->status_code;
    rec *r = NULL;
    int i = -1;
    if (st < 100 || st > 699) {
        d->unmatched++;
        return;
    }
    uint32_t rseq = st > 100 && st < 200 ? rseq_of(m->ctx->msg) : 0;
    uint32_t sig = sl_txn_response_sig(m->to_h, st, rseq);
    if (!find_txn(c, n, true, m->key, m->meth, 0, &r, &i)) {
        r = NULL;
        if (!find_txn_by_cseq(c, n, m, &r, &i)) {
            d->unmatched++;
            remember_unmatched(d, m, c, n, h, sig);
            return;
        }
        d->by_cseq++;
    }
    sl_txn *t = sl_txn_set_at(&r->txns, i);
    sl_method tm = (sl_method)t->method;
    bool again = sl_txn_response_seen(t, sig);
    sl_dialog_count(d, r, m, again);
    if (t->flags & SL_TXN_NO_REQUEST) {
        /* counted apart: the per-method counters are of requests seen */
        if (again)
            d->unmatched_retrans++;
        else
            d->unmatched++;
        return;
    }
    if (again) {
        d->ms[tm].retransmissions++;
        return;
    }
    if (st >= 200 && !t->final) {
        t->final = (uint16_t)st;
        d->ms[tm].final[st - 100]++;
    }
    if (r->kind == K_ATTEMPT && (t->flags & SL_TXN_INITIAL))
        invite_response(d, r, m, st);
}

/* For a response: the transaction it answers on its leg, after the response
 * was tracked. False when its request was not seen. */
static bool request_for(const sl_dialogs *d, const sl_sip_ctx *ctx, sl_dialog_request *out)
{
    const sl_sip_msg *msg = ctx->msg;
    if (!msg || msg->is_request || !ctx->has_cseq || ctx->call_id.len == 0)
        return false;
    uint64_t seed = d->cfg.hash_seed;
    uint64_t h = call_id_hash(seed, ctx->call_id);
    cand c[SAME_CALL_MAX];
    size_t n = collect(d, h, ctx, c);
    rec *r;
    int i;
    if (!find_txn(c, n, true, sl_txn_key(seed, ctx), sl_method_of(ctx->cseq.method),
                  SL_TXN_NO_REQUEST, &r, &i))
        return false;
    memset(out, 0, sizeof *out);
    out->initial = r->kind == K_ATTEMPT && (sl_txn_set_at(&r->txns, i)->flags & SL_TXN_INITIAL);
    if (out->initial)
        out->request_uri = r_ruri(r);
    out->time = sl_txn_set_at(&r->txns, i)->first;
    out->leg = r->leg;
    out->attempt = r->attempt;
    return true;
}

void sl_dialogs_on_message(sl_dialogs *d, const sl_sip_ctx *ctx, sl_txn_verdict *v)
{
    memset(v, 0, sizeof *v);
    const sl_sip_msg *msg = ctx->msg;
    /* A request is matched by its Via without a CSeq; a response needs the
     * CSeq method to know its transaction. */
    if (!msg || ctx->call_id.len == 0 || (!msg->is_request && !ctx->has_cseq)) {
        d->untracked++;
        return;
    }
    if (ctx->ts > d->clock)
        d->clock = ctx->ts;
    uint64_t seed = d->cfg.hash_seed;
    /* The bucket and the first record of its chain are rarely cached (on a
     * busy trunk the table is far larger than the caches). Their loads start
     * here, overlapping the other hashing, and the record's first line (the
     * walk) and its Call-ID (the compare) load together, not one after the
     * other. */
    uint64_t h = call_id_hash(seed, ctx->call_id);
    sl_lru_node *const *bucket = sl_lru_head(&d->recs, h);
    __builtin_prefetch(bucket);
    msgv m = {
        .ctx = ctx,
        .verdict = v,
        .meth = sl_method_of(msg->is_request ? msg->method : ctx->cseq.method),
        .key = sl_txn_key(seed, ctx),
    };
    if (*bucket) {
        __builtin_prefetch(*bucket);
        __builtin_prefetch(((const rec *)*bucket)->data);
    }
    m.from_h = sl_hash_bytes(seed, ctx->from_tag.ptr, ctx->from_tag.len);
    m.to_h = sl_hash_bytes(seed, ctx->to_tag.ptr, ctx->to_tag.len);
    m.has_to_tag = ctx->to_tag.len > 0;
    cand c[SAME_CALL_MAX];
    size_t n = collect(d, h, ctx, c);
    if (msg->is_request) {
        on_request(d, &m, c, n, h);
        return;
    }
    on_response(d, &m, c, n, h);
    if (msg->status_code >= 300)
        v->has_request = request_for(d, ctx, &v->request);
}
