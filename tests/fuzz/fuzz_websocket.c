/* Fuzz target for the WebSocket parsers: the input is read as a handshake
 * (request and response), then as a run of frames, each unmasked. Checks that
 * the parsers stay inside the input and report what they promise. */
#include <stdlib.h>

#include "sipsleuth/websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t head = 0;
    bool sip = false;
    for (int response = 0; response < 2; response++) {
        sl_status st = sl_ws_handshake(data, size, response, &head, &sip);
        if (st == SL_OK ? head == 0 || head > size : head != 0 || sip)
            abort();
    }
    static uint8_t out[1 << 16];
    size_t off = 0;
    while (off < size) {
        sl_ws_frame f;
        sl_anomaly an = {0};
        sl_status st = sl_ws_frame_parse(data + off, size - off, &f, &an);
        if ((st == SL_INVALID) != (an.kind != SL_ANOM_NONE))
            abort();
        if (st != SL_OK)
            break;
        if (f.header_len < 2 || f.header_len > 14 || f.header_len > size - off)
            abort();
        off += f.header_len;
        size_t n = f.payload_len < size - off ? (size_t)f.payload_len : size - off;
        if (n > sizeof out)
            n = sizeof out;
        sl_ws_unmask(out, data + off, n, f.mask, off);
        off += n;
    }
    return 0;
}
