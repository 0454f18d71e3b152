/* The anomalies a module under test reported: how many, and the names of
 * the first SL_TEST_ANOMALIES_KEPT in order. */
#ifndef SL_TEST_ANOMALY_LOG_H
#define SL_TEST_ANOMALY_LOG_H

#include "sipsleuth/anomaly.h"

#define SL_TEST_ANOMALIES_KEPT 64

typedef struct sl_test_anomalies {
    int n; /* all reported, kept or not */
    char kinds[SL_TEST_ANOMALIES_KEPT][40];
} sl_test_anomalies;

void sl_test_anomaly_note(sl_test_anomalies *a, sl_anomaly_kind kind);
/* How many of the kept ones are named kind. */
int sl_test_anomaly_count(const sl_test_anomalies *a, const char *kind);

#endif
