/* The output's memo of recently written text (src/output/text_memo.c). */
#include "../../src/output/text_memo.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static void put(sl_text_memo *m, const char *key, const char *text)
{
    sl_text_memo_put(m, (const uint8_t *)key, strlen(key), sl_slice_make(text, strlen(text)));
}

static bool find(const sl_text_memo *m, const char *key, const char *want)
{
    sl_slice t;
    if (!sl_text_memo_find(m, (const uint8_t *)key, strlen(key), &t))
        return want == NULL;
    return want && t.len == strlen(want) && memcmp(t.ptr, want, t.len) == 0;
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
