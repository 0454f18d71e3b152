/* The output's memo of recently written text (src/output/text_memo.c). */
#include "../../src/output/text_memo.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static void put(sl_text_memo *m, const char *key, const char *text)
{
    sl_text_memo_put(m, (const uint8_t *)key, strlen(key), sl_slice_make(text, strlen(text)), NULL,
                     0);
}

static bool find(const sl_text_memo *m, const char *key, const char *want)
{
    sl_memo_hit t;
    if (!sl_text_memo_find(m, (const uint8_t *)key, strlen(key), &t))
        return want == NULL;
    return want && t.text.len == strlen(want) && memcmp(t.text.ptr, want, t.text.len) == 0;
}

Test(text_memo, finds_what_was_put_by_the_whole_key)
{
    sl_text_memo *m = calloc(1, sizeof *m);
    put(m, "0 8 101", "\"formats\":[\"0\"]");
    cr_assert(find(m, "0 8 101", "\"formats\":[\"0\"]"));
    cr_assert(find(m, "0 8 10", NULL));   /* a prefix is another key */
    cr_assert(find(m, "0 8 1011", NULL)); /* and so is a longer one */
    cr_assert(find(m, "", NULL));
    free(m);
}

Test(text_memo, the_oldest_goes_first)
{
    sl_text_memo *m = calloc(1, sizeof *m);
    char key[8];
    for (int i = 0; i <= SL_MEMO_SLOTS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        put(m, key, key);
    }
    cr_assert(find(m, "k0", NULL));
    for (int i = 1; i <= SL_MEMO_SLOTS; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert(find(m, key, key), "%s", key);
    }
    free(m);
}

Test(text_memo, too_long_is_not_kept)
{
    sl_text_memo *m = calloc(1, sizeof *m);
    char *big = malloc(SL_MEMO_TEXT_MAX + 2);
    memset(big, 'x', SL_MEMO_TEXT_MAX + 1);
    big[SL_MEMO_TEXT_MAX + 1] = 0;
    put(m, "k", big);
    cr_assert(find(m, "k", NULL));
    big[SL_MEMO_KEY_MAX + 1] = 0; /* as a key */
    put(m, big, "t");
    cr_assert(find(m, big, NULL));
    big[SL_MEMO_KEY_MAX] = 0; /* the longest key kept */
    put(m, big, "t");
    cr_assert(find(m, big, "t"));
    free(big);
    free(m);
}

Test(text_memo, holes_come_back_with_the_text)
{
    sl_text_memo *m = calloc(1, sizeof *m);
    const uint16_t holes[] = {2, 5};
    sl_text_memo_put(m, (const uint8_t *)"k", 1, sl_slice_make("ab-cd-ef", 8), holes, 2);
    sl_memo_hit t;
    cr_assert(sl_text_memo_find(m, (const uint8_t *)"k", 1, &t));
    cr_assert(t.n_holes == 2 && t.holes[0] == 2 && t.holes[1] == 5);
    uint16_t many[SL_MEMO_HOLES + 1] = {0};
    sl_text_memo_put(m, (const uint8_t *)"j", 1, sl_slice_make("x", 1), many, SL_MEMO_HOLES + 1);
    cr_assert(find(m, "j", NULL), "more holes than a slot holds: not kept");
    free(m);
}
