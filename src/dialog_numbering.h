/* Leg and attempt numbers of call attempts, remembered per Call-ID after the
 * attempts' own records are gone.
 *
 * An attempt's record lingers only briefly after its event (to recognise
 * late retransmissions), but a Call-ID can come back much later: an auth
 * retry after a user typed a password, a redirect followed after a pause, a
 * client that reuses its Call-IDs. Numbering from the live records alone
 * then started again at leg 0, attempt 1, and (call_id, leg, attempt) was no
 * longer unique in the output. Here each Call-ID keeps its legs (the address
 * and port pair an initial INVITE travelled between, in either direction) in
 * the order they were first seen, with the attempts counted on each.
 *
 * Bounded: an entry is forgotten `retain` after its last attempt (capture
 * time), and the least recently used goes first when the count cap is reached
 * or when the dialog tracker needs the memory (sl_numbering_drop_oldest). Only
 * then can a number repeat. Internal to the dialog tracker. */
#ifndef SIPSLEUTH_SRC_DIALOG_NUMBERING_H
#define SIPSLEUTH_SRC_DIALOG_NUMBERING_H

#include "sipsleuth/event.h"

typedef struct sl_numbering sl_numbering;

/* NULL when out of memory. *mem is charged with what the table holds. */
sl_numbering *sl_numbering_new(size_t max_entries, sl_time retain, size_t *mem);
void sl_numbering_free(sl_numbering *n, size_t *mem);

/* The numbers of a new call attempt of call_id (whose hash is h) seen on
 * flow at capture time now: its leg (0 for the Call-ID's first leg, 1 for the
 * next...) and its attempt on that leg (1, 2, ...). When no entry can be made
 * (out of memory) the attempt is numbered as the Call-ID's first. */
void sl_numbering_next(sl_numbering *n, uint64_t h, sl_slice call_id, const sl_flow *flow,
                       sl_time now, size_t *mem, uint32_t *leg, uint32_t *attempt);

/* Forgets the entries not used since now - retain. Cheap when none is due. */
void sl_numbering_expire(sl_numbering *n, sl_time now, size_t *mem);

/* Forgets the least recently used entry; false when there is none. */
bool sl_numbering_drop_oldest(sl_numbering *n, size_t *mem);

/* Entries held, and forgotten before their time (cap or memory). */
size_t sl_numbering_entries(const sl_numbering *n);
uint64_t sl_numbering_evicted(const sl_numbering *n);

#endif
