#include "sipsleuth/stats.h"

static void count_method(sl_counters *c, sl_slice m, uint64_t n)
{
    for (unsigned i = 0; i < c->n_methods; i++)
        if (c->methods[i].len == m.len && memcmp(c->methods[i].name, m.ptr, m.len) == 0) {
            c->methods[i].count += n;
            return;
        }
    if (c->n_methods == SL_STATS_METHODS || m.len >= SL_STATS_METHOD_LEN) {
        c->other_methods += n;
        return;
    }
    memcpy(c->methods[c->n_methods].name, m.ptr, m.len);
    c->methods[c->n_methods].len = (uint8_t)m.len;
    c->methods[c->n_methods].count = n;
    c->n_methods++;
}

void sl_counters_message(sl_counters *c, const sl_sip_msg *msg)
{
    c->sip_messages++;
    if (msg->is_request) {
        c->sip_requests++;
        count_method(c, msg->method, 1);
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

void sl_counters_add_traffic(sl_counters *to, const sl_counters *from)
{
    to->packets += from->packets;
    to->bytes += from->bytes;
    to->udp += from->udp;
    to->tcp_segments += from->tcp_segments;
    to->ip_fragments += from->ip_fragments;
    to->skipped += from->skipped;
    to->decode_errors += from->decode_errors;
    to->truncated += from->truncated;
    to->sip_messages += from->sip_messages;
    to->sip_requests += from->sip_requests;
    to->sip_responses += from->sip_responses;
    to->sip_parse_errors += from->sip_parse_errors;
    to->not_sip += from->not_sip;
    to->keepalives += from->keepalives;
    to->encap.gtpu += from->encap.gtpu;
    to->encap.gtp_other += from->encap.gtp_other;
    to->encap.gtpv2c += from->encap.gtpv2c;
    to->encap.hep += from->encap.hep;
    to->encap.hep_not_sip += from->encap.hep_not_sip;
    to->encap.hep_compressed += from->encap.hep_compressed;
    for (unsigned i = 0; i < from->n_methods; i++)
        count_method(to,
                     sl_slice_make((const uint8_t *)from->methods[i].name, from->methods[i].len),
                     from->methods[i].count);
    to->other_methods += from->other_methods;
    for (size_t i = 0; i < sizeof to->status / sizeof to->status[0]; i++)
        to->status[i] += from->status[i];
}
