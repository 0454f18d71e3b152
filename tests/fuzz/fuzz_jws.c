/* Fuzzes the JWS path: Identity value → token parts → PASSporT decoding
 * (base64url + JSON + claim types). Decoded strings must stay terminated,
 * and a failure must say why. */
#include <stdint.h>
#include <stdlib.h>

#include "sipsleuth/identity_header.h"
#include "sipsleuth/passport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_identity_hdr h;
    if (sl_identity_header_parse(sl_slice_make(data, size), &h) != SL_OK ||
        h.form != SL_IDENTITY_FULL)
        return 0;
    sl_passport pp;
    bool ok = sl_passport_decode(h.jws_header, h.jws_payload, &pp);
    if (ok && (pp.n_dest > SL_PASSPORT_MAX_DEST || strlen(pp.orig_tn) >= SL_TN_MAX ||
               strlen(pp.x5u) >= sizeof pp.x5u))
        abort();
    if (!ok && !pp.error[0])
        abort();
    char canon[SL_TN_MAX];
    if (ok && pp.orig_tn[0])
        sl_tn_canon(sl_slice_make(pp.orig_tn, strlen(pp.orig_tn)), canon, sizeof canon);
    return 0;
}
