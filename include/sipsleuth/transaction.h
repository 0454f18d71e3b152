/* SIP transaction matching for the dialog tracker: method ids, the key a
 * message carries for its transaction, and a small per-record set of
 * transactions with response signatures for retransmission detection.
 *
 * A transaction is (key, method). The key hashes the top Via branch and
 * sent-by when the branch has the RFC 3261 magic cookie; otherwise (RFC 2543)
 * the CSeq number, From tag, sent-by and whatever branch there is. The method
 * is the request's (the CSeq method for a response); an ACK for a non-2xx
 * final is looked up as its INVITE, a CANCEL carries its INVITE's key. */
#ifndef SIPSLEUTH_TRANSACTION_H
#define SIPSLEUTH_TRANSACTION_H

#include "sipsleuth/sip_context.h"

typedef enum sl_method {
    SL_M_INVITE,
    SL_M_ACK,
    SL_M_BYE,
    SL_M_CANCEL,
    SL_M_REGISTER,
    SL_M_OPTIONS,
    SL_M_PRACK,
    SL_M_SUBSCRIBE,
    SL_M_NOTIFY,
    SL_M_PUBLISH,
    SL_M_INFO,
    SL_M_REFER,
    SL_M_MESSAGE,
    SL_M_UPDATE,
    SL_M_OTHER, /* any other token, or a method in another case (methods are case-sensitive) */
    SL_M__COUNT
} sl_method;

sl_method sl_method_of(sl_slice name);
const char *sl_method_name(sl_method m); /* "INVITE", ..., "other" */

/* The transaction key of a request or response (see above). */
uint64_t sl_txn_key(uint64_t seed, const sl_sip_ctx *ctx);

/* The signature of a response within its transaction: status, To tag (its
 * seeded hash, which the caller has already) and, for a reliable provisional
 * (RFC 3262), its RSeq: a 183 with a new RSeq is a new response, the same
 * RSeq again a retransmission. rseq is 0 when the response has none. */
uint32_t sl_txn_response_sig(uint64_t to_tag_hash, int status, uint32_t rseq);

#define SL_TXN_RESPONSES 4 /* distinct responses remembered per transaction */

enum {
    SL_TXN_ACKED = 1u << 0, /* INVITE: an ACK with this key was seen */
    SL_TXN_INITIAL =
        1u << 1, /* INVITE: opened or continued (after an auth challenge) a call attempt */
    /* Known only from its responses (the request was not captured): kept so
     * that a repeated response is recognised as a retransmission; never
     * matched by a request, never "unanswered". */
    SL_TXN_NO_REQUEST = 1u << 2,
};

typedef struct sl_txn {
    uint64_t key;
    sl_time first;                   /* request first seen */
    uint32_t cseq;                   /* CSeq number of the request */
    uint32_t resp[SL_TXN_RESPONSES]; /* signatures, a ring of the latest */
    uint16_t final;                  /* first final status, 0 none */
    uint8_t method;                  /* sl_method */
    uint8_t n_resp;                  /* signatures recorded in total (saturates) */
    uint8_t flags;                   /* SL_TXN_* */
} sl_txn;

/* A request seen (not an ACK) with no final response yet: "unanswered" if
 * its record goes now. */
static inline bool sl_txn_awaits_final(const sl_txn *t)
{
    return !t->final && t->method != SL_M_ACK && !(t->flags & SL_TXN_NO_REQUEST);
}

/* Records response `sig`; true when the transaction had it already. */
bool sl_txn_response_seen(sl_txn *t, uint32_t sig);

/* The transactions of one dialog record: a few inline, more on demand up to
 * SL_TXN_MAX; beyond that (or when memory is short) the oldest after the
 * first are reused, so slot 0 (the initial INVITE) stays. */
#define SL_TXN_INLINE 3
#define SL_TXN_MAX 64

typedef struct sl_txn_set {
    sl_txn inl[SL_TXN_INLINE];
    sl_txn *more;
    uint16_t n, cap_more, ring;
} sl_txn_set;

/* Index of (key, method) or -1; transactions with any of skip_flags set are
 * passed over. */
int sl_txn_set_find(const sl_txn_set *s, uint64_t key, sl_method m, unsigned skip_flags);
/* Index of the newest transaction with this CSeq number and method, or -1. */
int sl_txn_set_find_cseq(const sl_txn_set *s, uint32_t cseq, sl_method m);
sl_txn *sl_txn_set_at(sl_txn_set *s, int i);
const sl_txn *sl_txn_set_cat(const sl_txn_set *s, int i);
/* A slot for a new transaction, or NULL only if the set is empty of room and
 * of reusable slots. Growing is charged to *mem and refused past mem_cap.
 * When a slot is reused, *reused is set and it still holds the old
 * transaction (for the caller's counters); the caller overwrites it. */
sl_txn *sl_txn_set_add(sl_txn_set *s, size_t *mem, size_t mem_cap, bool *reused, int *index);
/* Frees the overflow, uncharging it from *mem. */
void sl_txn_set_free(sl_txn_set *s, size_t *mem);

#endif
