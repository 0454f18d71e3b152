/* Counting the comma-separated values of a header across a message, for the
 * per-message caps on Contacts and Vias (--max-contacts, --max-vias). */
#ifndef SIPSLEUTH_SIP_VALUES_H
#define SIPSLEUTH_SIP_VALUES_H

#include "sipsleuth/sip.h"

/* How many values the headers with this id hold, counted up to `stop` (so
 * the cost is bounded by it; a header value without a comma costs one
 * memchr). */
size_t sl_sip_count_values(const sl_sip_msg *msg, sl_sip_hdr_id id, size_t stop);

#endif
