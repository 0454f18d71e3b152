/* The `sip` event: one per SIP message (contract: sip.*). */
#ifndef SIPSLEUTH_SIP_EVENT_H
#define SIPSLEUTH_SIP_EVENT_H

#include "sipsleuth/sip_context.h"

/* Writes the event if `sip` events are wanted. `truncated`: the capture cut
 * the message short, so absent fields may just be missing from the capture.
 * `with_raw`: include the whole message text (sip.raw). `max_contacts`: the
 * most Contact URIs listed. */
void sl_sip_event_write(sl_output *out, const sl_sip_ctx *ctx, bool truncated, bool with_raw,
                        size_t max_contacts);

/* Writes value as a JSON string with folded lines read as single spaces. */
void sl_jw_header_value(sl_jw *w, sl_slice value);

#endif
