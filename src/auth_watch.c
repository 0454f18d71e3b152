/* Sources that fail authentication again and again, and scanners: see
 * auth_watch.h. */
#include "auth_watch.h"

#include "hash.h"
#include "sipsleuth/anomaly_event.h"
#include "slice_lit.h"

#include <stdlib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the window table ---- */

static uint64_t addr_hash(const sl_addr *a)
{
    return sl_hash_bytes(0x452821e638d01377u ^ a->family, a->bytes, sizeof a->bytes);
}

bool sl_window_table_init(sl_window_table *t, size_t max_sources, sl_time window,
                          sl_window_close_fn on_close, void *user)
{
    memset(t, 0, sizeof *t);
    t->window = window;
    t->on_close = on_close;
    t->user = user;
    if (!sl_lru_init(&t->lru, 64, max_sources, SIZE_MAX))
        return false;
    sl_lru_charge(&t->lru, sl_lru_bucket_bytes(&t->lru));
    return true;
}

void sl_window_table_free(sl_window_table *t)
{
    sl_lru_node *n = t->lru.oldest;
    while (n) {
        sl_lru_node *next = n->newer;
        free(n);
        n = next;
    }
    sl_lru_free(&t->lru);
}

static void close_window(sl_window_table *t, sl_src_window *w, sl_time ts, bool evicted)
{
    sl_lru_remove(&t->lru, &w->node);
    sl_lru_release(&t->lru, sizeof *w);
    t->on_close(t->user, w, ts, evicted);
    free(w);
}

/* Oldest first, `newer` read before each is freed (lru_table.h). */
void sl_window_table_advance(sl_window_table *t, sl_time now)
{
    for (sl_lru_node *n = t->lru.oldest, *next; n; n = next) {
        next = n->newer;
        sl_src_window *w = (sl_src_window *)n;
        if (now - w->first < t->window)
            break;
        close_window(t, w, w->first + t->window, false);
    }
}

void sl_window_table_flush(sl_window_table *t, sl_time now)
{
    for (sl_lru_node *n = t->lru.oldest, *next; n; n = next) {
        next = n->newer;
        close_window(t, (sl_src_window *)n, now, false);
    }
}

sl_src_window *sl_window_table_hit(sl_window_table *t, const sl_addr *src, sl_time ts)
{
    sl_window_table_advance(t, ts);
    uint64_t h = addr_hash(src);
    for (sl_lru_node *n = sl_lru_first(&t->lru, h); n; n = sl_lru_next(n)) {
        sl_src_window *w = (sl_src_window *)n;
        if (memcmp(&w->src, src, sizeof *src) == 0) {
            w->count++;
            w->last = ts;
            return w;
        }
    }
    if (sl_lru_full(&t->lru) && t->lru.oldest)
        close_window(t, (sl_src_window *)t->lru.oldest, ts, true);
    sl_src_window *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->src = *src;
    w->first = w->last = ts;
    w->count = 1;
    sl_lru_insert(&t->lru, &w->node, h);
    sl_lru_charge(&t->lru, sizeof *w + sl_lru_grow(&t->lru, SIZE_MAX));
    return w;
}

size_t sl_window_table_memory(const sl_window_table *t)
{
    return t->lru.bytes;
}

/* ---- auth failures and scanners ---- */

/* Requests that carried credentials, by a fingerprint of Call-ID, CSeq and
 * method: direct-mapped, so a collision forgets one (its 401 then goes
 * uncounted), and a slot older than CRED_TTL is stale. */
#define CRED_SLOTS 4096
#define CRED_TTL (32 * SL_NS_PER_SEC)

typedef struct cred {
    uint64_t key; /* 0: empty */
    sl_time ts;
} cred;

struct sl_auth_watch {
    sl_sink sink;
    size_t threshold;
    sl_window_table auth, scan;
    cred creds[CRED_SLOTS];
};

