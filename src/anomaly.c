#include "sipsleuth/anomaly.h"

static const struct {
    const char *name, *layer, *description;
} kinds[SL_ANOM__COUNT] = {
#define SL_ANOMALY_ROW(id, name, layer, description) [SL_ANOM_##id] = {name, layer, description},
    SL_ANOMALY_KINDS(SL_ANOMALY_ROW)
#undef SL_ANOMALY_ROW
};

const char *sl_anomaly_name(sl_anomaly_kind kind)
{
    return kinds[kind].name;
}

const char *sl_anomaly_layer(sl_anomaly_kind kind)
{
    return kinds[kind].layer;
}

void sl_anomaly_list(FILE *f)
{
    for (int k = SL_ANOM_NONE + 1; k < SL_ANOM__COUNT; k++)
        fprintf(f, "%s\t%s\t%s\n", kinds[k].name, kinds[k].layer, kinds[k].description);
}
