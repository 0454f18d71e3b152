/* The dialog tracker: call attempts per (Call-ID, leg), their transactions,
 * timers on capture time, bounded state, and the `dialog` events.
 *
 * One chained hash table keyed by the Call-ID holds every record of a call:
 * its attempts on each leg (the IP pair the initial INVITE travelled between)
 * and a group of the transactions that belong to no attempt (REGISTER,
 * OPTIONS, out-of-dialog requests...). A message costs one hash of its
 * Call-ID and a walk of that Call-ID's few records.
 *
 * Each record sits in one timer list, by phase; each list is ordered by its
 * anchor (capture time only moves forward here), so expiry looks at list
 * heads only, and only once the clock passes the earliest due time. */
#include "sipsleuth/dialog.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "hash.h"
#include "sipsleuth/transaction.h"

#define KEPT_MAX 512     /* bytes kept of From / To URI and Request-URI */
#define TAG_MAX 64       /* bytes kept of the winning To tag */
#define EARLY_TAGS 8     /* distinct early To tags counted per attempt */
#define SAME_CALL_MAX 16 /* records of one Call-ID looked at per message */

enum kind { K_ATTEMPT, K_OTHER };

/* The phase is also the timer list a record is in. */
enum phase {
    P_CALLING,    /* INVITE, no response yet: invite_timeout */
    P_PROCEEDING, /* provisional seen: proceeding_timeout after the last one */
    P_ANSWERED,   /* 2xx seen: idle_timeout after the last message */
    P_ENDED,      /* event written: linger, then freed */
    P_OTHER,      /* a group of non-attempt transactions: noninvite_timeout idle */
    P__COUNT
};

typedef struct rec rec;
/* The fields collect() reads for every record of a bucket come first, so
 * that a walk touches one cache line per record it passes; the transactions
 * sit just before the Call-ID (data) that a match compares next. */
struct rec {
    rec *chain;    /* hash bucket */
    uint64_t hash; /* of the Call-ID */
    uint32_t len_call_id, len_from, len_to, len_ruri;
    uint8_t kind, phase;
    uint8_t outcome; /* sl_dialog_state, once written */
    uint8_t proto;
    bool cancelled, ended_by_caller, early_overflow;
    uint8_t n_early, len_tag;
    sl_addr caller, callee; /* src and dst of the first request */
    uint16_t cport, eport;
    uint16_t final_status;
    uint32_t messages;  /* here, not with the counters below: no padding, same size */
    rec *older, *newer; /* creation order, for eviction and flushing */
    rec *tprev, *tnext; /* the timer list of its phase */
    uint64_t serial;    /* creation order, for deterministic choices */
    sl_time anchor;     /* when its current timer started */
    sl_time born;
    uint32_t retrans, reinvites, leg, attempt;
    sl_time t_invite, t_18x, t_final, t_bye;
    uint64_t from_tag_h; /* the caller's tag */
    uint64_t winner_h;   /* To tag of the 2xx */
    uint64_t early[EARLY_TAGS];
    size_t size;     /* bytes charged for this allocation */
    sl_txn_set txns; /* slot 0 of an attempt is its initial INVITE */
    char data[];     /* call_id, from, to, request_uri, tag (TAG_MAX) */
};

typedef struct method_stats {
    uint64_t requests, retransmissions, unanswered;
    uint32_t final[600]; /* by status - 100 */
} method_stats;

struct sl_dialogs {
    sl_dialog_config cfg;
    sl_output *out;
    rec **buckets;
    size_t mask;
    size_t n_recs, n_active;
    rec *oldest, *newest;
    rec *thead[P__COUNT], *ttail[P__COUNT];
    sl_time timeout[P__COUNT];
    sl_time clock, next_due;
    uint64_t serial;
    size_t mem;
    uint64_t created, evicted, other_evicted, unmatched, untracked, by_cseq;
    uint64_t by_state[SL_DIALOG__COUNT];
    method_stats ms[SL_M__COUNT];
};

/* What on_message derives from a message once. */
typedef struct msgv {
    sl_sip_ctx *ctx;
    sl_method meth;
    uint64_t key;
    uint64_t from_h, to_h;
    bool has_to_tag;
} msgv;

