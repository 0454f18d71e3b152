#include "sipsleuth/sip_parties.h"

#include <string.h>

/* The URI of the first name-addr of a header value that has one. */
static bool first_uri(sl_slice value, sl_slice *uri)
{
    sl_slice elem;
    sl_sip_nameaddr na;
    if (sl_sip_next_element(&value, &elem) && sl_sip_nameaddr_parse(elem, &na) == SL_OK &&
        na.uri.len) {
        *uri = na.uri;
        return true;
    }
    return false;
}

/* Widens [first, last] with every URI of a Diversion or History-Info value. */
static void first_and_last(sl_slice value, sl_slice *first, sl_slice *last)
{
    sl_slice elem;
    while (sl_sip_next_element(&value, &elem)) {
        sl_sip_nameaddr na;
        if (sl_sip_nameaddr_parse(elem, &na) != SL_OK || na.uri.len == 0)
            continue;
        if (!first->len)
            *first = na.uri;
        *last = na.uri;
    }
}

void sl_sip_parties_get(const sl_sip_msg *msg, const sl_sip_nameaddr *from,
                        const sl_sip_nameaddr *to, sl_sip_parties *out)
{
    memset(out, 0, sizeof *out);
    out->v[SL_PARTY_FROM_DISPLAY] = from->display;
    out->v[SL_PARTY_TO_DISPLAY] = to->display;
    sl_slice *v = out->v;
    for (size_t i = 0; i < msg->n_headers; i++) {
        const sl_sip_header *h = &msg->headers[i];
        if (h->id == SL_HDR_P_ASSERTED_IDENTITY) {
            if (!v[SL_PARTY_ASSERTED].len)
                first_uri(h->value, &v[SL_PARTY_ASSERTED]);
        } else if (h->id != SL_HDR_OTHER) {
            continue;
        } else if (sl_slice_ieq(h->name, "Diversion")) {
            first_and_last(h->value, &v[SL_PARTY_DIVERSION_FIRST], &v[SL_PARTY_DIVERSION_LAST]);
        } else if (sl_slice_ieq(h->name, "History-Info")) {
            first_and_last(h->value, &v[SL_PARTY_HISTORY_FIRST], &v[SL_PARTY_HISTORY_LAST]);
        } else if (sl_slice_ieq(h->name, "P-Preferred-Identity")) {
            if (!v[SL_PARTY_PREFERRED].len)
                first_uri(h->value, &v[SL_PARTY_PREFERRED]);
        } else if (sl_slice_ieq(h->name, "Remote-Party-ID")) {
            if (!v[SL_PARTY_RPID].len)
                first_uri(h->value, &v[SL_PARTY_RPID]);
        }
    }
}