typedef struct needle {
    const char *text; /* lower case, beginning with a letter */
    size_t len;
} needle;
#define NEEDLE(s)                                                                                  \
    {                                                                                              \
        (s), sizeof(s) - 1                                                                         \
    }

/* Case-insensitive substrings of User-Agent values that known SIP scanners
 * and brute-forcers send (README, "Registrations and scanners"). */
static const needle scanner_agents[] = {
    NEEDLE("friendly-scanner"), NEEDLE("sipvicious"), NEEDLE("sipcli"), NEEDLE("sip-scan"),
    NEEDLE("sipscan"),          NEEDLE("sundayddr"),  NEEDLE("iwar"),   NEEDLE("vaxsipuseragent"),
    NEEDLE("pplsip"),
};
static const needle sipvicious = NEEDLE("sipvicious");

/* The first two letters of needles, each byte 16 times (an SSE2 operand). */
typedef struct pair16 {
    uint8_t first[16], second[16];
} pair16;
#define B16(c)                                                                                     \
    {                                                                                              \
        c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c                                             \
    }
#define PAIR(a, b)                                                                                 \
    {                                                                                              \
        B16(a), B16(b)                                                                             \
    }

typedef struct needle_set {
    const needle *nd;
    size_t n;
    const pair16 *pairs; /* every needle's first two letters, once */
    size_t n_pairs;
} needle_set;

static const pair16 scanner_pairs[] = {PAIR('f', 'r'), PAIR('s', 'i'), PAIR('s', 'u'),
                                       PAIR('i', 'w'), PAIR('v', 'a'), PAIR('p', 'p')};
static const pair16 sipvicious_pair[] = {PAIR('s', 'i')};
static const needle_set scanners = {scanner_agents, sizeof scanner_agents / sizeof *scanner_agents,
                                    scanner_pairs, sizeof scanner_pairs / sizeof *scanner_pairs};
static const needle_set sipvicious_display = {&sipvicious, 1, sipvicious_pair, 1};

static bool rest_matches(const uint8_t *p, const needle *nd)
{
    for (size_t j = 1; j < nd->len; j++)
        if ((p[j] | 0x20) != (uint8_t)nd->text[j])
            return false;
    return true;
}

/* Whether a needle starts at s.ptr + i, in any case. */
static bool needle_at(sl_slice s, size_t i, const needle_set *set)
{
    for (size_t k = 0; k < set->n; k++) {
        const needle *nd = &set->nd[k];
        if ((s.ptr[i] | 0x20) == (uint8_t)nd->text[0] && nd->len <= s.len - i &&
            rest_matches(s.ptr + i, nd))
            return true;
    }
    return false;
}

#ifdef __SSE2__
/* Bit j set where bytes j and j + 1 of the 17 at p, in any case, are the
 * first two letters of a needle. */
static inline unsigned pair_mask(const uint8_t *p, const needle_set *set)
{
    __m128i lc = _mm_set1_epi8(0x20);
    __m128i v0 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)p), lc);
    __m128i v1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + 1)), lc);
    __m128i hit = _mm_setzero_si128();
    for (size_t k = 0; k < set->n_pairs; k++) {
        const pair16 *pr = &set->pairs[k];
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)pr->first);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)pr->second);
        hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(v0, a), _mm_cmpeq_epi8(v1, b)));
    }
    return (unsigned)_mm_movemask_epi8(hit);
}

static bool block_matches(sl_slice s, size_t i, unsigned mask, const needle_set *set)
{
    for (; mask; mask &= mask - 1)
        if (needle_at(s, i + (size_t)__builtin_ctz(mask), set))
            return true;
    return false;
}
#else
/* Whether p[0], p[1] are, in any case, the first two letters of a needle. */
static bool pair_at(const uint8_t *p, const needle_set *set)
{
    for (size_t k = 0; k < set->n_pairs; k++)
        if ((p[0] | 0x20) == set->pairs[k].first[0] && (p[1] | 0x20) == set->pairs[k].second[0])
            return true;
    return false;
}
#endif

