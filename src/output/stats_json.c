/* The `stats` event's detail: the pipeline's counters, then each module's
 * object, in the order the event reference lists them. */
#include "writers.h"

#include <stdio.h>

/* requests_by_method and responses_by_status of c. */
void sl_json_message_counts(sl_jw *w, const sl_counters *c)
{
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
}

static void write_counters(sl_jw *w, const sl_counters *c)
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

    sl_json_message_counts(w, c);

    sl_jw_key(w, "anomalies_by_kind");
    sl_jw_obj_begin(w);
    for (unsigned i = 0; i < c->n_anomaly_kinds; i++)
        sl_jw_kuint(w, sl_anomaly_name(c->anomaly_kinds[i]),
                    c->anomaly_counts[c->anomaly_kinds[i]]);
    sl_jw_obj_end(w);
}

static void write_sctp(sl_jw *w, const sl_stats_event *ev)
{
    const sl_sctp_stats *s = &ev->sctp;
    sl_jw_key(w, "sctp");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "packets", s->packets);
    sl_jw_kuint(w, "associations", s->associations);
    sl_jw_kuint(w, "open", s->open);
    sl_jw_kuint(w, "closed", s->closed);
    sl_jw_kuint(w, "timeouts", s->timeouts);
    sl_jw_kuint(w, "evictions", s->evictions);
    sl_jw_kuint(w, "chunks", s->chunks);
    sl_jw_kuint(w, "data_chunks", s->data_chunks);
    sl_jw_kuint(w, "duplicates", s->duplicates);
    sl_jw_kuint(w, "messages", s->messages);
    sl_jw_kuint(w, "reassembled", s->reassembled);
    sl_jw_kuint(w, "too_large", s->too_large);
    sl_jw_kuint(w, "dropped_fragments", s->dropped_fragments);
    sl_jw_kuint(w, "bad_chunks", s->bad_chunks);
    sl_jw_kuint(w, "buffered_bytes", s->buffered);
    sl_jw_kuint(w, "memory_bytes", ev->sctp_memory);
    sl_jw_obj_end(w);
}

static void write_tcp(sl_jw *w, const sl_stats_event *ev)
{
    const sl_tcp_stats *ts = &ev->tcp;
    sl_jw_key(w, "tcp");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "streams", ts->streams);
    sl_jw_kuint(w, "open", ts->open);
    sl_jw_kuint(w, "closed", ts->closed);
    sl_jw_kuint(w, "timeouts", ts->timeouts);
    sl_jw_kuint(w, "evictions", ts->evictions);
    sl_jw_kuint(w, "gaps", ts->gaps);
    sl_jw_kuint(w, "messages", ts->messages);
    sl_jw_kuint(w, "websocket_messages", ts->ws_messages);
    sl_jw_kuint(w, "invalid", ts->invalid);
    sl_jw_kuint(w, "too_large", ts->too_large);
    sl_jw_kuint(w, "truncated", ts->truncated);
    sl_jw_kuint(w, "retransmitted_bytes", ts->retransmitted);
    sl_jw_kuint(w, "not_sip_streams", ts->not_sip_streams);
    sl_jw_kuint(w, "buffered_bytes", ts->buffered);
    sl_jw_kuint(w, "memory_bytes", ev->tcp_memory);
    sl_jw_obj_end(w);
}

static void write_defrag(sl_jw *w, const sl_stats_event *ev)
{
    const sl_defrag_stats *ds = &ev->defrag;
    sl_jw_key(w, "defrag");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "datagrams", ds->datagrams);
    sl_jw_kuint(w, "duplicates", ds->duplicates);
    sl_jw_kuint(w, "overlaps", ds->overlaps);
    sl_jw_kuint(w, "timeouts", ds->timeouts);
    sl_jw_kuint(w, "evictions", ds->evictions);
    sl_jw_kuint(w, "rejected", ds->rejected);
    sl_jw_kuint(w, "trains", ds->trains);
    sl_jw_kuint(w, "memory_bytes", ev->defrag_memory);
    sl_jw_obj_end(w);
}

static void write_tls(sl_jw *w, const sl_stats_event *ev)
{
    const sl_tls_stats *st = &ev->tls;
    sl_jw_key(w, "tls");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "connections", st->connections);
    sl_jw_kuint(w, "decrypted", st->decrypted);
    sl_jw_kuint(w, "no_key", st->no_key);
    sl_jw_kuint(w, "unsupported", st->unsupported);
    sl_jw_kuint(w, "invalid", st->invalid);
    sl_jw_kuint(w, "decrypt_failed", st->decrypt_failed);
    sl_jw_kuint(w, "records", st->records);
    sl_jw_kuint(w, "plaintext_bytes", st->plaintext_bytes);
    sl_jw_kuint(w, "dropped_bytes", st->dropped_bytes);
    sl_jw_kuint(w, "key_updates", st->key_updates);
    if (ev->keylog) {
        const sl_tls_keylog_stats *ks = ev->keylog;
        sl_jw_key(w, "keylog");
        sl_jw_obj_begin(w);
        sl_jw_kuint(w, "entries", ks->entries);
        sl_jw_kuint(w, "lines", ks->lines);
        sl_jw_kuint(w, "malformed", ks->malformed);
        sl_jw_kuint(w, "evicted", ks->evicted);
        sl_jw_kuint(w, "reads", ks->reads);
        sl_jw_kuint(w, "memory_bytes", ev->keylog_memory);
        sl_jw_obj_end(w);
    }
    sl_jw_obj_end(w);
}

static void write_dedup(sl_jw *w, const sl_dedup_stats *ds)
{
    sl_jw_key(w, "dedup");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "checked", ds->checked);
    sl_jw_kuint(w, "duplicates", ds->duplicates);
    sl_jw_kuint(w, "overwrites", ds->overwrites);
    sl_jw_obj_end(w);
}

