#include "text_memo.h"

bool sl_text_memo_find(const sl_text_memo *m, const uint8_t *key, size_t key_len, sl_memo_hit *hit)
{
    for (size_t i = 0; i < SL_MEMO_SLOTS; i++) {
        const sl_memo_slot *s = &m->slot[i];
        if (s->key_len == key_len && key_len && memcmp(s->key, key, key_len) == 0) {
            hit->text = sl_slice_make(s->text, s->text_len);
            hit->holes = s->holes;
            hit->n_holes = s->n_holes;
            return true;
        }
    }
    return false;
}

void sl_text_memo_put(sl_text_memo *m, const uint8_t *key, size_t key_len, sl_slice text,
                      const uint16_t *holes, size_t n_holes)
{
    if (!key_len || key_len > SL_MEMO_KEY_MAX || !text.len || text.len > SL_MEMO_TEXT_MAX ||
        n_holes > SL_MEMO_HOLES)
        return;
    sl_memo_slot *s = &m->slot[m->next];
    m->next = (m->next + 1) % SL_MEMO_SLOTS;
    s->key_len = (uint16_t)key_len;
    s->text_len = (uint16_t)text.len;
    s->n_holes = (uint16_t)n_holes;
    if (n_holes)
        memcpy(s->holes, holes, n_holes * sizeof *holes);
    memcpy(s->key, key, key_len);
    memcpy(s->text, text.ptr, text.len);
}
