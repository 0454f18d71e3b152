/* Fuzz target for IP defragmentation. The input is a sequence of fragments,
 * each a 6-byte record header then its bytes:
 *   flags   bit 0 more fragments, bit 1 IPv6, bit 2 truncated, bits 3-4 the
 *           train id (0-3), bits 5-7 capture time to advance (x 500 ms)
 *   offset  big-endian 16 bits; the fragment offset is (offset & 0x1FFF) * 8
 *   length  big-endian 16 bits, cut to the bytes left
 * Small caps make timeouts and evictions reachable. Besides the sanitizers it
 * checks that memory stays under the cap and a datagram covers its fragments. */
#include <stdlib.h>

#include "sipsleuth/defrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint8_t sink;

static void on_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail)
{
    (void)user;
    (void)ts;
    if (!kind || !detail || !flow)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_defrag_config cfg;
    sl_defrag_config_default(&cfg);
    cfg.max_trains = 3;
    cfg.max_bytes = 48 * 1024;
    cfg.max_frags = 16;
    cfg.timeout = 2 * SL_NS_PER_SEC;
    sl_defrag *d = sl_defrag_new(&cfg, on_anomaly, NULL);
    if (!d)
        return 0;
    sl_time now = 0;
    size_t off = 0;
    while (size - off >= 6) {
        const uint8_t *h = data + off;
        size_t len = (size_t)(h[3] << 8 | h[4]);
        off += 6;
        if (len > size - off)
            len = size - off;
        sl_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        pkt.src.family = pkt.dst.family = (h[0] & 2) ? 6 : 4;
        pkt.src.bytes[0] = 1;
        pkt.dst.bytes[0] = 2;
        pkt.ip_proto = SL_IPPROTO_UDP;
        pkt.frag.is_fragment = true;
        pkt.frag.more = h[0] & 1;
        pkt.truncated = (h[0] & 4) != 0;
        pkt.frag.id = (h[0] >> 3) & 3;
        pkt.frag.offset = (uint32_t)((h[1] << 8 | h[2]) & 0x1FFF) * 8;
        pkt.ip_payload = sl_slice_make(data + off, len);
        now += (sl_time)(h[0] >> 5) * 500 * SL_NS_PER_MS;
        off += len;

        sl_slice out;
        sl_status st = sl_defrag_add(d, &pkt, now, &out);
        if (st == SL_OK) {
            if (out.len < pkt.frag.offset + len)
                abort();
            /* every byte must be readable (first-arrived bytes win, so they
             * need not be this fragment's) */
            uint8_t sum = 0;
            for (size_t i = 0; i < out.len; i++)
                sum ^= out.ptr[i];
            sink ^= sum;
        } else if (out.len != 0) {
            abort();
        }
        if (sl_defrag_memory(d) > cfg.max_bytes)
            abort();
        sl_defrag_expire(d, now);
    }
    sl_defrag_destroy(d);
    return 0;
}
