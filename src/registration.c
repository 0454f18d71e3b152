/* REGISTER attempts: one `registration` event each (see registration.h).
 * An attempt is keyed by Call-ID, From tag and the pair of addresses it
 * travels between (a REGISTER crossing a proxy is one attempt per hop): a
 * REGISTER opens it, a 401/407 challenges it, a REGISTER with a higher CSeq
 * answers the challenge, and a final response other than 401/407 decides
 * it. One list, by last message, holds the attempts: every attempt has the
 * same timeout, so the oldest is the first due. */
#include "sipsleuth/registration.h"

#include "auth_watch.h"
#include "hash.h"
#include "lru_table.h"
#include "sipsleuth/anomaly_event.h"
#include "slice_lit.h"

#include <stdlib.h>

#define MAX_CONTACTS 8
#define TEXT_MAX 256 /* bytes kept of each URI, tag, Call-ID and User-Agent */
#define REASON_MAX 64
/* Responses stamped before their REGISTER (span ports, merged captures):
 * how many are remembered, and for how long. */
#define EARLY_MAX 64
#define EARLY_WINDOW (2 * SL_NS_PER_SEC)

typedef struct text {
    uint32_t off, len;
} text;

typedef struct reg {
    sl_lru_node node; /* first */
    size_t size;      /* bytes charged */
    sl_flow flow;     /* of the last REGISTER; no outer layers */
    sl_time start, last;
    uint32_t cseq, requests, challenges;
    bool challenged; /* the last response was a 401/407 */
    bool answered;
    bool star, contacts_truncated;
    int status;
    size_t reason_len;
    char reason[REASON_MAX];
    int64_t expires_hdr;
    text call_id, from_tag, aor, ruri, ua;
    size_t n_contacts;
    text contact[MAX_CONTACTS];
    int64_t contact_expires[MAX_CONTACTS];
    char buf[]; /* the texts */
} reg;

/* A response as the attempt takes it. */
typedef struct answer {
    int status;
    sl_slice reason;
    int64_t granted; /* 2xx: the expires granted; < 0: none */
} answer;

/* A response whose REGISTER was not seen (yet), by the attempt's key hash. */
typedef struct early {
    uint64_t h;
    uint32_t cseq;
    bool used;
    int status;
    int64_t granted;
    sl_time ts;
    size_t reason_len;
    char reason[REASON_MAX];
} early;

struct sl_registrations {
    sl_registration_config cfg;
    sl_sink sink;
    sl_lru regs;
    sl_auth_watch *watch;
    early early[EARLY_MAX];
    size_t early_next;
};

static const char *const outcome_names[SL_REG__COUNT] = {"ok", "failed", "challenged",
                                                         "no_response"};
static const char *const closed_names[] = {"message", "timer", "end_of_input", "evicted"};

const char *sl_reg_outcome_name(sl_reg_outcome o)
{
    return (unsigned)o < SL_REG__COUNT ? outcome_names[o] : "unknown";
}

const char *sl_reg_closed_name(sl_reg_closed c)
{
    return (unsigned)c < sizeof closed_names / sizeof *closed_names ? closed_names[c] : "unknown";
}

void sl_registration_config_default(sl_registration_config *cfg)
{
    *cfg = (sl_registration_config){
        .max_registrations = 100000,
        .max_memory = (size_t)64 << 20,
        .timeout = 32 * SL_NS_PER_SEC,
        .max_sources = 100000,
        .auth_fail_threshold = 10,
        .auth_fail_window = 60 * SL_NS_PER_SEC,
        .scanner_window = 60 * SL_NS_PER_SEC,
    };
}

/* ---- helpers ---- */

static sl_slice text_of(const reg *e, text t)
{
    return sl_slice_make(e->buf + t.off, t.len);
}

static int64_t parse_expires(sl_slice v)
{
    uint64_t n;
    return sl_slice_to_u64(sl_slice_trim(v), UINT32_MAX, &n) ? (int64_t)n : -1;
}

