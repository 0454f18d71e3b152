/* WebSocket (RFC 6455) as used by SIP over WebSocket (RFC 7118): the HTTP
 * Upgrade handshake and the frame header. Pure parsers: no allocation. */
#ifndef SIPSLEUTH_WEBSOCKET_H
#define SIPSLEUTH_WEBSOCKET_H

#include "sipsleuth/anomaly.h"
#include "sipsleuth/slice.h"
#include "sipsleuth/status.h"

enum {
    SL_WS_CONTINUATION = 0x0,
    SL_WS_TEXT = 0x1,
    SL_WS_BINARY = 0x2,
    SL_WS_CLOSE = 0x8,
    SL_WS_PING = 0x9,
    SL_WS_PONG = 0xA,
};

typedef struct sl_ws_frame {
    bool fin;
    uint8_t opcode;
    bool masked;
    uint8_t mask[4];
    size_t header_len;    /* bytes before the payload: 2 to 14 */
    uint64_t payload_len; /* below 2^63 */
} sl_ws_frame;

/* Parses the frame header at the start of buf; the payload need not be there.
 * SL_OK: f filled. SL_PARTIAL: the header is cut short.
 * SL_INVALID: reserved bits set (no extension is negotiated for SIP), an
 * unknown opcode, a fragmented or over-long (> 125) control frame, or a
 * 64-bit length with its top bit set; `an` names the fault. */
sl_status sl_ws_frame_parse(const uint8_t *buf, size_t len, sl_ws_frame *f, sl_anomaly *an);

/* dst[i] = src[i] ^ mask[(pos + i) % 4]; pos is the offset of src[0] within
 * the frame's payload. dst may equal src. */
void sl_ws_unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint64_t pos);

/* Parses the HTTP head at the start of buf: a request when !response, else
 * a response. SL_PARTIAL: the blank line that ends the head is not in buf yet.
 * SL_INVALID: the first line is not a GET request (resp. an HTTP/1.x status
 * line). SL_OK: *head_len is the length of the head (blank line included);
 * *sip_ws tells whether it opens SIP over WebSocket: a request with
 * "Upgrade: websocket" and "sip" in Sec-WebSocket-Protocol, or a 101
 * response with "Upgrade: websocket" (and, if it names a protocol, "sip"). */
sl_status sl_ws_handshake(const uint8_t *buf, size_t len, bool response, size_t *head_len,
                          bool *sip_ws);

#endif
