/* The shared part of packed SDPs (sl_sdp_packed.shared: formats, codecs,
 * directions), kept once for all the calls that offer the same streams and
 * counted by reference: a trunk has a few of them for thousands of calls,
 * which then keep only their addresses and ports (dialog_media.c). The
 * bytes are charged to the counter the caller gives. */
#ifndef SIPSLEUTH_SRC_MEDIA_SHAPES_H
#define SIPSLEUTH_SRC_MEDIA_SHAPES_H

#include "lru_table.h"
#include "sipsleuth/media.h"

typedef struct sl_media_shapes {
    sl_lru table; /* no buckets until the first shape */
    uint64_t seed;
} sl_media_shapes;

/* The shape of these bytes, made when there is none, with one more
 * reference; NULL when a new one would take more than room bytes, or there
 * is no memory. */
const sl_media_shape *sl_media_shape_get(sl_media_shapes *t, sl_slice shared, size_t *bytes,
                                         size_t room);
/* Drops a reference; the last one frees the shape. */
void sl_media_shape_put(sl_media_shapes *t, const sl_media_shape *s, size_t *bytes);
/* Frees the table, once every shape has been put. */
void sl_media_shapes_free(sl_media_shapes *t, size_t *bytes);

#endif
