/* What the checks of one Identity header found (src/identity/check.c fills
 * it): the contract's reasons and the values they were decided on. Shared by
 * the analyzer (identity.c) and the explanations (explain.c). */
#ifndef SIPSLEUTH_IDENTITY_RESULT_H
#define SIPSLEUTH_IDENTITY_RESULT_H

#include "sipsleuth/identity_header.h"
#include "sipsleuth/passport.h"

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

/* A rejection's cause: one of the reasons (an sl_id_reason value), or one of
 * these. Also the index of sl_identity_counts.causes. */
enum {
    SL_ID_CAUSE_MISSING = SL_IDR__COUNT, /* identity_missing */
    SL_ID_CAUSE_NO_FAULT,                /* no_fault_found */
    SL_ID_CAUSE_NOT_CAPTURED,            /* the request was not seen: cause null */
    SL_ID_CAUSE__COUNT
};
typedef int sl_id_cause;

/* The cause as the events spell it; NULL for SL_ID_CAUSE_NOT_CAPTURED. */
const char *sl_id_cause_name(sl_id_cause c);

/* One verified Identity header. */
typedef struct sl_identity_result {
    sl_identity_form form;
    uint32_t reasons; /* bit (1 << sl_id_reason) */
    bool decoded;     /* pp holds the (possibly rebuilt) PASSporT */
    sl_passport pp;
    char detail[160];   /* the findings in words, e.g. "der_signature"; empty when none */
    bool der_signature; /* signature_invalid: the ES256 signature is DER, not raw r||s */
    bool iat_off_date;  /* iat_stale: against the Date header (else the capture time) */
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

#endif
