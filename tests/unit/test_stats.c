/* The counters behind the stats event: counting messages, and adding one
 * stage's counts to another's (--workers 2 counts frames and messages on one
 * thread, anomalies on the other; the stats event shows their sum). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sipsleuth/stats.h"

static void count(sl_counters *c, const char *method, int status)
{
    sl_sip_msg m = {.is_request = method != NULL, .status_code = status};
    if (method)
        m.method = sl_slice_make((const uint8_t *)method, strlen(method));
    sl_counters_message(c, &m);
}

Test(stats, traffic_added_to_empty_counters_equals_counting_there)
{
    static sl_counters direct, one, sum;
    /* More distinct methods than the table holds (the rest count as other),
     * one too long for it, responses by status, and frame counts. */
    for (int i = 0; i < SL_STATS_METHODS + 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "M%d", i);
        for (int k = 0; k <= i % 3; k++) {
            count(&direct, name, 0);
            count(&one, name, 0);
        }
    }
    const char *too_long = "AVERYLONGEXTENSIONMETHODNAME";
    count(&direct, too_long, 0);
    count(&one, too_long, 0);
    for (int s = 100; s < 700; s += 37) {
        count(&direct, NULL, s);
        count(&one, NULL, s);
    }
    one.packets = direct.packets = 12345;
    one.not_sip = direct.not_sip = 7;
    one.encap.hep = direct.encap.hep = 3;
    sl_counters_anomaly(&sum, SL_ANOM_SIP_INVALID); /* the other stage's */
    sl_counters_anomaly(&direct, SL_ANOM_SIP_INVALID);

    sl_counters_add_traffic(&sum, &one);
    cr_assert_eq(memcmp(&sum, &direct, sizeof sum), 0, "the sum differs from counting in place");
    cr_assert_eq(sum.n_methods, SL_STATS_METHODS);
    cr_assert_eq(sum.other_methods,
                 3 + 1 + 2 + 3 + 1 + 1); /* M32..M36, 1 + i % 3 each, and the long one */
}