/* Whether s holds one of the needles (each at least 2 letters), in any case.
 * It runs on every request's User-Agent: with SSE2, 16 positions at a time
 * are matched against the needles' first two letters, and only those that
 * match are compared in full; a string shorter than 17 bytes is scanned from
 * a zero-padded copy (a zero byte matches no letter). */
static bool contains_any_ci(sl_slice s, const needle_set *set)
{
    if (s.len < 2)
        return false;
#ifdef __SSE2__
    if (s.len < 17) {
        uint8_t pad[32] = {0};
        memcpy(pad, s.ptr, s.len);
        return block_matches(s, 0, pair_mask(pad, set), set);
    }
    size_t i = 0;
    for (; i + 17 <= s.len; i += 16)
        if (block_matches(s, i, pair_mask(s.ptr + i, set), set))
            return true;
    /* the last positions, overlapping the block before */
    return i < s.len - 1 && block_matches(s, s.len - 17, pair_mask(s.ptr + s.len - 17, set), set);
#else
    for (size_t i = 0; i + 1 < s.len; i++)
        if (pair_at(s.ptr + i, set) && needle_at(s, i, set))
            return true;
    return false;
#endif
}

bool sl_scanner_user_agent(sl_slice ua)
{
    return contains_any_ci(ua, &scanners);
}

static void report(sl_auth_watch *aw, sl_anomaly_kind kind, const sl_src_window *w, sl_time ts,
                   sl_time window)
{
    sl_anomaly_event ev = sl_anomaly_event_make(kind, ts, sl_slice_make(NULL, 0), NULL);
    ev.layer = sl_anomaly_layer(kind);
    ev.source = &w->src;
    ev.count = w->count;
    ev.window = window;
    ev.first_seen = w->first;
    ev.last_seen = w->last;
    ev.user_agent = sl_slice_make(w->ua, w->ua_len);
    sl_sink_emit_anomaly(&aw->sink, &ev);
}

static void evicted(sl_auth_watch *aw, const sl_src_window *w, sl_time ts)
{
    sl_anomaly_event ev =
        sl_anomaly_event_make(SL_ANOM_WATCH_EVICTED, ts, sl_slice_make(NULL, 0), NULL);
    ev.layer = sl_anomaly_layer(ev.kind);
    ev.source = &w->src;
    ev.count = w->count;
    ev.first_seen = w->first;
    ev.last_seen = w->last;
    sl_sink_emit_anomaly(&aw->sink, &ev);
}

static void auth_closed(void *user, const sl_src_window *w, sl_time ts, bool early)
{
    sl_auth_watch *aw = user;
    if (early)
        evicted(aw, w, ts);
    if (w->count >= aw->threshold)
        report(aw, SL_ANOM_AUTH_FAILURES, w, ts, aw->auth.window);
}

static void scan_closed(void *user, const sl_src_window *w, sl_time ts, bool early)
{
    sl_auth_watch *aw = user;
    if (early)
        evicted(aw, w, ts);
    report(aw, SL_ANOM_SCANNER, w, ts, aw->scan.window);
}

sl_auth_watch *sl_auth_watch_new(const sl_registration_config *cfg, const sl_sink *sink)
{
    sl_auth_watch *aw = calloc(1, sizeof *aw);
    if (!aw)
        return NULL;
    aw->sink = *sink;
    aw->threshold = cfg->auth_fail_threshold ? cfg->auth_fail_threshold : 1;
    bool ok =
        sl_window_table_init(&aw->auth, cfg->max_sources, cfg->auth_fail_window, auth_closed, aw);
    if (!ok ||
        !sl_window_table_init(&aw->scan, cfg->max_sources, cfg->scanner_window, scan_closed, aw)) {
        if (ok)
            sl_window_table_free(&aw->auth);
        free(aw);
        return NULL;
    }
    return aw;
}

