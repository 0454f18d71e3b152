/* Redirects: one `redirect` event per 3xx final response (not per
 * retransmission), learning 301s into the routing table (routes.h), `route`
 * events for its changes, `stale_use` for new requests still sent to a moved
 * URI, and the `follows_redirect` member of the `dialog` event of an attempt
 * that followed a recent redirect. */
#ifndef SIPSLEUTH_REDIRECT_H
#define SIPSLEUTH_REDIRECT_H

#include "sipsleuth/dialog.h"
#include "sipsleuth/routes.h"
#include "sipsleuth/sip_context.h"

typedef struct sl_redirects sl_redirects;

/* out receives `redirect`, `route` and `anomaly` events. NULL when out of
 * memory. */
sl_redirects *sl_redirects_new(const sl_routes_config *cfg, sl_output *out);
void sl_redirects_free(sl_redirects *r);

/* The routing table (to load and save it). */
sl_routes *sl_redirects_routes(sl_redirects *r);

/* One SIP message, after sl_dialogs_on_message() has set ctx->retransmission;
 * dialogs gives the request a response answers (may be NULL). */
void sl_redirects_on_message(sl_redirects *r, const sl_dialogs *dialogs, const sl_sip_ctx *ctx);

/* Route expiry up to capture time now. */
void sl_redirects_advance(sl_redirects *r, sl_time now);

/* For sl_dialog_config.annotate (user = the sl_redirects): adds
 * `follows_redirect` to the `dialog` event of an attempt that followed a
 * redirect seen shortly before. */
void sl_redirects_annotate_dialog(void *user, const sl_dialog_summary *s, sl_jw *w);

/* Writes a "redirects" and a "routes" member into the open `stats` object. */
void sl_redirects_stats(const sl_redirects *r, sl_jw *w);

#endif
