#include "sipsleuth/sip_values.h"

size_t sl_sip_count_values(const sl_sip_msg *msg, sl_sip_hdr_id id, size_t stop)
{
    size_t n = 0;
    for (size_t i = msg->first[id] ? msg->first[id] - 1u : msg->n_headers;
         i < msg->n_headers && n < stop; i++) {
        const sl_sip_header *h = &msg->headers[i];
        if (h->id != id || h->value.len == 0)
            continue;
        if (!memchr(h->value.ptr, ',', h->value.len)) {
            n++;
            continue;
        }
        sl_slice rest = h->value, elem;
        while (n < stop && sl_sip_next_element(&rest, &elem))
            n++;
    }
    return n;
}
