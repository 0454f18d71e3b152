/* Text the writers wrote recently, found again by a key of bytes: for parts
 * of events that repeat call after call (a trunk offers the same few codec
 * lists), written once and copied after. A text may have holes: places where
 * the writer puts this event's own values (an address, a port) between the
 * kept pieces. A few slots, replaced in turn; a key or text too long for a
 * slot is simply not kept. */
#ifndef SIPSLEUTH_OUTPUT_TEXT_MEMO_H
#define SIPSLEUTH_OUTPUT_TEXT_MEMO_H

#include "sipsleuth/slice.h"

#define SL_MEMO_SLOTS 8
#define SL_MEMO_KEY_MAX 160
#define SL_MEMO_TEXT_MAX 640
#define SL_MEMO_HOLES 9

typedef struct sl_memo_slot {
    uint16_t key_len, text_len; /* key_len 0: empty */
    uint16_t n_holes;
    uint16_t holes[SL_MEMO_HOLES]; /* where each value goes in text, in order */
    uint8_t key[SL_MEMO_KEY_MAX];
    char text[SL_MEMO_TEXT_MAX];
} sl_memo_slot;

typedef struct sl_text_memo {
    sl_memo_slot slot[SL_MEMO_SLOTS];
    unsigned next; /* the slot replaced next */
} sl_text_memo;

typedef struct sl_memo_hit {
    sl_slice text;
    const uint16_t *holes;
    size_t n_holes;
} sl_memo_hit;

/* The text kept for key; false when none. */
bool sl_text_memo_find(const sl_text_memo *m, const uint8_t *key, size_t key_len, sl_memo_hit *hit);
/* Keeps text for key, with its holes (offsets in text, ascending), in place
 * of the oldest; nothing when it does not fit a slot. */
void sl_text_memo_put(sl_text_memo *m, const uint8_t *key, size_t key_len, sl_slice text,
                      const uint16_t *holes, size_t n_holes);

#endif
