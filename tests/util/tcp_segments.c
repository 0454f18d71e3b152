#include "tcp_segments.h"

#include <string.h>

#include "guarded.h"

void sl_test_send_segment(sl_tcp_table *t, const sl_test_segment *s)
{
    sl_packet p;
    memset(&p, 0, sizeof p);
    sl_addr a = {.family = 4, .bytes = {10, 0, 0, 1}}, b = {.family = 4, .bytes = {10, 0, 0, 2}};
    uint16_t ap = (uint16_t)(40000 + s->conn), bp = s->dport ? s->dport : 5060;
    p.src = s->reverse ? b : a;
    p.dst = s->reverse ? a : b;
    p.sport = s->reverse ? bp : ap;
    p.dport = s->reverse ? ap : bp;
    p.ip_proto = SL_IPPROTO_TCP;
    p.tcp.seq = s->seq;
    p.tcp.flags = s->flags ? s->flags : SL_TCP_ACK | SL_TCP_PSH;
    p.tcp.cut = (uint32_t)(s->len - s->kept);
    p.truncated = s->kept < s->len;
    p.frame = s->frame;
    sl_time ts = s->ts ? s->ts : 1;
    if (s->unguarded) {
        p.payload = sl_slice_make(s->data, s->kept);
        sl_tcp_segment(t, &p, ts);
        return;
    }
    sl_guarded g;
    p.payload = sl_slice_make(sl_guard(&g, s->data, s->kept), s->kept);
    sl_tcp_segment(t, &p, ts);
    sl_guard_free(&g);
}
