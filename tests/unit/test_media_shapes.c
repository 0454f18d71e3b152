/* Shared parts of packed SDPs: one shape per distinct bytes, counted by
 * reference, every byte charged and given back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../src/media_shapes.h"

static sl_slice text(const char *s)
{
    return sl_slice_make(s, strlen(s));
}

Test(media_shapes, same_bytes_share_one_shape_until_the_last_put)
{
    sl_media_shapes t = {.seed = 7};
    size_t bytes = 0;
    char copy[] = "audio RTP/AVP 0 8 101";
    const sl_media_shape *a =
        sl_media_shape_get(&t, text("audio RTP/AVP 0 8 101"), &bytes, 1 << 20);
    const sl_media_shape *b = sl_media_shape_get(&t, text(copy), &bytes, 1 << 20);
    const sl_media_shape *c = sl_media_shape_get(&t, text("video RTP/AVP 31"), &bytes, 1 << 20);
    cr_assert(a && b && c);
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
    cr_assert(sl_slice_eq(sl_media_shape_bytes(c), "video RTP/AVP 31"));
    size_t with_two = bytes;
    sl_media_shape_put(&t, a, &bytes);
    cr_assert_eq(bytes, with_two, "b still holds it");
    cr_assert(sl_slice_eq(sl_media_shape_bytes(b), "audio RTP/AVP 0 8 101"));
    sl_media_shape_put(&t, b, &bytes);
    cr_assert_lt(bytes, with_two);
    sl_media_shape_put(&t, c, &bytes);
    sl_media_shapes_free(&t, &bytes);
    cr_assert_eq(bytes, 0);
}

Test(media_shapes, a_new_shape_needs_room_a_known_one_does_not)
{
    sl_media_shapes t = {.seed = 1};
    size_t bytes = 0;
    const sl_media_shape *a = sl_media_shape_get(&t, text("audio RTP/AVP 0"), &bytes, 1 << 20);
    cr_assert_not_null(a);
    cr_assert_null(sl_media_shape_get(&t, text("audio RTP/AVP 8"), &bytes, 8));
    const sl_media_shape *again = sl_media_shape_get(&t, text("audio RTP/AVP 0"), &bytes, 0);
    cr_assert_eq(again, a);
    sl_media_shape_put(&t, a, &bytes);
    sl_media_shape_put(&t, again, &bytes);
    sl_media_shapes_free(&t, &bytes);
    cr_assert_eq(bytes, 0);
}

Test(media_shapes, many_shapes_grow_the_table_and_are_all_found)
{
    sl_media_shapes t = {.seed = 3};
    size_t bytes = 0;
    enum { N = 500 };
    static char names[N][16];
    const sl_media_shape *s[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "fmts %d", i);
        s[i] = sl_media_shape_get(&t, text(names[i]), &bytes, SIZE_MAX);
        cr_assert_not_null(s[i]);
    }
    for (int i = 0; i < N; i++) {
        cr_assert_eq(sl_media_shape_get(&t, text(names[i]), &bytes, SIZE_MAX), s[i]);
        sl_media_shape_put(&t, s[i], &bytes);
        sl_media_shape_put(&t, s[i], &bytes);
    }
    sl_media_shapes_free(&t, &bytes);
    cr_assert_eq(bytes, 0);
}
