/* The dialog tracker's records: see dialog_table.h. Their memory under
 * the two caps (count and bytes; written attempts go first, then the oldest,
 * each eviction an anomaly), the Call-ID hash table, the timer lists on
 * capture time, the `dialog` events, the module's lifetime and its stats.
 *
 * Each record sits in one timer list, by phase; each list is ordered by its
 * anchor (capture time only moves forward here), so expiry looks at list
 * heads only, and only once the clock passes the earliest due time. */
#include "dialog_table.h"

#include "sipsleuth/anomaly_event.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

static const char *const state_names[SL_DIALOG__COUNT] = {
    "completed", "answered", "failed", "redirected", "cancelled", "timeout", "unfinished",
};
static const char *const close_names[] = {"message", "timer", "end_of_input", "evicted"};

const char *sl_dialog_state_name(sl_dialog_state s)
{
    return (unsigned)s < SL_DIALOG__COUNT ? state_names[s] : "unknown";
}

const char *sl_dialog_close_name(sl_dialog_close c)
{
    return (unsigned)c < sizeof close_names / sizeof *close_names ? close_names[c] : "unknown";
}

void sl_dialog_config_default(sl_dialog_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_dialogs = 200000;
    cfg->max_memory = (size_t)256 << 20;
    cfg->invite_timeout = 32 * SL_NS_PER_SEC;
    cfg->proceeding_timeout = 180 * SL_NS_PER_SEC;
    cfg->idle_timeout = (sl_time)4 * 3600 * SL_NS_PER_SEC;
    cfg->linger = 32 * SL_NS_PER_SEC;
    cfg->noninvite_timeout = 32 * SL_NS_PER_SEC;
    /* A person may type a password before the retry (40 s seen in real
     * captures); a UA with stored credentials answers within milliseconds. */
    cfg->challenge_timeout = 120 * SL_NS_PER_SEC;
    cfg->numbering_retain = (sl_time)4 * 3600 * SL_NS_PER_SEC;
}

static uint64_t random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&s;
    }
    return s | 1;
}

/* ---- lists: creation order and timers ---- */

static void timer_unlink(sl_dialogs *d, rec *r)
{
    if (r->tprev)
        r->tprev->tnext = r->tnext;
    else
        d->thead[r->phase] = r->tnext;
    if (r->tnext)
        r->tnext->tprev = r->tprev;
    else
        d->ttail[r->phase] = r->tprev;
    r->tprev = r->tnext = NULL;
}

static void timer_append(sl_dialogs *d, rec *r, enum phase p)
{
    r->phase = (uint8_t)p;
    r->anchor = d->clock;
    r->tprev = d->ttail[p];
    r->tnext = NULL;
    if (r->tprev)
        r->tprev->tnext = r;
    else
        d->thead[p] = r;
    d->ttail[p] = r;
    sl_time due = r->anchor + d->timeout[p];
    if (due < d->next_due)
        d->next_due = due;
}

void sl_dialog_set_phase(sl_dialogs *d, rec *r, enum phase p)
{
    timer_unlink(d, r);
    timer_append(d, r, p);
}

/* ---- events ---- */

