/* Fuzz target for TCP reassembly and SIP framing. The input is a sequence of
 * segments, each a 6-byte record header then its payload:
 *   flags   bit 0 direction, bits 1-2 connection (0-3), bit 3 SYN, bit 4 FIN,
 *           bit 5 RST, bits 6-7 capture time to advance (x 100 s)
 *   delta   big-endian signed 16 bits: seq = where this direction's previous
 *           segment ended + delta (0 continues in order); the first segment of
 *           a direction starts near 2^32 so that streams wrap around
 *   length  big-endian 16 bits, cut to the bytes left
 *   cut     bytes the segment carried past these, cut by the snap length
 * Small caps make gaps, resyncs and evictions reachable. Besides the
 * sanitizers it checks that memory stays under the cap, that a message
 * handed over already parsed (on_sip, the pipeline's path) is exactly what
 * parsing its bytes as a datagram gives, and that a HEP packet framed on a
 * stream (on_hep) is one whole HEPv3 packet within the cap; and that each
 * message's frames (--extract's provenance, segments numbered from 1) are
 * segments already given. */
#include <stdlib.h>
#include <string.h>

#include "sipsleuth/layers.h"
#include "sipsleuth/sip.h"
#include "sipsleuth/tcp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sl_frames frames;
static uint64_t segments;

static void check_frames(void)
{
    if (frames.n == 0 && !frames.overflow)
        abort();
    for (uint32_t i = 0; i < frames.n; i++)
        if (frames.no[i] == 0 || frames.no[i] > segments)
            abort();
}

static void on_message(void *user, const uint8_t *msg, size_t len, sl_time ts, const sl_flow *flow)
{
    (void)user;
    (void)ts;
    if (len == 0 || !flow || flow->proto != SL_IPPROTO_TCP)
        abort();
    check_frames();
    /* every byte must be readable; parse it as the pipeline would */
    sl_sip_header headers[16];
    sl_sip_msg m = {.headers = headers, .max_headers = 16};
    sl_anomaly an = {0};
    sl_sip_parse(msg, len, SL_SIP_DATAGRAM, &m, &an);
}

#define MAX_HEADERS 16

/* The stream table's parse of a message must equal a datagram parse of its bytes. */
static void on_sip(void *user, const sl_sip_msg *msg, const uint8_t *data, sl_time ts,
                   const sl_flow *flow)
{
    (void)user;
    (void)ts;
    if (msg->length == 0 || !flow || flow->proto != SL_IPPROTO_TCP)
        abort();
    check_frames();
    sl_sip_header headers[MAX_HEADERS];
    memset(headers, 0, sizeof headers);
    sl_sip_msg m = {.headers = headers, .max_headers = MAX_HEADERS};
    sl_anomaly an = {0};
    if (sl_sip_parse(data, msg->length, SL_SIP_DATAGRAM, &m, &an) != SL_OK)
        abort();
    m.headers = msg->headers;
    if (memcmp(&m, msg, sizeof m) != 0 ||
        memcmp(headers, msg->headers, m.n_headers * sizeof headers[0]) != 0)
        abort();
}

static void on_truncated(void *user, const uint8_t *data, size_t len, size_t lost, sl_time ts,
                         const sl_flow *flow)
{
    (void)user;
    (void)ts;
    if (lost == 0 || !flow || flow->proto != SL_IPPROTO_TCP || (len > 0 && !data))
        abort();
    /* every byte must be readable; parse it as the pipeline would */
    sl_sip_header headers[16];
    sl_sip_msg m = {.headers = headers, .max_headers = 16};
    if (len > 0)
        sl_sip_parse(data, len, SL_SIP_DATAGRAM, &m, NULL);
}

#define MAX_MESSAGE 4096

static void on_hep(void *user, const uint8_t *hep, size_t len, sl_time ts, const sl_flow *flow)
{
    (void)user;
    (void)ts;
    if (len < 6 || len > MAX_MESSAGE || !flow || flow->proto != SL_IPPROTO_TCP ||
        !sl_hep3_probe(sl_slice_make(hep, len)) || ((size_t)hep[4] << 8 | hep[5]) != len)
        abort();
    sl_hep h;
    sl_anomaly an = {0};
    if (sl_hep_decode(sl_slice_make(hep, len), &h, &an) == SL_OK && h.payload.len &&
        (h.payload.ptr < hep || h.payload.ptr + h.payload.len > hep + len))
        abort();
}

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
    sl_tcp_config cfg;
    sl_tcp_config_default(&cfg);
    cfg.max_streams = 3;
    cfg.max_bytes = 96 * 1024;
    cfg.max_message = MAX_MESSAGE;
    cfg.max_ooo_bytes = 4096;
    cfg.max_ooo_segments = 8;
    cfg.probe_limit = 1024;
    cfg.frames = &frames;
    segments = 0;
    sl_sip_header headers[MAX_HEADERS];
    memset(headers, 0, sizeof headers); /* so that whole entries compare */
    sl_tcp_callbacks cb = {.on_message = on_message,
                           .on_anomaly = on_anomaly,
                           .on_sip = on_sip,
                           .headers = headers,
                           .max_headers = MAX_HEADERS,
                           .on_truncated = on_truncated,
                           .on_hep = on_hep};
    sl_tcp_table *t = sl_tcp_new(&cfg, &cb);
    if (!t)
        return 0;
    uint32_t cursor[4][2];
    for (int c = 0; c < 4; c++)
        cursor[c][0] = cursor[c][1] = 0xFFFFFF00u;
    sl_time now = 0;
    size_t off = 0;
    while (size - off >= 6) {
        const uint8_t *h = data + off;
        int dir = h[0] & 1, conn = (h[0] >> 1) & 3;
        int16_t delta = (int16_t)(uint16_t)(h[1] << 8 | h[2]);
        size_t len = (size_t)(h[3] << 8 | h[4]);
        off += 6;
        if (len > size - off)
            len = size - off;
        sl_packet pkt;
        memset(&pkt, 0, sizeof pkt);
        sl_addr a = {.family = 4, .bytes = {10, 0, 0, 1}},
                b = {.family = 4, .bytes = {10, 0, 0, 2}};
        pkt.src = dir ? b : a;
        pkt.dst = dir ? a : b;
        pkt.sport = dir ? 5060 : (uint16_t)(40000 + conn);
        pkt.dport = dir ? (uint16_t)(40000 + conn) : 5060;
        pkt.ip_proto = SL_IPPROTO_TCP;
        pkt.frame = ++segments;
        pkt.tcp.seq = cursor[conn][dir] + (uint32_t)(int32_t)delta;
        pkt.tcp.flags = (uint8_t)(SL_TCP_ACK | ((h[0] & 8) ? SL_TCP_SYN : 0) |
                                  ((h[0] & 16) ? SL_TCP_FIN : 0) | ((h[0] & 32) ? SL_TCP_RST : 0));
        pkt.payload = sl_slice_make(data + off, len);
        pkt.tcp.cut = h[5];
        pkt.truncated = h[5] > 0;
        cursor[conn][dir] = pkt.tcp.seq + (uint32_t)len + h[5] + ((h[0] & 8) ? 1 : 0);
        now += (sl_time)(h[0] >> 6) * 100 * SL_NS_PER_SEC;
        off += len;

        sl_tcp_segment(t, &pkt, now);
        if (sl_tcp_memory(t) > cfg.max_bytes)
            abort();
        sl_tcp_expire(t, now);
    }
    sl_tcp_destroy(t);
    return 0;
}
