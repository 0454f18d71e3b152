/* Shared parts of packed SDPs, by reference: see media_shapes.h. */
#include "media_shapes.h"

#include "hash.h"

#include <stdlib.h>

struct sl_media_shape {
    sl_lru_node node; /* first: the table's entry */
    uint32_t refs;
    uint16_t len;
    uint8_t bytes[];
};

sl_slice sl_media_shape_bytes(const sl_media_shape *s)
{
    return sl_slice_make(s->bytes, s->len);
}

const sl_media_shape *sl_media_shape_get(sl_media_shapes *t, sl_slice shared, size_t *bytes,
                                         size_t room)
{
    if (!t->table.buckets) {
        if (!sl_lru_init(&t->table, 64, SIZE_MAX, SIZE_MAX))
            return NULL;
        *bytes += sl_lru_bucket_bytes(&t->table);
    }
    uint64_t h = sl_hash_bytes(t->seed, shared.ptr, shared.len);
    for (sl_lru_node *n = sl_lru_first(&t->table, h); n; n = sl_lru_next(n)) {
        sl_media_shape *s = (sl_media_shape *)n;
        if (s->len == shared.len && memcmp(s->bytes, shared.ptr, shared.len) == 0) {
            s->refs++;
            return s;
        }
    }
    size_t size = sizeof(sl_media_shape) + shared.len;
    if (shared.len > UINT16_MAX || size > room)
        return NULL;
    sl_media_shape *s = malloc(size);
    if (!s)
        return NULL;
    s->refs = 1;
    s->len = (uint16_t)shared.len;
    memcpy(s->bytes, shared.ptr, shared.len);
    sl_lru_insert(&t->table, &s->node, h);
    *bytes += size + sl_lru_grow(&t->table, room - size);
    return s;
}

void sl_media_shape_put(sl_media_shapes *t, const sl_media_shape *shape, size_t *bytes)
{
    sl_media_shape *s = (sl_media_shape *)shape; /* the table's own: handed out const */
    if (--s->refs)
        return;
    sl_lru_remove(&t->table, &s->node);
    *bytes -= sizeof *s + s->len;
    free(s);
}

void sl_media_shapes_free(sl_media_shapes *t, size_t *bytes)
{
    if (!t->table.buckets)
        return;
    *bytes -= sl_lru_bucket_bytes(&t->table);
    sl_lru_free(&t->table);
}
