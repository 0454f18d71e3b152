/* --extract's record of pass 1, read by pass 2 (extract_write.c). Internal:
 * the interface is include/sipsleuth/extract.h. */
#ifndef SIPSLEUTH_SRC_EXTRACT_INTERNAL_H
#define SIPSLEUTH_SRC_EXTRACT_INTERNAL_H

#include "sipsleuth/extract.h"

typedef struct sl_extract_call {
    struct sl_extract_call *next; /* its hash bucket */
    char *id;                     /* the Call-ID as it came (not NUL-safe: id_len) */
    size_t id_len;
    uint64_t *frames; /* in the order recorded; sorted and made unique by pass 2 */
    size_t n, cap;
} sl_extract_call;

struct sl_extract {
    sl_frames frames;
    const char *const *ids; /* the Call-IDs asked for; n_ids 0: all */
    size_t n_ids;
    sl_extract_call **calls; /* in order of first message; the asked ones first */
    size_t n_calls, cap_calls;
    sl_extract_call **buckets; /* n_buckets, a power of 2 */
    size_t n_buckets;
    size_t records;           /* frame numbers held in all calls */
    uint64_t calls_dropped;   /* Call-IDs past SL_EXTRACT_MAX_CALLS */
    uint64_t records_dropped; /* frame numbers past SL_EXTRACT_MAX_RECORDS or no memory */
    uint64_t incomplete;      /* messages whose frame list overflowed */
};

#endif
