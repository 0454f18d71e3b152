/* Counters behind the `stats` event. Methods are attacker-chosen strings, so
 * the per-method table is fixed-size: names past its capacity count as "other". */
#ifndef SIPSLEUTH_STATS_H
#define SIPSLEUTH_STATS_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/sip.h"

#define SL_STATS_METHODS 32
#define SL_STATS_METHOD_LEN 24

typedef struct sl_counters {
    uint64_t packets, bytes;
    uint64_t udp, tcp_segments, ip_fragments, skipped, decode_errors, truncated;
    uint64_t sip_messages, sip_requests, sip_responses, sip_parse_errors, not_sip, keepalives;
    uint64_t anomalies;
    struct { /* GTP and HEP: what was decapsulated, what was counted and left */
        uint64_t gtpu, gtp_other, gtpv2c, hep, hep_not_sip, hep_compressed;
    } encap;

    struct {
        char name[SL_STATS_METHOD_LEN];
        uint8_t len;
        uint64_t count;
    } methods[SL_STATS_METHODS];
    unsigned n_methods;
    uint64_t other_methods;
    uint64_t status[700]; /* responses by status code 100..699 */

    uint64_t anomaly_counts[SL_ANOM__COUNT];
    /* the kinds counted, in the order they were first seen (that of the stats' keys) */
    sl_anomaly_kind anomaly_kinds[SL_ANOM__COUNT];
    unsigned n_anomaly_kinds;
} sl_counters;

void sl_counters_message(sl_counters *c, const sl_sip_msg *msg);
void sl_counters_anomaly(sl_counters *c, sl_anomaly_kind kind);
/* Adds from's counts of frames and messages (all but the anomalies: what
 * the capture side counts, before the analysis) to `to`. */
void sl_counters_add_traffic(sl_counters *to, const sl_counters *from);

#endif