static void summarize(rec *r, sl_dialog_close why, sl_time ts, sl_dialog_event *s)
{
    memset(s, 0, sizeof *s);
    s->head.type = SL_EV_DIALOG;
    s->head.call_id = r_call_id(r);
    s->from = r_from(r);
    s->to = r_to(r);
    s->request_uri = r_ruri(r);
    r_parties(r, &s->parties);
    s->to_tag = sl_slice_make(r_tag(r), r->len_tag);
    s->flow = r_flow(r);
    s->head.flow = &s->flow;
    s->head.ts = ts;
    s->state = (sl_dialog_state)r->outcome;
    s->closed = why;
    s->final_status = r->final_status;
    s->final_reason = sl_slice_make(r->final_reason, r->len_final_reason);
    s->start = r->t_invite;
    s->first_18x = r->t_18x;
    s->final = r->t_final;
    s->bye = r->t_bye;
    s->ended_by_caller = r->ended_by_caller;
    s->auth_challenges = r->auth_challenges;
    s->n_challenge_codes = r->n_challenges;
    memcpy(s->challenge_codes, r->challenges, sizeof s->challenge_codes);
    s->ringing = r->ringing;
    s->has_end_reason = r->has_end_reason;
    s->end_has_cause = r->end_has_cause;
    s->end_protocol = (sl_reason_protocol)r->end_protocol;
    s->end_cause = r->end_cause;
    s->early_media = r->early_media;
    s->messages = r->messages;
    s->retransmissions = r->retrans;
    s->early_dialogs = r->n_early;
    s->reinvites = r->reinvites;
    s->leg = r->leg;
    s->attempt = r->attempt;
    s->media = r->media;
    s->holds = r->media ? r->media->holds : 0;
}

static void write_anomaly(sl_dialogs *d, rec *r, sl_anomaly_kind kind, const char *reason)
{
    if (!d->sink.emit)
        return;
    sl_flow f = r_flow(r);
    sl_anomaly_event ev = sl_anomaly_event_make(kind, d->clock, r_call_id(r), &f);
    ev.layer = sl_anomaly_layer(kind);
    ev.reason = reason;
    ev.has_age = true;
    ev.age = d->clock - r->born;
    sl_sink_emit_anomaly(&d->sink, &ev);
}

void sl_dialog_close_attempt(sl_dialogs *d, rec *r, sl_dialog_state st, sl_dialog_close why,
                             sl_time ts)
{
    r->outcome = (uint8_t)st;
    sl_dialog_event s;
    summarize(r, why, ts, &s);
    if (d->cfg.on_end)
        d->cfg.on_end(d->cfg.user, &s);
    if (d->sink.emit && sl_sink_wants(&d->sink, SL_EV_DIALOG))
        sl_sink_emit(&d->sink, &s.head);
    d->by_state[st]++;
    d->n_active--;
    sl_dialog_set_phase(d, r, P_ENDED);
}

/* The outcome of an attempt that ends without a deciding message: only a
 * transaction timer running out means "timeout"; at the end of the input,
 * or when evicted, the attempt was simply not over yet. A challenge nobody
 * answered stays the failure it was. */
static sl_dialog_state open_outcome(const rec *r, sl_dialog_close why)
{
    if (r->phase == P_ANSWERED)
        return SL_DIALOG_ANSWERED;
    if (r->phase == P_CHALLENGED)
        return SL_DIALOG_FAILED;
    if (r->cancelled)
        return SL_DIALOG_CANCELLED;
    return why == SL_CLOSE_TIMER ? SL_DIALOG_TIMEOUT : SL_DIALOG_UNFINISHED;
}

/* ---- records ---- */

static bool has_unanswered(rec *r)
{
    for (int i = 0; i < r->txns.n; i++) {
        const sl_txn *t = sl_txn_set_cat(&r->txns, i);
        if (sl_txn_awaits_final(t))
            return true;
    }
    return false;
}

void sl_dialog_rec_free(sl_dialogs *d, rec *r)
{
    for (int i = 0; i < r->txns.n; i++) {
        const sl_txn *t = sl_txn_set_cat(&r->txns, i);
        if (sl_txn_awaits_final(t))
            d->ms[t->method].unanswered++;
    }
    timer_unlink(d, r);
    sl_lru_remove(&d->recs, &r->node);
    sl_txn_set_free(&r->txns, &d->recs.bytes);
    sl_dialog_media_free(d, r);
    sl_lru_release(&d->recs, r->size);
    free(r);
}

