/* The explanation of a 428/436/437/438 rejection (src/identity/explain.c):
 * its cause, one sentence for a person, and the evidence, from what was
 * found on the request it answers. */
#ifndef SIPSLEUTH_EXPLAIN_H
#define SIPSLEUTH_EXPLAIN_H

#include "sipsleuth/identity_result.h"
#include "sipsleuth/json_writer.h"

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
/* Writes cause, explanation and evidence members into the open rejection object. */
void sl_explain_write(sl_jw *w, const sl_explain_in *in);

#endif
