/* WebSocket frame headers and the HTTP Upgrade handshake (RFC 6455 sections
 * 4 and 5.2), for SIP over WebSocket (RFC 7118). */
#include "sipsleuth/websocket.h"

#include "sipsleuth/reader.h"

sl_status sl_ws_frame_parse(const uint8_t *buf, size_t len, sl_ws_frame *f, sl_anomaly *an)
{
    sl_reader r = sl_reader_make(buf, len);
    uint8_t b0, b1;
    if (!sl_rd_u8(&r, &b0) || !sl_rd_u8(&r, &b1))
        return SL_PARTIAL;
    f->fin = (b0 & 0x80) != 0;
    f->opcode = b0 & 0x0F;
    f->masked = (b1 & 0x80) != 0;
    if (b0 & 0x70) {
        sl_anomaly_set(an, SL_ANOM_WS_RESERVED_BITS, 0);
        return SL_INVALID;
    }
    bool control = (f->opcode & 0x8) != 0;
    if ((f->opcode > SL_WS_BINARY && !control) || f->opcode > SL_WS_PONG) {
        sl_anomaly_set(an, SL_ANOM_WS_BAD_OPCODE, 0);
        return SL_INVALID;
    }
    uint64_t plen = b1 & 0x7F;
    if (plen == 126) {
        uint16_t v;
        if (!sl_rd_be16(&r, &v))
            return SL_PARTIAL;
        plen = v;
    } else if (plen == 127) {
        uint32_t hi, lo;
        if (!sl_rd_be32(&r, &hi) || !sl_rd_be32(&r, &lo))
            return SL_PARTIAL;
        if (hi & 0x80000000u) {
            sl_anomaly_set(an, SL_ANOM_WS_BAD_LENGTH, 2);
            return SL_INVALID;
        }
        plen = ((uint64_t)hi << 32) | lo;
    }
    if (control && (!f->fin || plen > 125)) {
        sl_anomaly_set(an, SL_ANOM_WS_BAD_CONTROL_FRAME, 0);
        return SL_INVALID;
    }
    if (f->masked) {
        for (int i = 0; i < 4; i++)
            if (!sl_rd_u8(&r, &f->mask[i]))
                return SL_PARTIAL;
    } else {
        memset(f->mask, 0, sizeof f->mask);
    }
    f->payload_len = plen;
    f->header_len = r.off;
    return SL_OK;
}

void sl_ws_unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint64_t pos)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ mask[(pos + i) & 3];
}

/* The next line of buf from *off, without its CRLF/LF; false at the end. */
static bool next_line(const uint8_t *buf, size_t len, size_t *off, sl_slice *line)
{
    if (*off >= len)
        return false;
    sl_slice rest = sl_slice_make(buf + *off, len - *off);
    long lf = sl_slice_find(rest, '\n');
    if (lf < 0)
        return false;
    size_t n = (size_t)lf;
    *off += n + 1;
    if (n > 0 && rest.ptr[n - 1] == '\r')
        n--;
    *line = sl_slice_make(rest.ptr, n);
    return true;
}

/* True when the comma-separated list contains `token` (case-insensitive). */
static bool list_has(sl_slice list, const char *token)
{
    while (list.len > 0) {
        long comma = sl_slice_find(list, ',');
        size_t n = comma < 0 ? list.len : (size_t)comma;
        if (sl_slice_ieq(sl_slice_trim(sl_slice_make(list.ptr, n)), token))
            return true;
        list = sl_slice_from(list, comma < 0 ? list.len : n + 1);
    }
    return false;
}

static bool first_line_ok(sl_slice line, bool response, bool *is_101)
{
    *is_101 = false;
    if (!response)
        return sl_slice_istarts(line, "GET ") && line.len >= 13 &&
               memcmp(line.ptr + line.len - 9, " HTTP/1.", 8) == 0;
    if (!sl_slice_istarts(line, "HTTP/1.") || line.len < 12 || line.ptr[8] != ' ')
        return false;
    for (int i = 9; i < 12; i++)
        if (line.ptr[i] < '0' || line.ptr[i] > '9')
            return false;
    *is_101 = memcmp(line.ptr + 9, "101", 3) == 0;
    return true;
}

sl_status sl_ws_handshake(const uint8_t *buf, size_t len, bool response, size_t *head_len,
                          bool *sip_ws)
{
    size_t off = 0;
    sl_slice line;
    *sip_ws = false;
    *head_len = 0;
    if (!next_line(buf, len, &off, &line)) {
        /* a cut first line: judge by the start that is there */
        const char *want = response ? "HTTP/1." : "GET ";
        size_t n = strlen(want) < len ? strlen(want) : len;
        char prefix[8];
        memcpy(prefix, want, n);
        prefix[n] = '\0';
        return sl_slice_istarts(sl_slice_make(buf, len), prefix) ? SL_PARTIAL : SL_INVALID;
    }
    bool is_101;
    if (!first_line_ok(line, response, &is_101))
        return SL_INVALID;
    bool upgrade = false, proto_sip = false, proto_seen = false;
    for (;;) {
        if (!next_line(buf, len, &off, &line))
            return SL_PARTIAL;
        if (line.len == 0)
            break;
        long colon = sl_slice_find(line, ':');
        if (colon < 0)
            continue;
        sl_slice name = sl_slice_trim(sl_slice_make(line.ptr, (size_t)colon));
        sl_slice value = sl_slice_trim(sl_slice_from(line, (size_t)colon + 1));
        if (sl_slice_ieq(name, "Upgrade"))
            upgrade = upgrade || list_has(value, "websocket");
        else if (sl_slice_ieq(name, "Sec-WebSocket-Protocol")) {
            proto_seen = true;
            proto_sip = proto_sip || list_has(value, "sip");
        }
    }
    *head_len = off;
    *sip_ws = upgrade && (response ? is_101 && (!proto_seen || proto_sip) : proto_sip);
    return SL_OK;
}
