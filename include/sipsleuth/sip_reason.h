/* The Reason header (RFC 3326): why a request was sent or a call ended, as
 * a SIP status code or a Q.850 (ISDN) cause. Pure, no allocation: slices
 * point into the header value. */
#ifndef SIPSLEUTH_SIP_REASON_H
#define SIPSLEUTH_SIP_REASON_H

#include "sipsleuth/slice.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum sl_reason_protocol {
    SL_REASON_OTHER, /* a protocol token this code does not know */
    SL_REASON_SIP,
    SL_REASON_Q850,
    SL_REASON_STIR, /* RFC 8224: why a verifier rejected an Identity */
} sl_reason_protocol;

typedef struct sl_sip_reason {
    sl_reason_protocol protocol;
    sl_slice protocol_text; /* as written */
    bool has_cause;         /* cause= present and a number below 2^16 */
    uint16_t cause;
    sl_slice text; /* text= without its quotes, escapes kept; empty when absent */
} sl_sip_reason;

/* The next reason-value of a Reason header value (several may be
 * comma-separated). Call with *rest = the value; false when none is left.
 * A value without a protocol token is skipped. */
bool sl_sip_reason_next(sl_slice *rest, sl_sip_reason *out);

const char *sl_reason_protocol_name(sl_reason_protocol p);

/* The ITU-T Q.850 name of a cause value ("normal_call_clearing" for 16);
 * NULL for a value the recommendation does not assign. */
const char *sl_q850_cause_name(unsigned cause);

#endif
