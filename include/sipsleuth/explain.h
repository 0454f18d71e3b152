/* The explanation of a 428/436/437/438 rejection (src/identity/explain.c):
 * its cause and one sentence for a person, from what was found on the
 * request it answers. */
#ifndef SIPSLEUTH_EXPLAIN_H
#define SIPSLEUTH_EXPLAIN_H

#include "sipsleuth/identity_result.h"

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

/* The cause of a rejection: SL_ID_CAUSE_NOT_CAPTURED when the request was
 * not captured (or forgotten), SL_ID_CAUSE_MISSING when it was unsigned. */
sl_id_cause sl_explain_cause(const sl_explain_in *in);
/* Room the "Found on the downstream leg to ADDRESS: " prefix needs. */
#define SL_EXPLAIN_RELAYED_MAX 96

typedef struct sl_explanation {
    sl_id_cause cause;
    /* The finding the evidence is about: an sl_id_reason, or -1 (none found,
     * or the request was unsigned or not captured). */
    int finding;
    char text[1600 + SL_EXPLAIN_RELAYED_MAX];
} sl_explanation;

void sl_explain(const sl_explain_in *in, sl_explanation *out);

/* The certificate URL of a verdict: x5u, else RFC 4474 info, else "(no URL)". */
const char *sl_explain_url(const sl_identity_result *res);

#endif
