/* The JSON output: NDJSON events on stdout or a file (docs/events.md). */
#ifndef SIPSLEUTH_OUTPUT_H
#define SIPSLEUTH_OUTPUT_H

#include "sipsleuth/event.h"

typedef struct sl_output sl_output;

/* Opens the output: path NULL or "-" is stdout; only the event types in mask
 * are written. NULL with errno set on failure. */
sl_output *sl_output_open(const char *path, sl_event_mask mask);
/* `sip` events: with the whole message text (sip.raw), and listing at most
 * max_contacts Contact URIs (default: all). */
void sl_output_set_sip_detail(sl_output *o, bool raw, size_t max_contacts);
/* The sink that writes records as events. */
sl_sink sl_output_sink(sl_output *o);
/* Reopens the same path (after log rotation); stdout is left alone. */
bool sl_output_reopen(sl_output *o);
/* Writes buffered events; false once the output has failed (see sl_output_error). */
bool sl_output_flush(sl_output *o);
/* Flushes and closes; returns false if anything could not be written. */
bool sl_output_close(sl_output *o);
/* Non-NULL once writing failed: a message naming the output and the reason. */
const char *sl_output_error(const sl_output *o);
bool sl_output_wants(const sl_output *o, sl_event_type t);
/* Events written so far, per type. */
uint64_t sl_output_count(const sl_output *o, sl_event_type t);

#endif
