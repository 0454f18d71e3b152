/* --summary --json: the report as one JSON object, the same numbers as the
 * text (docs/summary.md; docs/summary.schema.json). */
#include "sipsleuth/summary_json.h"
#include "writers.h"

#include <stdio.h>

static void write_times(sl_jw *w, const char *key, const sl_summary_times *t)
{
    if (!t->n) {
        sl_jw_knull(w, key);
        return;
    }
    sl_jw_key(w, key);
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "n", t->n);
    sl_jw_kms(w, "p50", (double)t->p50 / 1000.0);
    sl_jw_kms(w, "p90", (double)t->p90 / 1000.0);
    sl_jw_kms(w, "p99", (double)t->p99 / 1000.0);
    sl_jw_kms(w, "max", (double)t->max / 1000.0);
    sl_jw_obj_end(w);
}

static void write_capture(sl_jw *w, const sl_summary_report *r)
{
    const sl_counters *c = r->counters;
    sl_jw_key(w, "capture");
    sl_jw_obj_begin(w);
    if (r->first == SL_DIALOG_NO_TIME) {
        sl_jw_knull(w, "first");
        sl_jw_knull(w, "last");
        sl_jw_kms(w, "duration_ms", 0);
    } else {
        sl_jw_key(w, "first");
        sl_jw_time(w, r->first);
        sl_jw_key(w, "last");
        sl_jw_time(w, r->last);
        sl_jw_kms(w, "duration_ms", sl_time_ms(r->first, r->last));
    }
    sl_jw_kuint(w, "packets", c->packets);
    sl_jw_kuint(w, "bytes", c->bytes);
    sl_jw_obj_end(w);
}

static void write_sip(sl_jw *w, const sl_summary_report *r)
{
    const sl_counters *c = &r->sip;
    sl_jw_key(w, "sip");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "messages", c->sip_messages);
    sl_jw_kuint(w, "requests", c->sip_requests);
    sl_jw_kuint(w, "responses", c->sip_responses);
    sl_jw_kuint(w, "retransmissions", r->retransmissions);
    sl_jw_kuint(w, "not_parsed", r->counters->sip_parse_errors);
    sl_json_message_counts(w, c);
    sl_jw_obj_end(w);
}

static void write_calls(sl_jw *w, const sl_summary_report *r)
{
    sl_jw_key(w, "calls");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "attempts", r->attempts_total);
    sl_jw_key(w, "by_outcome");
    sl_jw_obj_begin(w);
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        sl_jw_kuint(w, sl_dialog_state_name((sl_dialog_state)i), r->attempts[i]);
    sl_jw_obj_end(w);
    sl_jw_key(w, "final_ms");
    sl_jw_obj_begin(w);
    for (int i = 0; i < SL_DIALOG__COUNT; i++)
        write_times(w, sl_dialog_state_name((sl_dialog_state)i), &r->final_by_state[i]);
    write_times(w, "all", &r->final_all);
    sl_jw_obj_end(w);
    sl_jw_kuint(w, "times_dropped", r->times_dropped);
    sl_jw_obj_end(w);

    sl_jw_key(w, "answered");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "calls", r->answered);
    write_times(w, "setup_ms", &r->setup);
    write_times(w, "pdd_ms", &r->pdd);
    sl_jw_kuint(w, "without_18x", r->no_18x);
    sl_jw_obj_end(w);
}

static void write_failures(sl_jw *w, const sl_summary_report *r)
{
    sl_jw_key(w, "failures");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < r->n_failures; i++) {
        const sl_summary_failure *f = &r->failures[i];
        sl_jw_obj_begin(w);
        sl_jw_kint(w, "code", f->code);
        sl_jw_key(w, "phrase");
        sl_jw_bytes(w, f->phrase, strlen(f->phrase));
        sl_jw_kuint(w, "count", f->count);
        sl_jw_key(w, "q850");
        sl_jw_arr_begin(w);
        for (size_t k = 0; k < f->n_causes; k++) {
            const char *name = sl_q850_cause_name(f->causes[k].code);
            sl_jw_obj_begin(w);
            sl_jw_kint(w, "cause", f->causes[k].code);
            if (name)
                sl_jw_kstr(w, "name", name);
            else
                sl_jw_knull(w, "name");
            sl_jw_kuint(w, "count", f->causes[k].count);
            sl_jw_obj_end(w);
        }
        sl_jw_arr_end(w);
        sl_jw_kuint(w, "without_q850", f->no_cause);
        sl_jw_obj_end(w);
    }
    sl_jw_arr_end(w);

    sl_jw_key(w, "redirects");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < r->n_redirects; i++) {
        sl_jw_obj_begin(w);
        sl_jw_kint(w, "code", r->redirects[i].code);
        sl_jw_kstr(w, "phrase", sl_summary_status_phrase(r->redirects[i].code));
        sl_jw_kuint(w, "count", r->redirects[i].count);
        sl_jw_obj_end(w);
    }
    sl_jw_arr_end(w);
}

