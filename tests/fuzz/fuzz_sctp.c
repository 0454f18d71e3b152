/* Fuzz target for SCTP: the common header and chunk walk (dissectors/sctp.c)
 * and the association table (duplicate TSNs, fragment reassembly, caps). The
 * input is a sequence of packets, each a 3-byte record header then the SCTP
 * packet (common header and chunks):
 *   flags   bit 0 direction, bits 1-2 address pair (0-3), bit 3 cut by the
 *           capture (IP states 100 bytes more), bits 4-7 capture time to
 *           advance (x 30 s)
 *   length  big-endian 16 bits, cut to the bytes left
 * Small caps make evictions, timeouts and the message cap reachable. Besides
 * the sanitizers it checks that memory stays under the cap and that every
 * delivered message is readable and, when reassembled, within the cap. */
#include <stdlib.h>
#include <string.h>

#include "sipsleuth/layers.h"
#include "sipsleuth/sctp.h"
#include "sipsleuth/sctp_assoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGE 4096

static volatile uint8_t sink;
static size_t max_packet; /* the largest packet of the input: an unfragmented message's bound */

static void on_message(void *user, const uint8_t *msg, size_t len, sl_time ts, const sl_flow *flow,
                       bool truncated)
{
    (void)user;
    (void)ts;
    (void)truncated;
    if (!flow || flow->proto != SL_IPPROTO_SCTP || (len > MAX_MESSAGE && len > max_packet))
        abort();
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum ^= msg[i];
    sink ^= sum;
}

static void on_anomaly(void *user, sl_anomaly_kind kind, const sl_flow *flow, sl_time ts,
                       const char *detail)
{
    (void)user;
    (void)ts;
    if (!kind || !detail || !flow || flow->proto != SL_IPPROTO_SCTP)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_sctp_config cfg;
    sl_sctp_config_default(&cfg);
    cfg.max_assocs = 3;
    cfg.max_bytes = 64 * 1024;
    cfg.max_message = MAX_MESSAGE;
    cfg.idle_timeout = 60 * SL_NS_PER_SEC;
    sl_sctp_callbacks cb = {.on_message = on_message, .on_anomaly = on_anomaly};
    sl_sctp_table *t = sl_sctp_new(&cfg, &cb);
    if (!t)
        return 0;
    max_packet = 0;
    sl_time now = 0;
    size_t off = 0;
    while (size - off >= 3) {
        const uint8_t *h = data + off;
        int dir = h[0] & 1, pair = (h[0] >> 1) & 3;
        size_t len = (size_t)(h[1] << 8 | h[2]);
        off += 3;
        if (len > size - off)
            len = size - off;
        if (len > max_packet)
            max_packet = len;
        sl_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        sl_addr a = {.family = 4, .bytes = {10, 0, 0, 1}},
                b = {.family = 4, .bytes = {10, 0, 0, (uint8_t)(2 + pair)}};
        pkt.src = dir ? b : a;
        pkt.dst = dir ? a : b;
        pkt.ip_proto = SL_IPPROTO_SCTP;
        size_t stated = len + ((h[0] & 8) ? 100 : 0);
        pkt.truncated = stated > len;
        now += (sl_time)(h[0] >> 4) * 30 * SL_NS_PER_SEC;
        sl_anomaly an = {0};
        sl_status st = sl_sctp_decode(sl_slice_make(data + off, len), stated, &pkt, &an);
        off += len;
        if (st != SL_OK) {
            if (!an.kind)
                abort();
            continue;
        }
        if (pkt.payload.len > len)
            abort();
        sl_sctp_packet(t, &pkt, now);
        if (sl_sctp_memory(t) > cfg.max_bytes)
            abort();
        sl_sctp_expire(t, now);
    }
    sl_sctp_destroy(t);
    return 0;
}
