/* Fuzz target for the frame decoders. The first input byte picks the link
 * type from those sipsleuth supports, the rest is the frame. Besides the
 * sanitizers it checks the decoder's promises: errors are named, slices stay
 * inside the frame, and a fragment's reassembled form decodes as well. */
#include <stdlib.h>

#include "sipsleuth/community_id.h"
#include "sipsleuth/decode.h"

static const int dlts[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276};

static void check_inside(sl_slice s, const uint8_t *base, size_t len)
{
    if (s.len && (s.ptr < base || s.ptr + s.len > base + len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
    const uint8_t *frame = data + 1;
    size_t len = size - 1;
    sl_packet pkt;
    sl_anomaly an;
    sl_decode_result r = sl_decode_frame(dlt, frame, len, &pkt, &an);
    /* an error always names its anomaly; a success may carry a finding */
    if ((r == SL_DECODE_ERROR && !an.kind) || (an.kind && !sl_anomaly_layer(an.kind)))
        abort();
    check_inside(pkt.ip_payload, frame, len);
    check_inside(pkt.payload, frame, len);
    if (pkt.n_vlan > SL_MAX_VLAN || pkt.n_mpls > SL_MAX_MPLS || pkt.n_tunnels > SL_MAX_TUNNELS)
        abort();
    if (r == SL_DECODE_UDP || r == SL_DECODE_TCP || r == SL_DECODE_SCTP) {
        char id[SL_COMMUNITY_ID_LEN];
        if (!sl_community_id(&pkt.src, &pkt.dst, pkt.ip_proto, pkt.sport, pkt.dport, 0, id))
            abort();
    }
    if (r == SL_DECODE_FRAGMENT) {
        /* as if the fragment were the whole datagram */
        r = sl_decode_ip_payload(pkt.ip_proto, pkt.ip_payload, pkt.truncated, &pkt, &an);
        if (r == SL_DECODE_ERROR && !an.kind)
            abort();
        check_inside(pkt.payload, frame, len);
    }
    return 0;
}
