/* The dialog and transaction tracker: one `dialog` event per call attempt
 * (an initial INVITE transaction and the dialog it makes), retransmission
 * flags on every SIP message, and per-method transaction counters for
 * `stats`.
 *
 * A call attempt is tracked per leg: the pair of IP addresses its initial
 * INVITE travelled between. A call crossing a proxy is one attempt per hop,
 * linked by the Call-ID. Transactions are matched by the top Via branch
 * (RFC 3261 17.1.3/17.2.3: branch, sent-by and method, with ACK for a non-2xx
 * final joining its INVITE) or, without the z9hG4bK cookie, by the RFC 2543
 * fields (CSeq number, From tag, sent-by, branch if any).
 *
 * All timers run on capture time. State is bounded by a record cap and a
 * memory cap; when either is reached the oldest attempt is evicted and
 * reported (an `anomaly` "dialog_evicted" and its `dialog` event). */
#ifndef SIPSLEUTH_DIALOG_H
#define SIPSLEUTH_DIALOG_H

#include "sipsleuth/event.h"
#include "sipsleuth/sip_context.h"

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

/* A moment that was not seen (capture time 0 is a valid time). */
#define SL_DIALOG_NO_TIME INT64_MIN

/* Auth challenge status codes (401, 407) kept per attempt, in order. */
#define SL_DIALOG_CHALLENGES_KEPT 4

/* What the `dialog` event says, also handed to the on_end hook. Slices are
 * owned by the tracker and valid only during the callback. Times are
 * SL_DIALOG_NO_TIME when the moment was not seen. */
typedef struct sl_dialog_summary {
    sl_slice call_id, from, to, request_uri;
    sl_slice to_tag; /* of the winning 2xx; empty if none (truncated to 64 bytes) */
    sl_flow flow;    /* the leg: caller -> callee as the INVITE travelled */
    sl_dialog_state state;
    sl_dialog_close closed;
    int final_status;  /* 0 when none; after an auth challenge, the final of the retry */
    sl_time start;     /* first INVITE */
    sl_time first_18x; /* first 180-189 */
    sl_time final;     /* the final response that decided it (the challenge's, if unanswered) */
    sl_time bye;       /* the BYE that ended it */
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
} sl_dialog_summary;

typedef struct sl_dialog_config {
    size_t max_dialogs;         /* records tracked at once (attempts + non-INVITE groups) */
    size_t max_memory;          /* bytes of tracker state, records and table */
    sl_time invite_timeout;     /* no response at all to an INVITE (Timer B) */
    sl_time proceeding_timeout; /* no final after the last provisional (Timer C) */
    sl_time idle_timeout;       /* answered call with no message since */
    sl_time linger;             /* kept after the event, to recognise late retransmissions */
    sl_time noninvite_timeout;  /* non-INVITE transactions idle this long are closed (Timer F) */
    sl_time challenge_timeout;  /* a 401/407 not followed by a retry with credentials */
    sl_time numbering_retain; /* a Call-ID's leg and attempt numbers kept after its last attempt */
    uint64_t hash_seed;       /* 0: a random seed */
    /* Called for every attempt just before its `dialog` event is written
     * (whether or not the output wants dialog events). May be NULL. */
    void (*on_end)(void *user, const sl_dialog_summary *s);
    /* Called while the `dialog` event is open, before it is closed: may add
     * members to its detail object (redirect.c adds follows_redirect). May
     * be NULL. */
    void (*annotate)(void *annotate_user, const sl_dialog_summary *s, sl_jw *w);
    void *user;
    void *annotate_user;
} sl_dialog_config;

/* Defaults: max_dialogs 200 000, max_memory 256 MiB, invite_timeout 32 s,
 * proceeding_timeout 180 s, idle_timeout 4 h, linger 32 s,
 * noninvite_timeout 32 s, challenge_timeout 120 s, numbering_retain 4 h,
 * random seed, no hook. */
void sl_dialog_config_default(sl_dialog_config *cfg);

typedef struct sl_dialogs sl_dialogs;

/* cfg NULL means the defaults. out receives `dialog` and `anomaly` events.
 * NULL when out of memory. */
sl_dialogs *sl_dialogs_new(const sl_dialog_config *cfg, sl_output *out);
void sl_dialogs_free(sl_dialogs *d);

/* Tracks one message and sets ctx->retransmission. Call sl_dialogs_advance()
 * with the packet's time first, and write the `sip` event after. */
void sl_dialogs_on_message(sl_dialogs *d, sl_sip_ctx *ctx);

/* Runs the timers up to capture time `now`. Cheap when nothing is due: call
 * it for every packet. Time never goes back: an earlier `now` is ignored. */
void sl_dialogs_advance(sl_dialogs *d, sl_time now);

/* End of input: writes every open attempt with its current state (an attempt
 * with no final response is `unfinished`, or `cancelled` after a CANCEL; one
 * whose auth challenge was not answered `failed`) and counts unanswered
 * transactions. The tracker stays usable, and empty. */
void sl_dialogs_finish(sl_dialogs *d, sl_time now);

/* Writes "dialogs" and "transactions" members into the open `stats` detail
 * object. */
void sl_dialogs_stats(const sl_dialogs *d, sl_jw *w);

/* Bytes of state held now (records, owned strings, the table). */
size_t sl_dialogs_memory(const sl_dialogs *d);
/* Call attempts tracked and not yet written. */
size_t sl_dialogs_active(const sl_dialogs *d);

/* What the tracker knows about the request that a response answers. */
typedef struct sl_dialog_request {
    bool initial;         /* the initial INVITE of a call attempt */
    sl_slice request_uri; /* for the initial INVITE; else empty. Owned by the
                           * tracker: valid until the next call into it */
    sl_time time;         /* when the request was first seen */
    uint32_t leg, attempt;
} sl_dialog_request;

/* For a response: finds the transaction it answers (on its leg). False when
 * ctx is not a response or its request was not seen. */
bool sl_dialogs_request_for(const sl_dialogs *d, const sl_sip_ctx *ctx, sl_dialog_request *out);

#endif
