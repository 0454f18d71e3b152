/* How a pure parser reports what it found wrong, without allocating: a named
 * kind (its name and layer are in the registry, anomaly_kinds.h) and the byte
 * offset in that layer. */
#ifndef SIPSLEUTH_ANOMALY_H
#define SIPSLEUTH_ANOMALY_H

#include <stdio.h>

#include "sipsleuth/anomaly_kinds.h"

typedef enum sl_anomaly_kind {
    SL_ANOM_NONE,
#define SL_ANOMALY_ENUM(id, name, layer, description) SL_ANOM_##id,
    SL_ANOMALY_KINDS(SL_ANOMALY_ENUM)
#undef SL_ANOMALY_ENUM
        SL_ANOM__COUNT
} sl_anomaly_kind;

typedef struct sl_anomaly {
    sl_anomaly_kind kind; /* SL_ANOM_NONE when nothing was found */
    size_t offset;        /* offset of the offending byte within its layer */
} sl_anomaly;

static inline void sl_anomaly_set(sl_anomaly *a, sl_anomaly_kind kind, size_t offset)
{
    if (a && !a->kind) { /* the first finding is the one that matters */
        a->kind = kind;
        a->offset = offset;
    }
}

/* The kind's name ("ipv4_bad_ihl") and layer ("ipv4"); NULL for SL_ANOM_NONE. */
const char *sl_anomaly_name(sl_anomaly_kind kind);
const char *sl_anomaly_layer(sl_anomaly_kind kind);
/* The registry, one line per kind: name, layer, description, tab-separated. */
void sl_anomaly_list(FILE *f);

#endif
