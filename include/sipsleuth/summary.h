/* --summary: a report of a run for a person, written at the end (what
 * `tshark -z sip,stat` and sngrep's call list give): SIP requests by method
 * and responses by status, call attempts by outcome, setup time and PDD,
 * top failure codes with their reason phrases and Q.850 causes, redirects
 * and the learned routes, registrations, scanners, identity verdicts,
 * anomalies by kind. docs/summary.md describes every number.
 *
 * It re-parses nothing: it sees the typed events the pipeline emits through
 * a tee in front of the output (sl_summary_tee), whatever --events selects;
 * the rest is read from the pipeline's counters, routing table and identity
 * verifier when the report is made. Only capture times appear in it, so the
 * same input always gives the same report (golden tests rely on it). */
#ifndef SIPSLEUTH_SUMMARY_H
#define SIPSLEUTH_SUMMARY_H

#include "sipsleuth/dialog.h"
#include "sipsleuth/identity.h"
#include "sipsleuth/registration_event.h"
#include "sipsleuth/routes.h"
#include "sipsleuth/stats.h"

#include <stdio.h>

#define SL_SUMMARY_TOP_CODES 10
#define SL_SUMMARY_CAUSES 4 /* Q.850 causes listed per failure code */
#define SL_SUMMARY_SCANNERS 20
#define SL_SUMMARY_ROUTES 20

typedef struct sl_summary sl_summary;

/* Percentiles by nearest rank of n times, in microseconds (0 when n is 0). */
typedef struct sl_summary_times {
    uint64_t n;
    int64_t p50, p90, p99, max;
} sl_summary_times;

typedef struct sl_summary_code {
    int code;
    uint64_t count;
} sl_summary_code;

typedef struct sl_summary_failure {
    int code;
    uint64_t count;
    /* The phrase most often seen on this code's final responses (ties: the
     * first seen); the standard one when none was kept. */
    char phrase[SL_DIALOG_REASON_KEPT + 1];
    sl_summary_code causes[SL_SUMMARY_CAUSES]; /* Q.850 cause, count; most frequent first */
    size_t n_causes;
    uint64_t no_cause; /* attempts without a Q.850 cause */
} sl_summary_failure;

typedef struct sl_summary_source {
    char addr[48];
    uint64_t count;
} sl_summary_source;

/* Everything the report shows, computed once (sl_summary_report). */
typedef struct sl_summary_report {
    sl_time first, last; /* capture span; first is SL_DIALOG_NO_TIME when no frame was read */
    const sl_counters *counters; /* the pipeline's: packets, bytes, anomalies */
    /* SIP messages as the `sip` events carry them, retransmissions included
     * (sip.sip_messages, .methods, .status[]), and the tracker's
     * retransmission verdicts among them. */
    sl_counters sip;
    uint64_t retransmissions;
    uint64_t attempts[SL_DIALOG__COUNT], attempts_total;
    sl_summary_times final_by_state[SL_DIALOG__COUNT], final_all; /* INVITE -> final */
    /* Answered attempts (completed or answered): setup INVITE -> 2xx, PDD
     * INVITE -> first 180-189; answered without an 18x have no PDD. */
    uint64_t answered;
    sl_summary_times setup, pdd;
    uint64_t no_18x;
    uint64_t times_dropped; /* times not kept for want of memory */
    sl_summary_failure failures[SL_SUMMARY_TOP_CODES];
    size_t n_failures;
    sl_summary_code redirects[SL_SUMMARY_TOP_CODES];
    size_t n_redirects;
    /* REGISTER attempts (registration events) by outcome. */
    uint64_t registrations[SL_REG__COUNT];
    /* Sources of `scanner` anomalies, most requests with a scanner's
     * User-Agent first. */
    sl_summary_source scanners[SL_SUMMARY_SCANNERS];
    size_t n_scanners;
    uint64_t scanner_sources; /* distinct sources, including those not listed */
    /* Anomaly kinds by count (then name). */
    sl_anomaly_kind anomaly_order[SL_ANOM__COUNT];
    unsigned n_anomaly_kinds;
    const sl_routes *routes;            /* NULL: section left out */
    const sl_route **route_list;        /* by URI, at most SL_SUMMARY_ROUTES */
    size_t n_route_list, routes_total;  /* listed, in the table */
    const sl_identity_counts *identity; /* NULL: section left out */
} sl_summary_report;

/* NULL when out of memory. */
sl_summary *sl_summary_new(void);
void sl_summary_free(sl_summary *s);

/* A sink that hands every event to the summary and forwards to next those
 * next wants; it wants what either wants. s must outlive it. */
sl_sink sl_summary_tee(sl_summary *s, const sl_sink *next);
/* The event types the summary reads. */
bool sl_summary_wants(sl_event_type type);
/* One event (any type; those it does not read are ignored). */
void sl_summary_on_event(void *user, const sl_event *ev);
/* The capture time of a frame read (the report shows the span). */
void sl_summary_frame(sl_summary *s, sl_time ts);

/* Computes the report (once: later calls return the same); c is the
 * pipeline's counters; routes and identity may be NULL. Valid until
 * sl_summary_free. */
const sl_summary_report *sl_summary_report_make(sl_summary *s, const sl_counters *c,
                                                const sl_routes *routes,
                                                const sl_identity_counts *identity);

/* The standard reason phrase of a status code ("" when none). */
const char *sl_summary_status_phrase(int code);
/* What an identity rejection cause means, and its name. */
const char *sl_summary_cause_meaning(int cause);
const char *sl_summary_cause_name(int cause);

/* The text report (summary_text.c). Lines fit in 100 columns except where a
 * URI is longer. False when writing to f failed. */
bool sl_summary_write(const sl_summary_report *r, FILE *f);

#endif