static void write_transactions(sl_jw *w, const sl_dialog_stats *d)
{
    sl_jw_key(w, "transactions");
    sl_jw_obj_begin(w);
    sl_jw_key(w, "by_method");
    sl_jw_obj_begin(w);
    for (int m = 0; m < SL_M__COUNT; m++) {
        const sl_txn_method_stats *s = &d->by_method[m];
        if (!s->requests && !s->retransmissions)
            continue;
        sl_jw_key(w, sl_method_name((sl_method)m));
        sl_jw_obj_begin(w);
        sl_jw_kuint(w, "requests", s->requests);
        sl_jw_kuint(w, "retransmissions", s->retransmissions);
        sl_jw_kuint(w, "unanswered", s->unanswered);
        sl_jw_key(w, "final");
        sl_jw_obj_begin(w);
        for (int st = 0; st < 600; st++) {
            if (!s->final[st])
                continue;
            char key[8];
            snprintf(key, sizeof key, "%d", st + 100);
            sl_jw_kuint(w, key, s->final[st]);
        }
        sl_jw_obj_end(w);
        sl_jw_obj_end(w);
    }
    sl_jw_obj_end(w);
    sl_jw_kuint(w, "unmatched_responses", d->unmatched_responses);
    sl_jw_kuint(w, "unmatched_retransmissions", d->unmatched_retransmissions);
    sl_jw_kuint(w, "matched_by_cseq", d->matched_by_cseq);
    sl_jw_kuint(w, "untracked_messages", d->untracked_messages);
    sl_jw_kuint(w, "evicted_groups", d->evicted_groups);
    sl_jw_obj_end(w);
}

static void write_dialogs(sl_jw *w, const sl_dialog_stats *d)
{
    sl_jw_key(w, "dialogs");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "active", d->active);
    sl_jw_kuint(w, "records", d->records);
    sl_jw_kuint(w, "created", d->created);
    sl_jw_kuint(w, "evicted", d->evicted);
    sl_jw_key(w, "by_state");
    sl_jw_obj_begin(w);
    for (int s = 0; s < SL_DIALOG__COUNT; s++)
        sl_jw_kuint(w, sl_dialog_state_name((sl_dialog_state)s), d->by_state[s]);
    sl_jw_obj_end(w);
    sl_jw_kuint(w, "memory_bytes", d->memory_bytes);
    sl_jw_kuint(w, "memory_cap", d->memory_cap);
    sl_jw_kuint(w, "max_dialogs", d->max_dialogs);
    sl_jw_kuint(w, "numbered_calls", d->numbered_calls);
    sl_jw_kuint(w, "numbering_evicted", d->numbering_evicted);
    sl_jw_obj_end(w);
    write_transactions(w, d);
}

static void write_redirects(sl_jw *w, const sl_redirect_stats *r)
{
    sl_jw_key(w, "redirects");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "total",
                r->multiple_choices_300 + r->moved_permanently_301 + r->moved_temporarily_302 +
                    r->other_3xx);
    sl_jw_kuint(w, "multiple_choices_300", r->multiple_choices_300);
    sl_jw_kuint(w, "moved_permanently_301", r->moved_permanently_301);
    sl_jw_kuint(w, "moved_temporarily_302", r->moved_temporarily_302);
    sl_jw_kuint(w, "other_3xx", r->other_3xx);
    sl_jw_kuint(w, "contacts", r->contacts);
    sl_jw_kuint(w, "request_not_captured", r->request_not_captured);
    sl_jw_kuint(w, "unlearnable", r->unlearnable);
    sl_jw_obj_end(w);

    sl_jw_key(w, "routes");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "entries", r->route_entries);
    for (int a = 0; a < SL_ROUTE__COUNT; a++)
        sl_jw_kuint(w, sl_route_action_name((sl_route_action)a), r->route_actions[a]);
    sl_jw_kuint(w, "memory_bytes", r->routes_memory);
    sl_jw_obj_end(w);
}

static void write_identity(sl_jw *w, const sl_stats_event *ev)
{
    const sl_identity_counts *id = &ev->identity;
    sl_jw_key(w, "identity");
    sl_jw_obj_begin(w);
    sl_jw_kuint(w, "signed_requests", id->signed_requests);
    sl_jw_kuint(w, "valid", id->valid);
    sl_jw_kuint(w, "invalid", id->invalid);
    sl_jw_kuint(w, "unverifiable", id->unverifiable);
    sl_jw_kuint(w, "signatures_checked", id->signatures_checked);
    sl_jw_kuint(w, "cache_hits", id->cache_hits);
    sl_jw_kuint(w, "rejections", id->rejections);
    sl_jw_kuint(w, "memory_bytes", ev->identity_memory);
    sl_jw_obj_end(w);
}

void sl_json_stats(sl_jw *w, const sl_stats_event *ev)
{
    write_counters(w, ev->counters);
    write_defrag(w, ev);
    write_tcp(w, ev);
    write_tls(w, ev);
    write_sctp(w, ev);
    if (ev->dedup)
        write_dedup(w, ev->dedup);
    write_dialogs(w, &ev->dialogs);
    write_redirects(w, &ev->redirects);
    write_identity(w, ev);
    if (ev->capture) {
        sl_jw_kuint(w, "pcap_received", ev->capture->received);
        sl_jw_kuint(w, "kernel_dropped", ev->capture->dropped);
        sl_jw_kuint(w, "interface_dropped", ev->capture->if_dropped);
    }
    sl_jw_kuint(w, "memory_bytes", ev->memory_bytes);
    sl_jw_kbool(w, "final", ev->final);
}
