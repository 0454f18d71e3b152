/* The per-frame path: decode → (reassembly) → SIP dissector → analyzers →
 * events. Owns all analysis state; capture feeds it frames in order. */
#ifndef SIPSLEUTH_PIPELINE_H
#define SIPSLEUTH_PIPELINE_H

#include "sipsleuth/extract.h"
#include "sipsleuth/registration.h"
#include "sipsleuth/stats_event.h"

/* Every cap on state an attacker can create is a field here or in a module's
 * config (README: resource limits); reaching one is a counted anomaly. The
 * bytes of one SIP message are capped by tcp.max_message, for datagrams too. */
typedef struct sl_config {
    size_t max_headers;     /* headers kept per SIP message (more are counted, not kept) */
    size_t max_contacts;    /* Contact values taken from one message (more: an anomaly) */
    size_t max_vias;        /* Via values accepted in one message (more: an anomaly) */
    bool sip_raw;           /* sip events carry the whole message text (--sip-raw) */
    bool no_sdp;            /* SDP bodies are not parsed (--no-sdp): no media, no holds */
    sl_time stats_interval; /* 0: only the final stats event */
    sl_defrag_config defrag;
    sl_tcp_config tcp;
    sl_sctp_config sctp; /* its max_message is tcp.max_message */
    sl_dialog_config dialog;
    bool dedup_enabled; /* drop span-port duplicates (--dedup) */
    sl_dedup_config dedup;
    sl_routes_config routes;
    const char *routes_file;      /* --routes: loaded by sl_pipeline_load_routes, saved */
    sl_time routes_save_interval; /* capture time between saves; 0: only at the end */
    sl_identity_config identity;
    sl_registration_config registration;
    sl_certstore *certs;       /* --cert/--cert-dir/--trust; the pipeline takes it (NULL: empty) */
    sl_tls_keylog *tls_keylog; /* --tls-keylog; the pipeline takes it (NULL: no TLS keys) */
    size_t tls_max_keys;       /* client randoms held from the key log (--max-tls-keys) */
    unsigned workers;          /* threads (--workers): 1, or 2 with the analysis on a second one */
    sl_extract *extract;       /* --extract: the frames of each call (the caller's; NULL: off). Set
                                  defrag/tcp/sctp.frames to sl_extract_frames(extract) too. */
} sl_config;

#define SL_DEFAULT_MAX_HEADERS 256
#define SL_DEFAULT_MAX_CONTACTS 32
#define SL_DEFAULT_MAX_VIAS 70 /* RFC 3261's Max-Forwards: at most 70 hops */

void sl_config_defaults(sl_config *cfg);

typedef struct sl_pipeline sl_pipeline;
/* Reads the capture's counters now, for periodic stats events (live). */
typedef void (*sl_capture_stats_fn)(void *user, sl_capture_stats *cs);

/* Events go to out (copied; what it points to must outlive the pipeline). */
sl_pipeline *sl_pipeline_new(const sl_config *cfg, const sl_sink *out);
void sl_pipeline_free(sl_pipeline *p);

/* One captured frame of link type dlt (libpcap DLT_ value). */
void sl_pipeline_frame(sl_pipeline *p, int dlt, sl_time ts, const uint8_t *frame, size_t caplen,
                       size_t wirelen);
/* Capture time moves on without a packet (an idle live line). */
void sl_pipeline_advance(sl_pipeline *p, sl_time now);
/* Runs fn(user) in order with the events: now with one worker; with two, on
 * the analysis thread once the frames given so far are analysed (the output's
 * flushes and reopens, which the events' writer must do). */
void sl_pipeline_in_order(sl_pipeline *p, void (*fn)(void *), void *user);
/* Live: periodic stats events include the capture's counters read by fn (NULL: none). */
void sl_pipeline_set_capture_stats(sl_pipeline *p, sl_capture_stats_fn fn, void *user);
/* End of input: flushes analyzer state and writes the final stats event.
 * No more frames may be given after it. */
void sl_pipeline_finish(sl_pipeline *p, const sl_capture_stats *cs);
/* Loads cfg.routes_file (a missing file is an empty table). False with the
 * reason in err; the file is then never written. */
bool sl_pipeline_load_routes(sl_pipeline *p, char *err, size_t errlen);
/* After sl_pipeline_finish: why the routes file could not be saved, or NULL. */
const char *sl_pipeline_routes_error(const sl_pipeline *p);
/* For the end-of-run summary: the message and anomaly counters, the
 * learned routing table and the identity verifier. */
const sl_counters *sl_pipeline_counters(const sl_pipeline *p);
const sl_routes *sl_pipeline_routes(const sl_pipeline *p);
const sl_identity *sl_pipeline_identity(const sl_pipeline *p);

#endif
