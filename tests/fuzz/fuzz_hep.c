/* Fuzz target for HEP: the input is a HEP packet, read by the dissector, then
 * carried in an IPv4/UDP datagram to port 9060 (or, by the first byte's
 * choice, another port, where only the "HEP3" magic makes it HEP) through
 * the frame decoder. Checks that the payload stays inside the input, that
 * errors are named and that a success has the addresses it promises. */
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
    sl_hep h;
    sl_anomaly an = {0};
    sl_status st = sl_hep_decode(sl_slice_make(data, size), &h, &an);
    if ((st == SL_OK) == (an.kind != SL_ANOM_NONE))
        abort();
    if (st == SL_OK) {
        check_inside(h.payload, data, size);
        if (h.src.family != h.dst.family || (h.src.family != 4 && h.src.family != 6) ||
            (h.version != 2 && h.version != 3 && h.version != 1))
            abort();
    }
    (void)sl_hep2_probe(sl_slice_make(data, size));

    static uint8_t frame[20 + 8 + 60000];
    size_t udp_len = 8 + size, total = 20 + udp_len;
    memset(frame, 0, 28);
    frame[0] = 0x45;
    frame[2] = (uint8_t)(total >> 8);
    frame[3] = (uint8_t)total;
    frame[8] = 64;
    frame[9] = 17;
    frame[12] = 10, frame[15] = 1, frame[16] = 10, frame[19] = 2;
    uint16_t port = std_port ? SL_HEP_PORT : 40000;
    frame[20] = 0xb7, frame[21] = 0x98;
    frame[22] = (uint8_t)(port >> 8);
    frame[23] = (uint8_t)port;
    frame[24] = (uint8_t)(udp_len >> 8);
    frame[25] = (uint8_t)udp_len;
    memcpy(frame + 28, data, size);
    sl_packet pkt;
    sl_decode_result r = sl_decode_frame(228 /* DLT_IPV4 */, frame, total, &pkt, &an);
    if (r == SL_DECODE_ERROR && !an.kind)
        abort();
    check_inside(pkt.payload, frame, total);
    if (pkt.from_hep && (r != SL_DECODE_UDP || pkt.src.family != pkt.dst.family))
        abort();
    return 0;
}
