/* The dialog tracker's records and their table (dialog_table.c: memory,
 * caps, eviction, timers, events), used by dialog.c (matching messages to
 * call attempts and transactions, and the attempt state machine), which
 * dialog_table.c does not call back. Not a public header: the interface is
 * include/sipsleuth/dialog.h. */
#ifndef SIPSLEUTH_SRC_DIALOG_TABLE_H
#define SIPSLEUTH_SRC_DIALOG_TABLE_H

#include "dialog_numbering.h"
#include "lru_table.h"
#include "media_shapes.h"
#include "sipsleuth/dialog.h"
#include "sipsleuth/sip_parties.h"
#include "sipsleuth/transaction.h"

#include <string.h>

#define KEPT_MAX 512     /* bytes kept of From / To URI and Request-URI */
#define TAG_MAX 64       /* bytes kept of the winning To tag */
#define EARLY_TAGS 8     /* distinct early To tags counted per attempt */
#define SAME_CALL_MAX 16 /* records of one Call-ID looked at per message */
/* Bytes at the end of an attempt made by an INVITE with SDP for its media
 * (sl_media_pair: each SDP's addresses and ports, its shape shared): those
 * of an offer and an answer of a stream or two fit, so that the call needs
 * no allocation of its own and its media sit next to the rest of it. */
#define MEDIA_INLINE 128

enum kind { K_ATTEMPT, K_OTHER };

/* The phase is also the timer list a record is in. */
enum phase {
    P_CALLING,    /* INVITE, no response yet: invite_timeout */
    P_PROCEEDING, /* provisional seen: proceeding_timeout after the last one */
    P_CHALLENGED, /* 401/407: challenge_timeout for a retry with credentials */
    P_ANSWERED,   /* 2xx seen: idle_timeout after the last message */
    P_ENDED,      /* event written: linger, then freed */
    P_OTHER,      /* a group of non-attempt transactions: noninvite_timeout idle */
    P__COUNT
};

typedef struct rec rec;
/* The fields collect() reads for every record of a bucket come first, so
 * that a walk touches one cache line per record it passes; the transactions
 * sit just before the Call-ID (data) that a match compares next. */
struct rec {
    sl_lru_node node; /* hash: of the Call-ID; the list is in creation order */
    uint32_t len_call_id, len_from, len_to, len_ruri;
    uint8_t kind, phase;
    uint8_t outcome; /* sl_dialog_state, once written */
    uint8_t proto;
    bool cancelled, ended_by_caller, early_overflow;
    uint8_t n_early, len_tag;
    sl_addr caller, callee; /* src and dst of the first request */
    uint16_t cport, eport;
    uint16_t final_status;
    uint32_t messages;  /* here, not with the counters below: no padding, same size */
    rec *tprev, *tnext; /* the timer list of its phase */
    uint64_t serial;    /* creation order, for deterministic choices */
    sl_time anchor;     /* when its current timer started */
    sl_time born;
    uint32_t retrans, reinvites, leg, attempt;
    sl_time t_invite, t_18x, t_final, t_bye;
    uint32_t cseq_initial; /* CSeq number of the latest INVITE of the attempt */
    uint32_t auth_challenges;
    uint16_t challenges[SL_DIALOG_CHALLENGES_KEPT];
    uint8_t n_challenges;
    bool ringing, early_media;
    bool has_end_reason, end_has_cause; /* the Reason header of what ended it */
    uint8_t end_protocol;               /* sl_reason_protocol */
    uint16_t end_cause;
    /* The reason phrase of final_status, cut to its size. */
    uint8_t len_final_reason;
    char final_reason[SL_DIALOG_REASON_KEPT];
    bool has_media_room; /* MEDIA_INLINE bytes at the end of the allocation */
    uint64_t from_tag_h; /* the caller's tag */
    uint64_t winner_h;   /* To tag of the 2xx */
    uint64_t early[EARLY_TAGS];
    uint16_t len_party[SL_PARTY__COUNT]; /* kept after the tag, in sl_party order */
    sl_media_pair *media;                /* from the first SDP (dialog_media.c) */
    size_t size;                         /* bytes charged for this allocation */
    sl_txn_set txns;                     /* slot 0 of an attempt is its initial INVITE */
    char data[]; /* call_id, from, to, request_uri, tag (TAG_MAX), parties */
};

