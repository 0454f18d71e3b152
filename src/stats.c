#include "sipsleuth/stats.h"

static void count_method(sl_counters *c, sl_slice m)
{
    for (unsigned i = 0; i < c->n_methods; i++)
        if (c->methods[i].len == m.len && memcmp(c->methods[i].name, m.ptr, m.len) == 0) {
            c->methods[i].count++;
            return;
        }
    if (c->n_methods == SL_STATS_METHODS || m.len >= SL_STATS_METHOD_LEN) {
        c->other_methods++;
        return;
    }
    memcpy(c->methods[c->n_methods].name, m.ptr, m.len);
    c->methods[c->n_methods].len = (uint8_t)m.len;
    c->methods[c->n_methods].count = 1;
    c->n_methods++;
}

void sl_counters_message(sl_counters *c, const sl_sip_msg *msg)
{
    c->sip_messages++;
    if (msg->is_request) {
        c->sip_requests++;
        count_method(c, msg->method);
    } else {
        c->sip_responses++;
        if (msg->status_code >= 100 && msg->status_code < 700)
            c->status[msg->status_code]++;
    }
}

void sl_counters_anomaly(sl_counters *c, sl_anomaly_kind kind)
{
    c->anomalies++;
    if (c->anomaly_counts[kind]++ == 0)
        c->anomaly_kinds[c->n_anomaly_kinds++] = kind;
}

void sl_counters_add_frames(sl_counters *to, const sl_counters *from)
{
    to->packets += from->packets;
    to->bytes += from->bytes;
    to->udp += from->udp;
    to->tcp_segments += from->tcp_segments;
    to->ip_fragments += from->ip_fragments;
    to->skipped += from->skipped;
    to->decode_errors += from->decode_errors;
    to->truncated += from->truncated;
    to->sip_parse_errors += from->sip_parse_errors;
    to->not_sip += from->not_sip;
    to->keepalives += from->keepalives;
    to->encap.gtpu += from->encap.gtpu;
    to->encap.gtp_other += from->encap.gtp_other;
    to->encap.gtpv2c += from->encap.gtpv2c;
    to->encap.hep += from->encap.hep;
    to->encap.hep_not_sip += from->encap.hep_not_sip;
    to->encap.hep_compressed += from->encap.hep_compressed;
}
