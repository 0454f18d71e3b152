#include "sipsleuth/summary.h"

#include <stdlib.h>
#include <string.h>

#define TOP_CODES 10
#define TOP_ANOMALIES 20
#define MAX_ROUTES_LISTED 20

/* Setup times (INVITE -> final response) of one outcome, in microseconds. */
typedef struct times {
    int64_t *us;
    size_t n, cap;
} times;

struct sl_summary {
    uint64_t attempts[SL_DIALOG__COUNT];
    times setup[SL_DIALOG__COUNT];
    uint64_t setup_dropped; /* times not kept for want of memory */
    uint64_t finals[700];   /* final status of attempts, 300..699 */
    sl_time first, last;    /* capture span; first is SL_DIALOG_NO_TIME before any frame */
};

sl_summary *sl_summary_new(void)
{
    sl_summary *s = calloc(1, sizeof *s);
    if (s)
        s->first = SL_DIALOG_NO_TIME;
    return s;
}

void sl_summary_free(sl_summary *s)
{
    if (!s)
        return;
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        free(s->setup[i].us);
    free(s);
}

void sl_summary_frame(sl_summary *s, sl_time ts)
{
    if (s->first == SL_DIALOG_NO_TIME || ts < s->first)
        s->first = ts;
    if (ts > s->last)
        s->last = ts;
}

static bool times_add(times *t, int64_t us)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        int64_t *p = realloc(t->us, cap * sizeof *p);
        if (!p)
            return false;
        t->us = p;
        t->cap = cap;
    }
    t->us[t->n++] = us;
    return true;
}

void sl_summary_on_dialog(void *user, const sl_dialog_event *d)
{
    sl_summary *s = user;
    if ((unsigned)d->state >= SL_DIALOG__COUNT)
        return;
    s->attempts[d->state]++;
    if (d->final_status >= 300 && d->final_status < 700)
        s->finals[d->final_status]++;
    if (d->start != SL_DIALOG_NO_TIME && d->final != SL_DIALOG_NO_TIME &&
        !times_add(&s->setup[d->state], (d->final - d->start) / SL_NS_PER_US))
        s->setup_dropped++;
}

/* ---- the report ---- */

static const struct {
    int code;
    const char *reason;
} reasons[] = {
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {423, "Interval Too Brief"},
    {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},
    {433, "Anonymity Disallowed"},
    {436, "Bad Identity Info"},
    {437, "Unsupported Credential"},
    {438, "Invalid Identity Header"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
    {607, "Unwanted"},
    {608, "Rejected"},
};

static const char *reason_phrase(int code)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == code)
            return reasons[i].reason;
    return "";
}

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

/* Sorts the times and prints their p50, p90, p99 and max in ms. */
static void print_setup(FILE *f, int64_t *us, size_t n)
{
    qsort(us, n, sizeof *us, cmp_i64);
    fprintf(f, "   %10.1f %10.1f %10.1f %10.1f", (double)percentile(us, n, 50) / 1000.0,
            (double)percentile(us, n, 90) / 1000.0, (double)percentile(us, n, 99) / 1000.0,
            (double)us[n - 1] / 1000.0);
}

static void section(FILE *f, const char *title)
{
    fprintf(f, "\n%s\n", title);
}

static void write_capture(const sl_summary *s, const sl_counters *c, FILE *f)
{
    fprintf(f, "sipsleuth summary\n");
    if (s->first == SL_DIALOG_NO_TIME) {
        fprintf(f, "  capture      no packets\n");
        return;
    }
    char a[SL_TIME_TEXT_LEN], b[SL_TIME_TEXT_LEN];
    sl_time_format(s->first, a);
    sl_time_format(s->last, b);
    fprintf(f, "  capture      %s .. %s (%.3f s)\n", a, b, sl_time_ms(s->first, s->last) / 1000.0);
    fprintf(f, "  packets      %llu (%llu bytes)\n", (unsigned long long)c->packets,
            (unsigned long long)c->bytes);
    fprintf(f, "  SIP          %llu messages: %llu requests, %llu responses; %llu not parsed\n",
            (unsigned long long)c->sip_messages, (unsigned long long)c->sip_requests,
            (unsigned long long)c->sip_responses, (unsigned long long)c->sip_parse_errors);
}