typedef struct cand {
    rec *r;
    bool same_pair, same_ports;
} cand;

static const char *const state_names[SL_DIALOG__COUNT] = {
    "completed", "answered", "failed", "redirected", "cancelled", "timeout",
};
static const char *const close_names[] = {"message", "timer", "end_of_input", "evicted"};

const char *sl_dialog_state_name(sl_dialog_state s)
{
    return (unsigned)s < SL_DIALOG__COUNT ? state_names[s] : "unknown";
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

static uint64_t call_id_hash(uint64_t seed, sl_slice call_id)
{
    return sl_hash_bytes(seed ^ UINT64_C(0x5bd1e995), call_id.ptr, call_id.len);
}

/* ---- record fields ---- */

static sl_slice r_call_id(const rec *r)
{
    return sl_slice_make(r->data, r->len_call_id);
}
static sl_slice r_from(const rec *r)
{
    return sl_slice_make(r->data + r->len_call_id, r->len_from);
}
static sl_slice r_to(const rec *r)
{
    return sl_slice_make(r->data + r->len_call_id + r->len_from, r->len_to);
}
static sl_slice r_ruri(const rec *r)
{
    return sl_slice_make(r->data + r->len_call_id + r->len_from + r->len_to, r->len_ruri);
}
static char *r_tag(rec *r)
{
    return r->data + r->len_call_id + r->len_from + r->len_to + r->len_ruri;
}

static sl_flow r_flow(const rec *r)
{
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = r->caller;
    f.dst = r->callee;
    f.sport = r->cport;
    f.dport = r->eport;
    f.proto = r->proto;
    return f;
}

/* Constant-size compares: the compiler inlines them (a libc memcmp call per
 * address cost ~40 instructions, and collect compares up to four). */
static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == 4)
        return memcmp(a->bytes, b->bytes, 4) == 0;
    return memcmp(a->bytes, b->bytes, 16) == 0;
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

/* Moves r to phase p with its timer restarted now. */
static void set_phase(sl_dialogs *d, rec *r, enum phase p)
{
    timer_unlink(d, r);
    timer_append(d, r, p);
}

/* ---- events ---- */

static void summarize(rec *r, sl_dialog_close why, sl_dialog_summary *s)
{
    memset(s, 0, sizeof *s);
    s->call_id = r_call_id(r);
    s->from = r_from(r);
    s->to = r_to(r);
    s->request_uri = r_ruri(r);
    s->to_tag = sl_slice_make(r_tag(r), r->len_tag);
    s->flow = r_flow(r);
    s->state = (sl_dialog_state)r->outcome;
    s->closed = why;
    s->final_status = r->final_status;
    s->start = r->t_invite;
    s->first_18x = r->t_18x;
    s->final = r->t_final;
    s->bye = r->t_bye;
    s->ended_by_caller = r->ended_by_caller;
    s->messages = r->messages;
    s->retransmissions = r->retrans;
    s->early_dialogs = r->n_early;
    s->reinvites = r->reinvites;
    s->leg = r->leg;
    s->attempt = r->attempt;
}

static void kms_or_null(sl_jw *w, const char *key, sl_time from, sl_time to, bool known)
{
    if (known)
        sl_jw_kms(w, key, sl_time_ms(from, to));
    else
        sl_jw_knull(w, key);
}

