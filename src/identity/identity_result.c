/* The reasons' names as the events spell them. */
#include "sipsleuth/identity_event.h"

static const char *const reason_names[SL_IDR__COUNT] = {
    "malformed",    "signature_invalid", "orig_mismatch",    "dest_mismatch",  "iat_stale",
    "alg_mismatch", "ppt_mismatch",      "cert_unavailable", "cert_untrusted", "cert_expired",
};

const char *sl_id_reason_name(sl_id_reason r)
{
    return r < SL_IDR__COUNT ? reason_names[r] : "unknown";
}

const char *sl_id_cause_name(sl_id_cause c)
{
    switch (c) {
    case SL_ID_CAUSE_MISSING: return "identity_missing";
    case SL_ID_CAUSE_NO_FAULT: return "no_fault_found";
    case SL_ID_CAUSE_NOT_CAPTURED: return NULL;
    default: return sl_id_reason_name((sl_id_reason)c);
    }
}

const char *sl_id_verdict_name(sl_id_verdict v)
{
    switch (v) {
    case SL_ID_VALID: return "valid";
    case SL_ID_INVALID: return "invalid";
    case SL_ID_UNVERIFIABLE: return "unverifiable";
    }
    return "unknown";
}
