/* --summary --json: the report as one JSON object (docs/summary.md,
 * docs/summary.schema.json), written by the output module. */
#ifndef SIPSLEUTH_SUMMARY_JSON_H
#define SIPSLEUTH_SUMMARY_JSON_H

#include "sipsleuth/summary.h"

/* One JSON object and a newline. False when writing to f failed. */
bool sl_summary_write_json(const sl_summary_report *r, FILE *f);

#endif
