/* TCP segments for the stream tests: one connection between 10.0.0.1 and
 * 10.0.0.2, its payload in a guarded buffer unless asked otherwise. */
#ifndef SL_TEST_TCP_SEGMENTS_H
#define SL_TEST_TCP_SEGMENTS_H

#include "sipsleuth/tcp_stream.h"

typedef struct sl_test_segment {
    int conn;       /* client port 40000 + conn */
    bool reverse;   /* server -> client */
    uint16_t dport; /* the server's port; 0: 5060 */
    uint32_t seq;
    uint8_t flags;    /* 0: ACK|PSH */
    const void *data; /* len bytes sent, the first kept captured */
    size_t len, kept;
    uint64_t frame;
    sl_time ts;     /* 0: 1 */
    bool unguarded; /* a plain slice (the flood tests: no page map per segment) */
} sl_test_segment;

void sl_test_send_segment(sl_tcp_table *t, const sl_test_segment *s);

#endif
