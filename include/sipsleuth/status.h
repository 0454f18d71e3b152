/* One status convention for the whole code base. */
#ifndef SIPSLEUTH_STATUS_H
#define SIPSLEUTH_STATUS_H

typedef enum sl_status {
    SL_OK = 0,
    SL_INVALID,   /* the bytes break the protocol's rules */
    SL_PARTIAL,   /* well-formed so far, but more bytes are needed (streams) */
    SL_TRUNCATED, /* the capture cut the packet short (snaplen) */
    SL_NOMEM,     /* a memory cap or allocation failed */
} sl_status;

const char *sl_status_name(sl_status st);

#endif