static void write_dialog(sl_dialogs *d, const sl_dialog_summary *s, sl_time ts)
{
    if (!d->out)
        return;
    sl_jw *w = sl_event_begin(d->out, SL_EV_DIALOG, ts, s->call_id, &s->flow);
    if (!w)
        return;
    bool completed = s->state == SL_DIALOG_COMPLETED;
    sl_jw_kstr(w, "state", sl_dialog_state_name(s->state));
    if (s->final_status)
        sl_jw_kint(w, "final_status", s->final_status);
    else
        sl_jw_knull(w, "final_status");
    sl_jw_kslice_or_null(w, "from", s->from);
    sl_jw_kslice_or_null(w, "to", s->to);
    sl_jw_kslice_or_null(w, "request_uri", s->request_uri);
    sl_jw_key(w, "start");
    sl_jw_time(w, s->start);
    kms_or_null(w, "setup_ms", s->start, s->final, s->final != SL_DIALOG_NO_TIME);
    kms_or_null(w, "pdd_ms", s->start, s->first_18x, s->first_18x != SL_DIALOG_NO_TIME);
    kms_or_null(w, "duration_ms", s->final, s->bye, completed);
    if (completed)
        sl_jw_kstr(w, "ended_by", s->ended_by_caller ? "caller" : "callee");
    else
        sl_jw_knull(w, "ended_by");
    sl_jw_kuint(w, "messages", s->messages);
    sl_jw_kuint(w, "retransmissions", s->retransmissions);
    sl_jw_kuint(w, "early_dialogs", s->early_dialogs);
    sl_jw_kslice_or_null(w, "to_tag", s->to_tag);
    sl_jw_kuint(w, "reinvites", s->reinvites);
    sl_jw_kuint(w, "leg", s->leg);
    sl_jw_kuint(w, "attempt", s->attempt);
    sl_jw_kstr(w, "closed", close_names[s->closed]);
    if (d->cfg.annotate)
        d->cfg.annotate(d->cfg.annotate_user, s, w);
    sl_event_end(d->out);
}

static void write_anomaly(sl_dialogs *d, rec *r, const char *kind, const char *reason)
{
    if (!d->out)
        return;
    sl_flow f = r_flow(r);
    sl_jw *w = sl_event_anomaly(d->out, d->clock, r_call_id(r), &f, kind);
    if (!w)
        return;
    sl_jw_kstr(w, "layer", "dialog");
    sl_jw_kstr(w, "reason", reason);
    sl_jw_kms(w, "age_ms", sl_time_ms(r->born, d->clock));
    sl_event_end(d->out);
}

/* Decides the attempt's outcome and writes it; the record lingers. */
static void close_attempt(sl_dialogs *d, rec *r, sl_dialog_state st, sl_dialog_close why,
                          sl_time ts)
{
    r->outcome = (uint8_t)st;
    sl_dialog_summary s;
    summarize(r, why, &s);
    if (d->cfg.on_end)
        d->cfg.on_end(d->cfg.user, &s);
    write_dialog(d, &s, ts);
    d->by_state[st]++;
    d->n_active--;
    set_phase(d, r, P_ENDED);
}

/* The outcome of an attempt that ends without a deciding message. */
static sl_dialog_state open_outcome(const rec *r)
{
    if (r->phase == P_ANSWERED)
        return SL_DIALOG_ANSWERED;
    return r->cancelled ? SL_DIALOG_CANCELLED : SL_DIALOG_TIMEOUT;
}

/* ---- records ---- */

static bool has_unanswered(rec *r)
{
    for (int i = 0; i < r->txns.n; i++) {
        const sl_txn *t = sl_txn_set_cat(&r->txns, i);
        if (!t->final && t->method != SL_M_ACK)
            return true;
    }
    return false;
}

static void free_rec(sl_dialogs *d, rec *r)
{
    for (int i = 0; i < r->txns.n; i++) {
        const sl_txn *t = sl_txn_set_cat(&r->txns, i);
        if (!t->final && t->method != SL_M_ACK)
            d->ms[t->method].unanswered++;
    }
    timer_unlink(d, r);
    rec **pp = &d->buckets[r->hash & d->mask];
    while (*pp != r)
        pp = &(*pp)->chain;
    *pp = r->chain;
    if (r->older)
        r->older->newer = r->newer;
    else
        d->oldest = r->newer;
    if (r->newer)
        r->newer->older = r->older;
    else
        d->newest = r->older;
    sl_txn_set_free(&r->txns, &d->mem);
    d->mem -= r->size;
    d->n_recs--;
    free(r);
}

static void evict(sl_dialogs *d, rec *r, const char *reason)
{
    if (r->kind == K_ATTEMPT) {
        write_anomaly(d, r, "dialog_evicted", reason);
        close_attempt(d, r, open_outcome(r), SL_CLOSE_EVICTED, d->clock);
        d->evicted++;
    } else {
        if (has_unanswered(r))
            write_anomaly(d, r, "transactions_evicted", reason);
        d->other_evicted++;
    }
    free_rec(d, r);
}

/* Frees records until one of `size` bytes fits under both caps: written
 * attempts first (nothing is lost), then the oldest. */