static int64_t header_expires(const sl_sip_msg *m)
{
    const sl_sip_header *h = sl_sip_find(m, SL_HDR_EXPIRES);
    return h ? parse_expires(h->value) : -1;
}

static uint64_t key_hash(const sl_sip_ctx *ctx)
{
    /* The address pair in either order: requests and responses meet. */
    const sl_addr *a = &ctx->flow.src, *b = &ctx->flow.dst;
    if (memcmp(a, b, sizeof *a) > 0) {
        const sl_addr *t = a;
        a = b;
        b = t;
    }
    uint64_t h = sl_hash_bytes(0x13198a2e03707344u, ctx->call_id.ptr, ctx->call_id.len);
    h = sl_hash_bytes(h, ctx->from_tag.ptr, ctx->from_tag.len);
    h = sl_hash_bytes(h, a->bytes, sizeof a->bytes);
    return sl_hash_bytes(h, b->bytes, sizeof b->bytes);
}

static bool same_pair(const sl_flow *f, const sl_sip_ctx *ctx)
{
    const size_t n = sizeof(sl_addr);
    return (memcmp(&f->src, &ctx->flow.src, n) == 0 && memcmp(&f->dst, &ctx->flow.dst, n) == 0) ||
           (memcmp(&f->src, &ctx->flow.dst, n) == 0 && memcmp(&f->dst, &ctx->flow.src, n) == 0);
}

static sl_slice capped(sl_slice s)
{
    return sl_slice_make(s.ptr, s.len < TEXT_MAX ? s.len : TEXT_MAX);
}

