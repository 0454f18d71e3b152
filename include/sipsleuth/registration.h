/* Registrations and who attacks them: one `registration` event per REGISTER
 * attempt, an `anomaly` `auth_failures` per source and window that drew at
 * least N failed authentications (a 403 to a REGISTER or INVITE, or a
 * 401/407 to one carrying credentials), and an `anomaly` `scanner`
 * per source and window that sent requests with a known scanner's
 * User-Agent (README, "Registrations and scanners"). Retransmissions (the
 * dialog tracker's verdict) count once. State is bounded by count caps and
 * expires on capture time. */
#ifndef SIPSLEUTH_REGISTRATION_H
#define SIPSLEUTH_REGISTRATION_H

#include "sipsleuth/dialog.h"
#include "sipsleuth/registration_event.h"
#include "sipsleuth/sip_context.h"

typedef struct sl_registration_config {
    size_t max_registrations;   /* attempts tracked at once (--max-registrations) */
    size_t max_memory;          /* bytes of attempts (--max-registration-bytes) */
    sl_time timeout;            /* an attempt with no message for this long is closed */
    size_t max_sources;         /* sources watched at once, per kind (--max-watched-sources) */
    size_t auth_fail_threshold; /* failures in one window that make an anomaly */
    sl_time auth_fail_window;   /* --auth-fail-window */
    sl_time scanner_window;     /* --scanner-window */
} sl_registration_config;

/* Defaults: 100 000 attempts, 64 MiB, timeout 32 s (Timer F), 100 000 sources,
 * 10 failures within 60 s, scanner window 60 s. */
void sl_registration_config_default(sl_registration_config *cfg);

typedef struct sl_registrations sl_registrations;

/* sink receives `registration` and `anomaly` records. NULL when out of memory. */
sl_registrations *sl_registrations_new(const sl_registration_config *cfg, const sl_sink *sink);
void sl_registrations_free(sl_registrations *r);

/* One SIP message with the dialog tracker's verdict on it. */
void sl_registrations_on_message(sl_registrations *r, const sl_sip_ctx *ctx,
                                 const sl_txn_verdict *v);
/* Timers up to capture time now. */
void sl_registrations_advance(sl_registrations *r, sl_time now);
/* End of input: every open attempt and window is written. Stays usable. */
void sl_registrations_finish(sl_registrations *r, sl_time now);
/* Bytes of state held now. */
size_t sl_registrations_memory(const sl_registrations *r);

/* True when a User-Agent names a known scanner (case-insensitive substring
 * of the documented list). */
bool sl_scanner_user_agent(sl_slice ua);

#endif