static void evict(sl_dialogs *d, rec *r, const char *reason)
{
    if (r->kind == K_ATTEMPT) {
        write_anomaly(d, r, SL_ANOM_DIALOG_EVICTED, reason);
        sl_dialog_close_attempt(d, r, open_outcome(r, SL_CLOSE_EVICTED), SL_CLOSE_EVICTED,
                                d->clock);
        d->evicted++;
    } else {
        if (has_unanswered(r))
            write_anomaly(d, r, SL_ANOM_TRANSACTIONS_EVICTED, reason);
        d->other_evicted++;
    }
    sl_dialog_rec_free(d, r);
}

/* Frees records until one of `size` bytes fits under both caps: written
 * attempts first (nothing is lost), then the oldest. */
static bool make_room(sl_dialogs *d, size_t size)
{
    for (;;) {
        bool over_count = sl_lru_full(&d->recs);
        if (!over_count && sl_lru_fits(&d->recs, size))
            return true;
        if (d->thead[P_ENDED]) {
            sl_dialog_rec_free(d, d->thead[P_ENDED]);
            continue;
        }
        /* Forgetting old numbers only risks a repeated attempt number; an
         * eviction loses a call's outcome. */
        if (!over_count && sl_numbering_drop_oldest(d->numbering, &d->recs.bytes))
            continue;
        if (!d->recs.oldest)
            return false;
        evict(d, (rec *)d->recs.oldest, over_count ? "max_dialogs" : "max_memory");
    }
}

static uint32_t kept_len(sl_slice s)
{
    return (uint32_t)(s.len < KEPT_MAX ? s.len : KEPT_MAX);
}

rec *sl_dialog_rec_new(sl_dialogs *d, const msgv *m, uint64_t hash, enum kind kind)
{
    const sl_sip_ctx *c = m->ctx;
    uint32_t lf = 0, lt = 0, lr = 0, ltag = 0, lparties = 0;
    sl_sip_parties pt = {0};
    if (kind == K_ATTEMPT) {
        lf = kept_len(c->from.uri);
        lt = kept_len(c->to.uri);
        lr = kept_len(c->msg->request_uri);
        ltag = TAG_MAX;
        sl_sip_parties_get(c->msg, &c->from, &c->to, &pt);
        for (int i = 0; i < SL_PARTY__COUNT; i++)
            lparties += kept_len(pt.v[i]);
    }
    size_t size = sizeof(rec) + c->call_id.len + lf + lt + lr + ltag + lparties;
    bool media_room = kind == K_ATTEMPT && c->sdp;
    if (media_room)
        size = ((size + 7) & ~(size_t)7) + MEDIA_INLINE; /* sl_media_pair's alignment */
    if (!make_room(d, size))
        return NULL;
    rec *r = calloc(1, size);
    if (!r)
        return NULL;
    r->size = size;
    r->has_media_room = media_room;
    r->serial = d->serial++;
    r->kind = (uint8_t)kind;
    r->born = c->ts;
    r->caller = c->flow.src;
    r->callee = c->flow.dst;
    r->cport = c->flow.sport;
    r->eport = c->flow.dport;
    r->proto = c->flow.proto;
    r->len_call_id = (uint32_t)c->call_id.len;
    r->len_from = lf;
    r->len_to = lt;
    r->len_ruri = lr;
    char *p = r->data;
    memcpy(p, c->call_id.ptr, c->call_id.len);
    p += c->call_id.len;
    if (lf)
        memcpy(p, c->from.uri.ptr, lf);
    if (lt)
        memcpy(p + lf, c->to.uri.ptr, lt);
    if (lr)
        memcpy(p + lf + lt, c->msg->request_uri.ptr, lr);
    p += lf + lt + lr + ltag;
    for (int i = 0; i < SL_PARTY__COUNT && lparties; i++) {
        r->len_party[i] = (uint16_t)kept_len(pt.v[i]);
        if (r->len_party[i])
            memcpy(p, pt.v[i].ptr, r->len_party[i]);
        p += r->len_party[i];
    }

    sl_lru_insert(&d->recs, &r->node, hash);
    sl_lru_charge(&d->recs, size);
    timer_append(d, r, kind == K_ATTEMPT ? P_CALLING : P_OTHER);
    /* within the memcap, else longer chains rather than more memory */
    sl_lru_charge(&d->recs, sl_lru_grow(&d->recs, sl_lru_room(&d->recs)));
    return r;
}