static bool eq_slice(sl_slice a, sl_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static reg *find(sl_registrations *r, const sl_sip_ctx *ctx, uint64_t h)
{
    for (sl_lru_node *n = sl_lru_first(&r->regs, h); n; n = sl_lru_next(n)) {
        reg *e = (reg *)n;
        if (eq_slice(text_of(e, e->call_id), capped(ctx->call_id)) &&
            eq_slice(text_of(e, e->from_tag), capped(ctx->from_tag)) && same_pair(&e->flow, ctx))
            return e;
    }
    return NULL;
}

/* ---- events ---- */

/* expires granted by a 2xx: the expires of its Contact for the first one
 * registered (or of its only Contact), else its Expires header. */
static int64_t granted(const reg *e, const sl_sip_msg *m)
{
    int64_t only = -1;
    size_t seen = 0;
    for (const sl_sip_header *h = sl_sip_find(m, SL_HDR_CONTACT); h; h = sl_sip_find_next(m, h)) {
        sl_slice rest = h->value, elem;
        while (sl_sip_next_element(&rest, &elem)) {
            sl_sip_nameaddr na;
            sl_slice v;
            if (sl_sip_nameaddr_parse(elem, &na) != SL_OK || na.star)
                continue;
            int64_t x = sl_sip_param_get(na.params, "expires", &v) ? parse_expires(v) : -1;
            if (e && e->n_contacts && sl_slice_ieq_slice(na.uri, text_of(e, e->contact[0])) &&
                x >= 0)
                return x;
            only = x;
            seen++;
        }
    }
    return seen == 1 && only >= 0 ? only : header_expires(m);
}

/* The attempt's event; a is the final response that decides it, or NULL. */
static void emit(sl_registrations *r, const reg *e, sl_reg_closed closed, sl_time ts,
                 const answer *a)
{
    if (!sl_sink_wants(&r->sink, SL_EV_REGISTRATION))
        return;
    sl_registration_contact c[MAX_CONTACTS];
    bool unregister = e->star, all_zero = e->n_contacts > 0;
    for (size_t i = 0; i < e->n_contacts; i++) {
        c[i].uri = text_of(e, e->contact[i]);
        c[i].expires = e->contact_expires[i];
        int64_t eff = c[i].expires >= 0 ? c[i].expires : e->expires_hdr;
        all_zero = all_zero && eff == 0;
    }
    int64_t req = e->n_contacts && c[0].expires >= 0 ? c[0].expires : e->expires_hdr;
    sl_reg_outcome outcome = SL_REG_NO_RESPONSE;
    if (a)
        outcome = a->status < 300 ? SL_REG_OK : SL_REG_FAILED;
    else if (e->challenged)
        outcome = SL_REG_CHALLENGED;
    sl_registration_event ev = {
        .head = {.type = SL_EV_REGISTRATION,
                 .ts = ts,
                 .call_id = text_of(e, e->call_id),
                 .flow = &e->flow},
        .outcome = outcome,
        .closed = closed,
        .aor = text_of(e, e->aor),
        .request_uri = text_of(e, e->ruri),
        .contacts = c,
        .n_contacts = e->n_contacts,
        .contacts_truncated = e->contacts_truncated,
        .contact_star = e->star,
        .expires_requested = req,
        .expires_granted = a && outcome == SL_REG_OK ? a->granted : -1,
        .unregister = unregister || all_zero,
        .auth_challenges = e->challenges,
        .challenge_answered = e->answered,
        .requests = e->requests,
        .status_code = a ? a->status : e->status,
        .reason = a ? a->reason : sl_slice_make(e->reason, e->reason_len),
        .user_agent = text_of(e, e->ua),
        .start = e->start,
        .has_final = a != NULL,
        .final_at = ts,
    };
    sl_sink_emit(&r->sink, &ev.head);
}

static void drop(sl_registrations *r, reg *e)
{
    sl_lru_remove(&r->regs, &e->node);
    sl_lru_release(&r->regs, e->size);
    free(e);
}

static void close_reg(sl_registrations *r, reg *e, sl_reg_closed closed, sl_time ts,
                      const answer *a)
{
    emit(r, e, closed, ts, a);
    drop(r, e);
}

/* A final or challenging response (status >= 200) to the attempt's last
 * REGISTER, at ts: a 401/407 challenges it, any other decides it. */
static void take_answer(sl_registrations *r, reg *e, const answer *a, sl_time ts)
{
    e->last = ts;
    sl_lru_touch(&r->regs, &e->node);
    if (a->status == 401 || a->status == 407) {
        e->challenges++;
        e->challenged = true;
        e->status = a->status;
        e->reason_len = a->reason.len < REASON_MAX ? a->reason.len : REASON_MAX;
        if (e->reason_len)
            memcpy(e->reason, a->reason.ptr, e->reason_len);
        return;
    }
    close_reg(r, e, SL_REG_CLOSED_MESSAGE, ts, a);
}

static void remember_early(sl_registrations *r, uint64_t h, const sl_sip_ctx *ctx, const answer *a)
{
    early *x = &r->early[r->early_next];
    r->early_next = (r->early_next + 1) % EARLY_MAX;
    *x = (early){.h = h,
                 .cseq = ctx->cseq.number,
                 .status = a->status,
                 .granted = a->granted,
                 .ts = ctx->ts};
    x->reason_len = a->reason.len < REASON_MAX ? a->reason.len : REASON_MAX;
    if (x->reason_len)
        memcpy(x->reason, a->reason.ptr, x->reason_len);
}

/* The response to the REGISTER just recorded in e, if it came first. */
static void take_early(sl_registrations *r, reg *e, uint64_t h, sl_time now)
{
    for (size_t i = 0; i < EARLY_MAX; i++) {
        early *x = &r->early[i];
        if (x->used || x->h != h || x->cseq != e->cseq || x->ts > now || now - x->ts > EARLY_WINDOW)
            continue;
        x->used = true;
        answer a = {.status = x->status,
                    .reason = sl_slice_make(x->reason, x->reason_len),
                    .granted = x->granted};
        take_answer(r, e, &a, now);
        return;
    }
}

static void evict_oldest(sl_registrations *r, sl_time ts)
{
    reg *e = (reg *)r->regs.oldest;
    sl_anomaly_event an =
        sl_anomaly_event_make(SL_ANOM_REGISTRATION_EVICTED, ts, text_of(e, e->call_id), &e->flow);
    an.layer = sl_anomaly_layer(an.kind);
    sl_sink_emit_anomaly(&r->sink, &an);
    close_reg(r, e, SL_REG_CLOSED_EVICTED, ts, NULL);
}

/* ---- a REGISTER ---- */

static void put(reg *e, size_t *len, text *t, sl_slice s)
{
    s = capped(s);
    t->off = (uint32_t)*len;
    t->len = (uint32_t)s.len;
    if (s.len)
        memcpy(e->buf + *len, s.ptr, s.len);
    *len += s.len;
}

/* The Contacts of a REGISTER into e (with no texts yet beyond *len). */
static void take_contacts(reg *e, const sl_sip_msg *m, size_t *len)
{
    for (const sl_sip_header *h = sl_sip_find(m, SL_HDR_CONTACT); h; h = sl_sip_find_next(m, h)) {
        sl_slice rest = h->value, elem;
        while (sl_sip_next_element(&rest, &elem)) {
            sl_sip_nameaddr na;
            sl_slice v;
            if (sl_sip_nameaddr_parse(elem, &na) != SL_OK)
                continue;
            if (na.star) {
                e->star = true;
                continue;
            }
            if (e->n_contacts == MAX_CONTACTS) {
                e->contacts_truncated = true;
                return;
            }
            put(e, len, &e->contact[e->n_contacts], na.uri);
            e->contact_expires[e->n_contacts++] =
                sl_sip_param_get(na.params, "expires", &v) ? parse_expires(v) : -1;
        }
    }
}

/* A record for the REGISTER in ctx, not yet in the table; NULL when out of memory. */
static reg *make_reg(const sl_sip_ctx *ctx)
{
    const sl_sip_header *ua = sl_sip_find(ctx->msg, SL_HDR_USER_AGENT);
    sl_slice ua_text = ua ? sl_slice_trim(ua->value) : sl_slice_make(NULL, 0);
    size_t cap = (size_t)(5 + MAX_CONTACTS) * TEXT_MAX, len = 0;
    reg *e = malloc(sizeof *e + cap); /* the text room is written before it is read */
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    put(e, &len, &e->call_id, ctx->call_id);
    put(e, &len, &e->from_tag, ctx->from_tag);
    put(e, &len, &e->aor, ctx->to.uri);
    put(e, &len, &e->ruri, ctx->msg->request_uri);
    put(e, &len, &e->ua, ua_text);
    take_contacts(e, ctx->msg, &len);
    reg *fit = realloc(e, sizeof *e + len); /* give back the unused room */
    if (fit)
        e = fit;
    e->size = sizeof *e + len;
    e->expires_hdr = header_expires(ctx->msg);
    e->flow = ctx->flow;
    e->flow.outer = NULL;
    e->start = e->last = ctx->ts;
    e->cseq = ctx->cseq.number;
    e->requests = 1;
    return e;
}

/* Puts e in the table, closing the oldest attempts for the caps first. */
static void insert(sl_registrations *r, reg *e, uint64_t h)
{
    while (r->regs.oldest && (sl_lru_full(&r->regs) || !sl_lru_fits(&r->regs, e->size)))
        evict_oldest(r, e->last);
    sl_lru_insert(&r->regs, &e->node, h);
    sl_lru_charge(&r->regs, e->size);
    sl_lru_charge(&r->regs, sl_lru_grow(&r->regs, sl_lru_room(&r->regs)));
}

static void on_register(sl_registrations *r, const sl_sip_ctx *ctx)
{
    uint64_t h = key_hash(ctx);
    reg *e = find(r, ctx, h);
    if (e && ctx->cseq.number <= e->cseq) {
        e->last = ctx->ts; /* the same request again, or an older one */
        sl_lru_touch(&r->regs, &e->node);
        return;
    }
    if (e && !e->challenged) {
        /* A new REGISTER while the last had no final: that one went unanswered. */
        close_reg(r, e, SL_REG_CLOSED_MESSAGE, ctx->ts, NULL);
        e = NULL;
    }
    reg *n = make_reg(ctx);
    if (!n)
        return;
    if (e) { /* a retry answering the challenge: the same attempt */
        n->start = e->start;
        n->requests = e->requests + 1;
        n->challenges = e->challenges;
        n->answered = true;
        drop(r, e);
    }
    insert(r, n, h);
    take_early(r, n, h, ctx->ts);
}

/* ---- its responses ---- */

static void on_response(sl_registrations *r, const sl_sip_ctx *ctx)
{
    const sl_sip_msg *m = ctx->msg;
    uint64_t h = key_hash(ctx);
    reg *e = find(r, ctx, h);
    if (e && ctx->cseq.number < e->cseq)
        return; /* a late response to an earlier REGISTER */
    if (m->status_code < 200) {
        if (e && ctx->cseq.number == e->cseq) {
            e->last = ctx->ts;
            sl_lru_touch(&r->regs, &e->node);
        }
        return;
    }
    answer a = {.status = m->status_code, .reason = m->reason, .granted = -1};
    if (m->status_code < 300)
        a.granted = granted(e && ctx->cseq.number == e->cseq ? e : NULL, m);
    if (e && ctx->cseq.number == e->cseq)
        take_answer(r, e, &a, ctx->ts);
    else /* its REGISTER not captured, or not yet: a span port's stamps */
        remember_early(r, h, ctx, &a);
}

/* ---- life cycle ---- */

sl_registrations *sl_registrations_new(const sl_registration_config *cfg, const sl_sink *sink)
{
    sl_registrations *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cfg = *cfg;
    r->sink = *sink;
    r->watch = sl_auth_watch_new(cfg, sink);
    if (!r->watch || !sl_lru_init(&r->regs, 256, cfg->max_registrations, cfg->max_memory)) {
        sl_auth_watch_free(r->watch);
        free(r);
        return NULL;
    }
    sl_lru_charge(&r->regs, sizeof *r + sl_lru_bucket_bytes(&r->regs));
    return r;
}

void sl_registrations_free(sl_registrations *r)
{
    if (!r)
        return;
    while (r->regs.oldest)
        drop(r, (reg *)r->regs.oldest);
    sl_lru_free(&r->regs);
    sl_auth_watch_free(r->watch);
    free(r);
}

void sl_registrations_on_message(sl_registrations *r, const sl_sip_ctx *ctx,
                                 const sl_txn_verdict *v)
{
    sl_auth_watch_on_message(r->watch, ctx, v);
    const sl_sip_msg *m = ctx->msg;
    if (v->retransmission || !ctx->has_cseq)
        return;
    if (m->is_request && SL_IEQ_LIT(m->method, "REGISTER"))
        on_register(r, ctx);
    else if (!m->is_request && SL_IEQ_LIT(ctx->cseq.method, "REGISTER"))
        on_response(r, ctx);
}

/* Oldest first, `newer` read before each is freed (lru_table.h). */
void sl_registrations_advance(sl_registrations *r, sl_time now)
{
    for (sl_lru_node *n = r->regs.oldest, *next; n; n = next) {
        next = n->newer;
        reg *e = (reg *)n;
        if (now - e->last < r->cfg.timeout)
            break;
        close_reg(r, e, SL_REG_CLOSED_TIMER, e->last + r->cfg.timeout, NULL);
    }
    sl_auth_watch_advance(r->watch, now);
}

void sl_registrations_finish(sl_registrations *r, sl_time now)
{
    for (sl_lru_node *n = r->regs.oldest, *next; n; n = next) {
        next = n->newer;
        close_reg(r, (reg *)n, SL_REG_CLOSED_END_OF_INPUT, now, NULL);
    }
    sl_auth_watch_finish(r->watch, now);
}

size_t sl_registrations_memory(const sl_registrations *r)
{
    return r->regs.bytes + sl_auth_watch_memory(r->watch);
}