static void write_calls(sl_summary *s, FILE *f)
{
    uint64_t total = 0;
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        total += s->attempts[i];
    section(f, "Call attempts by outcome");
    if (!total) {
        fprintf(f, "  none\n");
        return;
    }
    fprintf(f, "%37s%s\n", "", "time to final response, dialog.final_ms (ms)");
    fprintf(f, "  %-12s %9s %7s   %10s %10s %10s %10s\n", "outcome", "attempts", "share", "p50",
            "p90", "p99", "max");
    /* All outcomes' times together, for the total line. */
    int64_t *all = NULL;
    size_t n_all = 0;
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        n_all += s->setup[i].n;
    if (n_all)
        all = malloc(n_all * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < SL_DIALOG__COUNT; i++) {
        times *t = &s->setup[i];
        fprintf(f, "  %-12s %9llu %6.1f%%", sl_dialog_state_name((sl_dialog_state)i),
                (unsigned long long)s->attempts[i], 100.0 * (double)s->attempts[i] / (double)total);
        if (t->n) {
            print_setup(f, t->us, t->n);
            if (all) {
                memcpy(all + k, t->us, t->n * sizeof *all);
                k += t->n;
            }
        }
        fputc('\n', f);
    }
    fprintf(f, "  %-12s %9llu %6.1f%%", "all", (unsigned long long)total, 100.0);
    if (all) {
        print_setup(f, all, n_all);
        free(all);
    }
    fputc('\n', f);
    fprintf(f, "  (percentiles by nearest rank; a call crossing a proxy is one attempt per leg)\n");
    if (s->setup_dropped)
        fprintf(f, "  (%llu times left out: out of memory)\n",
                (unsigned long long)s->setup_dropped);
}

typedef struct code_count {
    int code;
    uint64_t count;
} code_count;

static int cmp_code(const void *a, const void *b)
{
    const code_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return x->code - y->code;
}

/* Codes in [lo, hi) that occurred, most frequent first (then lowest code), at most max. */
static size_t top_codes(const uint64_t *counts, int lo, int hi, code_count *out, size_t max)
{
    code_count all[400];
    size_t n = 0;
    for (int code = lo; code < hi; code++)
        if (counts[code])
            all[n++] = (code_count){code, counts[code]};
    // cppcheck-suppress uninitvar ; qsort reads only the n entries filled above
    qsort(all, n, sizeof *all, cmp_code);
    if (n > max)
        n = max;
    memcpy(out, all, n * sizeof *out);
    return n;
}

static void write_codes(const code_count *codes, size_t n, FILE *f)
{
    if (!n)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %3d %-40s %9llu\n", codes[i].code, reason_phrase(codes[i].code),
                (unsigned long long)codes[i].count);
}

