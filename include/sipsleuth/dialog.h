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

#include "sipsleuth/dialog_event.h"
#include "sipsleuth/sip_context.h"
#include "sipsleuth/transaction.h"

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
    void (*on_end)(void *user, const sl_dialog_event *s);
    void *user;
} sl_dialog_config;

/* Defaults: max_dialogs 200 000, max_memory 256 MiB, invite_timeout 32 s,
 * proceeding_timeout 180 s, idle_timeout 4 h, linger 32 s,
 * noninvite_timeout 32 s, challenge_timeout 120 s, numbering_retain 4 h,
 * random seed, no hook. */
void sl_dialog_config_default(sl_dialog_config *cfg);

typedef struct sl_dialogs sl_dialogs;

/* cfg NULL means the defaults. sink (may be NULL: none) receives `dialog`
 * and `anomaly` records. NULL when out of memory. */
sl_dialogs *sl_dialogs_new(const sl_dialog_config *cfg, const sl_sink *sink);
void sl_dialogs_free(sl_dialogs *d);

/* What the tracker knows about the request that a response answers. */
typedef struct sl_dialog_request {
    bool initial;         /* the initial INVITE of a call attempt */
    sl_slice request_uri; /* for the initial INVITE; else empty. Owned by the
                           * tracker: valid until the next call into it */
    sl_time time;         /* when the request was first seen */
    uint32_t leg, attempt;
} sl_dialog_request;

/* The tracker's verdict on one message, handed on with it to the analyzers
 * after it and to the `sip` event. */
typedef struct sl_txn_verdict {
    bool retransmission;
    /* A final response 300-699 (redirects and rejections are explained with
     * their request) whose request was seen on its leg: */
    bool has_request;
    sl_dialog_request request;
} sl_txn_verdict;

/* Tracks one message and gives the verdict on it. Call sl_dialogs_advance()
 * with the packet's time first. */
void sl_dialogs_on_message(sl_dialogs *d, const sl_sip_ctx *ctx, sl_txn_verdict *v);

/* Runs the timers up to capture time `now`. Cheap when nothing is due: call
 * it for every packet. Time never goes back: an earlier `now` is ignored. */
void sl_dialogs_advance(sl_dialogs *d, sl_time now);

/* End of input: writes every open attempt with its current state (an attempt
 * with no final response is `unfinished`, or `cancelled` after a CANCEL; one
 * whose auth challenge was not answered `failed`) and counts unanswered
 * transactions. The tracker stays usable, and empty. */
void sl_dialogs_finish(sl_dialogs *d, sl_time now);

/* Per-method transaction counters (stats.transactions.by_method). */
typedef struct sl_txn_method_stats {
    uint64_t requests, retransmissions, unanswered;
    uint32_t final[600]; /* by status - 100 */
} sl_txn_method_stats;

/* stats.dialogs and stats.transactions. */
typedef struct sl_dialog_stats {
    size_t active, records;
    uint64_t created, evicted;
    uint64_t by_state[SL_DIALOG__COUNT];
    size_t memory_bytes, memory_cap, max_dialogs;
    size_t numbered_calls;
    uint64_t numbering_evicted;
    const sl_txn_method_stats *by_method; /* SL_M__COUNT, the tracker's own */
    uint64_t unmatched_responses, unmatched_retransmissions, matched_by_cseq, untracked_messages,
        evicted_groups;
} sl_dialog_stats;

void sl_dialogs_get_stats(const sl_dialogs *d, sl_dialog_stats *out);

/* Bytes of state held now (records, owned strings, the table). */
size_t sl_dialogs_memory(const sl_dialogs *d);
/* Call attempts tracked and not yet written. */
size_t sl_dialogs_active(const sl_dialogs *d);

#endif
