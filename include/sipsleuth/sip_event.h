/* The `sip` event: one per SIP message. */
#ifndef SIPSLEUTH_SIP_EVENT_H
#define SIPSLEUTH_SIP_EVENT_H

#include "sipsleuth/event.h"
#include "sipsleuth/sip_context.h"

typedef struct sl_sip_event {
    sl_event head; /* for a message that came in HEP, the agent's capture time */
    const sl_sip_ctx *msg;
    bool retransmission; /* the dialog tracker's verdict */
    /* The capture cut the message short: absent fields may just be missing
     * from the capture. */
    bool truncated;
} sl_sip_event;

#endif
