/* A one-way queue of records from one producer thread to one consumer
 * thread (--workers 2: parsing hands its results to the analysis). Records
 * are written into batches of memory in place (no allocation per record);
 * a full batch goes to the consumer, which reads its records in the order
 * they were written and gives the batch back. A fixed number of batches:
 * a producer ahead of its consumer waits. */
#ifndef SIPSLEUTH_HANDOFF_H
#define SIPSLEUTH_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

typedef struct sl_handoff sl_handoff;

/* Called on the consumer's thread for each record, in order. */
typedef void (*sl_handoff_consume_fn)(void *user, uint32_t kind, void *record);

/* Batches of batch_bytes each; one record must fit in one (see
 * sl_handoff_reserve). Starts the consumer thread. NULL: no memory or no thread. */
sl_handoff *sl_handoff_new(size_t batch_bytes, sl_handoff_consume_fn fn, void *user);
/* Waits for every record to be consumed, stops the thread and frees. NULL is fine. */
void sl_handoff_free(sl_handoff *h);

/* Room for a record of at most max bytes, 16-byte aligned, at the end of the
 * batch being filled. What is written there is handed over by
 * sl_handoff_commit; a reservation not committed is taken back by the next
 * one. NULL when max exceeds the batch size. */
void *sl_handoff_reserve(sl_handoff *h, size_t max);
/* The reserved record, of used bytes (≤ max), is complete. */
void sl_handoff_commit(sl_handoff *h, uint32_t kind, size_t used);
/* Hands the batch being filled over now (a quiet live line: its records
 * should not wait for the batch to fill). */
void sl_handoff_flush(sl_handoff *h);
/* Flushes, then waits until the consumer has taken every record and is
 * idle: what the consumer's records changed is then safe to read here. */
void sl_handoff_drain(sl_handoff *h);

#endif
