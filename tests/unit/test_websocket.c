#include <criterion/criterion.h>

#include "guarded.h"
#include "sipsleuth/websocket.h"

static sl_status parse_guarded(const void *buf, size_t len, sl_ws_frame *f, sl_anomaly *an)
{
    sl_guarded g;
    const uint8_t *p = sl_guard(&g, buf, len);
    sl_status st = sl_ws_frame_parse(p, len, f, an);
    sl_guard_free(&g);
    return st;
}

Test(websocket, frame_lengths_and_every_prefix)
{
    struct {
        uint8_t bytes[16];
        size_t len;
        uint64_t payload;
        bool masked;
    } cases[] = {
        {{0x81, 0x05}, 2, 5, false},
        {{0x82, 0x85, 1, 2, 3, 4}, 6, 5, true},
        {{0x01, 0x7E, 0x01, 0x00}, 4, 256, false},
        {{0x80, 0xFE, 0xFF, 0xFF, 9, 8, 7, 6}, 8, 65535, true},
        {{0x82, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0}, 10, UINT64_C(1) << 32, false},
        {{0x89, 0x80, 1, 1, 1, 1}, 6, 0, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_ws_frame f;
        sl_anomaly an = {0};
        cr_assert_eq(parse_guarded(cases[i].bytes, cases[i].len, &f, &an), SL_OK, "case %zu", i);
        cr_assert_eq(f.header_len, cases[i].len);
        cr_assert_eq(f.payload_len, cases[i].payload);
        cr_assert_eq(f.masked, cases[i].masked);
        cr_assert_eq(f.fin, (cases[i].bytes[0] & 0x80) != 0);
        cr_assert_eq(f.opcode, cases[i].bytes[0] & 0x0F);
        for (size_t n = 0; n < cases[i].len; n++)
            cr_assert_eq(parse_guarded(cases[i].bytes, n, &f, &an), SL_PARTIAL, "case %zu, %zu", i,
                         n);
        cr_assert_eq(an.kind, SL_ANOM_NONE);
    }
}

Test(websocket, invalid_frames)
{
    const uint8_t bad[][10] = {
        {0xC1, 0x00},                         /* RSV1 */
        {0x83, 0x00},                         /* reserved data opcode */
        {0x8B, 0x00},                         /* reserved control opcode */
        {0x09, 0x00},                         /* fragmented ping */
        {0x88, 0x7E, 0x00, 0x7E},             /* control frame over 125 */
        {0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0}, /* 64-bit length, top bit set */
    };
    const size_t lens[] = {2, 2, 2, 2, 4, 10};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        sl_ws_frame f;
        sl_anomaly an = {0};
        cr_assert_eq(parse_guarded(bad[i], lens[i], &f, &an), SL_INVALID, "case %zu", i);
        cr_assert(an.kind);
    }
}

Test(websocket, unmask_at_any_position)
{
    const uint8_t mask[4] = {0xA1, 0xB2, 0xC3, 0xD4};
    const char text[] = "OPTIONS sip:x SIP/2.0\r\n";
    uint8_t masked[sizeof text], out[sizeof text];
    sl_ws_unmask(masked, (const uint8_t *)text, sizeof text, mask, 0);
    cr_assert_neq(memcmp(masked, text, sizeof text), 0);
    /* unmasking in two pieces cut anywhere gives the text back */
    for (size_t cut = 0; cut <= sizeof text; cut++) {
        sl_ws_unmask(out, masked, cut, mask, 0);
        sl_ws_unmask(out + cut, masked + cut, sizeof text - cut, mask, cut);
        cr_assert(memcmp(out, text, sizeof text) == 0);
    }
}

static sl_status hs(const char *text, size_t len, bool response, size_t *head, bool *sip)
{
    sl_guarded g;
    const uint8_t *p = sl_guard(&g, text, len);
    sl_status st = sl_ws_handshake(p, len, response, head, sip);
    sl_guard_free(&g);
    return st;
}

Test(websocket, handshake)
{
    const char req[] = "GET /ws HTTP/1.1\r\nHost: proxy.example\r\nUpgrade: WebSocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Protocol: chat, SIP\r\n\r\nXX";
    const char resp[] = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
                        "sec-websocket-protocol: sip\r\n\r\n";
    size_t head;
    bool sip;
    cr_assert_eq(hs(req, strlen(req), false, &head, &sip), SL_OK);
    cr_assert(sip);
    cr_assert_eq(head, strlen(req) - 2);
    for (size_t n = 0; n < head; n++)
        cr_assert_eq(hs(req, n, false, &head, &sip), SL_PARTIAL, "prefix %zu", n);
    cr_assert_eq(hs(resp, strlen(resp), true, &head, &sip), SL_OK);
    cr_assert(sip);
    for (size_t n = 0; n < strlen(resp); n++)
        cr_assert_eq(hs(resp, n, true, &head, &sip), SL_PARTIAL, "prefix %zu", n);

    const char chat[] =
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
    cr_assert_eq(hs(chat, strlen(chat), false, &head, &sip), SL_OK);
    cr_assert_not(sip);
    const char plain[] = "GET / HTTP/1.0\nHost: x\n\n";
    cr_assert_eq(hs(plain, strlen(plain), false, &head, &sip), SL_OK);
    cr_assert_not(sip);
    cr_assert_eq(head, strlen(plain));
    const char no[] = "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n";
    cr_assert_eq(hs(no, strlen(no), true, &head, &sip), SL_OK);
    cr_assert_not(sip);
    const char other[] =
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
    cr_assert_eq(hs(other, strlen(other), true, &head, &sip), SL_OK);
    cr_assert_not(sip);

    cr_assert_eq(hs("POST / HTTP/1.1\r\n\r\n", 19, false, &head, &sip), SL_INVALID);
    cr_assert_eq(hs("INVITE sip:a@b SIP/2.0\r\n", 24, false, &head, &sip), SL_INVALID);
    cr_assert_eq(hs("GEX", 3, false, &head, &sip), SL_INVALID);
    cr_assert_eq(hs("HTTP/1.1 1x1 OK\r\n\r\n", 19, true, &head, &sip), SL_INVALID);
    cr_assert_eq(hs("SIP/2.0 101 OK\r\n\r\n", 18, true, &head, &sip), SL_INVALID);
}
