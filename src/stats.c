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

void sl_counters_write(const sl_counters *c, sl_jw *w)
{
    sl_jw_kuint(w, "packets", c->packets);
    sl_jw_kuint(w, "bytes", c->bytes);
    sl_jw_kuint(w, "udp_packets", c->udp);
    sl_jw_kuint(w, "tcp_segments", c->tcp_segments);
    sl_jw_kuint(w, "ip_fragments", c->ip_fragments);
    sl_jw_kuint(w, "skipped_packets", c->skipped);
    sl_jw_kuint(w, "decode_errors", c->decode_errors);
    sl_jw_kuint(w, "truncated_packets", c->truncated);
    sl_jw_kuint(w, "sip_messages", c->sip_messages);
    sl_jw_kuint(w, "sip_requests", c->sip_requests);
    sl_jw_kuint(w, "sip_responses", c->sip_responses);
    sl_jw_kuint(w, "parse_errors", c->sip_parse_errors);
    sl_jw_kuint(w, "not_sip", c->not_sip);
    sl_jw_kuint(w, "keepalives", c->keepalives);
    sl_jw_kuint(w, "anomalies", c->anomalies);
    sl_jw_key(w, "encap");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "gtpu_packets", c->encap.gtpu);
    sl_jw_kuint(w, "gtp_other", c->encap.gtp_other);
    sl_jw_kuint(w, "gtpv2c", c->encap.gtpv2c);
    sl_jw_kuint(w, "hep_packets", c->encap.hep);
    sl_jw_kuint(w, "hep_not_sip", c->encap.hep_not_sip);
    sl_jw_kuint(w, "hep_compressed", c->encap.hep_compressed);
    sl_jw_obj_end(w);

    sl_jw_key(w, "requests_by_method");
    sl_jw_obj_begin(w);
    for (unsigned i = 0; i < c->n_methods; i++) {
        /* the method is a token from the packet; keys go through the escaper */
        char key[SL_STATS_METHOD_LEN];
        memcpy(key, c->methods[i].name, c->methods[i].len);
        key[c->methods[i].len] = '\0';
        sl_jw_key_untrusted(w, key);
        sl_jw_uint(w, c->methods[i].count);
    }
    if (c->other_methods)
        sl_jw_kuint(w, "(other)", c->other_methods);
    sl_jw_obj_end(w);

    sl_jw_key(w, "responses_by_status");
    sl_jw_obj_begin(w);
    for (int code = 100; code < 700; code++)
        if (c->status[code]) {
            char key[4] = {(char)('0' + code / 100), (char)('0' + code / 10 % 10),
                           (char)('0' + code % 10), 0};
            sl_jw_kuint(w, key, c->status[code]);
        }
    sl_jw_obj_end(w);

    sl_jw_key(w, "anomalies_by_kind");
    sl_jw_obj_begin(w);
    for (unsigned i = 0; i < c->n_anomaly_kinds; i++)
        sl_jw_kuint(w, sl_anomaly_name(c->anomaly_kinds[i]),
                    c->anomaly_counts[c->anomaly_kinds[i]]);
    sl_jw_obj_end(w);
}
