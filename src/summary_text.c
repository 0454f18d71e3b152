/* --summary, the text report: sl_summary_report laid out for a person. */
#include "sipsleuth/summary.h"

#include <stdlib.h>
#include <string.h>

#define TOP_ANOMALIES 20

static void section(FILE *f, const char *title)
{
    fprintf(f, "\n%s\n", title);
}

static double ms(int64_t us)
{
    return (double)us / 1000.0;
}

static void print_times(FILE *f, const sl_summary_times *t)
{
    if (t->n)
        fprintf(f, "   %10.1f %10.1f %10.1f %10.1f", ms(t->p50), ms(t->p90), ms(t->p99),
                ms(t->max));
}

/* src (NUL-terminated bytes from packets) with all but printable ASCII as '?'. */
static void printable(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    for (; k + 1 < cap && src[k]; k++) {
        const unsigned char c = (unsigned char)src[k];
        char out = '?';
        if (c >= 0x20 && c <= 0x7e)
            out = (char)c;
        dst[k] = out;
    }
    dst[k] = '\0';
}

static void write_capture(const sl_summary_report *r, FILE *f)
{
    const sl_counters *c = r->counters;
    fprintf(f, "sipsleuth summary\n");
    if (r->first == SL_DIALOG_NO_TIME) {
        fprintf(f, "  capture      no packets\n");
        return;
    }
    char a[SL_TIME_TEXT_LEN], b[SL_TIME_TEXT_LEN];
    sl_time_format(r->first, a);
    sl_time_format(r->last, b);
    fprintf(f, "  capture      %s .. %s (%.3f s)\n", a, b, sl_time_ms(r->first, r->last) / 1000.0);
    fprintf(f, "  packets      %llu (%llu bytes)\n", (unsigned long long)c->packets,
            (unsigned long long)c->bytes);
    fprintf(f, "  SIP          %llu messages: %llu requests, %llu responses; %llu not parsed\n",
            (unsigned long long)c->sip_messages, (unsigned long long)c->sip_requests,
            (unsigned long long)c->sip_responses, (unsigned long long)c->sip_parse_errors);
}

/* Method indexes by count, then name. */
static void order_methods(const sl_counters *c, unsigned *order)
{
    for (unsigned i = 0; i < c->n_methods; i++) {
        unsigned j = i;
        while (j > 0) {
            unsigned p = order[j - 1];
            uint64_t pc = c->methods[p].count, kc = c->methods[i].count;
            if (pc > kc || (pc == kc && strcmp(c->methods[p].name, c->methods[i].name) <= 0))
                break;
            order[j] = p;
            j--;
        }
        order[j] = i;
    }
}

static void write_messages(const sl_summary_report *r, FILE *f)
{
    const sl_counters *c = &r->sip;
    section(f, "SIP requests by method (every message, retransmissions included)");
    unsigned order[SL_STATS_METHODS];
    order_methods(c, order);
    for (unsigned i = 0; i < c->n_methods; i++) {
        char name[SL_STATS_METHOD_LEN];
        printable(name, sizeof name, c->methods[order[i]].name);
        fprintf(f, "  %-44s %9llu\n", name, (unsigned long long)c->methods[order[i]].count);
    }
    if (c->other_methods)
        fprintf(f, "  %-44s %9llu\n", "(other methods)", (unsigned long long)c->other_methods);
    if (!c->sip_requests)
        fprintf(f, "  none\n");
    section(f, "SIP responses by status");
    for (int code = 100; code < 700; code++)
        if (c->status[code])
            fprintf(f, "  %3d %-40s %9llu\n", code, sl_summary_status_phrase(code),
                    (unsigned long long)c->status[code]);
    if (!c->sip_responses)
        fprintf(f, "  none\n");
    if (c->sip_messages)
        fprintf(f, "  (%llu of the %llu messages were retransmissions)\n",
                (unsigned long long)r->retransmissions, (unsigned long long)c->sip_messages);
}

