#include "sipsleuth/sip_values.h"

/* n plus the values of one header, counted up to stop. */
static size_t add_values(const sl_sip_header *h, size_t n, size_t stop)
{
    if (h->value.len == 0)
        return n;
    if (!memchr(h->value.ptr, ',', h->value.len))
        return n + 1;
    sl_slice rest = h->value, elem;
    while (n < stop && sl_sip_next_element(&rest, &elem))
        n++;
    return n;
}

size_t sl_sip_count_values(const sl_sip_msg *msg, sl_sip_hdr_id id, size_t stop)
{
    size_t first = msg->first[id];
    if (first == 0 || stop == 0)
        return 0;
    /* Most messages have one header of each id: no walk over the others. */
    if (!(msg->repeated & (1u << id)))
        return add_values(&msg->headers[first - 1], 0, stop);
    size_t n = 0;
    for (size_t i = first - 1; i < msg->n_headers && n < stop; i++)
        if (msg->headers[i].id == id)
            n = add_values(&msg->headers[i], n, stop);
    return n;
}