struct sl_dialogs {
    sl_dialog_config cfg;
    sl_sink sink; /* .emit NULL: none */
    sl_lru recs;  /* its bytes: the records, their transactions, the numbering, shapes */
    sl_numbering *numbering;
    sl_media_shapes shapes; /* of the records' SDPs */
    size_t n_active;
    rec *thead[P__COUNT], *ttail[P__COUNT];
    sl_time timeout[P__COUNT];
    sl_time clock, next_due;
    uint64_t serial;
    uint64_t created, evicted, other_evicted, unmatched, unmatched_retrans, untracked, by_cseq;
    uint64_t by_state[SL_DIALOG__COUNT];
    sl_txn_method_stats ms[SL_M__COUNT];
};

/* What on_message derives from a message once. */
typedef struct msgv {
    const sl_sip_ctx *ctx;
    sl_txn_verdict *verdict;
    sl_method meth;
    uint64_t key;
    uint64_t from_h, to_h;
    bool has_to_tag;
} msgv;

/* ---- record fields ---- */

static inline sl_slice r_call_id(const rec *r)
{
    return sl_slice_make(r->data, r->len_call_id);
}
static inline sl_slice r_from(const rec *r)
{
    return sl_slice_make(r->data + r->len_call_id, r->len_from);
}
static inline sl_slice r_to(const rec *r)
{
    return sl_slice_make(r->data + r->len_call_id + r->len_from, r->len_to);
}
static inline sl_slice r_ruri(const rec *r)
{
    return sl_slice_make(r->data + r->len_call_id + r->len_from + r->len_to, r->len_ruri);
}
static inline char *r_tag(rec *r)
{
    return r->data + r->len_call_id + r->len_from + r->len_to + r->len_ruri;
}

/* The parties of the INVITE that made an attempt (empty for other records). */
static inline void r_parties(const rec *r, sl_sip_parties *out)
{
    const char *p = r->data + r->len_call_id + r->len_from + r->len_to + r->len_ruri;
    if (r->kind == K_ATTEMPT)
        p += TAG_MAX;
    for (int i = 0; i < SL_PARTY__COUNT; i++) {
        out->v[i] = sl_slice_make(p, r->len_party[i]);
        p += r->len_party[i];
    }
}

static inline sl_flow r_flow(const rec *r)
{
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = r->caller;
    f.dst = r->callee;
    f.sport = r->cport;
    f.dport = r->eport;
    f.proto = r->proto;
    return f;
}

/* ---- dialog_table.c ---- */

/* A record for the message's Call-ID and leg, charged to the caps (evicting
 * if need be) and in its first timer list; NULL when it cannot be made. */
rec *sl_dialog_rec_new(sl_dialogs *d, const msgv *m, uint64_t hash, enum kind kind);
void sl_dialog_rec_free(sl_dialogs *d, rec *r);
/* counted: whether this request is counted in the per-method stats (once
 * per request, though it may open a transaction on several legs). */
sl_txn *sl_dialog_txn_new(sl_dialogs *d, rec *r, const msgv *m, sl_method meth, bool counted);
/* Counts a message on r and keeps an idle timer running. */
void sl_dialog_count(sl_dialogs *d, rec *r, const msgv *m, bool retrans);
/* Moves r to phase p with its timer restarted now. */
void sl_dialog_set_phase(sl_dialogs *d, rec *r, enum phase p);
/* Decides the attempt's outcome and writes it; the record lingers. */
void sl_dialog_close_attempt(sl_dialogs *d, rec *r, sl_dialog_state st, sl_dialog_close why,
                             sl_time ts);

/* ---- dialog_media.c ---- */

/* Offer and answer of a message on an attempt (not a retransmission). */
void sl_dialog_media_note(sl_dialogs *d, rec *r, const msgv *m);
void sl_dialog_media_free(sl_dialogs *d, rec *r);

#endif
