/* --summary, the collection: what the events say, kept small and bounded
 * (times grow with the calls, 8 bytes each), then turned into the report
 * that summary_text.c and output/summary_json.c write. */
#include "sipsleuth/summary.h"

#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/sip_event.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define PHRASES 64   /* (code, reason phrase) pairs of failed attempts kept */
#define CAUSES 128   /* (code, Q.850 cause) pairs kept */
#define SOURCES 1024 /* scanner sources kept */

typedef struct times {
    int64_t *us;
    size_t n, cap;
} times;

typedef struct phrase_entry {
    uint16_t code;
    uint8_t len;
    char text[SL_DIALOG_REASON_KEPT];
    uint64_t count;
} phrase_entry;

typedef struct cause_entry {
    uint16_t code, cause;
    uint64_t count;
} cause_entry;

typedef struct source_entry {
    sl_addr addr;
    uint64_t count;
} source_entry;

struct sl_summary {
    sl_summary_report rep;
    bool made;
    sl_sink next;
    times final_by_state[SL_DIALOG__COUNT], setup, pdd;
    uint64_t failed[700];     /* final status of failed attempts, 400..699 */
    uint64_t redirected[400]; /* final status of redirected attempts, 300..399 */
    phrase_entry phrases[PHRASES];
    size_t n_phrases;
    cause_entry causes[CAUSES];
    size_t n_causes;
    source_entry sources[SOURCES];
    size_t n_sources;
};

sl_summary *sl_summary_new(void)
{
    sl_summary *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rep.first = SL_DIALOG_NO_TIME;
    return s;
}

void sl_summary_free(sl_summary *s)
{
    if (!s)
        return;
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        free(s->final_by_state[i].us);
    free(s->setup.us);
    free(s->pdd.us);
    free((void *)s->rep.route_list);
    free(s);
}

void sl_summary_frame(sl_summary *s, sl_time ts)
{
    if (s->rep.first == SL_DIALOG_NO_TIME || ts < s->rep.first)
        s->rep.first = ts;
    if (ts > s->rep.last)
        s->rep.last = ts;
}

static void times_add(sl_summary *s, times *t, sl_time from, sl_time to)
{
    if (from == SL_DIALOG_NO_TIME || to == SL_DIALOG_NO_TIME)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        int64_t *p = realloc(t->us, cap * sizeof *p);
        if (!p) {
            s->rep.times_dropped++;
            return;
        }
        t->us = p;
        t->cap = cap;
    }
    t->us[t->n++] = (to - from) / SL_NS_PER_US;
}

static void note_phrase(sl_summary *s, int code, sl_slice phrase)
{
    for (size_t i = 0; i < s->n_phrases; i++) {
        phrase_entry *e = &s->phrases[i];
        if (e->code == code && e->len == phrase.len && memcmp(e->text, phrase.ptr, e->len) == 0) {
            e->count++;
            return;
        }
    }
    if (s->n_phrases == PHRASES || !phrase.len || phrase.len > SL_DIALOG_REASON_KEPT)
        return;
    phrase_entry *e = &s->phrases[s->n_phrases++];
    *e = (phrase_entry){.code = (uint16_t)code, .len = (uint8_t)phrase.len, .count = 1};
    memcpy(e->text, phrase.ptr, phrase.len);
}

static void note_cause(sl_summary *s, int code, uint16_t cause)
{
    for (size_t i = 0; i < s->n_causes; i++)
        if (s->causes[i].code == code && s->causes[i].cause == cause) {
            s->causes[i].count++;
            return;
        }
    if (s->n_causes < CAUSES)
        s->causes[s->n_causes++] = (cause_entry){(uint16_t)code, cause, 1};
}

static void on_dialog(sl_summary *s, const sl_dialog_event *d)
{
    if ((unsigned)d->state >= SL_DIALOG__COUNT)
        return;
    s->rep.attempts[d->state]++;
    s->rep.attempts_total++;
    times_add(s, &s->final_by_state[d->state], d->start, d->final);
    const int st = d->final_status;
    if (d->state == SL_DIALOG_COMPLETED || d->state == SL_DIALOG_ANSWERED) {
        s->rep.answered++;
        times_add(s, &s->setup, d->start, d->final);
        if (d->first_18x == SL_DIALOG_NO_TIME)
            s->rep.no_18x++;
        times_add(s, &s->pdd, d->start, d->first_18x);
    } else if (d->state == SL_DIALOG_REDIRECTED && st >= 300 && st < 400) {
        s->redirected[st]++;
    } else if (d->state == SL_DIALOG_FAILED && st >= 400 && st < 700) {
        s->failed[st]++;
        note_phrase(s, st, d->final_reason);
        if (d->has_end_reason && d->end_protocol == SL_REASON_Q850 && d->end_has_cause)
            note_cause(s, st, d->end_cause);
    }
}

