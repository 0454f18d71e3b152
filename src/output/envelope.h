/* The members every event begins with (internal to the output module). */
#ifndef SIPSLEUTH_OUTPUT_ENVELOPE_H
#define SIPSLEUTH_OUTPUT_ENVELOPE_H

#include "json_writer.h"
#include "sipsleuth/event.h"

typedef struct sl_envelope sl_envelope;

/* NULL when out of memory. */
sl_envelope *sl_envelope_new(void);
void sl_envelope_free(sl_envelope *e);

/* Writes timestamp, event_type, call_id (always for the events about a call,
 * null when empty; for the others only when set), the flow's 5-tuple and
 * community_id, and its outer layers, into the open event object. Keeps the
 * recent flows' text, and the current second's, to write them again. */
void sl_envelope_write(sl_envelope *e, sl_jw *w, const sl_event *ev);

/* "sip", "dialog", ...: the event_type value and the detail object's key. */
const char *sl_event_type_name(sl_event_type t);

/* An address as a JSON string (null when unset), after key. */
void sl_json_addr(sl_jw *w, const char *key, const sl_addr *a);

#endif
