/* What an association hands up (sctp_internal.h): anomalies and complete
 * user messages, each with the flow of its direction. Below both the table
 * (sctp_assoc.c) and the reassembly (sctp_reassembly.c), which use it. */
#include "sctp_internal.h"

#include <string.h>

static sl_flow assoc_flow(const sl_sctp_table *t, const assoc *a, int d)
{
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = a->addr[d];
    f.dst = a->addr[!d];
    f.sport = a->port[d];
    f.dport = a->port[!d];
    f.proto = SL_IPPROTO_SCTP;
    f.outer = a == t->cur ? t->pkt : NULL;
    return f;
}

void sl_sctp_anomaly(sl_sctp_table *t, const assoc *a, int d, sl_anomaly_kind kind,
                     const char *detail)
{
    if (!t->cb.on_anomaly)
        return;
    sl_flow f = a ? assoc_flow(t, a, d) : sl_flow_from_packet(t->pkt, SL_IPPROTO_SCTP);
    t->cb.on_anomaly(t->cb.user, kind, &f, t->now, detail);
}

void sl_sctp_deliver(sl_sctp_table *t, const assoc *a, int d, const uint8_t *p, size_t n,
                     bool truncated)
{
    t->st.messages++;
    if (!t->cb.on_message)
        return;
    sl_flow f = assoc_flow(t, a, d);
    t->cb.on_message(t->cb.user, p, n, t->now, &f, truncated);
}
