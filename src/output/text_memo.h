/* Text the writers wrote recently, found again by a key of bytes: for parts
 * of events that repeat call after call (a trunk offers the same few codec
 * lists), written once and copied after. A few slots, replaced in turn; a
 * key or text too long for a slot is simply not kept. */
#ifndef SIPSLEUTH_OUTPUT_TEXT_MEMO_H
#define SIPSLEUTH_OUTPUT_TEXT_MEMO_H

#include "sipsleuth/slice.h"

#define SL_MEMO_SLOTS 8
#define SL_MEMO_KEY_MAX 160
#define SL_MEMO_TEXT_MAX 640

typedef struct sl_memo_slot {
    uint16_t key_len, text_len; /* key_len 0: empty */
    uint8_t key[SL_MEMO_KEY_MAX];
    char text[SL_MEMO_TEXT_MAX];
} sl_memo_slot;

typedef struct sl_text_memo {
    sl_memo_slot slot[SL_MEMO_SLOTS];
    unsigned next; /* the slot replaced next */
} sl_text_memo;

/* The text kept for key; false when none. */
bool sl_text_memo_find(const sl_text_memo *m, const uint8_t *key, size_t key_len, sl_slice *text);
/* Keeps text for key (when both fit a slot), in place of the oldest. */
void sl_text_memo_put(sl_text_memo *m, const uint8_t *key, size_t key_len, sl_slice text);

#endif