static bool make_room(sl_dialogs *d, size_t size)
{
    for (;;) {
        bool over_count = d->n_recs >= d->cfg.max_dialogs;
        if (!over_count && d->mem + size <= d->cfg.max_memory)
            return true;
        if (d->thead[P_ENDED]) {
            free_rec(d, d->thead[P_ENDED]);
            continue;
        }
        if (!d->oldest)
            return false;
        evict(d, d->oldest, over_count ? "max_dialogs" : "max_memory");
    }
}

static void grow_table(sl_dialogs *d)
{
    size_t n = (d->mask + 1) * 2, grow = (n - (d->mask + 1)) * sizeof(rec *);
    if (d->mem + grow > d->cfg.max_memory)
        return; /* longer chains rather than more memory */
    rec **b = calloc(n, sizeof *b);
    if (!b)
        return;
    for (size_t i = 0; i <= d->mask; i++) {
        rec *r = d->buckets[i];
        while (r) {
            rec *next = r->chain;
            r->chain = b[r->hash & (n - 1)];
            b[r->hash & (n - 1)] = r;
            r = next;
        }
    }
    free(d->buckets);
    d->buckets = b;
    d->mask = n - 1;
    d->mem += grow;
}

static uint32_t kept_len(sl_slice s)
{
    return (uint32_t)(s.len < KEPT_MAX ? s.len : KEPT_MAX);
}

static rec *create_rec(sl_dialogs *d, const msgv *m, uint64_t hash, enum kind kind)
{
    const sl_sip_ctx *c = m->ctx;
    uint32_t lf = 0, lt = 0, lr = 0, ltag = 0;
    if (kind == K_ATTEMPT) {
        lf = kept_len(c->from.uri);
        lt = kept_len(c->to.uri);
        lr = kept_len(c->msg->request_uri);
        ltag = TAG_MAX;
    }
    size_t size = sizeof(rec) + c->call_id.len + lf + lt + lr + ltag;
    if (!make_room(d, size))
        return NULL;
    rec *r = calloc(1, size);
    if (!r)
        return NULL;
    r->size = size;
    r->hash = hash;
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

    size_t b = hash & d->mask;
    r->chain = d->buckets[b];
    d->buckets[b] = r;
    r->older = d->newest;
    if (d->newest)
        d->newest->newer = r;
    else
        d->oldest = r;
    d->newest = r;
    d->n_recs++;
    d->mem += size;
    timer_append(d, r, kind == K_ATTEMPT ? P_CALLING : P_OTHER);
    if (d->n_recs > d->mask + 1)
        grow_table(d);
    return r;
}

/* counted: whether this request is counted in the per-method stats (once
 * per request, though it may open a transaction on several legs). */
