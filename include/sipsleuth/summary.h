/* --summary: a plain-text report of a run for a person, written at the end
 * (what `tshark -z` and sngrep's call list give): call attempts by outcome
 * with setup-time percentiles, top failure codes, redirects and the learned
 * routes, identity verdicts and rejection causes, anomalies by kind.
 *
 * It re-parses nothing: call attempts arrive through the dialog tracker's
 * on_end hook, the rest is read from the pipeline's counters, routing table
 * and identity verifier when the report is written. Only capture times appear in it, so the
 * same input always gives the same bytes (golden tests rely on it). */
#ifndef SIPSLEUTH_SUMMARY_H
#define SIPSLEUTH_SUMMARY_H

#include "sipsleuth/dialog.h"
#include "sipsleuth/identity.h"
#include "sipsleuth/routes.h"
#include "sipsleuth/stats.h"

#include <stdio.h>

typedef struct sl_summary sl_summary;

/* NULL when out of memory. */
sl_summary *sl_summary_new(void);
void sl_summary_free(sl_summary *s);

/* For sl_dialog_config.on_end (user = the summary). */
void sl_summary_on_dialog(void *user, const sl_dialog_event *d);
/* The capture time of a frame read (the report shows the span). */
void sl_summary_frame(sl_summary *s, sl_time ts);

/* Writes the report (once: it sorts what it kept); routes and identity may
 * be NULL (their sections are left out). Lines fit in 100 columns except
 * where a URI is longer. False when writing to f failed. */
bool sl_summary_write(sl_summary *s, const sl_counters *c, const sl_routes *routes,
                      const sl_identity_counts *identity, FILE *f);

#endif