static void write_calls(const sl_summary_report *r, FILE *f)
{
    section(f, "Call attempts by outcome");
    if (!r->attempts_total) {
        fprintf(f, "  none\n");
        return;
    }
    fprintf(f, "%37s%s\n", "", "time to final response, dialog.final_ms (ms)");
    fprintf(f, "  %-12s %9s %7s   %10s %10s %10s %10s\n", "outcome", "attempts", "share", "p50",
            "p90", "p99", "max");
    for (int i = 0; i < SL_DIALOG__COUNT; i++) {
        fprintf(f, "  %-12s %9llu %6.1f%%", sl_dialog_state_name((sl_dialog_state)i),
                (unsigned long long)r->attempts[i],
                100.0 * (double)r->attempts[i] / (double)r->attempts_total);
        print_times(f, &r->final_by_state[i]);
        fputc('\n', f);
    }
    fprintf(f, "  %-12s %9llu %6.1f%%", "all", (unsigned long long)r->attempts_total, 100.0);
    print_times(f, &r->final_all);
    fputc('\n', f);
    fprintf(f, "  (percentiles by nearest rank; a call crossing a proxy is one attempt per leg)\n");
    if (r->times_dropped)
        fprintf(f, "  (%llu times left out: out of memory)\n",
                (unsigned long long)r->times_dropped);
}

static void write_answered(const sl_summary_report *r, FILE *f)
{
    section(f, "Answered calls: setup time and post-dial delay (ms)");
    if (!r->answered) {
        fprintf(f, "  none\n");
        return;
    }
    fprintf(f, "  %-22s %9s   %10s %10s %10s %10s\n", "", "calls", "p50", "p90", "p99", "max");
    fprintf(f, "  %-22s %9llu", "setup: INVITE -> 2xx", (unsigned long long)r->setup.n);
    print_times(f, &r->setup);
    fprintf(f, "\n  %-22s %9llu", "PDD: INVITE -> 18x", (unsigned long long)r->pdd.n);
    print_times(f, &r->pdd);
    fprintf(f, "\n  (%llu answered calls; %llu without a 180-189: no PDD)\n",
            (unsigned long long)r->answered, (unsigned long long)r->no_18x);
}

static void write_codes(const sl_summary_code *codes, size_t n, FILE *f)
{
    if (!n)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %3d %-40s %9llu\n", codes[i].code, sl_summary_status_phrase(codes[i].code),
                (unsigned long long)codes[i].count);
}

static void write_failures(const sl_summary_report *r, FILE *f)
{
    section(f, "Top failure codes (final responses of failed call attempts), Q.850 causes");
    if (!r->n_failures)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < r->n_failures; i++) {
        const sl_summary_failure *x = &r->failures[i];
        char phrase[SL_DIALOG_REASON_KEPT + 1];
        printable(phrase, sizeof phrase, x->phrase);
        fprintf(f, "  %3d %-40s %9llu\n", x->code, phrase, (unsigned long long)x->count);
        for (size_t k = 0; k < x->n_causes; k++) {
            const char *name = sl_q850_cause_name(x->causes[k].code);
            fprintf(f, "      cause %3d %-34s %9llu\n", x->causes[k].code,
                    name ? name : "(unassigned)", (unsigned long long)x->causes[k].count);
        }
        if (x->n_causes && x->no_cause)
            fprintf(f, "      %-44s %9llu\n", "no Q.850 cause", (unsigned long long)x->no_cause);
    }
}

static void write_redirects(const sl_summary_report *r, FILE *f)
{
    section(f, "Redirects (3xx final responses of call attempts)");
    write_codes(r->redirects, r->n_redirects, f);
    const sl_routes *routes = r->routes;
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
    if (!r->route_list) {
        fprintf(f, "  %zu in the table at the end\n", r->routes_total);
        return;
    }
    fprintf(f, "  %zu in the table at the end:\n", r->routes_total);
    for (size_t i = 0; i < r->n_route_list; i++)
        fprintf(f, "    %-38s -> %-38s %4llu x\n", r->route_list[i]->uri, r->route_list[i]->target,
                (unsigned long long)r->route_list[i]->times_seen);
    if (r->routes_total > r->n_route_list)
        fprintf(f, "    ... and %zu more (sipsleuth routes list)\n",
                r->routes_total - r->n_route_list);
}

