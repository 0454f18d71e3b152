/* The `dialog` event: one per call attempt (see dialog.h). */
#ifndef SIPSLEUTH_DIALOG_EVENT_H
#define SIPSLEUTH_DIALOG_EVENT_H

#include "sipsleuth/event.h"
#include "sipsleuth/media.h"
#include "sipsleuth/sip_parties.h"
#include "sipsleuth/sip_reason.h"

typedef enum sl_dialog_state {
    SL_DIALOG_COMPLETED,  /* answered, then BYE */
    SL_DIALOG_ANSWERED,   /* answered, still up (end of input, idle timeout, eviction) */
    SL_DIALOG_FAILED,     /* final 4xx-6xx */
    SL_DIALOG_REDIRECTED, /* final 3xx */
    SL_DIALOG_CANCELLED,  /* 487, or CANCEL seen and no 2xx */
    SL_DIALOG_TIMEOUT,    /* no final response when the transaction timer ran out */
    SL_DIALOG_UNFINISHED, /* no final response yet when the input ended (or it was evicted) */
    SL_DIALOG__COUNT
} sl_dialog_state;

/* Why the attempt's event was written now. */
typedef enum sl_dialog_close {
    SL_CLOSE_MESSAGE,      /* a final response or BYE decided it */
    SL_CLOSE_TIMER,        /* a transaction or idle timeout ran out */
    SL_CLOSE_END_OF_INPUT, /* sl_dialogs_finish() */
    SL_CLOSE_EVICTED,      /* the record or memory cap was reached */
} sl_dialog_close;

const char *sl_dialog_state_name(sl_dialog_state s);
const char *sl_dialog_close_name(sl_dialog_close c);

/* A moment that was not seen (capture time 0 is a valid time). */
#define SL_DIALOG_NO_TIME INT64_MIN

/* Bytes of the final response's reason phrase kept (final_reason). */
#define SL_DIALOG_REASON_KEPT 32

/* Auth challenge status codes (401, 407) kept per attempt, in order. */
#define SL_DIALOG_CHALLENGES_KEPT 4

/* An earlier redirect this attempt follows (dialog.follows_redirect). */
typedef struct sl_redirect_followed {
    int status_code;
    const char *request_uri; /* the moved URI; NULL when the request was not captured */
    const char *target;      /* the Contact the attempt went to */
    sl_time time;            /* of the redirect */
    bool same_call_id;
    uint32_t leg, attempt; /* of the redirected attempt; attempt 0 when unknown */
} sl_redirect_followed;

/* The `dialog` event, also handed to the on_end hook. head.flow points at
 * `flow`. Slices are owned by the tracker and valid only during the
 * callback. Times are SL_DIALOG_NO_TIME when the moment was not seen. */
typedef struct sl_dialog_event {
    sl_event head; /* ts: when the attempt was decided (or given up) */
    sl_slice from, to, request_uri;
    sl_sip_parties parties; /* of the INVITE that began the attempt */
    sl_slice to_tag;        /* of the winning 2xx; empty if none (truncated to 64 bytes) */
    sl_flow flow;           /* the leg: caller -> callee as the INVITE travelled */
    sl_dialog_state state;
    sl_dialog_close closed;
    int final_status;  /* 0 when none; after an auth challenge, the final of the retry */
    sl_time start;     /* first INVITE */
    sl_time first_18x; /* first 180-189 */
    sl_time final;     /* the final response that decided it (the challenge's, if unanswered) */
    sl_time bye;       /* the BYE that ended it */
    /* The reason phrase of final_status, cut to SL_DIALOG_REASON_KEPT bytes. */
    sl_slice final_reason;
    /* 401/407 answered by an INVITE with credentials (same Call-ID, leg and
     * From tag, a higher CSeq), which continues the same attempt. */
    uint32_t auth_challenges;
    uint16_t challenge_codes[SL_DIALOG_CHALLENGES_KEPT]; /* the first ones, in order */
    uint8_t n_challenge_codes;
    bool ringing;     /* a 180 was seen */
    bool early_media; /* a provisional response carried a body (early media SDP) */
    bool ended_by_caller;
    uint32_t messages, retransmissions;
    uint32_t early_dialogs; /* distinct To tags on 101-199 responses */
    uint32_t reinvites;
    uint32_t leg;     /* 0 for the first leg of this Call-ID seen, 1 for the next... */
    uint32_t attempt; /* 1 for the first INVITE attempt on this leg, 2 after a redirect... */
    /* The Reason header (RFC 3326) of the BYE, CANCEL or final response that
     * ended the attempt: its Q.850 value when it has one, else its first. */
    bool has_end_reason, end_has_cause;
    sl_reason_protocol end_protocol;
    uint16_t end_cause;
    const sl_redirect_followed *follows; /* NULL: none (filled in by the pipeline) */
    const sl_media_pair *media;          /* last offer and answer; NULL when no SDP was seen */
    uint32_t holds;                      /* re-offers that put the call on hold */
} sl_dialog_event;

#endif
