#include "anomaly_log.h"

#include <stdio.h>
#include <string.h>

void sl_test_anomaly_note(sl_test_anomalies *a, sl_anomaly_kind kind)
{
    if (a->n < SL_TEST_ANOMALIES_KEPT)
        snprintf(a->kinds[a->n], sizeof a->kinds[0], "%s", sl_anomaly_name(kind));
    a->n++;
}

int sl_test_anomaly_count(const sl_test_anomalies *a, const char *kind)
{
    int c = 0;
    for (int i = 0; i < a->n && i < SL_TEST_ANOMALIES_KEPT; i++)
        c += strcmp(a->kinds[i], kind) == 0;
    return c;
}
