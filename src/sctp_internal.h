/* The association table's state, shared by sctp_assoc.c (associations, TSN
 * windows, the chunk walk) and sctp_reassembly.c (fragments held until their
 * user message is complete). Not a public header: the interface is
 * include/sipsleuth/sctp_assoc.h. */
#ifndef SIPSLEUTH_SRC_SCTP_INTERNAL_H
#define SIPSLEUTH_SRC_SCTP_INTERNAL_H

#include "lru_table.h"
#include "sipsleuth/sctp.h"
#include "sipsleuth/sctp_assoc.h"

enum {
    TSN_WINDOW = 1024, /* TSNs remembered per direction, up to the highest seen */
};

typedef struct frag frag; /* sctp_reassembly.c: one fragment held */

typedef struct half {
    bool started; /* hi and seen are set */
    uint32_t hi;  /* the highest TSN seen */
    uint64_t seen[TSN_WINDOW / 64];
    frag *head, *tail;
    size_t nfrags;
    /* the rest of a message dropped for its size: the next fragment expected */
    bool dropping, drop_idata, drop_unordered;
    uint16_t drop_sid;
    uint32_t drop_next, drop_mid;
} half;

typedef struct assoc {
    sl_lru_node node; /* first; the list is in activity order */
    sl_addr addr[2];  /* addr[0]/port[0]: the sender of the first packet seen */
    uint16_t port[2];
    sl_time last;
    half h[2]; /* h[d]: chunks sent by addr[d] */
} assoc;

struct sl_sctp_table {
    sl_sctp_config cfg;
    sl_sctp_callbacks cb;
    sl_lru assocs; /* its bytes: everything the associations hold, and the table */
    sl_time now;
    const sl_packet *pkt; /* the packet being processed, and its association */
    const assoc *cur;
    sl_sctp_stats st;
};

/* sctp_delivery.c: an anomaly in direction d of a (a NULL: of the packet being
 * processed), and a complete user message sent by a->addr[d]. */
void sl_sctp_anomaly(sl_sctp_table *t, const assoc *a, int d, sl_anomaly_kind kind,
                     const char *detail);
void sl_sctp_deliver(sl_sctp_table *t, const assoc *a, int d, const uint8_t *p, size_t n,
                     bool truncated);

/* sctp_reassembly.c: a fragment of a user message, held until the message
 * is complete (then delivered). */
void sl_sctp_hold_fragment(sl_sctp_table *t, assoc *a, int d, const sl_sctp_data *c);
/* Drops the fragments that can no longer complete. */
void sl_sctp_prune(sl_sctp_table *t, assoc *a, int d);
/* Drops every fragment of direction d, reporting unfinished messages. */
void sl_sctp_drop_fragments(sl_sctp_table *t, assoc *a, int d, const char *why);

#endif