void sl_auth_watch_free(sl_auth_watch *aw)
{
    if (!aw)
        return;
    sl_window_table_free(&aw->auth);
    sl_window_table_free(&aw->scan);
    free(aw);
}

static uint64_t cred_key(const sl_sip_ctx *ctx)
{
    uint64_t h = sl_hash_bytes(0xa4093822299f31d0u, ctx->call_id.ptr, ctx->call_id.len);
    h = sl_hash_bytes(h ^ ctx->cseq.number, ctx->cseq.method.ptr, ctx->cseq.method.len);
    return h | 1;
}

static bool has_credentials(const sl_sip_msg *m)
{
    for (size_t i = 0; i < m->n_headers; i++)
        if (m->headers[i].id == SL_HDR_OTHER &&
            (SL_IEQ_LIT(m->headers[i].name, "Authorization") ||
             SL_IEQ_LIT(m->headers[i].name, "Proxy-Authorization")))
            return true;
    return false;
}

static bool register_or_invite(const sl_sip_ctx *ctx)
{
    return ctx->has_cseq &&
           (SL_IEQ_LIT(ctx->cseq.method, "REGISTER") || SL_IEQ_LIT(ctx->cseq.method, "INVITE"));
}

/* A failed authentication, counted against the response's receiver: a 403
 * to a REGISTER or an INVITE, or a 401/407 to one that carried credentials
 * (a first 401 to a request without any is the normal digest handshake). */
static bool auth_failure(const sl_auth_watch *aw, const sl_sip_ctx *ctx)
{
    const sl_sip_msg *m = ctx->msg;
    int st = m->status_code;
    if (m->is_request || (st != 401 && st != 403 && st != 407) || !register_or_invite(ctx))
        return false;
    if (st == 403)
        return true;
    uint64_t k = cred_key(ctx);
    const cred *c = &aw->creds[k % CRED_SLOTS];
    return c->key == k && ctx->ts >= c->ts && ctx->ts - c->ts <= CRED_TTL;
}

void sl_auth_watch_on_message(sl_auth_watch *aw, const sl_sip_ctx *ctx, const sl_txn_verdict *v)
{
    if (v->retransmission)
        return;
    const sl_sip_msg *m = ctx->msg;
    if (auth_failure(aw, ctx)) {
        sl_window_table_hit(&aw->auth, &ctx->flow.dst, ctx->ts);
        return;
    }
    if (!m->is_request)
        return;
    if (register_or_invite(ctx) && has_credentials(m)) {
        uint64_t k = cred_key(ctx);
        aw->creds[k % CRED_SLOTS] = (cred){.key = k, .ts = ctx->ts};
    }
    const sl_sip_header *ua = sl_sip_find(m, SL_HDR_USER_AGENT);
    bool by_ua = ua && sl_scanner_user_agent(ua->value);
    if (!by_ua && !contains_any_ci(ctx->from.display, &sipvicious_display))
        return;
    sl_src_window *w = sl_window_table_hit(&aw->scan, &ctx->flow.src, ctx->ts);
    if (w && by_ua && w->ua_len == 0) {
        sl_slice s = sl_slice_trim(ua->value);
        w->ua_len = s.len < SL_WATCH_UA_MAX ? s.len : SL_WATCH_UA_MAX;
        memcpy(w->ua, s.ptr, w->ua_len);
    }
}

void sl_auth_watch_advance(sl_auth_watch *aw, sl_time now)
{
    sl_window_table_advance(&aw->auth, now);
    sl_window_table_advance(&aw->scan, now);
}

void sl_auth_watch_finish(sl_auth_watch *aw, sl_time now)
{
    sl_window_table_flush(&aw->auth, now);
    sl_window_table_flush(&aw->scan, now);
}

size_t sl_auth_watch_memory(const sl_auth_watch *aw)
{
    return sizeof *aw + sl_window_table_memory(&aw->auth) + sl_window_table_memory(&aw->scan);
}