static sl_txn *new_txn(sl_dialogs *d, rec *r, const msgv *m, sl_method meth, bool counted)
{
    bool reused;
    int idx;
    sl_txn *t = sl_txn_set_add(&r->txns, &d->mem, d->cfg.max_memory, &reused, &idx);
    if (!t)
        return NULL;
    if (reused && !t->final && t->method != SL_M_ACK)
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

/* Counts a message on r and keeps an idle timer running. */
static void count(sl_dialogs *d, rec *r, const msgv *m, bool retrans)
{
    r->messages++;
    if (retrans) {
        r->retrans++;
        m->ctx->retransmission = true;
    }
    if (r->phase == P_ANSWERED || r->phase == P_OTHER)
        set_phase(d, r, (enum phase)r->phase);
}

/* ---- matching ---- */

static size_t collect(const sl_dialogs *d, uint64_t h, const sl_sip_ctx *c, cand *out)
{
    size_t n = 0;
    for (rec *r = d->buckets[h & d->mask]; r && n < SAME_CALL_MAX; r = r->chain) {
        if (r->hash != h || r->len_call_id != c->call_id.len ||
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
 * any_leg, on another leg if not on its own. */
static bool find_txn(cand *c, size_t n, bool any_leg, uint64_t key, sl_method m, rec **r, int *idx)
{
    int best = -1, best_idx = -1;
    for (size_t i = 0; i < n; i++) {
        if (!any_leg && !c[i].same_pair)
            continue;
        int t = sl_txn_set_find(&c[i].r->txns, key, m);
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

static void new_attempt(sl_dialogs *d, const msgv *m, cand *c, size_t n, uint64_t h)
{
    uint32_t leg = 0, attempt = 1, max_leg = 0;
    bool any = false, leg_known = false;
    for (size_t i = 0; i < n; i++) {
        const rec *o = c[i].r;
        if (o->kind != K_ATTEMPT)
            continue;
        if (!any || o->leg > max_leg)
            max_leg = o->leg;
        any = true;
        if (c[i].same_pair && c[i].same_ports) {
            leg_known = true;
            leg = o->leg;
            if (o->attempt >= attempt)
                attempt = o->attempt + 1;
        }
    }
    if (!leg_known)
        leg = any ? max_leg + 1 : 0;
    /* c is stale from here: creating may evict. */
    rec *r = create_rec(d, m, h, K_ATTEMPT);
    if (!r)
        return;
    sl_txn *t = new_txn(d, r, m, SL_M_INVITE, true);
    if (!t) {
        free_rec(d, r);
        return;
    }
    r->leg = leg;
    r->attempt = attempt;
    r->t_invite = m->ctx->ts;
    r->t_18x = r->t_final = r->t_bye = SL_DIALOG_NO_TIME;
    r->from_tag_h = m->from_h;
    d->n_active++;
    d->created++;
    count(d, r, m, false);
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

/* A response to the attempt's initial INVITE (not a retransmission). */
static void invite_response(sl_dialogs *d, rec *r, const msgv *m, int st)
{
    sl_time ts = m->ctx->ts;
    if (r->phase == P_ENDED)
        return;
    if (st < 200) {
        if (st >= 180 && st < 190 && r->t_18x == SL_DIALOG_NO_TIME)
            r->t_18x = ts;
        if (st > 100 && m->has_to_tag)
            add_early_tag(r, m->to_h);
        if (r->phase != P_ANSWERED)
            set_phase(d, r, P_PROCEEDING);
        return;
    }
    if (r->phase == P_ANSWERED)
        return; /* another branch answered too, or a late final: the first 2xx won */
    r->final_status = (uint16_t)st;
    r->t_final = ts;
    if (st < 300) {
        r->winner_h = m->to_h;
        sl_slice tag = m->ctx->to_tag;
        r->len_tag = (uint8_t)(tag.len < TAG_MAX ? tag.len : TAG_MAX);
        if (r->len_tag)
            memcpy(r_tag(r), tag.ptr, r->len_tag);
        set_phase(d, r, P_ANSWERED);
        return;
    }
    sl_dialog_state st_out = st < 400    ? SL_DIALOG_REDIRECTED
                             : st == 487 ? SL_DIALOG_CANCELLED
                                         : SL_DIALOG_FAILED;
    close_attempt(d, r, st_out, SL_CLOSE_MESSAGE, ts);
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
    close_attempt(d, r, SL_DIALOG_COMPLETED, SL_CLOSE_MESSAGE, c->ts);
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
    if (m->meth == SL_M_ACK && find_txn(c, n, any_leg, m->key, SL_M_INVITE, &r, &i)) {
        sl_txn *t = sl_txn_set_at(&r->txns, i);
        bool again = t->flags & SL_TXN_ACKED;
        t->flags |= SL_TXN_ACKED;
        if (again)
            d->ms[SL_M_ACK].retransmissions++;
        else
            d->ms[SL_M_ACK].requests++;
        count(d, r, m, again);
        return;
    }
    if (find_txn(c, n, any_leg, m->key, m->meth, &r, &i)) {
        d->ms[m->meth].retransmissions++;
        count(d, r, m, true);
        return;
    }
    /* A CANCEL carries the key of the INVITE it cancels. */
    if (m->meth == SL_M_CANCEL && find_txn(c, n, any_leg, m->key, SL_M_INVITE, &r, &i)) {
        if (new_txn(d, r, m, SL_M_CANCEL, true) && r->kind == K_ATTEMPT && i == 0 &&
            r->phase != P_ENDED)
            r->cancelled = true;
        count(d, r, m, false);
        return;
    }
    if (m->meth == SL_M_INVITE && !m->has_to_tag) {
        new_attempt(d, m, c, n, h);
        return;
    }
    if (m->has_to_tag) {
        rec *hits[SAME_CALL_MAX];
        size_t k = match_dialogs(c, n, m, hits);
        for (size_t j = 0; j < k; j++) {
            new_txn(d, hits[j], m, m->meth, j == 0);
            count(d, hits[j], m, false);
            in_dialog_request(d, hits[j], m);
        }
        if (k)
            return;
    }
    rec *g = other_group(c, n);
    if (!g)
        g = create_rec(d, m, h, K_OTHER);
    if (!g)
        return;
    new_txn(d, g, m, m->meth, true);
    count(d, g, m, false);
}

static void on_response(sl_dialogs *d, const msgv *m, cand *c, size_t n)
{
    int st = m->ctx->msg->status_code;
    rec *r = NULL;
    int i = -1;
    if (st < 100 || st > 699) {
        d->unmatched++;
        return;
    }
    if (!find_txn(c, n, true, m->key, m->meth, &r, &i)) {
        r = NULL;
        if (!find_txn_by_cseq(c, n, m, &r, &i)) {
            d->unmatched++;
            return;
        }
        d->by_cseq++;
    }
    sl_txn *t = sl_txn_set_at(&r->txns, i);
    sl_method tm = (sl_method)t->method;
    bool again = sl_txn_response_seen(t, sl_txn_response_sig(m->to_h, st));
    count(d, r, m, again);
    if (again) {
        d->ms[tm].retransmissions++;
        return;
    }
    if (st >= 200 && !t->final) {
        t->final = (uint16_t)st;
        d->ms[tm].final[st - 100]++;
    }
    if (r->kind == K_ATTEMPT && i == 0)
        invite_response(d, r, m, st);
}

void sl_dialogs_on_message(sl_dialogs *d, sl_sip_ctx *ctx)
{
    ctx->retransmission = false;
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
    /* The bucket and the first record of its chain are rarely cached (perf:
     * collect() was the top symbol, stalled on them). Their loads start
     * here, overlapping the other hashing, and the record's first line (the
     * walk) and its Call-ID (the compare) load together, not one after the
     * other. */
    uint64_t h = call_id_hash(seed, ctx->call_id);
    rec *const *bucket = &d->buckets[h & d->mask];
    __builtin_prefetch(bucket);
    msgv m = {
        .ctx = ctx,
        .meth = sl_method_of(msg->is_request ? msg->method : ctx->cseq.method),
        .key = sl_txn_key(seed, ctx),
    };
    if (*bucket) {
        __builtin_prefetch(*bucket);
        __builtin_prefetch((*bucket)->data);
    }
    m.from_h = sl_hash_bytes(seed, ctx->from_tag.ptr, ctx->from_tag.len);
    m.to_h = sl_hash_bytes(seed, ctx->to_tag.ptr, ctx->to_tag.len);
    m.has_to_tag = ctx->to_tag.len > 0;
    cand c[SAME_CALL_MAX];
    size_t n = collect(d, h, ctx, c);
    if (msg->is_request)
        on_request(d, &m, c, n, h);
    else
        on_response(d, &m, c, n);
}

/* ---- timers ---- */

static void expire(sl_dialogs *d, rec *r, sl_time due)
{
    switch ((enum phase)r->phase) {
    case P_CALLING:
    case P_PROCEEDING:
    case P_ANSWERED: close_attempt(d, r, open_outcome(r), SL_CLOSE_TIMER, due); break;
    case P_ENDED:
    case P_OTHER:
    case P__COUNT: free_rec(d, r); break;
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
}

void sl_dialogs_finish(sl_dialogs *d, sl_time now)
{
    sl_dialogs_advance(d, now);
    while (d->oldest) {
        rec *r = d->oldest;
        if (r->kind == K_ATTEMPT && r->phase != P_ENDED)
            close_attempt(d, r, open_outcome(r), SL_CLOSE_END_OF_INPUT, d->clock);
        free_rec(d, r);
    }
    d->next_due = INT64_MAX;
}

/* ---- lifetime, queries ---- */

sl_dialogs *sl_dialogs_new(const sl_dialog_config *cfg, sl_output *out)
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
    }
    if (!d->cfg.hash_seed)
        d->cfg.hash_seed = random_seed();
    d->out = out;
    d->timeout[P_CALLING] = d->cfg.invite_timeout;
    d->timeout[P_PROCEEDING] = d->cfg.proceeding_timeout;
    d->timeout[P_ANSWERED] = d->cfg.idle_timeout;
    d->timeout[P_ENDED] = d->cfg.linger;
    d->timeout[P_OTHER] = d->cfg.noninvite_timeout;
    d->next_due = INT64_MAX;
    d->clock = INT64_MIN;
    size_t nb = 1024;
    d->buckets = calloc(nb, sizeof *d->buckets);
    if (!d->buckets) {
        free(d);
        return NULL;
    }
    d->mask = nb - 1;
    d->mem = sizeof *d + nb * sizeof *d->buckets;
    return d;
}

void sl_dialogs_free(sl_dialogs *d)
{
    if (!d)
        return;
    while (d->oldest)
        free_rec(d, d->oldest);
    free(d->buckets);
    free(d);
}

size_t sl_dialogs_memory(const sl_dialogs *d)
{
    return d->mem;
}

size_t sl_dialogs_active(const sl_dialogs *d)
{
    return d->n_active;
}

bool sl_dialogs_request_for(const sl_dialogs *d, const sl_sip_ctx *ctx, sl_dialog_request *out)
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
    if (!find_txn(c, n, true, sl_txn_key(seed, ctx), sl_method_of(ctx->cseq.method), &r, &i))
        return false;
    memset(out, 0, sizeof *out);
    out->initial = r->kind == K_ATTEMPT && i == 0;
    if (out->initial)
        out->request_uri = r_ruri(r);
    out->time = sl_txn_set_at(&r->txns, i)->first;
    out->leg = r->leg;
    out->attempt = r->attempt;
    return true;
}

/* ---- stats ---- */

void sl_dialogs_stats(const sl_dialogs *d, sl_jw *w)
{
    sl_jw_key(w, "dialogs");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "active", d->n_active);
    sl_jw_kuint(w, "records", d->n_recs);
    sl_jw_kuint(w, "created", d->created);
    sl_jw_kuint(w, "evicted", d->evicted);
    sl_jw_key(w, "by_state");
    sl_jw_obj_begin(w);
    for (int s = 0; s < SL_DIALOG__COUNT; s++)
        sl_jw_kuint(w, state_names[s], d->by_state[s]);
    sl_jw_obj_end(w);
    sl_jw_kuint(w, "memory_bytes", d->mem);
    sl_jw_kuint(w, "memory_cap", d->cfg.max_memory);
    sl_jw_kuint(w, "max_dialogs", d->cfg.max_dialogs);
    sl_jw_obj_end(w);

    sl_jw_key(w, "transactions");
    sl_jw_obj_begin(w);
    sl_jw_key(w, "by_method");
    sl_jw_obj_begin(w);
    for (int m = 0; m < SL_M__COUNT; m++) {
        const method_stats *s = &d->ms[m];
        if (!s->requests && !s->retransmissions)
            continue;
        sl_jw_key(w, sl_method_name((sl_method)m));
        sl_jw_obj_begin(w);
        sl_jw_kuint(w, "requests", s->requests);
        sl_jw_kuint(w, "retransmissions", s->retransmissions);
        sl_jw_kuint(w, "unanswered", s->unanswered);
        sl_jw_key(w, "final");
        sl_jw_obj_begin(w);
        for (int st = 0; st < 600; st++) {
            if (!s->final[st])
                continue;
            char key[8];
            snprintf(key, sizeof key, "%d", st + 100);
            sl_jw_kuint(w, key, s->final[st]);
        }
        sl_jw_obj_end(w);
        sl_jw_obj_end(w);
    }
    sl_jw_obj_end(w);
    sl_jw_kuint(w, "unmatched_responses", d->unmatched);
    sl_jw_kuint(w, "matched_by_cseq", d->by_cseq);
    sl_jw_kuint(w, "untracked_messages", d->untracked);
    sl_jw_kuint(w, "evicted_groups", d->other_evicted);
    sl_jw_obj_end(w);
}
