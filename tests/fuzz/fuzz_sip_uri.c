/* Fuzzes the URI parser: every part must lie inside the input, the port in
 * range, and the parameter lookup must cope with whatever was found. */
#include <stdint.h>
#include <stdlib.h>

#include "sipsleuth/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_slice(sl_slice s, const uint8_t *data, size_t size)
{
    if (s.len && (s.ptr < data || s.ptr + s.len > data + size))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_sip_uri u;
    if (sl_sip_uri_parse(sl_slice_make(data, size), &u) != SL_OK)
        return 0;
    const sl_slice parts[] = {u.scheme_text, u.user, u.password, u.host, u.params, u.headers};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        check_slice(parts[i], data, size);
    if (u.port < -1 || u.port > 65535 || u.scheme_text.len == 0)
        abort();
    if ((u.scheme == SL_URI_SIP || u.scheme == SL_URI_SIPS) && u.host.len == 0)
        abort();
    if (u.scheme == SL_URI_TEL && u.user.len == 0)
        abort();
    sl_slice v;
    if (sl_sip_param_get(u.params, "transport", &v))
        check_slice(v, data, size);
    sl_sip_param_get(u.params, "user", &v);
    sl_sip_param_get(u.params, "lr", &v);
    return 0;
}
