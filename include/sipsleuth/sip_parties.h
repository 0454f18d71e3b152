/* Who a message says is calling whom, beyond From and To: display names,
 * the asserted identity (RFC 3325, Remote-Party-ID) and the forwarding
 * history (Diversion, RFC 5806; History-Info, RFC 7044). Slices into the
 * message, found in one walk over its headers. */
#ifndef SIPSLEUTH_SIP_PARTIES_H
#define SIPSLEUTH_SIP_PARTIES_H

#include "sipsleuth/sip.h"

typedef enum sl_party {
    SL_PARTY_FROM_DISPLAY, /* without its quotes */
    SL_PARTY_TO_DISPLAY,
    SL_PARTY_ASSERTED,        /* URI of the first P-Asserted-Identity */
    SL_PARTY_PREFERRED,       /* ... P-Preferred-Identity */
    SL_PARTY_RPID,            /* ... Remote-Party-ID */
    SL_PARTY_DIVERSION_FIRST, /* first and last URIs across the Diversion headers */
    SL_PARTY_DIVERSION_LAST,
    SL_PARTY_HISTORY_FIRST, /* ... History-Info headers */
    SL_PARTY_HISTORY_LAST,
    SL_PARTY__COUNT
} sl_party;

/* Empty slices for what the message does not have. */
typedef struct sl_sip_parties {
    sl_slice v[SL_PARTY__COUNT];
} sl_sip_parties;

void sl_sip_parties_get(const sl_sip_msg *msg, const sl_sip_nameaddr *from,
                        const sl_sip_nameaddr *to, sl_sip_parties *out);

#endif
