/* The connection table's state, shared by the layers of the TCP module
 * (listed below). Not a public header: the interface is
 * include/sipsleuth/tcp_stream.h. */
#ifndef SIPSLEUTH_SRC_TCP_INTERNAL_H
#define SIPSLEUTH_SRC_TCP_INTERNAL_H

#include "lru_table.h"
#include "sipsleuth/tcp_stream.h"

typedef enum mode { M_START, M_SIP, M_RESYNC, M_HTTP, M_WS, M_HEP, M_NOT_SIP } mode;

typedef struct seg {
    struct seg *next;
    uint32_t seq, len;
    bool cut;       /* sequence space the snap length cut: no data */
    uint64_t frame; /* the segment it came in (--extract) */
    uint8_t data[];
} seg;

typedef struct half {
    mode mode;
    bool started;   /* next_seq is known */
    bool syn;       /* isn is known */
    bool fin;       /* fin_seq is known */
    bool done;      /* everything up to the FIN was delivered */
    bool probing;   /* RESYNC from the start of the stream: bounded by probe_limit */
    bool after_gap; /* RESYNC: the next byte follows a hole, so may start a line */
    bool http_response;
    bool ack_known;  /* ack: the highest the peer acknowledged */
    bool hole_acked; /* the hole at hole_seq was acknowledged at hole_acked_at */
    uint32_t isn, next_seq, fin_seq, ack, hole_seq;
    sl_time hole_acked_at;

    seg *ooo; /* held out-of-order segments, sorted, non-overlapping */
    size_t ooo_bytes, ooo_count;

    uint8_t *buf; /* the unfinished unit */
    size_t len, cap;
    /* RESYNC: bytes left of a message being dropped (over the cap, or cut by
     * the snap length); the next message starts after them unless a SIP start
     * line comes first (a Content-Length may lie) */
    size_t discard;
    size_t scanned; /* bytes searched for a first start line */

    /* parse hints for the unfinished SIP message, relative to its start */
    bool tried;      /* parsed once already */
    size_t hdr_scan; /* bytes known to hold no blank line */
    size_t need;     /* total length it needs, when known */

    /* WebSocket: the current frame and the message being assembled */
    uint64_t ws_left; /* payload bytes of the current frame still to come */
    uint64_t ws_pos;  /* payload bytes of the current frame seen */
    uint8_t ws_mask[4];
    bool ws_masked, ws_fin, ws_ctrl, ws_in_msg, ws_drop;
    uint8_t *ws;
    size_t ws_len, ws_cap;

    bool hep_lost; /* HEP: out of step, searching for the next "HEP3" header */

    struct sl_tcp_prov *prov; /* --extract: the frames of the bytes in buf (tcp_prov.c) */
} half;

struct sl_tls_conn; /* tcp_tls.c: a TLS connection's records and keys */

typedef struct conn {
    sl_lru_node node; /* first; the list is in activity order */
    /* the table's list of connections waiting for an acknowledged hole */
    struct conn *acked_prev, *acked_next;
    bool on_acked;
    sl_addr addr[2]; /* addr[0]/port[0]: the sender of the first segment seen */
    uint16_t port[2];
    sl_time last;
    bool ws_requested;
    struct sl_tls_conn *tls; /* TLS found: each direction is decrypted before framing */
    half h[2];               /* h[d]: data sent by addr[d] */
} conn;

struct sl_tcp_table {
    sl_tcp_config cfg;
    sl_tcp_callbacks cb;
    struct sl_tcp_tls *tls; /* TLS detection and decryption (tcp_tls.c), or NULL */
    sl_lru conns;           /* its bytes: everything the connections hold, and the table */
    sl_time now;
    const sl_packet *pkt; /* the segment being processed, and its connection */
    const conn *cur;
    uint64_t feed_frame; /* the frame of the in-order bytes being fed (--extract) */
    sl_tcp_stats st;
    conn *acked;       /* connections with an acknowledged hole still waited for */
    sl_time acked_due; /* no hole of theirs is due before this */
};

