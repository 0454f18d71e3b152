/* The `identity` event (one per Identity header of a request, re-verified
 * offline) and the `rejection` event (a 428/436/437/438, explained). */
#ifndef SIPSLEUTH_IDENTITY_EVENT_H
#define SIPSLEUTH_IDENTITY_EVENT_H

#include "sipsleuth/event.h"
#include "sipsleuth/explain.h"

typedef enum sl_id_verdict {
    SL_ID_VALID,        /* nothing wrong */
    SL_ID_INVALID,      /* something wrong */
    SL_ID_UNVERIFIABLE, /* nothing wrong that could be judged (no certificate, say) */
} sl_id_verdict;

const char *sl_id_verdict_name(sl_id_verdict v);

typedef struct sl_identity_event {
    sl_event head;
    sl_id_verdict verdict;
    const sl_identity_result *res;
    size_t index, count; /* of the request's Identity headers; written when count > 1 */
} sl_identity_event;

typedef struct sl_rejection_event {
    sl_event head;
    int status_code;
    const sl_explanation *explanation;
    /* The verdict the explanation's finding is from (NULL unless the request
     * was signed), and the iat tolerance it was judged with. */
    const sl_identity_result *res;
    int64_t iat_tolerance;
    bool has_reason_header;
    sl_slice reason_header;  /* the response's Reason: STIR header, as it arrived */
    const char *modified_by; /* the hop that changed the request; NULL: not known */
} sl_rejection_event;

#endif
