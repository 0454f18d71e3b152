/* Fuzzes the Identity / Identity-Info parsers and the base64 decoders: every
 * slice must lie inside the input and decoding must respect the buffer. */
#include <stdint.h>
#include <stdlib.h>

#include "sipsleuth/base64.h"
#include "sipsleuth/identity_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_slice(sl_slice s, const uint8_t *data, size_t size)
{
    if (s.len && (s.ptr < data || s.ptr + s.len > data + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_slice in = sl_slice_make(data, size);
    sl_identity_hdr h;
    if (sl_identity_header_parse(in, &h) == SL_OK) {
        const sl_slice parts[] = {h.token,         h.jws_header, h.jws_payload, h.signature,
                                  h.signing_input, h.info,       h.alg,         h.ppt};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            check_slice(parts[i], data, size);
        if (h.signature.len == 0)
            abort();
        uint8_t out[64];
        size_t n;
        if (sl_base64url_decode(h.signature, out, sizeof out, &n) == SL_OK && n > sizeof out)
            abort();
    }
    sl_identity_hdr info = {0};
    if (sl_identity_info_parse(in, &info) == SL_OK) {
        check_slice(info.info, data, size);
        check_slice(info.alg, data, size);
    }
    uint8_t out[48];
    size_t n;
    if (sl_base64_decode(in, out, sizeof out, &n) == SL_OK && n > sizeof out)
        abort();
    return 0;
}