static void write_registrations(const sl_summary_report *r, FILE *f)
{
    const uint64_t *n = r->registrations;
    section(f, "Registrations (REGISTER attempts, a challenge and its answer being one)");
    fprintf(f, "  ok %llu, failed %llu, challenged only %llu, no response %llu\n",
            (unsigned long long)n[SL_REG_OK], (unsigned long long)n[SL_REG_FAILED],
            (unsigned long long)n[SL_REG_CHALLENGED], (unsigned long long)n[SL_REG_NO_RESPONSE]);
    section(f, "Sources flagged as scanners");
    if (!r->n_scanners)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < r->n_scanners; i++)
        fprintf(f, "  %-44s %9llu\n", r->scanners[i].addr,
                (unsigned long long)r->scanners[i].count);
    if (r->scanner_sources > r->n_scanners)
        fprintf(f, "  ... and %llu more sources\n",
                (unsigned long long)(r->scanner_sources - r->n_scanners));
}

/* Indexes of counts[0..n) that are non-zero, most frequent first. */
static size_t order_counts(const uint64_t *counts, int n, sl_summary_code *out)
{
    size_t k = 0;
    for (int i = 0; i < n; i++)
        if (counts[i])
            out[k++] = (sl_summary_code){i, counts[i]};
    for (size_t i = 1; i < k; i++) /* insertion: few entries */
        for (size_t j = i;
             j > 0 && (out[j - 1].count < out[j].count ||
                       (out[j - 1].count == out[j].count && out[j - 1].code > out[j].code));
             j--) {
            sl_summary_code t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
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
    sl_summary_code order[SL_ID_CAUSE__COUNT];
    size_t n = order_counts(id->reasons, SL_IDR__COUNT, order);
    if (n)
        fprintf(f, "  reasons given in the verdicts:\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "    %-20s %9llu  %s\n", sl_summary_cause_name(order[i].code),
                (unsigned long long)order[i].count, sl_summary_cause_meaning(order[i].code));

    section(f, "Rejections (428/436/437/438) by cause");
    n = order_counts(id->causes, SL_ID_CAUSE__COUNT, order);
    if (!n)
        fprintf(f, "  none\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %-20s %9llu  %s\n", sl_summary_cause_name(order[i].code),
                (unsigned long long)order[i].count, sl_summary_cause_meaning(order[i].code));
}

static void write_anomalies(const sl_summary_report *r, FILE *f)
{
    const sl_counters *c = r->counters;
    section(f, "Anomalies by kind");
    uint64_t listed = 0;
    for (unsigned i = 0; i < r->n_anomaly_kinds && i < TOP_ANOMALIES; i++) {
        fprintf(f, "  %-44s %9llu\n", sl_anomaly_name(r->anomaly_order[i]),
                (unsigned long long)c->anomaly_counts[r->anomaly_order[i]]);
        listed += c->anomaly_counts[r->anomaly_order[i]];
    }
    if (c->anomalies > listed)
        fprintf(f, "  %-44s %9llu\n", "other kinds", (unsigned long long)(c->anomalies - listed));
    if (!c->anomalies)
        fprintf(f, "  none\n");
}

bool sl_summary_write(const sl_summary_report *r, FILE *f)
{
    write_capture(r, f);
    write_messages(r, f);
    write_calls(r, f);
    write_answered(r, f);
    write_failures(r, f);
    write_redirects(r, f);
    write_registrations(r, f);
    if (r->identity)
        write_identity(r->identity, f);
    write_anomalies(r, f);
    return fflush(f) == 0 && !ferror(f);
}
