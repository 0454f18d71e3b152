/* How a pure parser reports what it found wrong, without allocating: a named
 * kind (a static string), the layer, and the byte offset in that layer. */
#ifndef SIPSLEUTH_ANOMALY_H
#define SIPSLEUTH_ANOMALY_H

#include <stddef.h>

typedef struct sl_anomaly {
    const char *kind;  /* e.g. "ipv4_bad_ihl"; NULL when nothing was found */
    const char *layer; /* e.g. "ipv4", "sip" */
    size_t offset;     /* offset of the offending byte within that layer */
} sl_anomaly;

static inline void sl_anomaly_set(sl_anomaly *a, const char *layer, const char *kind, size_t offset)
{
    if (a && !a->kind) { /* the first finding is the one that matters */
        a->kind = kind;
        a->layer = layer;
        a->offset = offset;
    }
}

#endif