static void write_failures(const sl_summary *s, FILE *f)
{
    section(f, "Top failure codes (final responses of call attempts)");
    code_count codes[TOP_CODES];
    write_codes(codes, top_codes(s->finals, 400, 700, codes, TOP_CODES), f);
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

static void write_redirects(const sl_summary *s, const sl_routes *routes, FILE *f)
{
    section(f, "Redirects (3xx final responses of call attempts)");
    code_count codes[TOP_CODES];
    write_codes(codes, top_codes(s->finals, 300, 400, codes, TOP_CODES), f);
    if (!routes)
        return;

    section(f, "Learned routes (from 301 Moved Permanently)");
    fprintf(f, "  learned %llu, refreshed %llu, changed %llu, expired %llu, loops %llu\n",
            (unsigned long long)sl_routes_counter(routes, SL_ROUTE_LEARNED),
            (unsigned long long)sl_routes_counter(routes, SL_ROUTE_REFRESHED),
            (unsigned long long)sl_routes_counter(routes, SL_ROUTE_CHANGED),
            (unsigned long long)sl_routes_counter(routes, SL_ROUTE_EXPIRED),
            (unsigned long long)sl_routes_counter(routes, SL_ROUTE_LOOP));
    fprintf(f, "  requests still sent to a moved URI (stale use): %llu\n",
            (unsigned long long)sl_routes_counter(routes, SL_ROUTE_STALE_USE));
    size_t count = sl_routes_count(routes);
    route_list l = {.r = count ? malloc(count * sizeof *l.r) : NULL};
    if (!l.r) {
        fprintf(f, "  %zu in the table at the end\n", count);
        return;
    }
    sl_routes_foreach(routes, collect_route, &l);
    qsort(l.r, l.n, sizeof *l.r, cmp_route);
    fprintf(f, "  %zu in the table at the end:\n", l.n);
    for (size_t i = 0; i < l.n && i < MAX_ROUTES_LISTED; i++)
        fprintf(f, "    %-38s -> %-38s %4llu x\n", l.r[i]->uri, l.r[i]->target,
                (unsigned long long)l.r[i]->times_seen);
    if (l.n > MAX_ROUTES_LISTED)
        fprintf(f, "    ... and %zu more (sipsleuth routes list)\n", l.n - MAX_ROUTES_LISTED);
    free(l.r);
}

/* One line a person can act on, for a rejection cause (the events carry the
 * specific sentence for each call). */
static const char *cause_meaning(int cause)
{
    switch (cause) {
    case SL_IDR_MALFORMED: return "the Identity header or its PASSporT does not parse";
    case SL_IDR_SIGNATURE_INVALID: return "the signature does not verify: signed data changed";
    case SL_IDR_ORIG_MISMATCH: return "the calling number differs from the one signed";
    case SL_IDR_DEST_MISMATCH: return "the called number differs from the one signed";
    case SL_IDR_IAT_STALE: return "signed too long before the call arrived (iat)";
    case SL_IDR_ALG_MISMATCH: return "the header's alg differs from the PASSporT's";
    case SL_IDR_PPT_MISMATCH: return "the header's ppt differs from the PASSporT's";
    case SL_IDR_CERT_UNAVAILABLE: return "the signing certificate could not be had";
    case SL_IDR_CERT_UNTRUSTED: return "the certificate does not chain to a trust anchor";
    case SL_IDR_CERT_EXPIRED: return "the certificate was not valid at signing time";
    case SL_ID_CAUSE_MISSING: return "the request carried no Identity header";
    case SL_ID_CAUSE_NO_FAULT: return "re-verification found nothing wrong";
    default: return "the request was not captured: cannot re-verify";
    }
}

static const char *cause_name(int cause)
{
    switch (cause) {
    case SL_ID_CAUSE_MISSING: return "identity_missing";
    case SL_ID_CAUSE_NO_FAULT: return "no_fault_found";
    case SL_ID_CAUSE_NOT_CAPTURED: return "(unknown)";
    default: return sl_id_reason_name((sl_id_reason)cause);
    }
}

/* Indexes of counts[0..n) that are non-zero, most frequent first. */
static size_t order_counts(const uint64_t *counts, int n, code_count *out)
{
    size_t k = 0;
    for (int i = 0; i < n; i++)
        if (counts[i])
            out[k++] = (code_count){i, counts[i]};
    qsort(out, k, sizeof *out, cmp_code);
    return k;
}

static void write_identity(const sl_identity_counts *id, FILE *f)
{
    section(f, "Identity (STIR/SHAKEN, RFC 8224)");
    if (!id->signed_requests) {
        fprintf(f, "  no signed requests\n");
    } else {
        const uint64_t headers = id->valid + id->invalid + id->unverifiable;
        fprintf(f,
                "  signed requests %llu, Identity headers %llu: valid %llu, invalid %llu, "
                "unverifiable %llu\n",
                (unsigned long long)id->signed_requests, (unsigned long long)headers,
                (unsigned long long)id->valid, (unsigned long long)id->invalid,
                (unsigned long long)id->unverifiable);
    }
    code_count order[SL_ID_CAUSE__COUNT];
    size_t n = order_counts(id->reasons, SL_IDR__COUNT, order);
    if (n)
        fprintf(f, "  reasons given in the verdicts:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "    %-20s %9llu  %s\n", cause_name(order[i].code),
                (unsigned long long)order[i].count, cause_meaning(order[i].code));

    section(f, "Rejections (428/436/437/438) by cause");
    n = order_counts(id->causes, SL_ID_CAUSE__COUNT, order);
    if (!n)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-20s %9llu  %s\n", cause_name(order[i].code),
                (unsigned long long)order[i].count, cause_meaning(order[i].code));
}

static void write_anomalies(const sl_counters *c, FILE *f)
{
    section(f, "Anomalies by kind");
    unsigned n = c->n_anomaly_kinds;
    sl_anomaly_kind order[SL_ANOM__COUNT];
    for (unsigned i = 0; i < n; i++) {
        /* Insertion by count, then name: deterministic whatever the arrival order. */
        const sl_anomaly_kind k = c->anomaly_kinds[i];
        unsigned j = i;
        while (j > 0) {
            const sl_anomaly_kind p = order[j - 1];
            uint64_t pc = c->anomaly_counts[p], kc = c->anomaly_counts[k];
            if (pc > kc || (pc == kc && strcmp(sl_anomaly_name(p), sl_anomaly_name(k)) < 0))
                break;
            order[j] = p;
            j--;
        }
        order[j] = k;
    }
    uint64_t listed = 0;
    for (unsigned i = 0; i < n && i < TOP_ANOMALIES; i++) {
        fprintf(f, "  %-44s %9llu\n", sl_anomaly_name(order[i]),
                (unsigned long long)c->anomaly_counts[order[i]]);
        listed += c->anomaly_counts[order[i]];
    }
    if (c->anomalies > listed)
        fprintf(f, "  %-44s %9llu\n", "other kinds", (unsigned long long)(c->anomalies - listed));
    if (!c->anomalies)
        fprintf(f, "  none\n");
}

bool sl_summary_write(sl_summary *s, const sl_counters *c, const sl_routes *routes,
                      const sl_identity_counts *identity, FILE *f)
{
    write_capture(s, c, f);
    write_calls(s, f);
    write_failures(s, f);
    write_redirects(s, routes, f);
    if (identity)
        write_identity(identity, f);
    write_anomalies(c, f);
    return fflush(f) == 0 && !ferror(f);
}
