/* The `registration` event: one per REGISTER attempt (a REGISTER, the
 * 401/407 challenges it drew and the retries answering them, and the final
 * response that decided it). The outcome classification is what the summary
 * counts. */
#ifndef SIPSLEUTH_REGISTRATION_EVENT_H
#define SIPSLEUTH_REGISTRATION_EVENT_H

#include "sipsleuth/event.h"

typedef enum sl_reg_outcome {
    SL_REG_OK,          /* final 2xx */
    SL_REG_FAILED,      /* final 3xx-6xx other than 401/407 (403, 404, 5xx...) */
    SL_REG_CHALLENGED,  /* the last response was a 401/407 nobody answered */
    SL_REG_NO_RESPONSE, /* no final response to the last REGISTER */
    SL_REG__COUNT
} sl_reg_outcome;

typedef enum sl_reg_closed {
    SL_REG_CLOSED_MESSAGE, /* the final response */
    SL_REG_CLOSED_TIMER,
    SL_REG_CLOSED_END_OF_INPUT,
    SL_REG_CLOSED_EVICTED,
} sl_reg_closed;

const char *sl_reg_outcome_name(sl_reg_outcome o);
const char *sl_reg_closed_name(sl_reg_closed c);

typedef struct sl_registration_contact {
    sl_slice uri;
    int64_t expires; /* its expires parameter; < 0: none */
} sl_registration_contact;

typedef struct sl_registration_event {
    sl_event head; /* the flow of the (last) REGISTER: client → registrar */
    sl_reg_outcome outcome;
    sl_reg_closed closed;
    sl_slice aor;         /* the To URI */
    sl_slice request_uri; /* of the REGISTER */
    const sl_registration_contact *contacts;
    size_t n_contacts;
    bool contacts_truncated;
    bool contact_star;         /* Contact: * */
    int64_t expires_requested; /* < 0: none */
    int64_t expires_granted;   /* < 0: none (or no 2xx) */
    bool unregister;           /* expires 0, or Contact: * */
    uint32_t auth_challenges;  /* 401/407 responses */
    bool challenge_answered;   /* a REGISTER with a higher CSeq followed one */
    uint32_t requests;         /* REGISTERs of the attempt, retransmissions aside */
    int status_code;           /* the last response (the final when there is one); 0: none */
    sl_slice reason;
    sl_slice user_agent; /* empty: none */
    sl_time start;       /* first REGISTER */
    bool has_final;
    sl_time final_at; /* the final response (has_final) */
} sl_registration_event;

#endif
