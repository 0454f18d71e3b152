/* Each event type's detail object, written from its record (internal to the
 * output module). */
#ifndef SIPSLEUTH_OUTPUT_WRITERS_H
#define SIPSLEUTH_OUTPUT_WRITERS_H

#include "json_writer.h"
#include "sipsleuth/anomaly_event.h"
#include "sipsleuth/dialog_event.h"
#include "sipsleuth/identity_event.h"
#include "sipsleuth/redirect_event.h"
#include "sipsleuth/registration_event.h"
#include "sipsleuth/sip_event.h"
#include "sipsleuth/stats_event.h"
#include "text_memo.h"

void sl_json_sip(sl_jw *w, const sl_sip_event *ev, bool with_raw, size_t max_contacts,
                 sl_text_memo *memo);
void sl_json_anomaly(sl_jw *w, const sl_anomaly_event *ev);
typedef struct sl_media_memo sl_media_memo;
void sl_json_dialog(sl_jw *w, const sl_dialog_event *s, sl_media_memo *mm);
void sl_json_redirect(sl_jw *w, const sl_redirect_event *ev);
void sl_json_route(sl_jw *w, const sl_route_event *ev);
void sl_json_identity(sl_jw *w, const sl_identity_event *ev);
void sl_json_rejection(sl_jw *w, const sl_rejection_event *ev);
void sl_json_registration(sl_jw *w, const sl_registration_event *ev);
void sl_json_stats(sl_jw *w, const sl_stats_event *ev);

/* key: the user part of uri (a tel: URI's number), escapes decoded;
 * nothing when it has none. */
void sl_json_user(sl_jw *w, const char *key, sl_slice uri);
/* The parties of a message: user parts, display names, asserted identity,
 * Diversion and History-Info (each only when present). */
void sl_json_parties(sl_jw *w, const sl_sip_ctx *ctx);
/* Of those, the asserted identity, Diversion and History-Info. */
void sl_json_party_details(sl_jw *w, const sl_sip_parties *pt);

/* A Contact's q (3 decimals) and expires (seconds); null when absent (< 0). */
void sl_json_q(sl_jw *w, const char *key, double q);
void sl_json_expires(sl_jw *w, const char *key, int64_t e);

/* What the media writers keep between events (the output owns one): text to
 * copy when the same streams come again. */
typedef struct sl_media_memo {
    sl_text_memo codecs; /* a stream's formats and codecs, by codec list */
    sl_text_memo sdps;   /* a dialog's SDP objects, with holes for addresses and ports */
} sl_media_memo;

/* media: an SDP (sip events); a dialog's last offer and answer. */
void sl_json_sdp(sl_jw *w, sl_text_memo *codecs, const sl_sdp *sdp);
void sl_json_dialog_media(sl_jw *w, sl_media_memo *mm, const sl_media_pair *p);

/* requests_by_method and responses_by_status: the SIP messages counted in c
 * (the stats event and the --summary --json report). */
void sl_json_message_counts(sl_jw *w, const sl_counters *c);

/* A header value as a JSON string, folded lines read as single spaces. */
void sl_json_header_value(sl_jw *w, sl_slice value);

#endif