static void write_routes(sl_jw *w, const sl_summary_report *r)
{
    const sl_routes *routes = r->routes;
    if (!routes)
        return;
    sl_jw_key(w, "routes");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "learned", sl_routes_counter(routes, SL_ROUTE_LEARNED));
    sl_jw_kuint(w, "refreshed", sl_routes_counter(routes, SL_ROUTE_REFRESHED));
    sl_jw_kuint(w, "changed", sl_routes_counter(routes, SL_ROUTE_CHANGED));
    sl_jw_kuint(w, "expired", sl_routes_counter(routes, SL_ROUTE_EXPIRED));
    sl_jw_kuint(w, "loops", sl_routes_counter(routes, SL_ROUTE_LOOP));
    sl_jw_kuint(w, "stale_use", sl_routes_counter(routes, SL_ROUTE_STALE_USE));
    sl_jw_kuint(w, "in_table", r->routes_total);
    sl_jw_key(w, "listed");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < r->n_route_list; i++) {
        sl_jw_obj_begin(w);
        sl_jw_kstr(w, "uri", r->route_list[i]->uri);
        sl_jw_kstr(w, "target", r->route_list[i]->target);
        sl_jw_kuint(w, "times_seen", r->route_list[i]->times_seen);
        sl_jw_obj_end(w);
    }
    sl_jw_arr_end(w);
    sl_jw_obj_end(w);
}

static void write_sources(sl_jw *w, const sl_summary_report *r)
{
    sl_jw_key(w, "registrations");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "ok", r->registrations[SL_REG_OK]);
    sl_jw_kuint(w, "failed", r->registrations[SL_REG_FAILED]);
    sl_jw_kuint(w, "challenged_only", r->registrations[SL_REG_CHALLENGED]);
    sl_jw_kuint(w, "no_response", r->registrations[SL_REG_NO_RESPONSE]);
    sl_jw_obj_end(w);
    sl_jw_key(w, "scanners");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "sources", r->scanner_sources);
    sl_jw_key(w, "top");
    sl_jw_arr_begin(w);
    for (size_t i = 0; i < r->n_scanners; i++) {
        sl_jw_obj_begin(w);
        sl_jw_kstr(w, "source", r->scanners[i].addr);
        sl_jw_kuint(w, "count", r->scanners[i].count);
        sl_jw_obj_end(w);
    }
    sl_jw_arr_end(w);
    sl_jw_obj_end(w);
}

static void write_id_counts(sl_jw *w, const char *key, const uint64_t *counts, int n)
{
    sl_jw_key(w, key);
    sl_jw_obj_begin(w);
    for (int i = 0; i < n; i++)
        if (counts[i])
            sl_jw_kuint(w, sl_summary_cause_name(i), counts[i]);
    sl_jw_obj_end(w);
}

static void write_identity(sl_jw *w, const sl_identity_counts *id)
{
    if (!id)
        return;
    sl_jw_key(w, "identity");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "signed_requests", id->signed_requests);
    sl_jw_kuint(w, "valid", id->valid);
    sl_jw_kuint(w, "invalid", id->invalid);
    sl_jw_kuint(w, "unverifiable", id->unverifiable);
    write_id_counts(w, "reasons", id->reasons, SL_IDR__COUNT);
    write_id_counts(w, "rejections_by_cause", id->causes, SL_ID_CAUSE__COUNT);
    sl_jw_obj_end(w);
}

static void write_anomalies(sl_jw *w, const sl_summary_report *r)
{
    const sl_counters *c = r->counters;
    sl_jw_key(w, "anomalies");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "total", c->anomalies);
    sl_jw_key(w, "by_kind");
    sl_jw_obj_begin(w);
    for (unsigned i = 0; i < r->n_anomaly_kinds; i++)
        sl_jw_kuint(w, sl_anomaly_name(r->anomaly_order[i]),
                    c->anomaly_counts[r->anomaly_order[i]]);
    sl_jw_obj_end(w);
    sl_jw_obj_end(w);
}

bool sl_summary_write_json(const sl_summary_report *r, FILE *f)
{
    sl_jw w;
    sl_jw_init(&w);
    sl_jw_obj_begin(&w);
    write_capture(&w, r);
    write_sip(&w, r);
    write_calls(&w, r);
    write_failures(&w, r);
    write_routes(&w, r);
    write_sources(&w, r);
    write_identity(&w, r->identity);
    write_anomalies(&w, r);
    sl_jw_obj_end(&w);
    bool ok = !w.failed && fwrite(w.buf, 1, w.len, f) == w.len && fputc('\n', f) != EOF;
    sl_jw_free(&w);
    return fflush(f) == 0 && !ferror(f) && ok;
}
