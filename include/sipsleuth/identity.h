/* The identity analyzer: offline re-verification of every Identity header
 * (RFC 8224 full and compact forms, RFC 4474), one `identity` event per
 * signed request per leg, and one `rejection` event per 428/436/437/438
 * final response, explained (src/identity/explain.c). */
#ifndef SIPSLEUTH_IDENTITY_H
#define SIPSLEUTH_IDENTITY_H

#include "sipsleuth/certstore.h"
#include "sipsleuth/dialog.h"
#include "sipsleuth/event.h"
#include "sipsleuth/identity_header.h"
#include "sipsleuth/passport.h"
#include "sipsleuth/sip_context.h"
#include "sipsleuth/verify.h"

/* The contract's reasons, in the order a rejection's cause is chosen. */
typedef enum sl_id_reason {
    SL_IDR_MALFORMED,
    SL_IDR_SIGNATURE_INVALID,
    SL_IDR_ORIG_MISMATCH,
    SL_IDR_DEST_MISMATCH,
    SL_IDR_IAT_STALE,
    SL_IDR_ALG_MISMATCH,
    SL_IDR_PPT_MISMATCH,
    SL_IDR_CERT_UNAVAILABLE,
    SL_IDR_CERT_UNTRUSTED,
    SL_IDR_CERT_EXPIRED,
    SL_IDR__COUNT
} sl_id_reason;

const char *sl_id_reason_name(sl_id_reason r);

/* ---- one verified Identity header ---- */
typedef struct sl_identity_result {
    sl_identity_form form;
    uint32_t reasons; /* bit (1 << sl_id_reason) */
    bool decoded;     /* pp holds the (possibly rebuilt) PASSporT */
    sl_passport pp;
    char detail[160]; /* e.g. "der_signature"; empty when none */
    char info[512], alg_param[16], ppt_param[32];
    char seen_orig[SL_TN_MAX], seen_dest[SL_TN_MAX]; /* canonical; empty if none */
    char seen_orig_raw[128], seen_dest_raw[128];     /* user parts as they arrived */
    const char *orig_source;                         /* "P-Asserted-Identity" or "From" */
    bool orig_canon_only, dest_canon_only;           /* matched only after canonicalization */
    bool chain_checked;
    bool has_date;
    int64_t date; /* the Date header, Unix seconds */
    int64_t capture_sec;
    char cert_detail[128];
} sl_identity_result;

/* ---- explanations (explain.c) ---- */
/* What was captured of the request a rejection answers. */
typedef enum sl_explain_request {
    SL_EXPLAIN_NOT_CAPTURED, /* not seen on this leg: cause null */
    SL_EXPLAIN_FORGOTTEN,    /* seen, but its verdict was no longer held: cause null */
    SL_EXPLAIN_UNSIGNED,     /* seen without Identity: identity_missing */
    SL_EXPLAIN_SIGNED,       /* seen signed: res holds its verdict */
} sl_explain_request;

typedef struct sl_explain_in {
    int status;
    sl_explain_request request;
    const sl_identity_result *res; /* SL_EXPLAIN_SIGNED only */
    /* When the finding was made on another leg of the call (a rejection
     * relayed upstream): the address the downstream request went to. */
    const char *found_on;
    int64_t iat_tolerance;
} sl_explain_in;

/* The cause of a rejection: NULL when the request was not captured (or
 * forgotten), identity_missing when it was unsigned. */
const char *sl_explain_cause(const sl_explain_in *in);
/* Writes cause, explanation and evidence members into the open rejection object. */
void sl_explain_write(sl_jw *w, const sl_explain_in *in);

/* ---- the analyzer (identity.c) ---- */
typedef struct sl_identity_config {
    int64_t iat_tolerance; /* seconds; default 60 */
    size_t max_records;    /* signed requests remembered for their responses; default 4096 */
    int64_t record_ttl;    /* seconds of capture time; default 300 */
    size_t max_certs;      /* URLs the certificate store holds; default SL_CERTSTORE_MAX */
} sl_identity_config;

void sl_identity_config_default(sl_identity_config *cfg);

typedef struct sl_identity sl_identity;

/* Takes ownership of cs (may be an empty store). */
sl_identity *sl_identity_new(const sl_identity_config *cfg, sl_certstore *cs, sl_output *out);
void sl_identity_free(sl_identity *id);
/* After sl_dialogs_on_message (it needs ctx->retransmission). dialogs (may
 * be NULL) tells whether the request of a rejection was seen at all: the
 * analyzer keeps nothing for unsigned requests. */
void sl_identity_on_message(sl_identity *id, const sl_dialogs *dialogs, const sl_sip_ctx *ctx);
/* Bytes held: remembered requests, the verification cache, certificates
 * (their count times a typical size). */
size_t sl_identity_memory(const sl_identity *id);
/* "identity" member of the stats event. */
void sl_identity_stats(const sl_identity *id, sl_jw *w);

/* Rejection causes beyond the reasons, as indexes of sl_identity_counts.causes. */
enum {
    SL_ID_CAUSE_MISSING = SL_IDR__COUNT, /* identity_missing */
    SL_ID_CAUSE_NO_FAULT,                /* no_fault_found */
    SL_ID_CAUSE_NOT_CAPTURED,            /* the request was not seen: cause null */
    SL_ID_CAUSE__COUNT
};

/* Totals for the --summary report. */
typedef struct sl_identity_counts {
    uint64_t signed_requests, valid, invalid, unverifiable, rejections;
    uint64_t reasons[SL_IDR__COUNT];     /* identity verdicts naming each reason */
    uint64_t causes[SL_ID_CAUSE__COUNT]; /* rejections by cause */
} sl_identity_counts;

void sl_identity_get_counts(const sl_identity *id, sl_identity_counts *out);

/* Verifies one Identity header of msg (exposed for tests). */
void sl_identity_verify(sl_identity *id, const sl_sip_ctx *ctx, const sl_sip_header *identity,
                        sl_identity_result *res);

#endif
