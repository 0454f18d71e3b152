/* Fuzz target for GTP-U: the input is a GTPv1-U header and what follows,
 * read by the dissector, then carried in an IPv4/UDP datagram (the first
 * byte picks port 2152 or another, where the content probe decides) through
 * the frame decoder. Checks that slices stay inside the input, that errors
 * are named, and that the extension header chain stays within its bound. */
#include <stdlib.h>

#include "sipsleuth/decode.h"
#include "sipsleuth/layers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(sl_slice s, const uint8_t *base, size_t len)
{
    if (s.len && (s.ptr < base || s.ptr + s.len > base + len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 60000)
        return 0;
    bool std_port = data[0] & 1;
    data++;
    size--;
    sl_slice s = sl_slice_make(data, size);
    sl_gtpu g;
    sl_anomaly an = {0};
    sl_status st = sl_gtpu_decode(&s, &g, &an);
    if ((st == SL_OK) == (an.kind != SL_ANOM_NONE) || g.n_ext > SL_GTPU_MAX_EXT)
        abort();
    if (st == SL_OK)
        check_inside(s, data, size);
    (void)sl_gtpv1_probe(sl_slice_make(data, size));
    (void)sl_gtpv2c_probe(sl_slice_make(data, size));

    /* IPv4 (20) + UDP (8) + the input, as a raw IPv4 frame */
    static uint8_t frame[20 + 8 + 60000];
    size_t udp_len = 8 + size, total = 20 + udp_len;
    memset(frame, 0, 28);
    frame[0] = 0x45;
    frame[2] = (uint8_t)(total >> 8);
    frame[3] = (uint8_t)total;
    frame[8] = 64;
    frame[9] = 17;
    frame[12] = 10, frame[15] = 1, frame[16] = 10, frame[19] = 2;
    uint16_t port = std_port ? SL_GTPU_PORT : 40000;
    frame[20] = frame[22] = (uint8_t)(port >> 8);
    frame[21] = frame[23] = (uint8_t)port;
    frame[24] = (uint8_t)(udp_len >> 8);
    frame[25] = (uint8_t)udp_len;
    memcpy(frame + 28, data, size);
    sl_packet pkt;
    sl_decode_result r = sl_decode_frame(228 /* DLT_IPV4 */, frame, total, &pkt, &an);
    if (r == SL_DECODE_ERROR && !an.kind)
        abort();
    check_inside(pkt.payload, frame, total);
    check_inside(pkt.ip_payload, frame, total);
    if (pkt.n_tunnels > SL_MAX_TUNNELS)
        abort();
    return 0;
}