static void on_sip(sl_summary *s, const sl_sip_event *ev)
{
    const sl_sip_ctx *ctx = ev->msg;
    sl_counters_message(&s->rep.sip, ctx->msg);
    if (ev->retransmission)
        s->rep.retransmissions++;
}

static void on_registration(sl_summary *s, const sl_registration_event *ev)
{
    if ((unsigned)ev->outcome < SL_REG__COUNT)
        s->rep.registrations[ev->outcome]++;
}

static bool addr_eq(const sl_addr *a, const sl_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, a->family == 4 ? 4 : 16) == 0;
}

/* A `scanner` anomaly: its requests added to its source's. */
static void on_anomaly(sl_summary *s, const sl_anomaly_event *ev)
{
    const sl_addr *a = ev->source;
    if (ev->kind != SL_ANOM_SCANNER || !a || !a->family)
        return;
    for (size_t i = 0; i < s->n_sources; i++)
        if (addr_eq(&s->sources[i].addr, a)) {
            s->sources[i].count += ev->count;
            return;
        }
    if (s->n_sources == SOURCES)
        return;
    source_entry *e = &s->sources[s->n_sources++];
    *e = (source_entry){{.family = a->family}, ev->count};
    memcpy(e->addr.bytes, a->bytes, a->family == 4 ? 4 : 16);
}

void sl_summary_on_event(void *user, const sl_event *ev)
{
    sl_summary *s = user;
    switch (ev->type) {
    case SL_EV_SIP: on_sip(s, (const sl_sip_event *)ev); break;
    case SL_EV_DIALOG: on_dialog(s, (const sl_dialog_event *)ev); break;
    case SL_EV_ANOMALY: on_anomaly(s, (const sl_anomaly_event *)ev); break;
    case SL_EV_REGISTRATION: on_registration(s, (const sl_registration_event *)ev); break;
    default: break;
    }
}

bool sl_summary_wants(sl_event_type type)
{
    return type == SL_EV_SIP || type == SL_EV_DIALOG || type == SL_EV_ANOMALY ||
           type == SL_EV_REGISTRATION;
}

static bool tee_wants(void *self, sl_event_type type)
{
    const sl_summary *s = self;
    return sl_summary_wants(type) || sl_sink_wants(&s->next, type);
}

static void tee_emit(void *self, const sl_event *ev)
{
    sl_summary *s = self;
    sl_summary_on_event(s, ev);
    if (sl_sink_wants(&s->next, ev->type))
        sl_sink_emit(&s->next, ev);
}

sl_sink sl_summary_tee(sl_summary *s, const sl_sink *next)
{
    s->next = *next;
    return (sl_sink){.wants = tee_wants, .emit = tee_emit, .self = s};
}

/* ---- the report ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static int64_t percentile(const int64_t *v, size_t n, unsigned p)
{
    size_t rank = (size_t)((p * (uint64_t)n + 99) / 100);
    return v[rank ? rank - 1 : 0];
}

static sl_summary_times times_of(int64_t *us, size_t n)
{
    if (!n)
        return (sl_summary_times){0};
    qsort(us, n, sizeof *us, cmp_i64);
    return (sl_summary_times){.n = n,
                              .p50 = percentile(us, n, 50),
                              .p90 = percentile(us, n, 90),
                              .p99 = percentile(us, n, 99),
                              .max = us[n - 1]};
}

/* All outcomes' times together (the `all` line); n 0 when out of memory. */
static sl_summary_times all_times(sl_summary *s)
{
    size_t n = 0, k = 0;
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        n += s->final_by_state[i].n;
    int64_t *all = n ? malloc(n * sizeof *all) : NULL;
    if (!all)
        return (sl_summary_times){0};
    for (int i = 0; i < SL_DIALOG__COUNT; i++) {
        if (!s->final_by_state[i].n)
            continue; /* its array may be NULL */
        memcpy(all + k, s->final_by_state[i].us, s->final_by_state[i].n * sizeof *all);
        k += s->final_by_state[i].n;
    }
    sl_summary_times t = times_of(all, n);
    free(all);
    return t;
}

static int cmp_code(const void *a, const void *b)
{
    const sl_summary_code *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->code - y->code;
}

/* Codes in [lo, hi) that occurred, most frequent first (then lowest code), at most max. */
static size_t top_codes(const uint64_t *counts, int lo, int hi, sl_summary_code *out, size_t max)
{
    sl_summary_code all[400];
    size_t n = 0;
    for (int code = lo; code < hi; code++)
        if (counts[code])
            all[n++] = (sl_summary_code){code, counts[code]};
    // cppcheck-suppress uninitvar ; qsort reads only the n entries filled above
    qsort(all, n, sizeof *all, cmp_code);
    if (n > max)
        n = max;
    memcpy(out, all, n * sizeof *out);
    return n;
}

