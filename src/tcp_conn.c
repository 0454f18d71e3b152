/* What every layer of a TCP connection shares (tcp_internal.h): the flow
 * its events are about, anomaly reports, delivery of a finished message,
 * and buffers charged to the table's byte account. */
#include "tcp_internal.h"

#include <stdlib.h>
#include <string.h>

sl_flow sl_tcp_flow(const sl_tcp_table *t, const conn *c, int d)
{
    sl_flow f;
    memset(&f, 0, sizeof f);
    f.src = c->addr[d];
    f.dst = c->addr[!d];
    f.sport = c->port[d];
    f.dport = c->port[!d];
    f.proto = SL_IPPROTO_TCP;
    f.tls = c->tls != NULL;
    f.outer = c == t->cur ? t->pkt : NULL;
    return f;
}

void sl_tcp_anomaly(sl_tcp_table *t, const conn *c, int d, sl_anomaly_kind kind, const char *detail)
{
    if (!t->cb.on_anomaly)
        return;
    sl_flow f = sl_tcp_flow(t, c, d);
    t->cb.on_anomaly(t->cb.user, kind, &f, t->now, detail);
}

void sl_tcp_deliver(sl_tcp_table *t, const conn *c, int d, const uint8_t *msg, size_t len)
{
    t->st.messages++;
    if (!t->cb.on_message)
        return;
    sl_tcp_prov_collect(t, c, d, msg, len);
    sl_flow f = sl_tcp_flow(t, c, d);
    t->cb.on_message(t->cb.user, msg, len, t->now, &f);
}

/* ---- owned buffers, charged to the table ---- */

bool sl_tcp_reserve(sl_tcp_table *t, uint8_t **buf, size_t *cap, size_t want)
{
    if (want <= *cap)
        return true;
    size_t n = *cap ? *cap : 512;
    while (n < want)
        n *= 2;
    uint8_t *nb = realloc(*buf, n);
    if (!nb)
        return false;
    sl_lru_charge(&t->conns, n - *cap);
    *buf = nb;
    *cap = n;
    return true;
}

void sl_tcp_release(sl_tcp_table *t, uint8_t **buf, size_t *len, size_t *cap)
{
    free(*buf);
    sl_lru_release(&t->conns, *cap);
    *buf = NULL;
    *len = *cap = 0;
}

void sl_tcp_not_sip(sl_tcp_table *t, half *h)
{
    h->mode = M_NOT_SIP;
    t->st.not_sip_streams++;
}