sl_txn *sl_dialog_txn_new(sl_dialogs *d, rec *r, const msgv *m, sl_method meth, bool counted)
{
    bool reused;
    int idx;
    sl_txn *t = sl_txn_set_add(&r->txns, &d->recs.bytes, d->cfg.max_memory, &reused, &idx);
    if (!t)
        return NULL;
    if (reused && sl_txn_awaits_final(t))
        d->ms[t->method].unanswered++;
    memset(t, 0, sizeof *t);
    t->key = m->key;
    t->method = (uint8_t)meth;
    t->first = m->ctx->ts;
    t->cseq = m->ctx->has_cseq ? m->ctx->cseq.number : 0;
    if (counted)
        d->ms[meth].requests++;
    return t;
}

void sl_dialog_count(sl_dialogs *d, rec *r, const msgv *m, bool retrans)
{
    r->messages++;
    if (retrans) {
        r->retrans++;
        m->verdict->retransmission = true;
    } else if (r->kind == K_ATTEMPT && (m->ctx->sdp || r->media)) {
        sl_dialog_media_note(d, r, m);
    }
    if (r->phase == P_ANSWERED || r->phase == P_OTHER)
        sl_dialog_set_phase(d, r, (enum phase)r->phase);
}

/* ---- timers ---- */

static void expire(sl_dialogs *d, rec *r, sl_time due)
{
    switch ((enum phase)r->phase) {
    case P_CALLING:
    case P_PROCEEDING:
    case P_CHALLENGED:
    case P_ANSWERED:
        sl_dialog_close_attempt(d, r, open_outcome(r, SL_CLOSE_TIMER), SL_CLOSE_TIMER, due);
        break;
    case P_ENDED:
    case P_OTHER:
    case P__COUNT: sl_dialog_rec_free(d, r); break;
    }
}

static void run_timers(sl_dialogs *d)
{
    for (;;) {
        int best = -1;
        sl_time due = 0;
        for (int p = 0; p < P__COUNT; p++) {
            rec *h = d->thead[p];
            if (h && (best < 0 || h->anchor + d->timeout[p] < due)) {
                best = p;
                due = h->anchor + d->timeout[p];
            }
        }
        if (best < 0 || due > d->clock) {
            d->next_due = best < 0 ? INT64_MAX : due;
            return;
        }
        expire(d, d->thead[best], due);
    }
}

void sl_dialogs_advance(sl_dialogs *d, sl_time now)
{
    if (now > d->clock)
        d->clock = now;
    if (d->clock >= d->next_due)
        run_timers(d);
    sl_numbering_expire(d->numbering, d->clock, &d->recs.bytes);
}

void sl_dialogs_finish(sl_dialogs *d, sl_time now)
{
    sl_dialogs_advance(d, now);
    while (d->recs.oldest) {
        rec *r = (rec *)d->recs.oldest;
        if (r->kind == K_ATTEMPT && r->phase != P_ENDED)
            sl_dialog_close_attempt(d, r, open_outcome(r, SL_CLOSE_END_OF_INPUT),
                                    SL_CLOSE_END_OF_INPUT, d->clock);
        sl_dialog_rec_free(d, r);
    }
    d->next_due = INT64_MAX;
}

/* ---- lifetime ---- */

