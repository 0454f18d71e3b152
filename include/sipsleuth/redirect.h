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

/* sink receives `redirect`, `route` and `anomaly` records. NULL when out of
 * memory. */
sl_redirects *sl_redirects_new(const sl_routes_config *cfg, const sl_sink *sink);
void sl_redirects_free(sl_redirects *r);

/* The routing table (to load and save it). */
sl_routes *sl_redirects_routes(sl_redirects *r);

/* One SIP message, with the dialog tracker's verdict on it. */
void sl_redirects_on_message(sl_redirects *r, const sl_sip_ctx *ctx, const sl_txn_verdict *v);

/* Route expiry up to capture time now. */
void sl_redirects_advance(sl_redirects *r, sl_time now);

/* Whether the attempt of a `dialog` event followed a redirect seen shortly
 * before (dialog.follows_redirect), and which. out->target stays valid until
 * the next call. */
bool sl_redirects_followed(sl_redirects *r, const sl_dialog_event *s, sl_redirect_followed *out);

/* stats.redirects and stats.routes. */
typedef struct sl_redirect_stats {
    uint64_t multiple_choices_300, moved_permanently_301, moved_temporarily_302, other_3xx;
    uint64_t contacts, request_not_captured, unlearnable;
    size_t route_entries, routes_memory;
    uint64_t route_actions[SL_ROUTE__COUNT];
} sl_redirect_stats;

void sl_redirects_get_stats(const sl_redirects *r, sl_redirect_stats *out);

#endif