/* The layers, bottom up (each calls only the ones before it):
 *   tcp_conn.c       what they all share (below)
 *   tcp_websocket.c  the HTTP upgrade and WebSocket frames
 *   tcp_framing.c    plain in-order bytes cut into SIP messages
 *   tcp_tls.c        in-order bytes: decrypted first when TLS, then framed
 *   tcp_stream.c     segments into in-order bytes, holes, the connection table */

/* tcp_conn.c: the flow of direction d of c (outer set when c is the
 * connection of the segment being processed), its anomalies, delivery of a
 * message, and buffers charged to the table. */
sl_flow sl_tcp_flow(const sl_tcp_table *t, const conn *c, int d);
void sl_tcp_anomaly(sl_tcp_table *t, const conn *c, int d, sl_anomaly_kind kind,
                    const char *detail);
void sl_tcp_deliver(sl_tcp_table *t, const conn *c, int d, const uint8_t *msg, size_t len);
bool sl_tcp_reserve(sl_tcp_table *t, uint8_t **buf, size_t *cap, size_t want);
void sl_tcp_release(sl_tcp_table *t, uint8_t **buf, size_t *len, size_t *cap);
/* The direction does not carry SIP: its bytes are dropped (counted). */
void sl_tcp_not_sip(sl_tcp_table *t, half *h);

/* tcp_websocket.c: framing steps of the HTTP and WS modes; they parse what
 * they can at the start of p[0..n), return false when they need more bytes,
 * and set *used to what they consumed. */
bool sl_tcp_step_http(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used);
bool sl_tcp_step_ws(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used);
/* The end of a WebSocket frame's payload: delivers a finished message. */
void sl_tcp_ws_frame_end(sl_tcp_table *t, conn *c, int d);

/* tcp_hep.c: the HEP mode's step (as the ones above), and n bytes of it the
 * snap length cut. */
bool sl_tcp_step_hep(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n, size_t *used);
void sl_tcp_hep_cut(sl_tcp_table *t, conn *c, int d, size_t n);

/* tcp_framing.c: newly in-order plain bytes of direction d. */
void sl_tcp_frame(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n);
/* Bytes before the next in-order ones were lost: drop the unfinished unit and
 * look for the next message. */
void sl_tcp_framing_gap(sl_tcp_table *t, conn *c, int d);
/* n in-order bytes were cut by the snap length: report the message they
 * belong to as truncated and go on after them. */
void sl_tcp_framing_cut(sl_tcp_table *t, conn *c, int d, size_t n);
/* The direction ends: report an unfinished message, free its buffers. */
void sl_tcp_framing_end(sl_tcp_table *t, conn *c, int d, const char *why);
/* Frees the direction's buffers (charged to the table). */
void sl_tcp_framing_free(sl_tcp_table *t, half *h);

/* tcp_prov.c (--extract, only with cfg.frames): which frames the bytes of
 * the unfinished unit in h->buf came in. hold: n bytes of feed_frame are
 * appended at h->len; shift: the first `used` bytes of buf are gone; collect:
 * cfg.frames = the frames of data[0..len) (in buf, or else in the bytes being
 * fed), just before that message is delivered. */
void sl_tcp_prov_hold(sl_tcp_table *t, half *h);
void sl_tcp_prov_shift(half *h, size_t used);
/* ws: src[0..len) are being unmasked into h->ws (at h->ws_len). */
void sl_tcp_prov_ws(sl_tcp_table *t, half *h, const uint8_t *src, size_t len);
void sl_tcp_prov_collect(sl_tcp_table *t, const conn *c, int d, const uint8_t *data, size_t len);
void sl_tcp_prov_free(sl_tcp_table *t, half *h);

/* tcp_tls.c: what the stream hands on for direction d: newly in-order
 * bytes, a hole before the next ones, n bytes the snap length cut. On a TLS
 * connection they go through its decryption (a hole or a cut ends it: the
 * records' boundaries are lost), else straight to the framing. */
void sl_tcp_feed(sl_tcp_table *t, conn *c, int d, const uint8_t *p, size_t n);
void sl_tcp_hole(sl_tcp_table *t, conn *c, int d);
void sl_tcp_cut(sl_tcp_table *t, conn *c, int d, size_t n);
/* The connection's TLS state goes (with the connection). No-op without TLS. */
void sl_tcp_tls_conn_free(sl_tcp_table *t, conn *c);

#endif