sl_dialogs *sl_dialogs_new(const sl_dialog_config *cfg, const sl_sink *sink)
{
    sl_dialogs *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    sl_dialog_config_default(&d->cfg);
    if (cfg) {
        sl_dialog_config def = d->cfg;
        d->cfg = *cfg;
        /* zero means "the default" */
        if (!d->cfg.max_dialogs)
            d->cfg.max_dialogs = def.max_dialogs;
        if (!d->cfg.max_memory)
            d->cfg.max_memory = def.max_memory;
        if (d->cfg.invite_timeout <= 0)
            d->cfg.invite_timeout = def.invite_timeout;
        if (d->cfg.proceeding_timeout <= 0)
            d->cfg.proceeding_timeout = def.proceeding_timeout;
        if (d->cfg.idle_timeout <= 0)
            d->cfg.idle_timeout = def.idle_timeout;
        if (d->cfg.linger <= 0)
            d->cfg.linger = def.linger;
        if (d->cfg.noninvite_timeout <= 0)
            d->cfg.noninvite_timeout = def.noninvite_timeout;
        if (d->cfg.challenge_timeout <= 0)
            d->cfg.challenge_timeout = def.challenge_timeout;
        if (d->cfg.numbering_retain <= 0)
            d->cfg.numbering_retain = def.numbering_retain;
    }
    if (!d->cfg.hash_seed)
        d->cfg.hash_seed = random_seed();
    if (sink)
        d->sink = *sink;
    d->timeout[P_CALLING] = d->cfg.invite_timeout;
    d->timeout[P_PROCEEDING] = d->cfg.proceeding_timeout;
    d->timeout[P_CHALLENGED] = d->cfg.challenge_timeout;
    d->timeout[P_ANSWERED] = d->cfg.idle_timeout;
    d->timeout[P_ENDED] = d->cfg.linger;
    d->timeout[P_OTHER] = d->cfg.noninvite_timeout;
    d->next_due = INT64_MAX;
    d->clock = INT64_MIN;
    d->shapes.seed = d->cfg.hash_seed;
    if (!sl_lru_init(&d->recs, 1024, d->cfg.max_dialogs, d->cfg.max_memory)) {
        free(d);
        return NULL;
    }
    sl_lru_charge(&d->recs, sizeof *d + sl_lru_bucket_bytes(&d->recs));
    d->numbering = sl_numbering_new(d->cfg.max_dialogs, d->cfg.numbering_retain, &d->recs.bytes);
    if (!d->numbering) {
        sl_lru_free(&d->recs);
        free(d);
        return NULL;
    }
    return d;
}

void sl_dialogs_free(sl_dialogs *d)
{
    if (!d)
        return;
    while (d->recs.oldest)
        sl_dialog_rec_free(d, (rec *)d->recs.oldest);
    sl_numbering_free(d->numbering, &d->recs.bytes);
    sl_media_shapes_free(&d->shapes, &d->recs.bytes);
    sl_lru_free(&d->recs);
    free(d);
}

size_t sl_dialogs_memory(const sl_dialogs *d)
{
    return d->recs.bytes;
}

size_t sl_dialogs_active(const sl_dialogs *d)
{
    return d->n_active;
}

/* ---- stats ---- */

void sl_dialogs_get_stats(const sl_dialogs *d, sl_dialog_stats *out)
{
    *out = (sl_dialog_stats){
        .active = d->n_active,
        .records = d->recs.count,
        .created = d->created,
        .evicted = d->evicted,
        .memory_bytes = d->recs.bytes,
        .memory_cap = d->cfg.max_memory,
        .max_dialogs = d->cfg.max_dialogs,
        .numbered_calls = sl_numbering_entries(d->numbering),
        .numbering_evicted = sl_numbering_evicted(d->numbering),
        .by_method = d->ms,
        .unmatched_responses = d->unmatched,
        .unmatched_retransmissions = d->unmatched_retrans,
        .matched_by_cseq = d->by_cseq,
        .untracked_messages = d->untracked,
        .evicted_groups = d->other_evicted,
    };
    memcpy(out->by_state, d->by_state, sizeof out->by_state);
}