/* The phrase and Q.850 causes of one failure code. */
static void describe_failure(const sl_summary *s, sl_summary_failure *f)
{
    const phrase_entry *best = NULL;
    for (size_t i = 0; i < s->n_phrases; i++)
        if (s->phrases[i].code == f->code && (!best || s->phrases[i].count > best->count))
            best = &s->phrases[i];
    if (best)
        memcpy(f->phrase, best->text, best->len);
    else
        snprintf(f->phrase, sizeof f->phrase, "%s", sl_summary_status_phrase(f->code));
    sl_summary_code all[CAUSES];
    size_t n = 0;
    uint64_t with_cause = 0;
    for (size_t i = 0; i < s->n_causes; i++)
        if (s->causes[i].code == f->code) {
            all[n++] = (sl_summary_code){s->causes[i].cause, s->causes[i].count};
            with_cause += s->causes[i].count;
        }
    // cppcheck-suppress uninitvar ; qsort reads only the n entries filled above
    qsort(all, n, sizeof *all, cmp_code);
    f->n_causes = n < SL_SUMMARY_CAUSES ? n : SL_SUMMARY_CAUSES;
    memcpy(f->causes, all, f->n_causes * sizeof *all);
    f->no_cause = f->count - with_cause;
}

static int cmp_source(const void *a, const void *b)
{
    const source_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return memcmp(&x->addr, &y->addr, sizeof x->addr);
}

static void make_scanners(sl_summary *s)
{
    sl_summary_report *r = &s->rep;
    qsort(s->sources, s->n_sources, sizeof *s->sources, cmp_source);
    r->scanner_sources = s->n_sources;
    for (size_t i = 0; i < s->n_sources && i < SL_SUMMARY_SCANNERS; i++) {
        const sl_addr *a = &s->sources[i].addr;
        if (!a->family || !inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes,
                                     r->scanners[i].addr, sizeof r->scanners[i].addr))
            snprintf(r->scanners[i].addr, sizeof r->scanners[i].addr, "(unknown)");
        r->scanners[i].count = s->sources[i].count;
        r->n_scanners++;
    }
}

static void order_anomalies(sl_summary_report *r, const sl_counters *c)
{
    unsigned n = c->n_anomaly_kinds;
    for (unsigned i = 0; i < n; i++) {
        /* Insertion by count, then name: deterministic whatever the arrival order. */
        const sl_anomaly_kind k = c->anomaly_kinds[i];
        unsigned j = i;
        while (j > 0) {
            const sl_anomaly_kind p = r->anomaly_order[j - 1];
            uint64_t pc = c->anomaly_counts[p], kc = c->anomaly_counts[k];
            if (pc > kc || (pc == kc && strcmp(sl_anomaly_name(p), sl_anomaly_name(k)) < 0))
                break;
            r->anomaly_order[j] = p;
            j--;
        }
        r->anomaly_order[j] = k;
    }
    r->n_anomaly_kinds = n;
}

typedef struct route_list {
    const sl_route **r;
    size_t n;
} route_list;

static void collect_route(void *user, const sl_route *r)
{
    route_list *l = user;
    l->r[l->n++] = r;
}

static int cmp_route(const void *a, const void *b)
{
    const sl_route *x = *(const sl_route *const *)a, *y = *(const sl_route *const *)b;
    return strcmp(x->uri, y->uri);
}

static void list_routes(sl_summary_report *r, const sl_routes *routes)
{
    r->routes = routes;
    if (!routes)
        return;
    r->routes_total = sl_routes_count(routes);
    route_list l = {.r = r->routes_total ? malloc(r->routes_total * sizeof *l.r) : NULL};
    if (!l.r)
        return;
    sl_routes_foreach(routes, collect_route, &l);
    qsort(l.r, l.n, sizeof *l.r, cmp_route);
    r->route_list = l.r;
    r->n_route_list = l.n < SL_SUMMARY_ROUTES ? l.n : SL_SUMMARY_ROUTES;
}

const sl_summary_report *sl_summary_report_make(sl_summary *s, const sl_counters *c,
                                                const sl_routes *routes,
                                                const sl_identity_counts *identity)
{
    sl_summary_report *r = &s->rep;
    if (s->made)
        return r;
    s->made = true;
    r->counters = c;
    r->identity = identity;
    r->final_all = all_times(s);
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        r->final_by_state[i] = times_of(s->final_by_state[i].us, s->final_by_state[i].n);
    r->setup = times_of(s->setup.us, s->setup.n);
    r->pdd = times_of(s->pdd.us, s->pdd.n);
    sl_summary_code codes[SL_SUMMARY_TOP_CODES];
    r->n_failures = top_codes(s->failed, 400, 700, codes, SL_SUMMARY_TOP_CODES);
    for (size_t i = 0; i < r->n_failures; i++) {
        r->failures[i].code = codes[i].code;
        r->failures[i].count = codes[i].count;
        describe_failure(s, &r->failures[i]);
    }
    r->n_redirects = top_codes(s->redirected, 300, 400, r->redirects, SL_SUMMARY_TOP_CODES);
    make_scanners(s);
    order_anomalies(r, c);
    list_routes(r, routes);
    return r;
}
